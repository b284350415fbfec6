package console

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/time/rate"
)

// The provider's own limit on console calls made with one workspace API key,
// unless a ProviderConfig's spec.rateLimit says otherwise.
//
// Ory meters the key operations in its backoffice-admin-low bucket and does
// not publish that bucket's numbers. The lowest limit it documents for any
// bucket of a paid or free plan's "everything else" is 5 requests per second
// of burst and 150 per minute sustained (the Developer plan); a "low" bucket
// is at most that. 60 per minute with a burst of 5 stays within those numbers
// and leaves more than half of the sustained budget to the other users of the
// same workspace key (the Ory CLI, Terraform, a second provider replica while
// it takes over). With the shared view, 60 lists a minute keep 60 projects
// fresh at the default poll interval of one minute, whatever the number of
// keys in them.
const (
	DefaultRequestsPerMinute = 60
	DefaultBurst             = 5
)

// Retry defaults: three attempts in all, backing off 250ms, then about 500ms
// (jittered), never more than 2s between attempts for 5xx and network errors.
const (
	DefaultMaxAttempts = 3
	DefaultBackoffMin  = 250 * time.Millisecond
	DefaultBackoffMax  = 2 * time.Second
)

// A RateLimit is the provider's own limit on the console calls of one
// workspace API key: a token bucket refilled at RequestsPerMinute, holding
// Burst tokens. Zero fields mean the defaults.
type RateLimit struct {
	RequestsPerMinute int
	Burst             int
}

func (l RateLimit) withDefaults() RateLimit {
	if l.RequestsPerMinute <= 0 {
		l.RequestsPerMinute = DefaultRequestsPerMinute
	}
	if l.Burst <= 0 {
		l.Burst = DefaultBurst
	}
	return l
}

// TransportOptions configure NewTransport. Zero fields mean the defaults.
type TransportOptions struct {
	RateLimit RateLimit
	// MaxAttempts bounds the attempts of one call, the first included.
	MaxAttempts int
	// BackoffMin and BackoffMax bound the jittered exponential backoff
	// between attempts after a 5xx or a network error.
	BackoffMin, BackoffMax time.Duration
}

// ErrClientRateLimited is returned (wrapped) for a request that the
// provider's own rate limit would have held back past its context's
// deadline: it is not sent, and the reconcile backs off instead.
var ErrClientRateLimited = errors.New("the provider's rate limit for this workspace API key (spec.rateLimit of the ProviderConfig) leaves no room for this request before its deadline")

// A Transport is the http.RoundTripper of the console calls of one workspace
// API key (or of the calls to a project's own API with one project API key,
// package projectapi). Every request (each retry too) first waits for the key's rate
// limiter and is counted in the metrics; failed requests are retried by
// hashicorp/go-retryablehttp according to the rules of retryPolicy.
type Transport struct {
	limiter    *rate.Limiter
	idempotent *retryablehttp.RoundTripper
	create     *retryablehttp.RoundTripper

	mu    sync.Mutex
	limit RateLimit
}

