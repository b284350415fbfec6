package console

import (
	"context"
	"net/http"
	"testing"

	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

func TestAPIURLs(t *testing.T) {
	sim, url := orysim.StartTest(t)
	p := sim.AddProject(workspaceKey, "my-project")
	c := New(url, workspaceKey, http.DefaultClient, "ua")
	ctx := context.Background()
	slugURL := "https://" + p.Slug + ".projects.oryapis.com"
	cases := map[string]struct {
		reason   string
		urls     *APIURLs
		override string
		template string
		client   *Client
		project  string
		fault    func()
		want     string
		// lookups is how many getProject calls the case makes.
		lookups int
	}{
		"Override": {
			reason: "The ProviderConfig's override for the project wins, without a lookup.",
			urls:   NewAPIURLs(), override: "https://auth.example.com", client: c, project: p.ID,
			want: "https://auth.example.com",
		},
		"FromTheSlug": {
			reason: "Without an override the slug names the project's API.",
			urls:   NewAPIURLs(), client: c, project: p.ID,
			want: slugURL, lookups: 1,
		},
		"FromTheTemplate": {
			reason: "A ProviderConfig's projectAPIURLTemplate (a simulator's, say) puts the slug where it says.",
			urls:   NewAPIURLs(), template: "http://127.0.0.1:8080/projects-api/{slug}", client: c, project: p.ID,
			want: "http://127.0.0.1:8080/projects-api/" + p.Slug, lookups: 1,
		},
		"DefaultTemplate": {
			reason: "The CRD's default template is Ory Network's form.",
			urls:   NewAPIURLs(), template: "https://{slug}.projects.oryapis.com", client: c, project: p.ID,
			want: slugURL, lookups: 1,
		},
		"OverrideBeatsTemplate": {
			reason: "A per-project override wins over the template, without a lookup.",
			urls:   NewAPIURLs(), override: "https://auth.example.com", template: "http://127.0.0.1:8080/projects-api/{slug}", client: c, project: p.ID,
			want: "https://auth.example.com",
		},
		"LookupFails": {
			reason: "A failed lookup gives no URL, and no error: the key matters more.",
			urls:   NewAPIURLs(), client: c, project: p.ID,
			fault: func() { sim.FailNext(orysim.OpGetProject, 10, http.StatusForbidden) },
			want:  "", lookups: 1,
		},
		"NoClient": {
			reason: "Without a console client only an override can be known.",
			urls:   NewAPIURLs(), project: p.ID,
			want: "",
		},
		"NilCache": {
			reason:   "A nil APIURLs resolves overrides.",
			override: "https://auth.example.com", client: c, project: p.ID,
			want: "https://auth.example.com",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sim.ClearFaults()
			sim.ResetRequests()
			if tc.fault != nil {
				tc.fault()
			}
			if got := tc.urls.Resolve(ctx, tc.override, tc.template, tc.client, tc.project); got != tc.want {
				t.Errorf("%s\nResolve = %q, want %q", tc.reason, got, tc.want)
			}
			if n := sim.Requests(orysim.OpGetProject); n != tc.lookups {
				t.Errorf("%s\n%d project lookups, want %d", tc.reason, n, tc.lookups)
			}
		})
	}
}

func TestAPIURLsCacheTheSlug(t *testing.T) {
	sim, url := orysim.StartTest(t)
	p := sim.AddProject(workspaceKey, "my-project")
	c := New(url, workspaceKey, http.DefaultClient, "ua")
	urls := NewAPIURLs()
	ctx := context.Background()
	for range 3 {
		urls.Resolve(ctx, "", "", c, p.ID)
	}
	if got := urls.Resolve(ctx, "", "", New(url+"/", "ory_wak_other", http.DefaultClient, "ua"), p.ID); got == "" {
		t.Error("the slug of a project is not shared by the clients of one console")
	}
	if n := sim.Requests(orysim.OpGetProject); n != 1 {
		t.Errorf("%d project lookups for four resolutions, want 1: slugs are cached", n)
	}
}
