package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

const workspaceKey = "ory_wak_console_test_key"

func TestEveryConsoleOperationGoesToTheConsoleURL(t *testing.T) {
	// A ProviderConfig's consoleURL must reach every console operation, or a
	// test (or a regional console) would silently talk to Ory Network.
	c := New("http://127.0.0.1:1", "t", http.DefaultClient, "ua")
	cfg := c.api.GetConfig()
	for op, servers := range cfg.OperationServers {
		for _, s := range servers {
			if s.URL == DefaultURL {
				t.Errorf("operation %s still goes to %s", op, DefaultURL)
			}
		}
	}
	for _, op := range []string{
		"ProjectAPIService.CreateProjectApiKey", "ProjectAPIService.ListProjectApiKeys", "ProjectAPIService.DeleteProjectApiKey",
		"WorkspaceAPIService.CreateWorkspaceApiKey", "WorkspaceAPIService.ListWorkspaceApiKeys", "WorkspaceAPIService.DeleteWorkspaceApiKey",
		"ProjectAPIService.GetProject", "ProjectAPIService.CreateProject", "ProjectAPIService.ListProjects",
		"ProjectAPIService.PatchProjectWithRevision", "ProjectAPIService.PurgeProject",
	} {
		u, err := cfg.ServerURLWithContext(context.Background(), op)
		if err != nil || u != "http://127.0.0.1:1" {
			t.Errorf("%s goes to %q (%v), want the console URL", op, u, err)
		}
	}
}

func TestKeyLifecycle(t *testing.T) {
	for name, h := range testHolders {
		t.Run(name, func(t *testing.T) {
			sim, url := orysim.StartTest(t)
			sim.AddWorkspace(workspaceKey)
			parent := h.setup(sim)
			keys := h.keys(New(url, workspaceKey, http.DefaultClient, "provider-ory-test"))
			ctx := context.Background()
			exp := time.Now().Add(24 * time.Hour).Truncate(time.Second).UTC()

			k, err := keys.CreateKey(ctx, parent, "payments", &exp)
			if err != nil {
				t.Fatal(err)
			}
			stored := h.stored(sim, parent)
			if len(stored) != 1 || string(k.Value) != stored[0].Value || k.Value == "" {
				t.Error("CreateKey did not return the key's value")
			}
			if k.ExpiresAt == nil || !k.ExpiresAt.Equal(exp) {
				t.Errorf("expiresAt = %v, want %v", k.ExpiresAt, exp)
			}
			if k.Parent != parent || k.LastCharacters == "" || k.CreatedAt == nil {
				t.Errorf("created key = %+v, want parent %s, last characters and a creation time", k, parent)
			}

			listed, err := keys.ListKeys(ctx, parent)
			if err != nil {
				t.Fatal(err)
			}
			var found *Key
			for i := range listed {
				if listed[i].ID == k.ID {
					found = &listed[i]
				}
			}
			if found == nil || found.Value != "" || found.Parent != parent || found.Name != "payments" {
				t.Errorf("ListKeys = %+v, want the key, without a value", listed)
			}

			if err := keys.DeleteKey(ctx, parent, k.ID); err != nil {
				t.Fatal(err)
			}
			if err := keys.DeleteKey(ctx, parent, k.ID); err != nil {
				t.Errorf("deleting a key that is already gone: %v, want success", err)
			}
			if n := len(h.stored(sim, parent)); n != 0 {
				t.Errorf("%d keys stored after the delete, want 0", n)
			}
		})
	}
}

