package contract

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// Phase says which half of an exchange broke the contract.
type Phase string

// The two halves of an exchange.
const (
	PhaseRequest  Phase = "request"
	PhaseResponse Phase = "response"
)

// MaxBodyBytes is the largest request body the checker buffers to validate.
// Console request bodies are a few hundred bytes; anything bigger is passed
// through unvalidated and recorded as a violation.
const MaxBodyBytes = 1 << 20

// Violation is one way a request or a response broke the contract.
type Violation struct {
	// Operation is the spec's operationId, empty when nothing matched.
	Operation string
	// Method and Path are the request's, Path without the query.
	Method string
	Path   string
	// Status is what the handler answered, for both phases, so a request
	// violation can be told apart from the error the simulator returned.
	Status int
	Phase  Phase
	// Error describes the violation.
	Error string
}

// String renders a violation on one line for test failure messages.
func (v Violation) String() string {
	op := v.Operation
	if op == "" {
		op = "(no operation)"
	}
	return fmt.Sprintf("%s %s %s -> %d [%s]: %s", op, v.Method, v.Path, v.Status, v.Phase, v.Error)
}

// Checker validates traffic against a Spec and remembers what broke it.
// It is safe for concurrent use.
type Checker struct {
	spec *Spec

	mu         sync.Mutex
	violations []Violation
	exceptions []Violation
}

// NewChecker returns a checker for spec with no recorded violations.
func NewChecker(spec *Spec) *Checker {
	return &Checker{spec: spec}
}

// Spec returns the document the checker validates against.
func (c *Checker) Spec() *Spec { return c.spec }

// Violations returns a copy of every violation recorded so far, in the
// order the exchanges completed.
func (c *Checker) Violations() []Violation {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.violations)
}

// Exceptions returns exchanges accepted only through a documented
// exception: a 429 or 5xx answer to an operation whose responses declare
// neither that status nor a default. Such bodies are checked against the
// spec's generic error schema instead; failures there are violations.
func (c *Checker) Exceptions() []Violation {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.exceptions)
}

// Reset forgets all recorded violations and exceptions, for tests that
// provoke violations on purpose and then want a clean slate.
func (c *Checker) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.violations = nil
	c.exceptions = nil
}

func (c *Checker) record(v Violation, exception bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if exception {
		c.exceptions = append(c.exceptions, v)
		return
	}
	c.violations = append(c.violations, v)
}

// Middleware validates every request to the console API before it
// reaches next and every response next writes, recording what breaks the
// contract (a request for an operation the spec does not place on the
// console is one). It never
// changes what the client sees: a violation is recorded, not answered,
// because the point is to find out what the handler would have done.
// Responses on connections next hijacks (dropped connections), and
// requests whose client left before next wrote anything, are not
// validated since no client receives a response.
func (c *Checker) Middleware(next http.Handler) http.Handler {
	return c.middleware(next, consoleAPI)
}

// ProjectAPIMiddleware is Middleware for a project's own API
// (https://<slug>.projects.oryapis.com): the requests it sees must be for
// operations the spec serves there (its top-level server, such as
// createOAuth2Client), not on the console. The caller strips whatever
// prefix addresses the project, so that paths are the spec's.
func (c *Checker) ProjectAPIMiddleware(next http.Handler) http.Handler {
	return c.middleware(next, projectAPI)
}

// An api is one of the two families of servers the spec declares.
type api int

const (
	consoleAPI api = iota // per-operation server https://api.console.ory.sh
	projectAPI            // the top-level server https://{project_slug}.projects.oryapis.com
)

// serves reports whether the spec places op on a.
func (a api) serves(op *openapi3.Operation) bool {
	if a == consoleAPI {
		return servedByConsole(op)
	}
	return op != nil && op.Servers == nil
}

func (a api) String() string {
	if a == consoleAPI {
		return ConsoleServer
	}
	return ProjectServer
}

