package orysim

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// AllOperations, passed where an operation name is expected, makes a fault
// apply to every operation. An operation-specific setting wins over it.
const AllOperations = ""

// Fault kinds as they appear in LogEntry.Fault.
const (
	FaultDrop      = "drop"
	FaultFailNext  = "fail-next"
	FaultErrorRate = "error-rate"
	FaultRateLimit = "rate-limit"
	// The faults of CutAnswers: the request was served (a create made its
	// key), then the answer was cut at the named point, or lost its value.
	FaultCutBeforeHeaders = "cut-before-headers"
	FaultCutAfterHeaders  = "cut-after-headers"
	FaultCutMidBody       = "cut-mid-body"
	FaultOmitValue        = "omit-value"
)

// RateLimit configures the token bucket in front of the simulator.
type RateLimit struct {
	// Rate is how many requests per second refill the bucket; <= 0 disables
	// rate limiting.
	Rate float64 `json:"rate"`
	// Burst is the bucket size; values below 1 mean 1.
	Burst int `json:"burst"`
	// OmitRetryAfter stops sending Retry-After with 429s. Ory's own
	// Terraform provider notes that the live API does not send it today and
	// that x-ratelimit-reset is what clients must use; set this to prove a
	// client does not depend on Retry-After.
	OmitRetryAfter bool `json:"omitRetryAfter"`
	// Reset is how x-ratelimit-reset is written; "" is ResetSeconds.
	Reset ResetForm `json:"reset,omitempty"`
	// RetryAfterDate sends Retry-After as an HTTP-date, the other form RFC
	// 9110 allows, instead of seconds.
	RetryAfterDate bool `json:"retryAfterDate,omitempty"`
}

// A ResetForm is a way to write x-ratelimit-reset, to test that a client
// reads every form it meets in the wild.
type ResetForm string

// The forms of x-ratelimit-reset.
const (
	// ResetSeconds is the seconds until the bucket has room, rounded up:
	// what Ory documents.
	ResetSeconds ResetForm = "seconds"
	// ResetEpoch is the Unix time (seconds) when the bucket has room, as
	// many gateways and APIs send it.
	ResetEpoch ResetForm = "epoch"
	// ResetZero is always 0, as Ory's Terraform provider reports Ory often
	// answers.
	ResetZero ResetForm = "zero"
	// ResetOmit sends no x-ratelimit-reset.
	ResetOmit ResetForm = "omit"
)

// errorRate injects status codes into a share of requests.
type errorRate struct {
	probability float64
	statuses    []int
}

// failNext fails the next n requests with status.
type failNext struct {
	n      int
	status int
}

// faults holds all fault settings. It has its own lock so that changing
// faults never waits for, or blocks, the data behind the API.
type faults struct {
	mu        sync.Mutex
	rng       *rand.Rand
	errors    map[string]errorRate
	latency   map[string]time.Duration
	drops     map[string]float64
	failNexts map[string]failNext
	cuts      map[string]cutNext
	limit     RateLimit
	tokens    float64
	refilled  time.Time
}

