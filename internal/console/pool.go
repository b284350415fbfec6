package console

import (
	"crypto/sha256"
	"net/http"
	"strings"
	"sync"
	"time"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/version"
)

// CallTimeout bounds one console call of a pooled client, its retries and
// rate limit waits included; the reconcile's own deadline usually ends it
// sooner.
const CallTimeout = 30 * time.Second

// IdleAfter is how long a pooled client is kept without use: a rotated or
// deleted workspace key's client (its limiter, whatever was attached to it)
// does not stay in memory for the life of the process.
const IdleAfter = time.Hour

// PoolOptions configure NewPool.
type PoolOptions struct {
	// RateLimit is the limit of the workspace keys whose ProviderConfig
	// sets no spec.rateLimit (or leaves a field of it zero). Zero fields
	// mean DefaultRequestsPerMinute and DefaultBurst.
	RateLimit RateLimit
	// Now replaces time.Now for the idle sweep, in tests; nil is time.Now.
	Now func() time.Time
}

// A Pool hands out one Client per console URL and workspace API key, so
// that every ProviderConfig using the same key, and every kind managed
// with it, share one rate limiter and one retrying Transport: two kinds
// never split one workspace key's rate limit. All its clients share one
// HTTP connection pool. It is safe for concurrent use.
type Pool struct {
	opts      PoolOptions
	base      http.RoundTripper
	userAgent string

	mu      sync.Mutex
	entries map[[sha256.Size]byte]*pooled
	swept   time.Time
}

type pooled struct {
	client    *Client
	transport *Transport
	attached  any
	used      time.Time
}

// NewPool returns an empty pool.
func NewPool(o PoolOptions) *Pool {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Pool{
		opts:      o,
		base:      http.DefaultTransport.(*http.Transport).Clone(),
		userAgent: "provider-ory/" + version.Version,
		entries:   map[[sha256.Size]byte]*pooled{},
	}
}

// Get returns the client of a console URL ("" is Ory Network's) and
// workspace API key, with its rate limit set to a ProviderConfig's
// spec.rateLimit (nil or zero fields: PoolOptions.RateLimit, then the
// defaults). ProviderConfigs that share a workspace key share its limit:
// the last one used sets it.
func (p *Pool) Get(consoleURL, token string, rl *common.RateLimit) *Client {
	c, _ := p.GetWith(consoleURL, token, rl, nil)
	return c
}

// GetWith is Get, and also returns the value attached to the client: one
// value per pooled client, dropped from the pool with it, for state that
// must live exactly as long as the client (keyview's views of keys). The
// first GetWith with an attach function to meet the client attaches what
// attach returns; later ones get that value and do not call attach. attach
// runs with the pool locked: it must be quick and must not call the pool.
// Without attach (or before any), the value is nil.
func (p *Pool) GetWith(consoleURL, token string, rl *common.RateLimit, attach func(*Client) any) (*Client, any) {
	limit := p.opts.RateLimit
	if rl != nil && rl.RequestsPerMinute > 0 {
		limit.RequestsPerMinute = int(rl.RequestsPerMinute)
	}
	if rl != nil && rl.Burst > 0 {
		limit.Burst = int(rl.Burst)
	}
	consoleURL = strings.TrimRight(consoleURL, "/")
	if consoleURL == "" {
		consoleURL = DefaultURL
	}
	// Keyed by a hash, so that the map holds no credential in the clear.
	k := sha256.Sum256([]byte(consoleURL + "\x00" + token))
	now := p.opts.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Sub(p.swept) > IdleAfter/4 {
		p.swept = now
		for h, e := range p.entries {
			if now.Sub(e.used) > IdleAfter {
				delete(p.entries, h)
			}
		}
	}
	e, ok := p.entries[k]
	if !ok {
		t := NewTransport(p.base, TransportOptions{RateLimit: limit})
		e = &pooled{client: New(consoleURL, token, &http.Client{Transport: t, Timeout: CallTimeout}, p.userAgent), transport: t}
		p.entries[k] = e
	} else {
		e.transport.SetRateLimit(limit)
	}
	if e.attached == nil && attach != nil {
		e.attached = attach(e.client)
	}
	e.used = now
	return e.client, e.attached
}
