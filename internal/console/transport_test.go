package console

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// fastRetries keeps the backoff short so that the tests are quick; the
// rules under test do not depend on the durations.
var fastRetries = TransportOptions{RateLimit: RateLimit{RequestsPerMinute: 60000, Burst: 1000}, BackoffMin: time.Millisecond, BackoffMax: 5 * time.Millisecond}

// countingBase counts the attempts that reach the network.
type countingBase struct {
	base  http.RoundTripper
	calls atomic.Int32
}

func (c *countingBase) RoundTrip(r *http.Request) (*http.Response, error) {
	c.calls.Add(1)
	return c.base.RoundTrip(r)
}

func newRetryingClient(url string, o TransportOptions) (*Client, *Transport) {
	t := NewTransport(http.DefaultTransport.(*http.Transport).Clone(), o)
	return New(url, workspaceKey, &http.Client{Transport: t, Timeout: 30 * time.Second}, "provider-ory-test"), t
}

func TestRetries(t *testing.T) {
	type want struct {
		Reason   Reason // "" for success
		Requests int    // requests of the operation that reached the simulator
		Keys     int    // keys in the project afterwards
	}
	cases := map[string]struct {
		reason string
		seed   int // keys seeded before the call
		fault  func(sim *orysim.Server, h testHolder)
		call   func(ctx context.Context, c keysAPI, parent string, keys []orysim.Key) error
		op     func(h testHolder) string
		want   want
	}{
		"ListRetriedAfter5xx": {
			reason: "A list is idempotent: 5xx are retried until one attempt succeeds.",
			fault:  func(sim *orysim.Server, h testHolder) { sim.FailNext(h.list, 2, http.StatusServiceUnavailable) },
			call:   list, op: listOp,
			want: want{Requests: 3},
		},
		"ListGivesUpAfterMaxAttempts": {
			reason: "Retries are bounded: after three attempts the last 5xx goes back to the reconciler.",
			fault:  func(sim *orysim.Server, h testHolder) { sim.FailNext(h.list, 10, http.StatusBadGateway) },
			call:   list, op: listOp,
			want: want{Reason: ReasonUnavailable, Requests: 3},
		},
		"ListNotRetriedOn404": {
			reason: "A 4xx other than 429 is an answer, not a transient failure.",
			fault:  func(sim *orysim.Server, h testHolder) { sim.FailNext(h.list, 1, http.StatusNotFound) },
			call:   list, op: listOp,
			want: want{Reason: ReasonNotFound, Requests: 1},
		},
		"DeleteRetriedAfter5xx": {
			reason: "A delete is idempotent (a repeated one is answered 404, which counts as deleted): 5xx are retried.",
			seed:   1,
			fault: func(sim *orysim.Server, h testHolder) {
				sim.FailNext(h.del, 1, http.StatusInternalServerError)
			},
			call: func(ctx context.Context, c keysAPI, p string, keys []orysim.Key) error {
				return c.DeleteKey(ctx, p, keys[0].ID)
			},
			op:   deleteOp,
			want: want{Requests: 2, Keys: 0},
		},
		"CreateNotRetriedAfter5xx": {
			reason: "A create that got a 5xx may have created the key: sending it again could make a second key whose value is lost.",
			fault:  func(sim *orysim.Server, h testHolder) { sim.FailNext(h.create, 1, http.StatusBadGateway) },
			call:   create, op: createOp,
			want: want{Reason: ReasonUnavailable, Requests: 1},
		},
		"CreateNotRetriedAfterDroppedConnection": {
			reason: "A create whose connection dropped after it was sent may have reached Ory: it must not be sent again.",
			fault:  func(sim *orysim.Server, h testHolder) { sim.SetDropRate(h.create, 1) },
			call:   create, op: createOp,
			want: want{Reason: ReasonUnavailable, Requests: 1},
		},
		"CreateNotRetriedWhenCutBeforeHeaders": {
			reason: "Ory made the key and the connection closed before its answer: sending the create again would make a second key.",
			fault: func(sim *orysim.Server, h testHolder) {
				sim.CutAnswers(h.create, "", 1, orysim.CutBeforeHeaders)
			},
			call: create, op: createOp,
			want: want{Reason: ReasonUnavailable, Requests: 1, Keys: 1},
		},
		"CreateNotRetriedWhenCutAfterHeaders": {
			reason: "A 201 whose body never came is no success and no refusal: the outcome is unknown, and the create is not sent again.",
			fault: func(sim *orysim.Server, h testHolder) {
				sim.CutAnswers(h.create, "", 1, orysim.CutAfterHeaders)
			},
			call: create, op: createOp,
			want: want{Reason: ReasonOutcomeUnknown, Requests: 1, Keys: 1},
		},
		"CreateNotRetriedWhenCutMidBody": {
			reason: "Half a 201 is no success and no refusal: the outcome is unknown, and the create is not sent again.",
			fault: func(sim *orysim.Server, h testHolder) {
				sim.CutAnswers(h.create, "", 1, orysim.CutMidBody)
			},
			call: create, op: createOp,
			want: want{Reason: ReasonOutcomeUnknown, Requests: 1, Keys: 1},
		},
		"CreateWithoutValueIsUnknown": {
			reason: "A 201 without the key's value leaves a key nobody can use: the outcome is unknown, and the create is not sent again.",
			fault: func(sim *orysim.Server, h testHolder) {
				sim.CutAnswers(h.create, "", 1, orysim.OmitValue)
			},
			call: create, op: createOp,
			want: want{Reason: ReasonOutcomeUnknown, Requests: 1, Keys: 1},
		},
		"CreateRetriedAfter429": {
			reason: "Ory answers 429 before it acts, so a rate limited create is safe to send again.",
			fault:  func(sim *orysim.Server, h testHolder) { sim.FailNext(h.create, 1, http.StatusTooManyRequests) },
			call:   create, op: createOp,
			want: want{Requests: 2, Keys: 1},
		},
	}
	for name, tc := range cases {
		for holder, h := range testHolders {
			t.Run(name+"/"+holder, func(t *testing.T) {
				sim, url := orysim.StartTest(t)
				sim.AddWorkspace(workspaceKey)
				parent := h.setup(sim)
				var keys []orysim.Key
				for range tc.seed {
					keys = append(keys, h.seed(sim, parent))
				}
				tc.fault(sim, h)
				c, _ := newRetryingClient(url, fastRetries)
				err := tc.call(context.Background(), h.keys(c), parent, keys)
				got := want{Reason: ReasonOf(err), Requests: sim.Requests(tc.op(h)), Keys: len(h.stored(sim, parent))}
				if err != nil && got.Reason == "" {
					t.Fatalf("%s\nunexpected error: %v", tc.reason, err)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
				}
			})
		}
	}
}

