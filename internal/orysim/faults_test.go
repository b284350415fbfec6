package orysim

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	ory "github.com/ory/client-go"
)

func TestRateLimit(t *testing.T) {
	type answer struct {
		Status     int
		Reset      string
		RetryAfter string
		Remaining  string
	}
	cases := map[string]struct {
		reason string
		limit  RateLimit
		// advance is how far the clock moves before each call.
		advance time.Duration
		calls   int
		want    []answer
	}{
		"BurstThenLimited": {
			reason: "A full bucket serves Burst requests, then 429 with the wait in seconds.",
			limit:  RateLimit{Rate: 1, Burst: 2},
			calls:  3,
			want: []answer{
				{Status: 200, Reset: "1", Remaining: "1"},
				{Status: 200, Reset: "2", Remaining: "0"},
				{Status: 429, Reset: "1", RetryAfter: "1", Remaining: "0"},
			},
		},
		"RefillsOverTime": {
			reason:  "Tokens come back at Rate per second, so a client that waits is served.",
			limit:   RateLimit{Rate: 1, Burst: 1},
			advance: time.Second,
			calls:   3,
			want: []answer{
				{Status: 200, Reset: "1", Remaining: "0"},
				{Status: 200, Reset: "1", Remaining: "0"},
				{Status: 200, Reset: "1", Remaining: "0"},
			},
		},
		"SlowRateLongReset": {
			reason: "x-ratelimit-reset is a delay in seconds (as Ory documents and its Terraform provider parses), not a timestamp.",
			limit:  RateLimit{Rate: 0.1, Burst: 1},
			calls:  2,
			want: []answer{
				{Status: 200, Reset: "10", Remaining: "0"},
				{Status: 429, Reset: "10", RetryAfter: "10", Remaining: "0"},
			},
		},
		"WithoutRetryAfter": {
			reason: "Ory does not send Retry-After today; clients must cope with x-ratelimit-reset alone.",
			limit:  RateLimit{Rate: 1, Burst: 1, OmitRetryAfter: true},
			calls:  2,
			want: []answer{
				{Status: 200, Reset: "1", Remaining: "0"},
				{Status: 429, Reset: "1", Remaining: "0"},
			},
		},
		"ResetAsEpoch": {
			reason: "Gateways and many APIs send x-ratelimit-reset as the reset's Unix time: ResetEpoch lets a client prove it reads that form.",
			limit:  RateLimit{Rate: 0.1, Burst: 1, Reset: ResetEpoch},
			calls:  2,
			want: []answer{
				{Status: 200, Reset: strconv.FormatInt(clockStart.Add(10*time.Second).Unix()+1, 10), Remaining: "0"},
				{Status: 429, Reset: strconv.FormatInt(clockStart.Add(10*time.Second).Unix()+1, 10), RetryAfter: "10", Remaining: "0"},
			},
		},
		"ResetAsZero": {
			reason: "Ory often sends 0 (its Terraform provider notes it): ResetZero sends that whatever the wait.",
			limit:  RateLimit{Rate: 0.1, Burst: 1, Reset: ResetZero, OmitRetryAfter: true},
			calls:  2,
			want:   []answer{{Status: 200, Reset: "0", Remaining: "0"}, {Status: 429, Reset: "0", Remaining: "0"}},
		},
		"RetryAfterAsDate": {
			reason: "Retry-After may be an HTTP-date; with ResetOmit it is the only hint, so a client must read it.",
			limit:  RateLimit{Rate: 0.1, Burst: 1, Reset: ResetOmit, RetryAfterDate: true},
			calls:  2,
			want: []answer{
				{Status: 200, Remaining: "0"},
				{Status: 429, RetryAfter: clockStart.Add(11 * time.Second).Truncate(time.Second).Format(http.TimeFormat), Remaining: "0"},
			},
		},
		"Off": {
			reason: "Rate limiting is off by default: no 429 and no headers.",
			calls:  3,
			want:   []answer{{Status: 200}, {Status: 200}, {Status: 200}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			f.sim.SetRateLimit(tc.limit)
			var got []answer
			for range tc.calls {
				f.clock.Advance(tc.advance)
				_, resp, err := f.client.ProjectAPI.ListProjectApiKeys(context.Background(), f.project.ID).Execute()
				if resp == nil {
					t.Fatalf("no response: %v", err)
				}
				got = append(got, answer{
					Status:     resp.StatusCode,
					Reset:      resp.Header.Get("x-ratelimit-reset"),
					RetryAfter: resp.Header.Get("Retry-After"),
					Remaining:  resp.Header.Get("x-ratelimit-remaining"),
				})
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nanswers: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestFailNext(t *testing.T) {
	type call struct {
		Op     string
		Status int
	}
	cases := map[string]struct {
		reason string
		op     string
		n      int
		status int
		calls  []string
		want   []call
	}{
		"FailsExactlyN": {
			reason: "The next N calls of the operation fail, the one after is served.",
			op:     OpListProjectAPIKeys, n: 2, status: http.StatusServiceUnavailable,
			calls: []string{OpListProjectAPIKeys, OpListProjectAPIKeys, OpListProjectAPIKeys},
			want:  []call{{OpListProjectAPIKeys, 503}, {OpListProjectAPIKeys, 503}, {OpListProjectAPIKeys, 200}},
		},
		"OnlyThatOperation": {
			reason: "Other operations are not affected and do not use up the failures.",
			op:     OpCreateProjectAPIKey, n: 1, status: http.StatusInternalServerError,
			calls: []string{OpListProjectAPIKeys, OpCreateProjectAPIKey, OpCreateProjectAPIKey},
			want:  []call{{OpListProjectAPIKeys, 200}, {OpCreateProjectAPIKey, 500}, {OpCreateProjectAPIKey, 201}},
		},
		"AllOperations": {
			reason: "AllOperations fails the next calls whatever their operation.",
			op:     AllOperations, n: 2, status: http.StatusBadGateway,
			calls: []string{OpGetProject, OpListProjectAPIKeys, OpGetProject},
			want:  []call{{OpGetProject, 502}, {OpListProjectAPIKeys, 502}, {OpGetProject, 200}},
		},
		"InvalidStatusIgnored": {
			reason: "A status that is not 4xx/5xx is ignored instead of making net/http panic.",
			op:     OpGetProject, n: 1, status: 1000,
			calls: []string{OpGetProject},
			want:  []call{{OpGetProject, 200}},
		},
		"ZeroRemoves": {
			reason: "n <= 0 switches the knob off.",
			op:     OpGetProject, n: 0, status: http.StatusServiceUnavailable,
			calls: []string{OpGetProject},
			want:  []call{{OpGetProject, 200}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			f.sim.FailNext(tc.op, tc.n, tc.status)
			var got []call
			for _, op := range tc.calls {
				status, err := callOp(context.Background(), f.client, op, f.project.ID)
				if status >= 300 {
					var apiErr *ory.GenericOpenAPIError
					if !errors.As(err, &apiErr) || apiErr.Model() == nil {
						t.Errorf("%s\ninjected errors must decode like Ory's: %T %v", tc.reason, err, err)
					}
				}
				got = append(got, call{op, status})
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\ncalls: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestErrorRate(t *testing.T) {
	// run makes 200 sequential list calls and returns their statuses.
	run := func(t *testing.T, seed uint64) []int {
		f := newFixture(t, WithSeed(seed))
		f.sim.SetErrorRate(OpListProjectAPIKeys, 0.2, http.StatusInternalServerError, http.StatusServiceUnavailable)
		statuses := make([]int, 0, 200)
		for range 200 {
			s, _ := callOp(context.Background(), f.client, OpListProjectAPIKeys, f.project.ID)
			statuses = append(statuses, s)
		}
		// Other operations are untouched by a per-operation setting.
		if s, _ := callOp(context.Background(), f.client, OpGetProject, f.project.ID); s != http.StatusOK {
			t.Errorf("getProject answered %d, want 200", s)
		}
		return statuses
	}
	first := run(t, 42)
	second := run(t, 42)
	other := run(t, 7)

	failures := 0
	for _, s := range first {
		switch s {
		case http.StatusOK:
		case http.StatusInternalServerError, http.StatusServiceUnavailable:
			failures++
		default:
			t.Fatalf("unexpected status %d", s)
		}
	}
	cases := map[string]struct {
		reason string
		got    any
		want   any
	}{
		"RoughlyTheShare": {
			reason: "About 20% of 200 calls fail (binomial, 4 standard deviations either side).",
			got:    failures >= 17 && failures <= 63,
			want:   true,
		},
		"SameSeedSameFaults": {
			reason: "With the same seed and sequential calls the fault pattern repeats.",
			got:    slices.Equal(first, second),
			want:   true,
		},
		"OtherSeedOtherFaults": {
			reason: "The seed actually drives the pattern.",
			got:    slices.Equal(first, other),
			want:   false,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.got); diff != "" {
				t.Errorf("%s (failures: %d)\n-want, +got:\n%s", tc.reason, failures, diff)
			}
		})
	}
}

func TestLatency(t *testing.T) {
	const delay = 100 * time.Millisecond
	cases := map[string]struct {
		reason      string
		op          string
		timeout     time.Duration
		wantStatus  int
		wantAtLeast time.Duration
	}{
		"Delayed": {
			reason:      "The answer arrives after the configured latency.",
			op:          OpListProjectAPIKeys,
			timeout:     10 * time.Second,
			wantStatus:  http.StatusOK,
			wantAtLeast: delay,
		},
		"ClientGivesUp": {
			reason:     "A client deadline shorter than the latency gets no answer; the log shows status 0.",
			op:         OpListProjectAPIKeys,
			timeout:    20 * time.Millisecond,
			wantStatus: 0,
		},
		"OtherOperation": {
			reason:     "Latency set for one operation does not slow the others.",
			op:         OpGetProject,
			timeout:    50 * time.Millisecond,
			wantStatus: http.StatusOK,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			f.sim.SetLatency(OpListProjectAPIKeys, delay)
			ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
			defer cancel()
			start := time.Now()
			status, err := callOp(ctx, f.client, tc.op, f.project.ID)
			elapsed := time.Since(start)
			if diff := cmp.Diff(tc.wantStatus, status); diff != "" {
				t.Fatalf("%s\nstatus (err %v): -want, +got:\n%s", tc.reason, err, diff)
			}
			if elapsed < tc.wantAtLeast {
				t.Errorf("%s\nanswered after %v, want at least %v", tc.reason, elapsed, tc.wantAtLeast)
			}
			if tc.wantStatus == 0 {
				// The handler notices the cancellation asynchronously.
				waitFor(t, func() bool {
					log := f.sim.RequestLog()
					return len(log) == 1 && log[0].Status == 0 && f.sim.Requests(tc.op) == 1
				})
			}
		})
	}
}

func TestDroppedConnection(t *testing.T) {
	f := newFixture(t)
	f.sim.SetDropRate(OpCreateProjectAPIKey, 1)

	status, err := callOp(context.Background(), f.client, OpCreateProjectAPIKey, f.project.ID)
	cases := map[string]struct {
		reason string
		got    any
		want   any
	}{
		"NoResponse": {
			reason: "The client sees a transport error, not an HTTP status.",
			got:    [2]bool{status == 0, err != nil && strings.Contains(err.Error(), "EOF")},
			want:   [2]bool{true, true},
		},
		"Logged": {
			reason: "The log records the drop with status 0; a POST is not retried by net/http.",
			got:    f.sim.RequestLog()[0].Fault + "/" + http.StatusText(f.sim.RequestLog()[0].Status),
			want:   FaultDrop + "/",
		},
		"NothingStored": {
			reason: "A dropped create never reached the API logic.",
			got:    len(f.sim.Keys(f.project.ID)),
			want:   0,
		},
		"NotValidated": {
			reason: "Dropped connections produce no response to validate, so no violations.",
			got:    len(f.sim.Violations()),
			want:   0,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.got); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}

	f.sim.ClearFaults()
	if s, err := callOp(context.Background(), f.client, OpCreateProjectAPIKey, f.project.ID); s != http.StatusCreated {
		t.Errorf("after ClearFaults create answered %d (%v), want 201", s, err)
	}
}

// waitFor polls cond for up to two seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within 2s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCutAnswers(t *testing.T) {
	type want struct {
		Status   int    // what client-go saw, 0 without a response
		Err      bool   // client-go returned an error
		HasValue bool   // the decoded key carries its value
		Keys     int    // keys in the project afterwards: the create acted
		Logged   string // the request log's Fault
	}
	cases := map[string]struct {
		reason string
		at     AnswerCut
		want   want
	}{
		"BeforeHeaders": {
			reason: "Ory made the key, and the connection closed before the status line: the client has no answer at all.",
			at:     CutBeforeHeaders,
			want:   want{Status: 0, Err: true, Keys: 1, Logged: FaultCutBeforeHeaders},
		},
		"AfterHeaders": {
			reason: "The status line and headers arrived, the body never: client-go returns the 201 and a read error.",
			at:     CutAfterHeaders,
			want:   want{Status: 201, Err: true, Keys: 1, Logged: FaultCutAfterHeaders},
		},
		"MidBody": {
			reason: "Half the JSON arrived, then the connection closed: client-go returns the 201 and a read error.",
			at:     CutMidBody,
			want:   want{Status: 201, Err: true, Keys: 1, Logged: FaultCutMidBody},
		},
		"OmitValue": {
			reason: "A complete answer without value decodes (value is optional in the schema) and passes the contract check: the client must notice.",
			at:     OmitValue,
			want:   want{Status: 201, Keys: 1, Logged: FaultOmitValue},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			f.sim.CutAnswers(OpCreateProjectAPIKey, f.project.ID, 1, tc.at)
			k, resp, err := f.client.ProjectAPI.CreateProjectApiKey(context.Background(), f.project.ID).
				CreateProjectApiKeyBody(*ory.NewCreateProjectApiKeyBody("cut")).Execute()
			got := want{Status: statusOf(resp), Err: err != nil, HasValue: k != nil && k.GetValue() != "", Keys: len(f.sim.Keys(f.project.ID))}
			for _, e := range f.sim.RequestLog() {
				got.Logged += e.Fault
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n-want +got:\n%s (error: %v)", tc.reason, diff, err)
			}
			// The cut is used up: the next create is answered whole.
			if k := f.createKey(t, "after"); k.GetValue() == "" {
				t.Errorf("%s\nthe create after the cut has no value", tc.reason)
			}
		})
	}
}

func TestCutAnswersScope(t *testing.T) {
	f := newFixture(t)
	other := f.sim.AddProject(f.ws.Key, "other")
	f.sim.CutAnswers(OpCreateProjectAPIKey, f.project.ID, 1, CutBeforeHeaders)
	f.sim.FailNext(OpCreateProjectAPIKey, 1, http.StatusServiceUnavailable)
	ctx := context.Background()
	steps := []struct {
		reason  string
		project string
		want    int
	}{
		{"A fault decided on arrival wins over the cut and does not use it up.", f.project.ID, 503},
		{"Another project's creates are not cut.", other.ID, 201},
		{"Another operation on the project is not cut.", "list", 200},
		{"The project's next create is cut.", f.project.ID, 0},
		{"The cut was used up.", f.project.ID, 201},
	}
	for _, st := range steps {
		var status int
		var err error
		if st.project == "list" {
			status, err = callOp(ctx, f.client, OpListProjectAPIKeys, f.project.ID)
		} else {
			status, err = callOp(ctx, f.client, OpCreateProjectAPIKey, st.project)
		}
		if status != st.want {
			t.Errorf("%s\nstatus = %d (%v), want %d", st.reason, status, err, st.want)
		}
	}
}
