package keyview

import (
	"context"
	"sync"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/console"
	"github.com/crossplane-contrib/provider-ory/internal/projectapi"
	"github.com/crossplane-contrib/provider-ory/internal/version"
)

// Views hands out one Connection per console URL and workspace API key, so
// that every ProviderConfig using the same key, both scopes' controllers and
// every kind share one view of each parent's keys, and one console client
// with one rate limiter (a console.Pool). It is safe for concurrent use.
type Views struct {
	opts Options
	pool *console.Pool
}

// NewViews returns Views whose connections make their views with o and
// whose clients are limited to o.RateLimit unless a ProviderConfig says
// otherwise.
func NewViews(o Options) *Views {
	return &Views{opts: o, pool: console.NewPool(console.PoolOptions{RateLimit: o.RateLimit, Now: o.now})}
}

// Get returns the connection of a console URL ("" is Ory Network's) and
// workspace API key, with the rate limit of its client set to a
// ProviderConfig's spec.rateLimit, as console.Pool.Get does (the last
// ProviderConfig used sets it). A connection lives as long as its pooled
// client: one unused for console.IdleAfter is dropped with its views.
func (v *Views) Get(consoleURL, token string, rl *common.RateLimit) *Connection {
	_, conn := v.pool.GetWith(consoleURL, token, rl, func(c *console.Client) any { return NewConnection(c, v.opts) })
	return conn.(*Connection) // only this Get attaches to v.pool, always a *Connection
}

// ProjectAPI returns the client of a project's own API at apiURL with a
// project API key, one per URL and key, pooled like the console's: a
// retrying Transport that never resends a create or rotation whose answer
// was lost, and one rate limit per key (rl, as for a workspace key).
func (v *Views) ProjectAPI(apiURL, token string, rl *common.RateLimit) *projectapi.Client {
	attach := func(c *console.Client) any {
		return projectapi.New(apiURL, token, c.HTTPClient(), "provider-ory/"+version.Version)
	}
	c, attached := v.pool.GetWith(apiURL, token, rl, attach)
	if p, ok := attached.(*projectapi.Client); ok {
		return p
	}
	// The same URL and key used as a console's (never in practice): a
	// client of its own over the same transport.
	return attach(c).(*projectapi.Client)
}

// A Connection is what one workspace API key reaches through one console:
// the views of the keys of its projects and of its workspace, made when
// first asked for, and the console client they share, for every other call
// (a project's slug or state, other kinds), with the cache of its projects'
// API URLs. It is safe for concurrent use.
type Connection struct {
	console    *console.Client
	urls       *console.APIURLs
	projects   func() *Client
	workspaces func() *Client
}

// NewConnection returns a Connection over a console client of the
// caller's own, outside any pool (a test's, with its own transport); Views
// makes them for pooled clients. Its views are made with o.
func NewConnection(c *console.Client, o Options) *Connection {
	return &Connection{
		console:    c,
		urls:       console.NewAPIURLs(),
		projects:   sync.OnceValue(func() *Client { return New(c.ProjectKeys(), o) }),
		workspaces: sync.OnceValue(func() *Client { return New(c.WorkspaceKeys(), o) }),
	}
}

// ProjectKeys returns the view of the API keys of the projects this
// connection reaches (parent: a project's ID or slug).
func (c *Connection) ProjectKeys() *Client { return c.projects() }

// WorkspaceKeys returns the view of the API keys of the workspace this
// connection reaches (parent: the workspace's ID).
func (c *Connection) WorkspaceKeys() *Client { return c.workspaces() }

// Console returns the console client that the views call through, shared
// with every other user of the workspace key and its rate limit.
func (c *Connection) Console() *console.Client { return c.console }

// ProjectAPIURL returns the URL of a project's own API: override when it is
// not empty, else template (a projectAPIURLTemplate, "" for Ory Network's)
// with the slug looked up once through this connection's console client
// (console.APIURLs); "" while it cannot be known.
func (c *Connection) ProjectAPIURL(ctx context.Context, override, template, projectID string) string {
	return c.urls.Resolve(ctx, override, template, c.console, projectID)
}