// TestDeleteOwnWorkspaceKey is the end of a rotation of the provider's own
// credentials: the new key deletes the old one, with which nothing works
// any more.
func TestDeleteOwnWorkspaceKey(t *testing.T) {
	sim, url := orysim.StartTest(t)
	ws := sim.AddWorkspace(workspaceKey)
	ctx := context.Background()
	old := New(url, workspaceKey, http.DefaultClient, "ua")
	k, err := old.CreateWorkspaceKey(ctx, ws.ID, "next", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(k.Value), orysim.WorkspaceKeyPrefix) {
		t.Errorf("a workspace key's value does not start with %s", orysim.WorkspaceKeyPrefix)
	}
	next := New(url, string(k.Value), http.DefaultClient, "ua")
	if err := next.DeleteWorkspaceKey(ctx, ws.ID, ws.KeyID); err != nil {
		t.Fatalf("the new key deleting the old one: %v", err)
	}
	if _, err := old.ListWorkspaceKeys(ctx, ws.ID); ReasonOf(err) != ReasonUnauthorized {
		t.Errorf("the deleted key's list: %v, want %s", err, ReasonUnauthorized)
	}
	listed, err := next.ListWorkspaceKeys(ctx, ws.ID)
	if err != nil || len(listed) != 1 || listed[0].ID != k.ID {
		t.Errorf("the new key's list = %+v, %v; want itself alone", listed, err)
	}
}

func TestErrors(t *testing.T) {
	cases := map[string]struct {
		reason string
		setup  func(sim *orysim.Server, h testHolder)
		token  string
		want   Reason
		hint   map[string]string // by holder
	}{
		"RevokedWorkspaceKey": {
			reason: "401 means the workspace key is bad: say which credential to fix.",
			setup:  func(sim *orysim.Server, _ testHolder) { sim.RevokeWorkspaceKey(workspaceKey) },
			want:   ReasonUnauthorized, hint: map[string]string{"Project": "invalid or revoked", "Workspace": "invalid or revoked"},
		},
		"ProjectKeyInsteadOfWorkspaceKey": {
			reason: "A project key (ory_pat_) gets 403 on console operations: the message must point at that mix-up.",
			token:  "ory_pat_not_a_workspace_key",
			want:   ReasonForbidden, hint: map[string]string{"Project": "workspace key (ory_wak_) is needed", "Workspace": "workspace key (ory_wak_) is needed"},
		},
		"OtherWorkspace": {
			reason: "A workspace key of another workspace gets 403: the hint names the holder it cannot reach.",
			token:  "ory_wak_of_another_workspace",
			setup:  func(sim *orysim.Server, _ testHolder) { sim.AddWorkspace("ory_wak_of_another_workspace") },
			want:   ReasonForbidden, hint: map[string]string{"Project": "no access to this project", "Workspace": "no access to this workspace"},
		},
		"UnknownParent": {
			reason: "404 on list is an unknown project or workspace.",
			setup:  func(sim *orysim.Server, h testHolder) { sim.FailNext(h.list, 1, http.StatusNotFound) },
			want:   ReasonNotFound, hint: map[string]string{"Project": "the project does not exist", "Workspace": "the workspace does not exist"},
		},
		"RateLimited": {
			reason: "429 carries when to retry.",
			setup:  func(sim *orysim.Server, h testHolder) { sim.FailNext(h.list, 1, http.StatusTooManyRequests) },
			want:   ReasonRateLimited, hint: map[string]string{"Project": "rate limiting", "Workspace": "rate limiting"},
		},
		"ServerError": {
			reason: "5xx is transient.",
			setup:  func(sim *orysim.Server, h testHolder) { sim.FailNext(h.list, 1, http.StatusBadGateway) },
			want:   ReasonUnavailable, hint: map[string]string{"Project": "retries", "Workspace": "retries"},
		},
	}
	for name, tc := range cases {
		for holder, h := range testHolders {
			t.Run(name+"/"+holder, func(t *testing.T) {
				sim, url := orysim.StartTest(t)
				sim.AddWorkspace(workspaceKey)
				parent := h.setup(sim)
				if tc.setup != nil {
					tc.setup(sim, h)
				}
				token := workspaceKey
				if tc.token != "" {
					token = tc.token
				}
				_, err := h.keys(New(url, token, http.DefaultClient, "ua")).ListKeys(context.Background(), parent)
				if got := ReasonOf(err); got != tc.want {
					t.Fatalf("%s\nreason = %q, want %q (%v)", tc.reason, got, tc.want, err)
				}
				if !strings.Contains(err.Error(), tc.hint[holder]) {
					t.Errorf("%s\nerror %q does not say %q", tc.reason, err, tc.hint[holder])
				}
				if !strings.Contains(err.Error(), strings.ToLower(holder)+" "+parent) {
					t.Errorf("%s\nerror %q does not name the %s", tc.reason, err, strings.ToLower(holder))
				}
				if strings.Contains(err.Error(), token) {
					t.Errorf("%s\nerror reveals the credential", tc.reason)
				}
			})
		}
	}
}

