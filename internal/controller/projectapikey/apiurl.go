package projectapikey

import (
	"context"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/keyview"
	"strings"
	"sync"

	"github.com/crossplane-contrib/provider-ory/internal/providerconfig"
)

// A projectSlugger looks up a project's slug in the Ory console.
type projectSlugger interface {
	ProjectSlug(ctx context.Context, projectID string) (string, error)
}

// apiURLs resolves the URL of a project's own API, which connection Secrets
// publish so a workload needs nothing else: the ProviderConfig's override
// for the project, or https://<slug>.projects.oryapis.com. Slugs are cached:
// they rarely change, and every Observe publishes the URL.
type apiURLs struct {
	mu    sync.Mutex
	slugs map[string]string // console URL + " " + project ID -> slug
}

func newAPIURLs() *apiURLs { return &apiURLs{slugs: map[string]string{}} }

// resolve returns the project's API URL, or "" when it cannot be known now
// (the lookup failed; the next Observe tries again). A failed lookup never
// fails the reconcile: the key and its value matter more than the URL.
func (a *apiURLs) resolve(ctx context.Context, cfg *providerconfig.Config, projects projectSlugger, projectID string) string {
	if u := cfg.ProjectAPIURLs[projectID]; u != "" {
		return u
	}
	if a == nil || projects == nil {
		return ""
	}
	k := cfg.ConsoleURL + " " + strings.ToLower(projectID)
	a.mu.Lock()
	slug, ok := a.slugs[k]
	a.mu.Unlock()
	if !ok {
		s, err := projects.ProjectSlug(ctx, projectID)
		if err != nil || s == "" {
			return ""
		}
		a.mu.Lock()
		a.slugs[k] = s
		a.mu.Unlock()
		slug = s
	}
	return "https://" + slug + ".projects.oryapis.com"
}

// urls is the process's cache of project slugs, shared by both scopes.
var urls = newAPIURLs()

// Details are the connection details of a project key besides its value, ID
// and project: the project's API URL (common.ConnectionKeyAPIURL), left out
// while it cannot be known.
func Details(ctx context.Context, conn *keyview.Connection, cfg *providerconfig.Config, projectID string) map[string][]byte {
	if u := urls.resolve(ctx, cfg, conn.Console(), projectID); u != "" {
		return map[string][]byte{common.ConnectionKeyAPIURL: []byte(u)}
	}
	return nil
}
