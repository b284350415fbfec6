package console

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// clock is a settable clock for PoolOptions.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestPoolGet(t *testing.T) {
	p := NewPool(PoolOptions{})
	a := p.Get("https://console.example", "ory_wak_a", nil)
	cases := map[string]struct {
		reason string
		url    string
		token  string
		same   bool
	}{
		"SameKey":               {reason: "ProviderConfigs with the same console and key share a client and its limiter.", url: "https://console.example", token: "ory_wak_a", same: true},
		"TrailingSlash":         {reason: "A trailing slash names the same console.", url: "https://console.example/", token: "ory_wak_a", same: true},
		"OtherKey":              {reason: "Another workspace key has its own client: its own rate limit, and it may not see the same projects.", url: "https://console.example", token: "ory_wak_b"},
		"OtherConsole":          {reason: "Another console is another Ory.", url: "https://other.example", token: "ory_wak_a"},
		"DefaultIsOryCloud":     {reason: "An empty console URL is Ory Network's, a client of its own.", url: "", token: "ory_wak_a"},
		"URLAndKeyAreSeparated": {reason: "The hash separates URL and key: moving characters between them is another client.", url: "https://console.exampleo", token: "ry_wak_a"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := p.Get(tc.url, tc.token, nil) == a; got != tc.same {
				t.Errorf("%s\nsame client = %v, want %v", tc.reason, got, tc.same)
			}
		})
	}
	if got := p.Get("", "ory_wak_a", nil); got != p.Get(DefaultURL, "ory_wak_a", nil) {
		t.Error("an empty console URL and Ory Network's are two clients")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if dump := fmt.Sprintf("%v", p.entries); strings.Contains(dump, "ory_wak_a") {
		t.Error("the pool's keys hold a workspace key in the clear")
	}
}

func TestPoolRateLimit(t *testing.T) {
	cases := map[string]struct {
		reason   string
		defaults RateLimit
		spec     *common.RateLimit
		want     RateLimit
	}{
		"Defaults": {
			reason: "Without spec.rateLimit the console defaults apply.",
			want:   RateLimit{RequestsPerMinute: DefaultRequestsPerMinute, Burst: DefaultBurst},
		},
		"FromTheProviderConfig": {
			reason: "spec.rateLimit sets the limit of its workspace key.",
			spec:   &common.RateLimit{RequestsPerMinute: 120, Burst: 2},
			want:   RateLimit{RequestsPerMinute: 120, Burst: 2},
		},
		"PartlySet": {
			reason: "A field left out of spec.rateLimit keeps its default.",
			spec:   &common.RateLimit{Burst: 9},
			want:   RateLimit{RequestsPerMinute: DefaultRequestsPerMinute, Burst: 9},
		},
		"ProcessDefaults": {
			reason:   "PoolOptions.RateLimit replaces the console defaults for ProviderConfigs that set none.",
			defaults: RateLimit{RequestsPerMinute: 6000},
			want:     RateLimit{RequestsPerMinute: 6000, Burst: DefaultBurst},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := NewPool(PoolOptions{RateLimit: tc.defaults})
			// A first Get with other settings, to show the last one wins.
			p.Get("https://console.example", "k", &common.RateLimit{RequestsPerMinute: 1, Burst: 1})
			p.Get("https://console.example", "k", tc.spec)
			p.mu.Lock()
			defer p.mu.Unlock()
			for _, e := range p.entries {
				if diff := cmp.Diff(tc.want, e.transport.RateLimit()); diff != "" {
					t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
				}
			}
		})
	}
}

func TestPoolDropsIdleClients(t *testing.T) {
	c := newClock()
	p := NewPool(PoolOptions{Now: c.Now})
	first := p.Get("https://console.example", "ory_wak_rotated_away", nil)
	c.Advance(IdleAfter + time.Minute)
	p.Get("https://console.example", "ory_wak_new", nil)
	if got := p.Get("https://console.example", "ory_wak_rotated_away", nil); got == first {
		t.Error("a workspace key unused for longer than IdleAfter still has its client")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.entries) != 2 {
		t.Errorf("%d clients held, want 2", len(p.entries))
	}
}

func TestPoolAttach(t *testing.T) {
	c := newClock()
	p := NewPool(PoolOptions{Now: c.Now})
	calls := 0
	attach := func(cl *Client) any { calls++; return &calls }
	cases := []struct {
		reason    string
		get       func() (*Client, any)
		wantValue bool
		wantCalls int
	}{
		{"A plain Get pools the client without a value.", func() (*Client, any) {
			return p.Get("https://console.example", "k", nil), nil
		}, false, 0},
		{"The first GetWith with attach attaches its value to the pooled client.", func() (*Client, any) {
			return p.GetWith("https://console.example", "k", nil, attach)
		}, true, 1},
		{"Later ones share it, and attach is not called again.", func() (*Client, any) {
			return p.GetWith("https://console.example", "k", nil, attach)
		}, true, 1},
		{"GetWith without attach still gets the value.", func() (*Client, any) {
			return p.GetWith("https://console.example", "k", nil, nil)
		}, true, 1},
		{"An idle client is dropped with its value: a new one gets a new value.", func() (*Client, any) {
			c.Advance(IdleAfter + time.Minute)
			p.Get("https://console.example", "other", nil) // sweeps
			return p.GetWith("https://console.example", "k", nil, attach)
		}, true, 2},
	}
	for _, tc := range cases {
		cl, v := tc.get()
		if cl == nil || (v != nil) != tc.wantValue || calls != tc.wantCalls {
			t.Errorf("%s\nclient %p, value %v, attach called %d times; want a value: %v, %d calls", tc.reason, cl, v, calls, tc.wantValue, tc.wantCalls)
		}
	}
}

func TestPoolRetriesAndShares(t *testing.T) {
	sim, url := orysim.StartTest(t)
	ws := sim.AddWorkspace(workspaceKey)
	pr := sim.AddProject(workspaceKey, "main")
	p := NewPool(PoolOptions{})
	ctx := context.Background()

	// A transient 503 is retried by the pool's transport.
	sim.FailNext(orysim.OpListProjectAPIKeys, 1, http.StatusServiceUnavailable)
	if _, err := p.Get(url, workspaceKey, nil).ListProjectKeys(ctx, pr.ID); err != nil {
		t.Fatalf("ListProjectKeys through a 503: %v", err)
	}
	if n := sim.Requests(orysim.OpListProjectAPIKeys); n != 2 {
		t.Errorf("%d list calls, want 2 (a 503 and its retry)", n)
	}
	// Both kinds of keys go through the one client of the workspace key.
	c := p.Get(url+"/", workspaceKey, &common.RateLimit{Burst: 3})
	if _, err := c.ListWorkspaceKeys(ctx, ws.ID); err != nil {
		t.Fatal(err)
	}
	if slug, err := c.ProjectSlug(ctx, pr.ID); err != nil || slug != pr.Slug {
		t.Errorf("ProjectSlug = %q, %v; want %q", slug, err, pr.Slug)
	}
}