func TestNetworkError(t *testing.T) {
	_, err := New("http://127.0.0.1:1", workspaceKey, http.DefaultClient, "ua").ListProjectKeys(context.Background(), "p")
	if ReasonOf(err) != ReasonUnavailable {
		t.Errorf("reason of a refused connection = %q, want %q", ReasonOf(err), ReasonUnavailable)
	}
	if strings.Contains(err.Error(), workspaceKey) {
		t.Error("a network error reveals the credential")
	}
}

func TestRetryAt(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	epoch := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	cases := map[string]struct {
		reason string
		header http.Header
		want   time.Time
	}{
		"OryReset":                {reason: "Ory documents x-ratelimit-reset as the seconds until its window resets.", header: http.Header{"X-Ratelimit-Reset": {"7"}}, want: now.Add(7 * time.Second)},
		"OryResetZero":            {reason: "Ory often sends 0: no wait is given, so the normal backoff applies (neither a hot retry nor a made-up wait).", header: http.Header{"X-Ratelimit-Reset": {"0"}}, want: time.Time{}},
		"EpochReset":              {reason: "Gateways send the reset's Unix time; read as seconds it would plan a wait of 56 years.", header: http.Header{"X-Ratelimit-Reset": {epoch(30 * time.Second)}}, want: now.Add(30 * time.Second)},
		"EpochResetPast":          {reason: "An epoch reset already past (clock skew, a slow answer) gives no wait, not a negative one.", header: http.Header{"X-Ratelimit-Reset": {epoch(-5 * time.Second)}}, want: time.Time{}},
		"EpochResetFar":           {reason: "An epoch far ahead (a daily quota) is capped: the reconcile's backoff takes over after MaxRateLimitWait.", header: http.Header{"X-Ratelimit-Reset": {epoch(24 * time.Hour)}}, want: now.Add(MaxRateLimitWait)},
		"EpochMilliseconds":       {reason: "An epoch in milliseconds reads as a time thousands of years ahead: capped, never a wait of millennia.", header: http.Header{"X-Ratelimit-Reset": {strconv.FormatInt(now.UnixMilli(), 10)}}, want: now.Add(MaxRateLimitWait)},
		"LongDelayCapped":         {reason: "A delay below the epoch threshold but past the bound is capped too.", header: http.Header{"X-Ratelimit-Reset": {"86400"}}, want: now.Add(MaxRateLimitWait)},
		"NegativeIgnored":         {reason: "A negative reset means nothing; the normal backoff applies.", header: http.Header{"X-Ratelimit-Reset": {"-3"}}, want: time.Time{}},
		"RetryAfterSecs":          {reason: "Retry-After in delta-seconds, as proxies send it.", header: http.Header{"Retry-After": {"3"}}, want: now.Add(3 * time.Second)},
		"RetryAfterZero":          {reason: "Retry-After 0 asks for no wait: the normal backoff applies.", header: http.Header{"Retry-After": {"0"}}, want: time.Time{}},
		"RetryAfterDate":          {reason: "Retry-After as an HTTP-date.", header: http.Header{"Retry-After": {now.Add(time.Minute).Format(http.TimeFormat)}}, want: now.Add(time.Minute)},
		"RetryAfterDatePast":      {reason: "An HTTP-date already past gives no wait.", header: http.Header{"Retry-After": {now.Add(-time.Minute).Format(http.TimeFormat)}}, want: time.Time{}},
		"RetryAfterDateFar":       {reason: "An HTTP-date days ahead is capped.", header: http.Header{"Retry-After": {now.Add(72 * time.Hour).Format(http.TimeFormat)}}, want: now.Add(MaxRateLimitWait)},
		"RetryAfterHugeSeconds":   {reason: "A delta-seconds too large for a Duration must not overflow into the past.", header: http.Header{"Retry-After": {"9223372036854775807"}}, want: now.Add(MaxRateLimitWait)},
		"LaterOfBoth":             {reason: "With both headers the later wins: retrying at the earlier is answered by another 429.", header: http.Header{"X-Ratelimit-Reset": {"2"}, "Retry-After": {"9"}}, want: now.Add(9 * time.Second)},
		"ZeroResetWithRetryAfter": {reason: "Ory's 0 does not hide a Retry-After that gives a wait.", header: http.Header{"X-Ratelimit-Reset": {"0"}, "Retry-After": {"4"}}, want: now.Add(4 * time.Second)},
		"Nothing":                 {reason: "Without a header the normal backoff decides.", header: http.Header{}, want: time.Time{}},
		"GarbageIgnored":          {reason: "A malformed header must not produce a time in 1970 or a crash.", header: http.Header{"X-Ratelimit-Reset": {"soon"}, "Retry-After": {"later"}}, want: time.Time{}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := RetryAt(tc.header, now); !got.Equal(tc.want) {
				t.Errorf("%s\nretryAt = %v, want %v", tc.reason, got, tc.want)
			}
		})
	}
}