// NewTransport returns a Transport that sends requests through base.
func NewTransport(base http.RoundTripper, o TransportOptions) *Transport {
	if base == nil {
		base = http.DefaultTransport
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.BackoffMin <= 0 {
		o.BackoffMin = DefaultBackoffMin
	}
	if o.BackoffMax < o.BackoffMin {
		o.BackoffMax = max(DefaultBackoffMax, o.BackoffMin)
	}
	l := o.RateLimit.withDefaults()
	t := &Transport{limiter: rate.NewLimiter(perSecond(l), l.Burst), limit: l}
	// The client that sends each attempt: no timeout of its own (the
	// caller's context and client bound the whole call, retries included)
	// and no CloseIdleConnections reaching the shared base transport.
	attempts := &http.Client{Transport: &attemptTransport{base: base, limiter: t.limiter}}
	retrying := func(idempotent bool) *retryablehttp.RoundTripper {
		p := retryPolicy{idempotent: idempotent, backoffMax: o.BackoffMax}
		return &retryablehttp.RoundTripper{Client: &retryablehttp.Client{
			HTTPClient:   attempts,
			Logger:       nil, // the reconciler reports what finally failed
			RetryWaitMin: o.BackoffMin,
			RetryWaitMax: o.BackoffMax,
			RetryMax:     o.MaxAttempts - 1,
			CheckRetry:   p.check,
			Backoff:      backoff,
			// Hand the last response (or error) to client-go as it is, so
			// that a final 429 or 5xx is classified by its status code.
			ErrorHandler: retryablehttp.PassthroughErrorHandler,
		}}
	}
	t.idempotent, t.create = retrying(true), retrying(false)
	return t
}

// SetRateLimit changes the limit, for a ProviderConfig whose spec.rateLimit
// changed. Requests already waiting keep their place.
func (t *Transport) SetRateLimit(l RateLimit) {
	l = l.withDefaults()
	t.mu.Lock()
	defer t.mu.Unlock()
	if l == t.limit {
		return
	}
	t.limit = l
	t.limiter.SetLimit(perSecond(l))
	t.limiter.SetBurst(l.Burst)
}

// RateLimit returns the limit in force.
func (t *Transport) RateLimit() RateLimit {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.limit
}

// RoundTrip sends a request with the retries its method allows.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return t.idempotent.RoundTrip(req)
	}
	return t.create.RoundTrip(req)
}

func perSecond(l RateLimit) rate.Limit { return rate.Limit(float64(l.RequestsPerMinute) / 60) }

// retryPolicy decides whether a failed attempt is tried again.
//
// Reads (GET) and deletes (DELETE) are idempotent: trying them again can do
// no harm (a repeated delete of a key already deleted is answered 404, which
// DeleteKey takes for success), so they are retried after any 5xx or network
// error.
//
// A create (POST: of a key, or of a project) is not: if Ory received it, it
// may have created the key even though the answer was lost (a dropped
// connection, a timeout) or was a 5xx from a proxy or from Ory after it
// acted. Sending it again would create a second key, and the first key's
// value, returned only in the lost answer, would be gone for good; or a
// second project, holding user data from its first minute. So a create is
// retried only when it certainly did not reach Ory: the connection could not
// be made (dial error, connection refused, unknown host), or Ory answered
// 429, which it does before acting. The same holds for the other POST whose
// answer alone carries a secret: the rotation of an OAuth2 client's secret. Anything else goes back to the
// reconciler as an error, which records the create as failed and lets the
// external client look for the key or project before creating another. A
// PATCH (a project's rename) follows the same rules: resent after its first
// attempt applied, it would only be answered 409 (its revision is stale by
// then), which tells the caller less than the first attempt's error.
//
// A 429 is retried once Ory's rate limit window resets (the later of
// x-ratelimit-reset and Retry-After in any of their forms, at most
// MaxRateLimitWait away, see retryAt; with neither, or 0, after the normal
// backoff), but only if that is before the request's deadline; otherwise
// the 429 is returned at once and the reconcile backs off. The same holds
// for the backoff after a 5xx or a network error.
//
// An answer is judged by its status line alone: a 2xx whose body is then
// cut is not retried (whatever the method), and CreateKey reports it as an
// unknown outcome (ReasonOutcomeUnknown).
type retryPolicy struct {
	idempotent bool
	backoffMax time.Duration
}

// wait429Jitter spreads the requests that all waited for the same reset.
const wait429Jitter = 250 * time.Millisecond

func (p retryPolicy) check(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, nil
	}
	if err != nil {
		if errors.Is(err, ErrClientRateLimited) {
			return false, nil
		}
		if !p.idempotent && !notSent(err) {
			return false, nil
		}
		return fits(ctx, p.backoffMax), nil
	}
	switch s := resp.StatusCode; {
	case s == http.StatusTooManyRequests:
		if d, ok := serverWait(resp.Header, time.Now()); ok {
			return fits(ctx, d+wait429Jitter), nil
		}
		return fits(ctx, p.backoffMax), nil
	case s >= 500 && s != http.StatusNotImplemented:
		return p.idempotent && fits(ctx, p.backoffMax), nil
	}
	return false, nil
}

