package console

import (
	"context"
	"strings"
	"sync"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
)

// APIURLs resolves the URL of a project's own API, which connection
// Secrets publish so that a workload needs nothing else: a ProviderConfig's
// override for the project, or its projectAPIURLTemplate
// (https://{slug}.projects.oryapis.com by default) with the project's slug,
// read with getProject (ProjectSlug). Slugs are cached per console URL
// and project ID for the life of the APIURLs: they rarely change, and every
// Observe publishes the URL. The zero value is not usable; a nil *APIURLs
// resolves overrides only. It is safe for concurrent use.
type APIURLs struct {
	mu    sync.Mutex
	slugs map[string]string // console URL + " " + lower case project ID -> slug
}

// NewAPIURLs returns an empty cache.
func NewAPIURLs() *APIURLs { return &APIURLs{slugs: map[string]string{}} }

// Resolve returns the API URL of a project: override when it is not empty
// (the ProviderConfig's for this project), else template with the project's
// slug (ProjectAPIURL), or
// "" when that cannot be known now (c is nil, or the lookup failed or
// answered no slug; the next call tries again). A failed lookup never
// fails the caller: a key and its value matter more than the URL.
func (a *APIURLs) Resolve(ctx context.Context, override, template string, c *Client, projectID string) string {
	if override != "" {
		return override
	}
	if a == nil || c == nil {
		return ""
	}
	k := c.url + " " + strings.ToLower(projectID)
	a.mu.Lock()
	slug, ok := a.slugs[k]
	a.mu.Unlock()
	if !ok {
		s, err := c.ProjectSlug(ctx, projectID)
		if err != nil || s == "" {
			return ""
		}
		a.mu.Lock()
		a.slugs[k] = s
		a.mu.Unlock()
		slug = s
	}
	return ProjectAPIURL(template, slug)
}

// ProjectAPIURL is the URL of the API of the project with this slug:
// template (a ProviderConfig's projectAPIURLTemplate) with every {slug}
// replaced by the slug. An empty template is Ory Network's,
// https://{slug}.projects.oryapis.com (the CRD's default, for a config made
// without the API server's defaulting).
func ProjectAPIURL(template, slug string) string {
	if template == "" {
		template = common.DefaultProjectAPIURLTemplate
	}
	return strings.ReplaceAll(template, common.SlugPlaceholder, slug)
}