func TestRateLimitMessage(t *testing.T) {
	// The message names the real reset time, not one decades away.
	resp := &http.Response{StatusCode: http.StatusTooManyRequests, Header: http.Header{
		"X-Ratelimit-Reset": {strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10)},
	}}
	err := classify("list", resp, errors.New("429 Too Many Requests"))
	var e *Error
	if !errors.As(err, &e) || e.RetryAt.Sub(time.Now()) > 61*time.Second || e.RetryAt.Sub(time.Now()) < 58*time.Second {
		t.Fatalf("RetryAt of an epoch reset a minute ahead = %v (%v)", e.RetryAt, err)
	}
	if want := e.RetryAt.UTC().Format(time.RFC3339); !strings.Contains(err.Error(), want) {
		t.Errorf("the message %q does not name the reset %s", err, want)
	}
}

func TestValueNeverPrints(t *testing.T) {
	k := Key{ID: "id", Value: Value("ory_pat_supersecret")}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		var out string
		if format == "%s" {
			out = fmt.Sprintf(format, k.Value)
		} else {
			out = fmt.Sprintf(format, k)
		}
		if strings.Contains(out, "supersecret") {
			t.Errorf("fmt %s of a key prints its value: %s", format, out)
		}
	}
	if diff := cmp.Diff("[redacted]", k.Value.String()); diff != "" {
		t.Error(diff)
	}
}

// A creator is one of the client's creates as TestCreateOutcome drives it
// against a hand-written answer.
type creator struct {
	// created is a complete 201 body; withoutID one that lacks the
	// required id; withoutValue a key's without its value ("" for a
	// project, which has none).
	created, withoutID, withoutValue string
	// create calls the create and returns what proves its success: a key's
	// value, a project's ID.
	create func(c *Client) (string, error)
	// success is what create returns on success.
	success string
	// unknownHint is what a ReasonOutcomeUnknown error says was made.
	unknownHint string
}