// fits reports whether waiting d still leaves time for a request before
// ctx's deadline.
func fits(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	if !ok {
		return true
	}
	const room = 100 * time.Millisecond
	return time.Until(deadline) > d+room
}

// notSent reports whether a transport error says that the request never
// left: no connection could be made. Errors once a connection exists (reset,
// EOF, timeouts while waiting for the answer) may come after Ory acted.
func notSent(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// backoff is the wait before the next attempt: until Ory's rate limit
// resets after a 429 that says when, else exponential in the attempt number
// with jitter ("equal jitter": half fixed, half random), capped at max.
func backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
		if d, ok := serverWait(resp.Header, time.Now()); ok {
			d += rand.N(wait429Jitter)
			rateLimitWaits.WithLabelValues(sourceServer).Inc()
			rateLimitWaitSeconds.WithLabelValues(sourceServer).Add(d.Seconds())
			return d
		}
	}
	d := maxWait
	if attempt < 30 {
		d = min(minWait<<attempt, maxWait)
	}
	return d/2 + rand.N(d/2+1)
}

// serverWait is how long Ory asked to wait in a 429's headers.
func serverWait(h http.Header, now time.Time) (time.Duration, bool) {
	at := RetryAt(h, now)
	if at.IsZero() {
		return 0, false
	}
	return max(at.Sub(now), 0), true
}

// attemptTransport sends one attempt: it waits for the rate limiter, then
// sends and counts the request.
type attemptTransport struct {
	base    http.RoundTripper
	limiter *rate.Limiter
}

func (t *attemptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.wait(req.Context()); err != nil {
		return nil, err
	}
	op := operation(req)
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	requestDuration.WithLabelValues(op).Observe(time.Since(start).Seconds())
	code := "error"
	if err == nil {
		code = strconv.Itoa(resp.StatusCode)
	}
	requestsTotal.WithLabelValues(op, code).Inc()
	return resp, err
}

// wait takes a token from the limiter, waiting for one if need be, but not
// past ctx's deadline: a request that could not be sent in time is not sent.
func (t *attemptTransport) wait(ctx context.Context) error {
	r := t.limiter.Reserve()
	d := r.Delay()
	if d == 0 {
		return nil
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d {
		r.Cancel()
		return ErrClientRateLimited
	}
	rateLimitWaits.WithLabelValues(sourceClient).Inc()
	rateLimitWaitSeconds.WithLabelValues(sourceClient).Add(d.Seconds())
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		r.Cancel()
		return ctx.Err()
	}
}

// Operation names in metrics: the operationIds of Ory's OpenAPI document,
// which name client-go's methods too (ListProjectApiKeys is
// listProjectApiKeys). Every method of Client sets its own on the request's
// context (withOperation); a request without one counts as opOther.
const (
	OpListProjectKeys    = "listProjectApiKeys"
	OpCreateProjectKey   = "createProjectApiKey"
	OpDeleteProjectKey   = "deleteProjectApiKey"
	OpGetProject         = "getProject"
	OpCreateProject      = "createProject"
	OpListProjects       = "listProjects"
	OpPatchProject       = "patchProjectWithRevision"
	OpPurgeProject       = "purgeProject"
	OpListWorkspaceKeys  = "listWorkspaceApiKeys"
	OpCreateWorkspaceKey = "createWorkspaceApiKey"
	OpDeleteWorkspaceKey = "deleteWorkspaceApiKey"
	opOther              = "other"
)

type operationKey struct{}

// WithOperation names the Ory operation (its operationId) of the requests
// made with ctx, for the metrics: every method of Client does, and so does
// every client of another Ory API that sends through a Transport (the
// projects' own APIs, package projectapi).
func WithOperation(ctx context.Context, op string) context.Context {
	return context.WithValue(ctx, operationKey{}, op)
}

// operation names the console operation of a request, as its caller set it.
func operation(req *http.Request) string {
	if op, ok := req.Context().Value(operationKey{}).(string); ok {
		return op
	}
	return opOther
}
