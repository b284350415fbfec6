package keyview

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/console"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

func TestClientsGet(t *testing.T) {
	cs := NewClients(Options{})
	a := cs.Get("https://console.example", "ory_wak_a", nil)
	cases := map[string]struct {
		reason string
		url    string
		token  string
		same   bool
	}{
		"SameKey":               {reason: "ProviderConfigs with the same console and key share a client, its view and its limiter.", url: "https://console.example", token: "ory_wak_a", same: true},
		"TrailingSlash":         {reason: "A trailing slash names the same console.", url: "https://console.example/", token: "ory_wak_a", same: true},
		"OtherKey":              {reason: "Another workspace key has its own view: it may not see the same projects.", url: "https://console.example", token: "ory_wak_b"},
		"OtherConsole":          {reason: "Another console is another Ory.", url: "https://other.example", token: "ory_wak_a"},
		"DefaultIsOryCloud":     {reason: "An empty console URL is Ory Network's, a client of its own.", url: "", token: "ory_wak_a"},
		"URLAndKeyAreSeparated": {reason: "The hash separates URL and key: moving characters between them is another client.", url: "https://console.exampleo", token: "ry_wak_a"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := cs.Get(tc.url, tc.token, nil) == a; got != tc.same {
				t.Errorf("%s\nsame client = %v, want %v", tc.reason, got, tc.same)
			}
		})
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if dump := fmt.Sprintf("%v", cs.entries); strings.Contains(dump, "ory_wak_a") {
		t.Error("the pool's keys hold a workspace key in the clear")
	}
}

func TestClientsRateLimit(t *testing.T) {
	cases := map[string]struct {
		reason   string
		defaults console.RateLimit
		spec     *common.RateLimit
		want     console.RateLimit
	}{
		"Defaults": {
			reason: "Without spec.rateLimit the console defaults apply.",
			want:   console.RateLimit{RequestsPerMinute: console.DefaultRequestsPerMinute, Burst: console.DefaultBurst},
		},
		"FromTheProviderConfig": {
			reason: "spec.rateLimit sets the limit of its workspace key.",
			spec:   &common.RateLimit{RequestsPerMinute: 120, Burst: 2},
			want:   console.RateLimit{RequestsPerMinute: 120, Burst: 2},
		},
		"PartlySet": {
			reason: "A field left out of spec.rateLimit keeps its default.",
			spec:   &common.RateLimit{Burst: 9},
			want:   console.RateLimit{RequestsPerMinute: console.DefaultRequestsPerMinute, Burst: 9},
		},
		"ProcessDefaults": {
			reason:   "Options.RateLimit replaces the console defaults for ProviderConfigs that set none.",
			defaults: console.RateLimit{RequestsPerMinute: 6000},
			want:     console.RateLimit{RequestsPerMinute: 6000, Burst: console.DefaultBurst},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cs := NewClients(Options{RateLimit: tc.defaults})
			// A first Get with other settings, to show the last one wins.
			cs.Get("https://console.example", "k", &common.RateLimit{RequestsPerMinute: 1, Burst: 1})
			cs.Get("https://console.example", "k", tc.spec)
			cs.mu.Lock()
			defer cs.mu.Unlock()
			for _, e := range cs.entries {
				if diff := cmp.Diff(tc.want, e.transport.RateLimit()); diff != "" {
					t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
				}
			}
		})
	}
}

func TestClientsDropIdleKeys(t *testing.T) {
	c := newClock()
	cs := NewClients(Options{now: c.Now})
	first := cs.Get("https://console.example", "ory_wak_rotated_away", nil)
	c.Advance(idleAfter + time.Minute)
	cs.Get("https://console.example", "ory_wak_new", nil)
	if got := cs.Get("https://console.example", "ory_wak_rotated_away", nil); got == first {
		t.Error("a workspace key unused for longer than idleAfter still has its client")
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if len(cs.entries) != 2 {
		t.Errorf("%d clients held, want 2", len(cs.entries))
	}
}

func TestClientsRetryAndShareTheView(t *testing.T) {
	sim, url := orysim.StartTest(t)
	sim.AddWorkspace(workspaceKey)
	p := sim.AddProject(workspaceKey, "main")
	k := sim.SeedKey(p.ID, "k", nil, true)
	cs := NewClients(Options{})
	ctx := context.Background()

	// A transient 503 is retried by the pool's transport.
	sim.FailNext(orysim.OpListProjectAPIKeys, 1, http.StatusServiceUnavailable)
	if got, err := cs.Get(url, workspaceKey, nil).FindKey(ctx, p.ID, k.ID); err != nil || got == nil {
		t.Fatalf("FindKey through a 503 = %v, %v; want the key", got, err)
	}
	// Another ProviderConfig with the same key reads from the same view.
	if got, err := cs.Get(url+"/", workspaceKey, &common.RateLimit{Burst: 3}).FindKey(ctx, p.ID, k.ID); err != nil || got == nil {
		t.Fatalf("FindKey = %v, %v; want the key", got, err)
	}
	if n := sim.Requests(orysim.OpListProjectAPIKeys); n != 2 {
		t.Errorf("%d list calls, want 2 (a 503 and its retry), then answers from the view", n)
	}
	// The project's slug goes through to the console.
	if slug, err := cs.Get(url, workspaceKey, nil).ProjectSlug(ctx, p.ID); err != nil || slug != p.Slug {
		t.Errorf("ProjectSlug = %q, %v; want %q", slug, err, p.Slug)
	}
}