// creators are the client's creates: a key of each holder and a project.
func creators() map[string]creator {
	const value = "ory_pat_thevalueofthekey"
	const id = "0b6f1e8e-2f0a-4f43-8d0b-3f1b2d7c9a10"
	key := `{"id":"` + id + `","name":"k","owner_id":"5c0ee9a4-5a5f-4fb1-8a9a-0f4e3e1e9d11"`
	project := `"name":"shop","slug":"s","state":"running","environment":"dev","home_region":"eu-central",` +
		`"revision_id":"5c0ee9a4-5a5f-4fb1-8a9a-0f4e3e1e9d11","organizations":[],"services":{}}`
	out := map[string]creator{
		"Project": {
			created: `{"id":"` + id + `",` + project, withoutID: `{` + project,
			create: func(c *Client) (string, error) {
				p, err := c.CreateProject(context.Background(), ProjectSpec{Name: "shop", Environment: "dev"})
				return p.ID, err
			},
			success: id, unknownHint: "Ory may have made the project",
		},
	}
	for holder, h := range testHolders {
		out[holder+"Key"] = creator{
			created: key + `,"value":"` + value + `"}`, withoutID: `{"name":"k","value":"` + value + `"}`, withoutValue: key + `}`,
			create: func(c *Client) (string, error) {
				k, err := h.keys(c).CreateKey(context.Background(), "p", "k", nil)
				return string(k.Value), err
			},
			success: value, unknownHint: "Ory may have made the key",
		}
	}
	return out
}

// TestCreateOutcome: which failed creates may have made what they create,
// by what the answer was; only those must be looked for before another
// create.
func TestCreateOutcome(t *testing.T) {
	answer := func(status int, body func(creator) string) func(creator) http.HandlerFunc {
		return func(cr creator) http.HandlerFunc {
			return func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				_, _ = w.Write([]byte(body(cr)))
			}
		}
	}
	text := func(s string) func(creator) string { return func(creator) string { return s } }
	cases := map[string]struct {
		reason  string
		handler func(creator) http.HandlerFunc
		// keysOnly marks the cases about a key's value.
		keysOnly bool
		want     Reason
		// mayHaveCreated is what the caller is told: look for what was
		// made before creating another.
		mayHaveCreated bool
	}{
		"Created": {
			reason:  "A complete, decoded 201 (with a key's value) is the one success.",
			handler: answer(http.StatusCreated, func(cr creator) string { return cr.created }),
		},
		"CreatedWithoutValue": {
			reason:   "Ory made a key but its value did not come: nobody can use it and it must be found and deleted.",
			handler:  answer(http.StatusCreated, func(cr creator) string { return cr.withoutValue }),
			keysOnly: true,
			want:     ReasonOutcomeUnknown, mayHaveCreated: true,
		},
		"CreatedNotJSON": {
			reason:  "A 201 whose body does not decode says Ory acted, and hides what it made.",
			handler: answer(http.StatusCreated, text(`<html>upstream rewrote this</html>`)),
			want:    ReasonOutcomeUnknown, mayHaveCreated: true,
		},
		"CreatedWithoutRequiredID": {
			reason:  "client-go refuses an answer without its required properties: it is unusable, not a refusal.",
			handler: answer(http.StatusCreated, func(cr creator) string { return cr.withoutID }),
			want:    ReasonOutcomeUnknown, mayHaveCreated: true,
		},
		"CreatedCutShort": {
			reason: "The body ends before its Content-Length: the answer was cut after Ory acted.",
			handler: func(cr creator) http.HandlerFunc {
				return func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					w.Header().Set("Content-Length", "400")
					w.WriteHeader(http.StatusCreated)
					_, _ = w.Write([]byte(cr.created[:len(cr.created)-20]))
				}
			},
			want: ReasonOutcomeUnknown, mayHaveCreated: true,
		},
		"ServerError": {
			reason:  "A 5xx may come after Ory acted (a proxy timing out on it).",
			handler: answer(http.StatusBadGateway, text(`{}`)),
			want:    ReasonUnavailable, mayHaveCreated: true,
		},
		"BadRequest": {
			reason:  "A 4xx is Ory refusing before it acts: nothing to look for.",
			handler: answer(http.StatusBadRequest, text(`{"error":{"code":400,"message":"name is required"}}`)),
			want:    ReasonInvalidRequest,
		},
		"PlanLimit": {
			reason:  "A 402 is the plan refusing before anything is made.",
			handler: answer(http.StatusPaymentRequired, text(`{"error":{"code":402,"message":"Payment Required"}}`)),
			want:    ReasonPaymentRequired,
		},
		"RateLimited": {
			reason:  "Ory answers 429 before it acts.",
			handler: answer(http.StatusTooManyRequests, text(`{}`)),
			want:    ReasonRateLimited,
		},
		"Forbidden": {
			reason:  "A 403 is a refusal, whatever its body.",
			handler: answer(http.StatusForbidden, text(`not json`)),
			want:    ReasonForbidden,
		},
	}
	for name, tc := range cases {
		for what, cr := range creators() {
			if tc.keysOnly && cr.withoutValue == "" {
				continue
			}
			t.Run(name+"/"+what, func(t *testing.T) {
				srv := httptest.NewServer(tc.handler(cr))
				defer srv.Close()
				got, err := cr.create(New(srv.URL, workspaceKey, srv.Client(), "ua"))
				if r := ReasonOf(err); r != tc.want {
					t.Fatalf("%s\nreason = %q, want %q (%v)", tc.reason, r, tc.want, err)
				}
				if r := MayHaveCreated(err); r != tc.mayHaveCreated {
					t.Errorf("%s\nMayHaveCreated = %v, want %v (%v)", tc.reason, r, tc.mayHaveCreated, err)
				}
				if err == nil && got != cr.success {
					t.Errorf("%s\nthe create returned %q, want %q", tc.reason, got, cr.success)
				}
				if err != nil && strings.Contains(err.Error(), "thevalue") {
					t.Errorf("%s\nthe error reveals the key's value: %v", tc.reason, err)
				}
				if tc.want == ReasonOutcomeUnknown && !strings.Contains(err.Error(), cr.unknownHint) {
					t.Errorf("%s\nerror %q does not say %q", tc.reason, err, cr.unknownHint)
				}
			})
		}
	}
}