func (c *Checker) middleware(next http.Handler, served api) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, bodyErr := bufferBody(r)

		route, pathParams, routeErr := c.spec.router.FindRoute(r)
		var reqInput *openapi3filter.RequestValidationInput
		var reqErr error
		switch {
		case routeErr != nil:
			reqErr = describeRouteError(routeErr)
		case !served.serves(route.Operation):
			reqErr = fmt.Errorf("operation %s is not served by %s", route.Operation.OperationID, served)
		case bodyErr != nil:
			reqErr = bodyErr
		default:
			reqInput = &openapi3filter.RequestValidationInput{
				Request:    requestWithBody(r, body),
				PathParams: pathParams,
				Route:      route,
				Options:    filterOptions(),
			}
			reqErr = openapi3filter.ValidateRequest(r.Context(), reqInput)
		}

		rec := &recorder{w: w}
		next.ServeHTTP(rec, r)

		v := Violation{Method: r.Method, Path: r.URL.Path, Status: rec.statusCode()}
		if route != nil && route.Operation != nil {
			v.Operation = route.Operation.OperationID
		}
		if reqErr != nil {
			v.Phase, v.Error = PhaseRequest, reqErr.Error()
			c.record(v, false)
		}
		if rec.hijacked || reqInput == nil || (!rec.wroteHeader && r.Context().Err() != nil) {
			// The connection was dropped, the client left before anything
			// was written, or there is no operation to check the answer
			// against (already recorded above).
			return
		}
		respErr, exception := c.checkResponse(r.Context(), reqInput, v.Status, rec.recordedHeader(), rec.body.Bytes())
		if respErr != nil {
			v.Phase, v.Error = PhaseResponse, respErr.Error()
			c.record(v, false)
			return
		}
		if exception {
			v.Phase = PhaseResponse
			v.Error = fmt.Sprintf("status %d is not declared for %s and it has no default response; body checked against errorGeneric", v.Status, v.Operation)
			c.record(v, true)
		}
	})
}

// checkResponse validates one response. exception reports that the status
// was accepted through the documented 429/5xx exception.
func (c *Checker) checkResponse(ctx context.Context, in *openapi3filter.RequestValidationInput, status int, header http.Header, body []byte) (err error, exception bool) {
	responses := in.Route.Operation.Responses
	declared := responses.Status(status)
	if declared == nil {
		declared = responses.Default()
	}
	if declared == nil {
		if status == http.StatusTooManyRequests || status >= 500 {
			return c.checkGenericError(header, body), true
		}
		return fmt.Errorf("status %d is not declared for %s", status, in.Route.Operation.OperationID), false
	}
	if declared.Value != nil && len(declared.Value.Content) == 0 && len(body) > 0 {
		// kin-openapi skips bodies of responses that declare no content;
		// a 204 with a body would otherwise pass.
		return fmt.Errorf("status %d declares no body but %d bytes were sent", status, len(body)), false
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 header,
		Options:                filterOptions(),
	}
	out.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(ctx, out), false
}

// checkGenericError validates an error body against errorGeneric.
func (c *Checker) checkGenericError(header http.Header, body []byte) error {
	schema, err := c.spec.errorSchema()
	if err != nil {
		return err
	}
	mt, _, err := mime.ParseMediaType(header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return fmt.Errorf("error response has content type %q, want application/json", header.Get("Content-Type"))
	}
	var value any
	if err := json.Unmarshal(body, &value); err != nil {
		return fmt.Errorf("error response body is not JSON: %w", err)
	}
	opts := append(schemaOptions(), openapi3.VisitAsResponse(), openapi3.SetSchemaErrorMessageCustomizer(shortSchemaError))
	if err := schema.VisitJSON(value, opts...); err != nil {
		return fmt.Errorf("error response body doesn't match schema errorGeneric: %w", err)
	}
	return nil
}

// filterOptions returns fresh options per exchange; kin-openapi's Options
// carry unexported state, so sharing one value across goroutines is not
// something to rely on.
func filterOptions() *openapi3filter.Options {
	o := &openapi3filter.Options{
		// Undeclared statuses are caught before kin-openapi sees them, but
		// keep its own check on as a second line.
		IncludeResponseStatus:   true,
		AuthenticationFunc:      authenticate,
		SchemaValidationOptions: schemaOptions(),
	}
	o.WithCustomSchemaErrorFunc(shortSchemaError)
	return o
}

// shortSchemaError keeps violation messages to one line: where in the body
// and why, without kin-openapi's dump of the whole schema.
func shortSchemaError(err *openapi3.SchemaError) string {
	return fmt.Sprintf("at /%s: %s", strings.Join(err.JSONPointer(), "/"), err.Reason)
}