func listOp(h testHolder) string   { return h.list }
func createOp(h testHolder) string { return h.create }
func deleteOp(h testHolder) string { return h.del }

func list(ctx context.Context, c keysAPI, p string, _ []orysim.Key) error {
	_, err := c.ListKeys(ctx, p)
	return err
}

func create(ctx context.Context, c keysAPI, p string, _ []orysim.Key) error {
	_, err := c.CreateKey(ctx, p, "new", nil)
	return err
}

func TestRetriesByTransportError(t *testing.T) {
	// A port nobody listens on: every attempt fails to connect, so no
	// request can have reached anyone.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	_ = ln.Close()

	cases := map[string]struct {
		reason string
		call   func(ctx context.Context, c *Client) error
		want   int32
	}{
		"CreateRetriedWhenNotConnected": {
			reason: "A create that could not even connect certainly did not reach Ory: it is retried.",
			call:   func(ctx context.Context, c *Client) error { return create(ctx, c.ProjectKeys(), "p", nil) },
			want:   DefaultMaxAttempts,
		},
		"ListRetriedWhenNotConnected": {
			reason: "A list is retried after any network error.",
			call:   func(ctx context.Context, c *Client) error { return list(ctx, c.WorkspaceKeys(), "p", nil) },
			want:   DefaultMaxAttempts,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			base := &countingBase{base: http.DefaultTransport.(*http.Transport).Clone()}
			tr := NewTransport(base, fastRetries)
			c := New(closed, workspaceKey, &http.Client{Transport: tr}, "ua")
			err := tc.call(context.Background(), c)
			if ReasonOf(err) != ReasonUnavailable {
				t.Errorf("%s\nreason = %q (%v), want %q", tc.reason, ReasonOf(err), err, ReasonUnavailable)
			}
			if got := base.calls.Load(); got != tc.want {
				t.Errorf("%s\nattempts = %d, want %d", tc.reason, got, tc.want)
			}
		})
	}
}