func newFaults(seed uint64) *faults {
	f := &faults{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	f.clearLocked()
	return f
}

func (f *faults) clearLocked() {
	f.errors = map[string]errorRate{}
	f.latency = map[string]time.Duration{}
	f.drops = map[string]float64{}
	f.failNexts = map[string]failNext{}
	f.cuts = map[string]cutNext{}
	f.limit = RateLimit{}
}

// SetErrorRate makes a share (0..1) of op's requests answer one of statuses
// (chosen uniformly) with a herodot error body instead of being served.
// Statuses outside 400-599 are ignored; probability <= 0 or no usable
// status removes the setting for op.
func (s *Server) SetErrorRate(op string, probability float64, statuses ...int) {
	var usable []int
	for _, st := range statuses {
		if isErrorStatus(st) {
			usable = append(usable, st)
		}
	}
	f := s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	if probability <= 0 || len(usable) == 0 {
		delete(f.errors, op)
		return
	}
	f.errors[op] = errorRate{probability: min(probability, 1), statuses: usable}
}

// SetLatency delays every request to op by d before anything else happens;
// d <= 0 removes the setting. A request whose client gives up stops waiting.
func (s *Server) SetLatency(op string, d time.Duration) {
	f := s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	if d <= 0 {
		delete(f.latency, op)
		return
	}
	f.latency[op] = d
}

// SetDropRate makes a share (0..1) of op's requests end with the connection
// closed and no response, like a load balancer cut. probability <= 0
// removes the setting.
//
// Note: net/http's client transport silently resends a GET (and any request
// with an Idempotency-Key header) that fails this way on a reused
// keep-alive connection, so one client call may show up twice in Requests.
func (s *Server) SetDropRate(op string, probability float64) {
	f := s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	if probability <= 0 {
		delete(f.drops, op)
		return
	}
	f.drops[op] = min(probability, 1)
}

// FailNext makes the next n requests to op answer status, for deterministic
// tests ("the first create fails with 503, the retry succeeds"). It
// replaces an earlier FailNext for the same op; n <= 0 or a status outside
// 400-599 removes it.
func (s *Server) FailNext(op string, n, status int) {
	f := s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	if n <= 0 || !isErrorStatus(status) {
		delete(f.failNexts, op)
		return
	}
	f.failNexts[op] = failNext{n: n, status: status}
}

// SetRateLimit installs (or with Rate <= 0 removes) a token bucket shared by
// all requests. The bucket starts full. Assumption: Ory meters the console
// per bucket (backoffice-admin-low for the key operations,
// backoffice-admin-medium for getProject); one shared bucket is enough to
// exercise a client's 429 handling.
func (s *Server) SetRateLimit(l RateLimit) {
	f := s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	if l.Rate <= 0 {
		f.limit = RateLimit{}
		return
	}
	l.Burst = max(l.Burst, 1)
	f.limit = l
	f.tokens = float64(l.Burst)
	f.refilled = s.now()
}

// ClearFaults removes every fault setting, including the rate limit.
func (s *Server) ClearFaults() {
	f := s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clearLocked()
}

// decision is what the fault layer decided for one request.
type decision struct {
	latency time.Duration
	drop    bool
	// status, when non-zero, is answered instead of serving the request.
	status int
	fault  string
	// rateHeaders are set on every response while a rate limit is active.
	rateHeaders http.Header
}

// decide rolls the dice for one request to op. The order is: latency, drop,
// rate limit, FailNext, error rate. Rate limiting comes before FailNext so
// a limited request does not use up a deterministic failure.
func (f *faults) decide(op string, now time.Time) decision {
	f.mu.Lock()
	defer f.mu.Unlock()
	var d decision
	if l, ok := lookup(f.latency, op); ok {
		d.latency = l
	}
	if p, ok := lookup(f.drops, op); ok && f.rng.Float64() < p {
		d.drop, d.fault = true, FaultDrop
		return d
	}
	if f.limit.Rate > 0 {
		allowed, h := f.takeTokenLocked(now)
		d.rateHeaders = h
		if !allowed {
			d.status, d.fault = http.StatusTooManyRequests, FaultRateLimit
			return d
		}
	}
	for _, key := range []string{op, AllOperations} {
		if fn, ok := f.failNexts[key]; ok {
			fn.n--
			if fn.n <= 0 {
				delete(f.failNexts, key)
			} else {
				f.failNexts[key] = fn
			}
			d.status, d.fault = fn.status, FaultFailNext
			return d
		}
	}
	if er, ok := lookup(f.errors, op); ok && f.rng.Float64() < er.probability {
		d.status, d.fault = er.statuses[f.rng.IntN(len(er.statuses))], FaultErrorRate
	}
	return d
}

// takeTokenLocked refills the bucket for the time passed and takes one
// token. The headers follow Ory's documented rate limit headers, where
// x-ratelimit-reset is the number of seconds until the window resets (a
// delay, not a timestamp: Ory's Terraform provider reads it with
// strconv.Atoi as seconds to wait).
func (f *faults) takeTokenLocked(now time.Time) (bool, http.Header) {
	l := f.limit
	if elapsed := now.Sub(f.refilled).Seconds(); elapsed > 0 {
		f.tokens = math.Min(float64(l.Burst), f.tokens+elapsed*l.Rate)
		f.refilled = now
	}
	allowed := f.tokens >= 1
	if allowed {
		f.tokens--
	}
	h := http.Header{}
	h.Set("X-Ratelimit-Limit", strconv.Itoa(l.Burst))
	h.Set("X-Ratelimit-Remaining", strconv.Itoa(int(math.Floor(f.tokens))))
	var wait float64
	if allowed {
		// Seconds until the bucket is full again.
		wait = (float64(l.Burst) - f.tokens) / l.Rate
	} else {
		// Seconds until one token is back. Rounded up so a client that
		// waits exactly this long is served: Ory reports 0 for sub-second
		// waits, which makes clients spin; the simulator is kinder but
		// never reports less than the real wait.
		wait = (1 - f.tokens) / l.Rate
	}
	reset := strconv.Itoa(int(math.Ceil(wait)))
	// The time the bucket has room, rounded up to a whole second.
	at := time.Unix(int64(math.Ceil(float64(now.Add(time.Duration(wait*float64(time.Second))).UnixNano())/1e9)), 0)
	switch l.Reset {
	case ResetEpoch:
		h.Set("X-Ratelimit-Reset", strconv.FormatInt(at.Unix(), 10))
	case ResetZero:
		h.Set("X-Ratelimit-Reset", "0")
	case ResetOmit:
	default:
		h.Set("X-Ratelimit-Reset", reset)
	}
	switch {
	case allowed || l.OmitRetryAfter:
	case l.RetryAfterDate:
		h.Set("Retry-After", at.UTC().Format(http.TimeFormat))
	default:
		h.Set("Retry-After", reset)
	}
	return allowed, h
}

func lookup[V any](m map[string]V, op string) (V, bool) {
	if v, ok := m[op]; ok {
		return v, true
	}
	v, ok := m[AllOperations]
	return v, ok
}

// sleep waits d or until ctx is done (the client left or the Instance is
// closing); it reports whether the full time passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// isErrorStatus reports whether status can be injected: an HTTP error
// status. Anything else would either not look like a failure or make
// net/http panic in WriteHeader.
func isErrorStatus(status int) bool { return status >= 400 && status <= 599 }

// An AnswerCut is where CutAnswers breaks an answer that the simulator
// produced after acting: the request was served in full (a create made its
// key), and the client gets less than the whole answer.
type AnswerCut string

// The points where an answer is cut, in the order the client would read.
const (
	// CutBeforeHeaders closes the connection before a byte of the answer:
	// the client sees a connection error, no status.
	CutBeforeHeaders AnswerCut = FaultCutBeforeHeaders
	// CutAfterHeaders sends the status line and headers (Content-Length
	// announcing the whole body), then closes: the client has a status and
	// fails reading the body.
	CutAfterHeaders AnswerCut = FaultCutAfterHeaders
	// CutMidBody sends the status line, the headers and the first half of
	// the body, then closes: the client has half the JSON.
	CutMidBody AnswerCut = FaultCutMidBody
	// OmitValue is not a cut: the whole answer arrives, without its
	// "value" (an API key's) or "client_secret" (an OAuth2 client's). It
	// stays within the contract, since the schemas of project and
	// workspace API keys and of OAuth2 clients make those optional;
	// client-go decodes it.
	OmitValue AnswerCut = FaultOmitValue
)

// AnswerCuts lists every AnswerCut, for tables that cover them all.
func AnswerCuts() []AnswerCut {
	return []AnswerCut{CutBeforeHeaders, CutAfterHeaders, CutMidBody, OmitValue}
}

// cutNext cuts the answers of the next n requests.
type cutNext struct {
	n  int
	at AnswerCut
}

// CutAnswers makes the next n requests to op about parent (the project or
// workspace as the request path names it, ID or slug, and for a project's
// own API its slug; "" for any) be
// served, and then
// cuts their answers at at: "Ory acted, then the answer was lost". This is
// the fault a create fears most, because a key's value appears only in the
// answer to its create; the simulator's other faults strike before it acts.
// The answer is cut whatever its status. A later call for the same op and
// project replaces the earlier one; n <= 0 removes it. Faults decided on
// arrival (drop, rate limit, FailNext, error rate) win over a cut and do
// not use it up.
//
// The contract check does not see a cut answer (the connection is taken
// over, as for a drop); it checks an OmitValue answer as any other.
func (s *Server) CutAnswers(op, parent string, n int, at AnswerCut) {
	f := s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	key := op + " " + strings.ToLower(parent)
	if n <= 0 || !slices.Contains(AnswerCuts(), at) {
		delete(f.cuts, key)
		return
	}
	f.cuts[key] = cutNext{n: n, at: at}
}

// takeCut uses up one cut armed for op and parent, if any: the one for the
// parent first, then the one for any.
func (f *faults) takeCut(op, parent string) AnswerCut {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, key := range []string{op + " " + strings.ToLower(parent), op + " "} {
		c, ok := f.cuts[key]
		if !ok {
			continue
		}
		if c.n--; c.n <= 0 {
			delete(f.cuts, key)
		} else {
			f.cuts[key] = c
		}
		return c.at
	}
	return ""
}

// cutWriter holds back the answer of a request whose answer is to be cut,
// so that cut can send only part of it. Headers go to the real writer's
// map, which is not sent until cut.
type cutWriter struct {
	http.ResponseWriter
	at     AnswerCut
	status int
	body   bytes.Buffer
}

func (w *cutWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *cutWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}

// cut sends what w.at lets through of the held answer.
func (w *cutWriter) cut() {
	status := cmp.Or(w.status, http.StatusOK)
	body := w.body.Bytes()
	if w.at == OmitValue {
		var obj map[string]json.RawMessage
		if json.Unmarshal(body, &obj) == nil && (obj["value"] != nil || obj["client_secret"] != nil) {
			delete(obj, "value")
			delete(obj, "client_secret")
			body, _ = json.Marshal(obj) // re-encoding decoded raw JSON cannot fail
		}
		w.ResponseWriter.WriteHeader(status)
		_, _ = w.ResponseWriter.Write(body)
		return
	}
	conn, _, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		// HTTP/2 connections cannot be taken over; see serve's drop.
		writeError(w.ResponseWriter, http.StatusBadGateway, "The answer could not be cut: "+err.Error())
		return
	}
	defer conn.Close()
	if w.at == CutBeforeHeaders {
		return
	}
	var head bytes.Buffer
	fmt.Fprintf(&head, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	h := w.Header().Clone()
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Connection", "close")
	_ = h.Write(&head)
	head.WriteString("\r\n")
	if w.at == CutMidBody {
		head.Write(body[:len(body)/2])
	}
	_, _ = conn.Write(head.Bytes())
}
