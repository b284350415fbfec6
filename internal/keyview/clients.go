package keyview

import (
	"crypto/sha256"
	"net/http"
	"strings"
	"sync"
	"time"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/console"
	"github.com/crossplane-contrib/provider-ory/internal/version"
)

// callTimeout bounds one console call, its retries and rate limit waits
// included; the reconcile's own deadline usually ends it sooner.
const callTimeout = 30 * time.Second

// idleAfter is how long a workspace key's client is kept without use: a
// rotated or deleted workspace key's client (its view, its limiter) does not
// stay in memory for the life of the process.
const idleAfter = time.Hour

// Clients hands out one Client per console URL and workspace API key, so
// that every ProviderConfig using the same key (and both scopes'
// controllers) share one view of each project's keys and one rate limiter.
// It is safe for concurrent use.
type Clients struct {
	opts      Options
	base      http.RoundTripper
	userAgent string

	mu      sync.Mutex
	entries map[[sha256.Size]byte]*pooled
	swept   time.Time
}

type pooled struct {
	client    *Client
	transport *console.Transport
	used      time.Time
}

// NewClients returns an empty pool. All its clients share one HTTP
// connection pool.
func NewClients(o Options) *Clients {
	if o.now == nil {
		o.now = time.Now
	}
	return &Clients{
		opts:      o,
		base:      http.DefaultTransport.(*http.Transport).Clone(),
		userAgent: "provider-ory/" + version.Version,
		entries:   map[[sha256.Size]byte]*pooled{},
	}
}

// Get returns the client of a console URL ("" is Ory Network's) and
// workspace API key, with its rate limit set to a ProviderConfig's
// spec.rateLimit (nil or zero fields: Options.RateLimit, then the console
// defaults). ProviderConfigs that
// share a workspace key share its limit: the last one used sets it.
func (cs *Clients) Get(consoleURL, token string, rl *common.RateLimit) *Client {
	limit := cs.opts.RateLimit
	if rl != nil && rl.RequestsPerMinute > 0 {
		limit.RequestsPerMinute = int(rl.RequestsPerMinute)
	}
	if rl != nil && rl.Burst > 0 {
		limit.Burst = int(rl.Burst)
	}
	consoleURL = strings.TrimRight(consoleURL, "/")
	if consoleURL == "" {
		consoleURL = console.DefaultURL
	}
	// Keyed by a hash, so that the map holds no credential in the clear.
	k := sha256.Sum256([]byte(consoleURL + "\x00" + token))
	now := cs.opts.now()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if now.Sub(cs.swept) > idleAfter/4 {
		cs.swept = now
		for h, e := range cs.entries {
			if now.Sub(e.used) > idleAfter {
				delete(cs.entries, h)
			}
		}
	}
	e, ok := cs.entries[k]
	if !ok {
		t := console.NewTransport(cs.base, console.TransportOptions{RateLimit: limit})
		hc := &http.Client{Transport: t, Timeout: callTimeout}
		e = &pooled{client: New(console.New(consoleURL, token, hc, cs.userAgent), cs.opts), transport: t}
		cs.entries[k] = e
	} else {
		e.transport.SetRateLimit(limit)
	}
	e.used = now
	return e.client
}