// TestErrorMessage: an error reads the status once, then Ory's own words.
func TestErrorMessage(t *testing.T) {
	cases := map[string]struct {
		reason  string
		status  int
		body    string
		want    string
		repeats string // said once only
	}{
		"StatusTextAsMessage": {
			reason:  "herodot's default message for a 402 is the status text: the error says it once, then Ory's reason.",
			status:  http.StatusPaymentRequired,
			body:    `{"error":{"code":402,"status":"Payment Required","message":"Payment Required","reason":"The workspace's plan has no free project slot."}}`,
			want:    "Ory answered 402 Payment Required: The workspace's plan has no free project slot.",
			repeats: "Payment Required",
		},
		"OwnMessage": {
			reason: "A message of its own, beside the reason, is Ory's explanation and stays.",
			status: http.StatusForbidden,
			body:   `{"error":{"code":403,"status":"Forbidden","message":"The requested action was forbidden","reason":"No access."}}`,
			want:   "Ory answered 403 Forbidden: The requested action was forbidden No access.",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			_, err := New(srv.URL, workspaceKey, srv.Client(), "ua").CreateProject(context.Background(), ProjectSpec{Name: "shop", Environment: "dev"})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%s\nerror %v, want it to contain %q", tc.reason, err, tc.want)
			}
			if tc.repeats != "" && strings.Count(err.Error(), tc.repeats) != 1 {
				t.Errorf("%s\nerror %q says %q more than once", tc.reason, err, tc.repeats)
			}
		})
	}
}
