package keyview

import (
	"context"
	"net/http"
	"testing"
	"time"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/console"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

func TestViewsGet(t *testing.T) {
	vs := NewViews(Options{})
	a := vs.Get("https://console.example", "ory_wak_a", nil)
	cases := map[string]struct {
		reason string
		got    bool
		want   bool
	}{
		"SameKey": {
			reason: "ProviderConfigs with the same console and key share a connection: its views and its client.",
			got:    vs.Get("https://console.example/", "ory_wak_a", &common.RateLimit{Burst: 2}) == a, want: true,
		},
		"OtherKey": {
			reason: "Another workspace key has its own views: it may not see the same projects.",
			got:    vs.Get("https://console.example", "ory_wak_b", nil) == a, want: false,
		},
		"OneViewPerHolder": {
			reason: "A connection makes each view once.",
			got:    a.ProjectKeys() == a.ProjectKeys() && a.WorkspaceKeys() == a.WorkspaceKeys(), want: true,
		},
		"ViewsOfTwoHolders": {
			reason: "Projects and workspaces are two kinds of parents, with two views.",
			got:    a.ProjectKeys() == a.WorkspaceKeys(), want: false,
		},
		"ViewsKnowTheirHolder": {
			reason: "Each view calls the key operations of its holder.",
			got:    a.ProjectKeys().holder == "project" && a.WorkspaceKeys().holder == "workspace", want: true,
		},
		"TheConsoleClientIsThePools": {
			reason: "Console() is the pooled client: every kind shares its rate limit.",
			got:    a.Console() == vs.pool.Get("https://console.example", "ory_wak_a", nil), want: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("%s\ngot %v, want %v", tc.reason, tc.got, tc.want)
			}
		})
	}
}

func TestViewsDropIdleConnections(t *testing.T) {
	c := newClock()
	vs := NewViews(Options{now: c.Now})
	first := vs.Get("https://console.example", "ory_wak_rotated_away", nil)
	c.Advance(console.IdleAfter + time.Minute)
	vs.Get("https://console.example", "ory_wak_new", nil) // sweeps
	if got := vs.Get("https://console.example", "ory_wak_rotated_away", nil); got == first {
		t.Error("a workspace key unused for longer than console.IdleAfter still has its connection and views")
	}
}

func TestViewsRetryAndShareTheView(t *testing.T) {
	sim, url := orysim.StartTest(t)
	ws := sim.AddWorkspace(workspaceKey)
	p := sim.AddProject(workspaceKey, "main")
	k := sim.SeedKey(p.ID, "k", nil, true)
	vs := NewViews(Options{})
	ctx := context.Background()

	// A transient 503 is retried by the pool's transport.
	sim.FailNext(orysim.OpListProjectAPIKeys, 1, http.StatusServiceUnavailable)
	if got, err := vs.Get(url, workspaceKey, nil).ProjectKeys().FindKey(ctx, p.ID, k.ID); err != nil || got == nil {
		t.Fatalf("FindKey through a 503 = %v, %v; want the key", got, err)
	}
	// Another ProviderConfig with the same key reads from the same view.
	if got, err := vs.Get(url+"/", workspaceKey, &common.RateLimit{Burst: 3}).ProjectKeys().FindKey(ctx, p.ID, k.ID); err != nil || got == nil {
		t.Fatalf("FindKey = %v, %v; want the key", got, err)
	}
	if n := sim.Requests(orysim.OpListProjectAPIKeys); n != 2 {
		t.Errorf("%d list calls, want 2 (a 503 and its retry), then answers from the view", n)
	}
	// The workspace's keys, the workspace key itself among them.
	if got, err := vs.Get(url, workspaceKey, nil).WorkspaceKeys().FindKey(ctx, ws.ID, ws.KeyID); err != nil || got == nil {
		t.Errorf("FindKey of the workspace's own key = %v, %v; want it", got, err)
	}
	// The project's slug goes through to the console.
	if slug, err := vs.Get(url, workspaceKey, nil).Console().ProjectSlug(ctx, p.ID); err != nil || slug != p.Slug {
		t.Errorf("ProjectSlug = %q, %v; want %q", slug, err, p.Slug)
	}
}