func TestNotSent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	_, dialErr := net.Dial("tcp", addr)
	if dialErr == nil {
		t.Fatal("expected the dial to fail")
	}
	cases := map[string]struct {
		reason string
		err    error
		want   bool
	}{
		"ConnectionRefused": {reason: "A refused connection carried no request.", err: &url.Error{Op: "Post", URL: "http://x", Err: dialErr}, want: true},
		"UnknownHost":       {reason: "A name that does not resolve was never connected to.", err: &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "x"}}}, want: true},
		"EOF":               {reason: "A connection closed while waiting for the answer may come after Ory acted.", err: &url.Error{Op: "Post", URL: "http://x", Err: io.EOF}, want: false},
		"ReadReset":         {reason: "A reset while reading the answer may come after Ory acted.", err: &net.OpError{Op: "read", Err: errors.New("connection reset by peer")}, want: false},
		"Timeout":           {reason: "A timeout waiting for the answer may come after Ory acted.", err: context.DeadlineExceeded, want: false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := notSent(tc.err); got != tc.want {
				t.Errorf("%s\nnotSent(%v) = %v, want %v", tc.reason, tc.err, got, tc.want)
			}
		})
	}
}

func TestRateLimitedByOry(t *testing.T) {
	cases := map[string]struct {
		reason     string
		omitRA     bool
		reset      orysim.ResetForm
		raDate     bool
		timeout    time.Duration
		wantReason Reason
		minElapsed time.Duration
		maxElapsed time.Duration
		wantWaits  float64
		wantCalls  int
	}{
		"WaitsForResetThenSucceeds": {
			reason: "A 429 is retried once x-ratelimit-reset seconds have passed (Ory sends no Retry-After).",
			omitRA: true, timeout: 10 * time.Second,
			minElapsed: 900 * time.Millisecond, maxElapsed: 5 * time.Second,
			wantWaits: 1, wantCalls: 2,
		},
		"ReturnsAtOnceWhenTheResetIsPastTheDeadline": {
			reason: "Waiting past the caller's deadline helps nobody: the 429 goes back at once and the reconcile backs off.",
			omitRA: true, timeout: 500 * time.Millisecond,
			wantReason: ReasonRateLimited, maxElapsed: 400 * time.Millisecond,
			wantWaits: 0, wantCalls: 1,
		},
		"ReadsAnEpochReset": {
			reason: "A gateway's x-ratelimit-reset is the reset's Unix time: read as seconds it is a wait of 56 years, and the 429 would go back at once.",
			omitRA: true, reset: orysim.ResetEpoch, timeout: 10 * time.Second,
			minElapsed: 500 * time.Millisecond, maxElapsed: 5 * time.Second,
			wantWaits: 1, wantCalls: 2,
		},
		"ReadsARetryAfterDate": {
			reason: "Retry-After may be an HTTP-date; with no x-ratelimit-reset it alone says when to retry.",
			reset:  orysim.ResetOmit, raDate: true, timeout: 10 * time.Second,
			minElapsed: 500 * time.Millisecond, maxElapsed: 5 * time.Second,
			wantWaits: 1, wantCalls: 2,
		},
		"ZeroResetBacksOff": {
			reason: "Ory's x-ratelimit-reset of 0 gives no wait: the normal (here, millisecond) backoff applies, not a made-up second; the attempts run out and the reconcile backs off.",
			omitRA: true, reset: orysim.ResetZero, timeout: 10 * time.Second,
			wantReason: ReasonRateLimited, maxElapsed: 500 * time.Millisecond,
			wantWaits: 0, wantCalls: DefaultMaxAttempts,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sim, url := orysim.StartTest(t)
			sim.AddWorkspace(workspaceKey)
			p := sim.AddProject(workspaceKey, "main")
			c, _ := newRetryingClient(url, fastRetries)
			ctx := context.Background()
			// One request a second: the first call uses the only token.
			sim.SetRateLimit(orysim.RateLimit{Rate: 1, Burst: 1, OmitRetryAfter: tc.omitRA, Reset: tc.reset, RetryAfterDate: tc.raDate})
			if _, err := c.ListProjectKeys(ctx, p.ID); err != nil {
				t.Fatal(err)
			}
			sim.ResetRequests()
			waits := value(rateLimitWaits.WithLabelValues(sourceServer))

			ctx, cancel := context.WithTimeout(ctx, tc.timeout)
			defer cancel()
			start := time.Now()
			_, err := c.ListProjectKeys(ctx, p.ID)
			elapsed := time.Since(start)
			if got := ReasonOf(err); got != tc.wantReason {
				t.Fatalf("%s\nreason = %q (%v), want %q", tc.reason, got, err, tc.wantReason)
			}
			if elapsed < tc.minElapsed || elapsed > tc.maxElapsed {
				t.Errorf("%s\ntook %s, want between %s and %s", tc.reason, elapsed, tc.minElapsed, tc.maxElapsed)
			}
			if got := sim.Requests(orysim.OpListProjectAPIKeys); got != tc.wantCalls {
				t.Errorf("%s\nrequests = %d, want %d", tc.reason, got, tc.wantCalls)
			}
			if got := value(rateLimitWaits.WithLabelValues(sourceServer)) - waits; got != tc.wantWaits {
				t.Errorf("%s\nserver rate limit waits counted = %v, want %v", tc.reason, got, tc.wantWaits)
			}
		})
	}
}