// authenticate accepts any non-empty bearer token for HTTP bearer schemes.
// Whether the token is valid is the simulator's business (it answers 401
// or 403); the contract only says a bearer token must be sent.
func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	s := in.SecurityScheme
	if s == nil || s.Type != "http" || !strings.EqualFold(s.Scheme, "bearer") {
		return in.NewError(fmt.Errorf("security scheme %q is not supported by the contract check", in.SecuritySchemeName))
	}
	h := in.RequestValidationInput.Request.Header.Get("Authorization")
	if len(h) < len("Bearer ") || !strings.EqualFold(h[:len("Bearer ")], "Bearer ") || strings.TrimSpace(h[len("Bearer "):]) == "" {
		return in.NewError(errors.New("no bearer token in the Authorization header"))
	}
	return nil
}

// servedByConsole reports whether the spec places op on the console API.
func servedByConsole(op *openapi3.Operation) bool {
	if op == nil || op.Servers == nil {
		return false
	}
	for _, s := range *op.Servers {
		if s != nil && strings.TrimSuffix(s.URL, "/") == ConsoleServer {
			return true
		}
	}
	return false
}

func describeRouteError(err error) error {
	var re *routers.RouteError
	switch {
	case errors.Is(err, routers.ErrMethodNotAllowed):
		return errors.New("the spec declares this path but not this method")
	case errors.Is(err, routers.ErrPathNotFound), errors.As(err, &re):
		return errors.New("no path in the spec matches this request")
	default:
		return fmt.Errorf("routing failed: %w", err)
	}
}

// bufferBody reads the request body so it can be validated and still be
// read by the handler. Bodies over MaxBodyBytes are passed on intact but
// reported, since they cannot be validated.
func bufferBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	orig := r.Body
	buf, err := io.ReadAll(io.LimitReader(orig, MaxBodyBytes+1))
	if err != nil {
		r.Body = io.NopCloser(bytes.NewReader(buf))
		return nil, fmt.Errorf("reading request body: %w", err)
	}
	if len(buf) > MaxBodyBytes {
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(buf), orig), orig}
		return nil, fmt.Errorf("request body exceeds %d bytes and was not validated", MaxBodyBytes)
	}
	r.Body = io.NopCloser(bytes.NewReader(buf))
	return buf, nil
}

// requestWithBody returns a copy of r whose body validation may consume
// without affecting the handler.
func requestWithBody(r *http.Request, body []byte) *http.Request {
	c := r.Clone(r.Context())
	c.Body = io.NopCloser(bytes.NewReader(body))
	c.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return c
}

// recorder passes a response through while keeping a copy to validate.
type recorder struct {
	w           http.ResponseWriter
	status      int
	header      http.Header
	wroteHeader bool
	hijacked    bool
	body        bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.w.Header() }

func (r *recorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.wroteHeader = true
		r.status = code
		// Headers changed after WriteHeader never reach the client.
		r.header = r.w.Header().Clone()
	}
	r.w.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wroteHeader {
		r.WriteHeader(http.StatusOK)
	}
	r.body.Write(b)
	return r.w.Write(b)
}

// Hijack lets the handler drop the connection; the recorder then skips
// validation because the client got no response.
func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := r.w.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("the underlying ResponseWriter cannot hijack")
	}
	r.hijacked = true
	return hj.Hijack()
}

// Flush passes flushes through for handlers that stream.
func (r *recorder) Flush() {
	if f, ok := r.w.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the real writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.w }

func (r *recorder) statusCode() int {
	if !r.wroteHeader {
		// A handler that writes nothing answers 200 with no body.
		return http.StatusOK
	}
	return r.status
}

// recordedHeader returns the headers as the client saw them, including the
// Content-Type net/http sniffs when the handler set none.
func (r *recorder) recordedHeader() http.Header {
	h := r.header
	if h == nil {
		h = r.w.Header().Clone()
	}
	if h.Get("Content-Type") == "" && r.body.Len() > 0 {
		h.Set("Content-Type", http.DetectContentType(r.body.Bytes()))
	}
	return h
}
