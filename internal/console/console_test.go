package console

import (
	"context"
	"fmt"
	"net/http"
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
	for _, op := range []string{"ProjectAPIService.CreateProjectApiKey", "ProjectAPIService.ListProjectApiKeys", "ProjectAPIService.DeleteProjectApiKey"} {
		u, err := cfg.ServerURLWithContext(context.Background(), op)
		if err != nil || u != "http://127.0.0.1:1" {
			t.Errorf("%s goes to %q (%v), want the console URL", op, u, err)
		}
	}
}

func TestKeyLifecycle(t *testing.T) {
	sim, url := orysim.StartTest(t)
	sim.AddWorkspace(workspaceKey)
	p := sim.AddProject(workspaceKey, "main")
	c := New(url, workspaceKey, http.DefaultClient, "provider-ory-test")
	ctx := context.Background()
	exp := time.Now().Add(24 * time.Hour).Truncate(time.Second).UTC()

	k, err := c.CreateKey(ctx, p.ID, "payments", &exp)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := sim.Key(p.ID, k.ID)
	if string(k.Value) != stored.Value || k.Value == "" {
		t.Error("CreateKey did not return the key's value")
	}
	if k.ExpiresAt == nil || !k.ExpiresAt.Equal(exp) {
		t.Errorf("expiresAt = %v, want %v", k.ExpiresAt, exp)
	}

	keys, err := c.ListKeys(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].ID != k.ID || keys[0].Value != "" || keys[0].ProjectID != p.ID {
		t.Errorf("ListKeys = %+v, want the one key, without a value", keys)
	}

	if err := c.DeleteKey(ctx, p.ID, k.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteKey(ctx, p.ID, k.ID); err != nil {
		t.Errorf("deleting a key that is already gone: %v, want success", err)
	}
}

func TestErrors(t *testing.T) {
	cases := map[string]struct {
		reason string
		setup  func(sim *orysim.Server, projectID string)
		token  string
		want   Reason
		hint   string
	}{
		"RevokedWorkspaceKey": {
			reason: "401 means the workspace key is bad: say which credential to fix.",
			setup:  func(sim *orysim.Server, _ string) { sim.RevokeWorkspaceKey(workspaceKey) },
			want:   ReasonUnauthorized, hint: "invalid or revoked",
		},
		"ProjectKeyInsteadOfWorkspaceKey": {
			reason: "A project key (ory_pat_) gets 403 on console operations: the message must point at that mix-up.",
			token:  "ory_pat_not_a_workspace_key",
			want:   ReasonForbidden, hint: "workspace key (ory_wak_) is needed",
		},
		"UnknownProject": {
			reason: "404 on list is an unknown project.",
			setup:  func(sim *orysim.Server, _ string) { sim.FailNext(orysim.OpListProjectAPIKeys, 1, http.StatusNotFound) },
			want:   ReasonNotFound, hint: "404",
		},
		"RateLimited": {
			reason: "429 carries when to retry.",
			setup: func(sim *orysim.Server, _ string) {
				sim.FailNext(orysim.OpListProjectAPIKeys, 1, http.StatusTooManyRequests)
			},
			want: ReasonRateLimited, hint: "rate limiting",
		},
		"ServerError": {
			reason: "5xx is transient.",
			setup: func(sim *orysim.Server, _ string) {
				sim.FailNext(orysim.OpListProjectAPIKeys, 1, http.StatusBadGateway)
			},
			want: ReasonUnavailable, hint: "retries",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sim, url := orysim.StartTest(t)
			sim.AddWorkspace(workspaceKey)
			p := sim.AddProject(workspaceKey, "main")
			if tc.setup != nil {
				tc.setup(sim, p.ID)
			}
			token := workspaceKey
			if tc.token != "" {
				token = tc.token
			}
			_, err := New(url, token, http.DefaultClient, "ua").ListKeys(context.Background(), p.ID)
			if got := ReasonOf(err); got != tc.want {
				t.Fatalf("%s\nreason = %q, want %q (%v)", tc.reason, got, tc.want, err)
			}
			if !strings.Contains(err.Error(), tc.hint) {
				t.Errorf("%s\nerror %q does not say %q", tc.reason, err, tc.hint)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("%s\nerror reveals the credential", tc.reason)
			}
		})
	}
}

func TestNetworkError(t *testing.T) {
	_, err := New("http://127.0.0.1:1", workspaceKey, http.DefaultClient, "ua").ListKeys(context.Background(), "p")
	if ReasonOf(err) != ReasonUnavailable {
		t.Errorf("reason of a refused connection = %q, want %q", ReasonOf(err), ReasonUnavailable)
	}
	if strings.Contains(err.Error(), workspaceKey) {
		t.Error("a network error reveals the credential")
	}
}

func TestRetryAt(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		reason string
		header http.Header
		want   time.Time
	}{
		"OryReset":       {reason: "Ory sends x-ratelimit-reset as the seconds until its window resets.", header: http.Header{"X-Ratelimit-Reset": {"7"}}, want: now.Add(7 * time.Second)},
		"OryResetZero":   {reason: "Ory sends 0 for sub-second windows: wait a second rather than retry at once.", header: http.Header{"X-Ratelimit-Reset": {"0"}}, want: now.Add(time.Second)},
		"RetryAfterSecs": {reason: "Retry-After in seconds, as proxies send it.", header: http.Header{"Retry-After": {"3"}}, want: now.Add(3 * time.Second)},
		"RetryAfterDate": {reason: "Retry-After as an HTTP date.", header: http.Header{"Retry-After": {now.Add(time.Minute).Format(http.TimeFormat)}}, want: now.Add(time.Minute)},
		"Nothing":        {reason: "Without a header the runtime's backoff decides.", header: http.Header{}, want: time.Time{}},
		"GarbageIgnored": {reason: "A malformed header must not produce a time in 1970 or a crash.", header: http.Header{"X-Ratelimit-Reset": {"soon"}}, want: time.Time{}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := retryAt(tc.header, now); !got.Equal(tc.want) {
				t.Errorf("%s\nretryAt = %v, want %v", tc.reason, got, tc.want)
			}
		})
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