func TestClientRateLimit(t *testing.T) {
	sim, url := orysim.StartTest(t)
	sim.AddWorkspace(workspaceKey)
	p := sim.AddProject(workspaceKey, "main")
	ctx := context.Background()

	t.Run("WaitsForTokens", func(t *testing.T) {
		// 600 a minute is one request every 100ms once the burst of 1 is used.
		o := fastRetries
		o.RateLimit = RateLimit{RequestsPerMinute: 600, Burst: 1}
		c, _ := newRetryingClient(url, o)
		waits := value(rateLimitWaits.WithLabelValues(sourceClient))
		start := time.Now()
		for range 4 {
			if _, err := c.ListProjectKeys(ctx, p.ID); err != nil {
				t.Fatal(err)
			}
		}
		if elapsed := time.Since(start); elapsed < 250*time.Millisecond {
			t.Errorf("4 requests at 10/s with a burst of 1 took %s, want at least 300ms", elapsed)
		}
		if got := value(rateLimitWaits.WithLabelValues(sourceClient)) - waits; got != 3 {
			t.Errorf("client rate limit waits counted = %v, want 3", got)
		}
	})

	t.Run("NotSentWhenNoRoomBeforeDeadline", func(t *testing.T) {
		o := fastRetries
		o.RateLimit = RateLimit{RequestsPerMinute: 1, Burst: 1}
		c, _ := newRetryingClient(url, o)
		if _, err := c.ListProjectKeys(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		sim.ResetRequests()
		short, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		start := time.Now()
		_, err := c.ListProjectKeys(short, p.ID)
		if ReasonOf(err) != ReasonRateLimited {
			t.Errorf("reason = %q (%v), want %q", ReasonOf(err), err, ReasonRateLimited)
		}
		if time.Since(start) > 500*time.Millisecond {
			t.Errorf("waited %s for a token that comes after the deadline, want an error at once", time.Since(start))
		}
		if n := sim.Requests(orysim.OpListProjectAPIKeys); n != 0 {
			t.Errorf("%d requests sent, want none", n)
		}
	})

	t.Run("SetRateLimit", func(t *testing.T) {
		_, tr := newRetryingClient(url, TransportOptions{})
		if diff := cmp.Diff(RateLimit{RequestsPerMinute: DefaultRequestsPerMinute, Burst: DefaultBurst}, tr.RateLimit()); diff != "" {
			t.Errorf("default limit -want +got:\n%s", diff)
		}
		tr.SetRateLimit(RateLimit{RequestsPerMinute: 120, Burst: 0})
		if diff := cmp.Diff(RateLimit{RequestsPerMinute: 120, Burst: DefaultBurst}, tr.RateLimit()); diff != "" {
			t.Errorf("limit after SetRateLimit -want +got:\n%s", diff)
		}
		if got := float64(tr.limiter.Limit()); got != 2 {
			t.Errorf("limiter rate = %v/s, want 2", got)
		}
	})
}

func TestRequestMetrics(t *testing.T) {
	sim, url := orysim.StartTest(t)
	sim.AddWorkspace(workspaceKey)
	p := sim.AddProject(workspaceKey, "main")
	c, _ := newRetryingClient(url, fastRetries)
	ctx := context.Background()

	ok := requestsTotal.WithLabelValues(OpListProjectKeys, "200")
	unavailable := requestsTotal.WithLabelValues(OpListProjectKeys, "503")
	created := requestsTotal.WithLabelValues(OpCreateProjectKey, "201")
	before := []float64{value(ok), value(unavailable), value(created)}

	sim.FailNext(orysim.OpListProjectAPIKeys, 1, http.StatusServiceUnavailable)
	if _, err := c.ListProjectKeys(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateProjectKey(ctx, p.ID, "k", nil); err != nil {
		t.Fatal(err)
	}
	after := []float64{value(ok), value(unavailable), value(created)}
	for i := range after {
		after[i] -= before[i]
	}
	if diff := cmp.Diff([]float64{1, 1, 1}, after); diff != "" {
		t.Errorf("requests counted by {list 200, list 503, create 201}, -want +got:\n%s", diff)
	}
	m := &dto.Metric{}
	if err := requestDuration.WithLabelValues(OpCreateProjectKey).(prometheus.Histogram).Write(m); err != nil || m.GetHistogram().GetSampleCount() == 0 {
		t.Errorf("no create latency observed (%v)", err)
	}
}

// TestOperationLabels shows that every Client method labels its requests
// with its own operation, whatever the path looks like, so the metrics
// keep the labels dashboards know (Ory's operationIds).
func TestOperationLabels(t *testing.T) {
	sim, _ := orysim.StartTest(t)
	ws := sim.AddWorkspace(workspaceKey)
	p := sim.AddProject(workspaceKey, "main")
	doomed := sim.AddProject(workspaceKey, "doomed")
	// Under a path prefix, as a console behind a gateway may be.
	prefixed := httptest.NewServer(http.StripPrefix("/console", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sim.ServeHTTP(w, r)
	})))
	defer prefixed.Close()
	c, _ := newRetryingClient(prefixed.URL+"/console", fastRetries)
	ctx := context.Background()
	cases := map[string]struct {
		reason string
		call   func() error
		op     string
		code   string
	}{
		"ListProjectKeys":  {reason: "The list of a project's keys.", op: OpListProjectKeys, code: "200", call: func() error { _, err := c.ListProjectKeys(ctx, p.ID); return err }},
		"CreateProjectKey": {reason: "The create of a project key.", op: OpCreateProjectKey, code: "201", call: func() error { _, err := c.CreateProjectKey(ctx, p.ID, "k", nil); return err }},
		"DeleteProjectKey": {reason: "A delete answered 404 counts as such, labelled by its operation.", op: OpDeleteProjectKey, code: "404", call: func() error {
			return c.DeleteProjectKey(ctx, p.ID, "0b6f1e8e-2f0a-4f43-8d0b-3f1b2d7c9a10")
		}},
		"GetProject":         {reason: "The project read behind ProjectSlug.", op: OpGetProject, code: "200", call: func() error { _, err := c.ProjectSlug(ctx, p.ID); return err }},
		"ProjectState":       {reason: "And behind ProjectState.", op: OpGetProject, code: "200", call: func() error { _, err := c.ProjectState(ctx, p.ID); return err }},
		"ListWorkspaceKeys":  {reason: "The list of a workspace's keys.", op: OpListWorkspaceKeys, code: "200", call: func() error { _, err := c.ListWorkspaceKeys(ctx, ws.ID); return err }},
		"CreateWorkspaceKey": {reason: "The create of a workspace key.", op: OpCreateWorkspaceKey, code: "201", call: func() error { _, err := c.CreateWorkspaceKey(ctx, ws.ID, "k", nil); return err }},
		"DeleteWorkspaceKey": {reason: "The delete of a workspace key.", op: OpDeleteWorkspaceKey, code: "404", call: func() error {
			return c.DeleteWorkspaceKey(ctx, ws.ID, "0b6f1e8e-2f0a-4f43-8d0b-3f1b2d7c9a10")
		}},
		"GetProjectItself": {reason: "GetProject, the read behind both.", op: OpGetProject, code: "200", call: func() error { _, err := c.GetProject(ctx, p.ID); return err }},
		"CreateProject": {reason: "The create of a project.", op: OpCreateProject, code: "201", call: func() error {
			_, err := c.CreateProject(ctx, ProjectSpec{Name: "shop", Environment: "dev"})
			return err
		}},
		"ListProjects": {reason: "The list of projects.", op: OpListProjects, code: "200", call: func() error { _, err := c.ListProjects(ctx); return err }},
		"RenameProject": {reason: "A rename, at a revision that is stale: labelled by its operation whatever the answer.", op: OpPatchProject, code: "409", call: func() error {
			_, err := c.RenameProject(ctx, p.ID, "00000000-0000-4000-8000-000000000000", "renamed")
			if ReasonOf(err) == ReasonConflict {
				return nil
			}
			return err
		}},
		"PurgeProject": {reason: "The purge of a project (another one than the other rows use).", op: OpPurgeProject, code: "204", call: func() error {
			return c.PurgeProject(ctx, doomed.ID)
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			counter := requestsTotal.WithLabelValues(tc.op, tc.code)
			others := requestsTotal.WithLabelValues(opOther, tc.code)
			before, beforeOther := value(counter), value(others)
			if err := tc.call(); err != nil {
				t.Fatal(err)
			}
			if got := value(counter) - before; got != 1 {
				t.Errorf("%s\n%s %s counted %v times, want once", tc.reason, tc.op, tc.code, got)
			}
			if got := value(others) - beforeOther; got != 0 {
				t.Errorf("%s\n%v requests counted as %q", tc.reason, got, opOther)
			}
		})
	}
}

// value reads a counter.
func value(c prometheus.Counter) float64 {
	m := &dto.Metric{}
	if err := c.Write(m); err != nil {
		panic(err)
	}
	return m.GetCounter().GetValue()
}
