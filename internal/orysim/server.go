package orysim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/crossplane-contrib/provider-ory/internal/orysim/contract"
)

// Operation names, equal to the operationIds in Ory's OpenAPI document.
const (
	OpCreateProjectAPIKey = "createProjectApiKey"
	OpListProjectAPIKeys  = "listProjectApiKeys"
	OpDeleteProjectAPIKey = "deleteProjectApiKey"
	OpGetProject          = "getProject"

	OpCreateProject            = "createProject"
	OpListProjects             = "listProjects"
	OpPatchProjectWithRevision = "patchProjectWithRevision"
	OpPurgeProject             = "purgeProject"

	OpCreateWorkspaceAPIKey = "createWorkspaceApiKey"
	OpListWorkspaceAPIKeys  = "listWorkspaceApiKeys"
	OpDeleteWorkspaceAPIKey = "deleteWorkspaceApiKey"
)

// Operation names of a project's own API (see ProjectAPIURL), equal to the
// operationIds in Ory's OpenAPI document.
const (
	OpCreateOAuth2Client               = "createOAuth2Client"
	OpGetOAuth2Client                  = "getOAuth2Client"
	OpListOAuth2Clients                = "listOAuth2Clients"
	OpSetOAuth2Client                  = "setOAuth2Client"
	OpPatchOAuth2Client                = "patchOAuth2Client"
	OpDeleteOAuth2Client               = "deleteOAuth2Client"
	OpRotateOAuth2ClientSecret         = "rotateOAuth2ClientSecret"
	OpDeleteRotatedOAuth2ClientSecrets = "deleteRotatedOAuth2ClientSecrets"
)

// DefaultSeed seeds the fault RNG unless WithSeed says otherwise, so that
// fault patterns repeat from run to run by default.
const DefaultSeed = 1

// LogEntry is one request as the simulator saw it.
type LogEntry struct {
	// Operation is the operationId, empty for requests to unknown paths.
	Operation string
	Method    string
	// Path is the path as the client sent it; for a project's own API it
	// starts with ProjectAPIPathPrefix and the project's slug.
	Path string
	// Status is the answered status; 0 when the connection was dropped or
	// the client went away before an answer. For an answer cut by
	// CutAnswers it is the status served before the cut.
	Status int
	// Time is when the request arrived (simulator clock).
	Time time.Time
	// Fault names the injected fault that produced the answer, if any
	// (FaultDrop, FaultFailNext, FaultErrorRate, FaultRateLimit, or an
	// AnswerCut's name).
	Fault string
	// WorkspaceKeyID is the ID of the workspace API key the request's bearer
	// token was when it arrived (seeded or created through the API), so a
	// test can tell which credentials a client used without their value;
	// empty for no token or one the simulator does not know. Whether the
	// key was accepted (not revoked, expired or deleted) is Status's to say.
	WorkspaceKeyID string
	// ProjectKeyID is, likewise, the ID of the project API key the bearer
	// token was (a project's own API takes those), empty otherwise.
	ProjectKeyID string
}

// Server is the simulator. It is an http.Handler and safe for concurrent
// use; all setup, inspection and fault methods may be called while it
// serves.
type Server struct {
	mu         sync.Mutex
	workspaces map[string]*Workspace // by the bearer key each was set up with
	wsKeys     map[string]*[]*Key    // workspace API keys by workspace ID, in creation order
	projects   map[string]*project   // by lower case UUID
	slugs      map[string]string     // slug -> project ID
	log        []*LogEntry           // arrival order
	counts     map[string]int        // per operation

	// projectLimits are the workspaces' plan limits on projects, by
	// workspace ID; a workspace without an entry has no limit.
	projectLimits map[string]int
	projectSeq    uint64 // the seq of the last project stored
	clientSeq     uint64 // the seq of the last OAuth2 client stored, in any project

	faults  *faults
	now     func() time.Time
	onLog   func(LogEntry)
	checker *contract.Checker // nil when the contract check is off
	handler http.Handler      // the console API
	// projectHandler serves the projects' own APIs, the prefix that
	// addresses a project already stripped from the path.
	projectHandler http.Handler
}

// Option configures New.
type Option func(*options)

type options struct {
	seed     uint64
	now      func() time.Time
	contract bool
	specPath string
	onLog    func(LogEntry)
}

// WithSeed seeds the RNG behind SetErrorRate and SetDropRate.
func WithSeed(seed uint64) Option { return func(o *options) { o.seed = seed } }

// WithClock replaces time.Now for timestamps, expiry checks and the rate
// limiter (latency still uses real time).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithoutContractCheck turns off OpenAPI validation of the traffic, for
// benchmarks or tests that send deliberately invalid traffic in bulk.
func WithoutContractCheck() Option { return func(o *options) { o.contract = false } }

// WithSpecPath validates against the OpenAPI document at path instead of
// the one found in the client-go module.
func WithSpecPath(path string) Option { return func(o *options) { o.specPath = path } }

// WithRequestLogger calls fn after every request completes (used by the
// orysim command for its access log). fn must be safe for concurrent use.
func WithRequestLogger(fn func(LogEntry)) Option { return func(o *options) { o.onLog = fn } }

// New returns an empty simulator: no workspaces, no projects, no faults.
// It fails only when the contract check is on and the OpenAPI document
// cannot be found or loaded.
func New(opts ...Option) (*Server, error) {
	o := options{seed: DefaultSeed, now: time.Now, contract: true}
	for _, opt := range opts {
		opt(&o)
	}
	s := &Server{
		workspaces: map[string]*Workspace{},
		wsKeys:     map[string]*[]*Key{},
		projects:   map[string]*project{},
		slugs:      map[string]string{},
		counts:     map[string]int{},
		faults:     newFaults(o.seed),
		now:        o.now,
		onLog:      o.onLog,

		projectLimits: map[string]int{},
	}
	s.handler = http.HandlerFunc(s.serve)
	s.projectHandler = http.HandlerFunc(s.serveProjectAPI)
	if o.contract {
		var spec *contract.Spec
		var err error
		if o.specPath != "" {
			spec, err = contract.LoadSpec(o.specPath)
		} else {
			spec, err = contract.ClientGoSpec()
		}
		if err != nil {
			return nil, fmt.Errorf("orysim: contract check: %w", err)
		}
		s.checker = contract.NewChecker(spec)
		s.handler = s.checker.Middleware(s.handler)
		s.projectHandler = s.checker.ProjectAPIMiddleware(s.projectHandler)
	}
	return s, nil
}

// ServeHTTP serves the console API and, under ProjectAPIPathPrefix, the
// projects' own APIs, each through the contract check when on.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if pr, ok := projectAPIRequest(r); ok {
		s.projectHandler.ServeHTTP(w, pr)
		return
	}
	s.handler.ServeHTTP(w, r)
}

// Checker returns the contract checker, or nil when the check is off.
func (s *Server) Checker() *contract.Checker { return s.checker }

// Violations returns the contract violations recorded so far (none when
// the check is off).
func (s *Server) Violations() []contract.Violation {
	if s.checker == nil {
		return nil
	}
	return s.checker.Violations()
}

// Requests returns how many requests for op arrived, whatever the answer
// (faults and auth failures included).
func (s *Server) Requests(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[op]
}

// RequestLog returns every request in arrival order, for asserting the
// order in which a client called the API.
func (s *Server) RequestLog() []LogEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]LogEntry, len(s.log))
	for i, e := range s.log {
		out[i] = *e
	}
	return out
}

// ResetRequests forgets the request log and counters, for tests that set
// up through the API and then assert only on what follows.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
	clear(s.counts)
}

// logArrival records a request as it arrives and returns its entry for
// logCompletion to fill in.
func (s *Server) logArrival(op, path string, r *http.Request) *LogEntry {
	e := &LogEntry{Operation: op, Method: r.Method, Path: path, Time: s.now()}
	s.mu.Lock()
	defer s.mu.Unlock()
	if token, ok := bearerToken(r.Header.Get("Authorization")); ok {
		if ws, ok := s.workspaces[token]; ok {
			e.WorkspaceKeyID = ws.KeyID
		} else if k := s.workspaceKeyByValueLocked(token); k != nil {
			e.WorkspaceKeyID = k.ID
		} else if _, k := s.projectKeyByValueLocked(token); k != nil {
			e.ProjectKeyID = k.ID
		}
	}
	s.log = append(s.log, e)
	if op != "" {
		s.counts[op]++
	}
	return e
}

func (s *Server) logCompletion(e *LogEntry, status int, fault string) {
	s.mu.Lock()
	e.Status, e.Fault = status, fault
	done := *e
	s.mu.Unlock()
	if s.onLog != nil {
		s.onLog(done)
	}
}

// Instance is a simulator listening on a TCP port.
type Instance struct {
	// URL is the base URL to give to client-go, e.g. http://127.0.0.1:4711.
	URL string

	srv    *http.Server
	cancel context.CancelFunc
	done   chan struct{}
}

// Start serves s on a free loopback port until the Instance is closed.
func (s *Server) Start() (*Instance, error) { return s.Listen("127.0.0.1:0") }

// Listen serves s on addr (host:port; port 0 picks a free one).
func (s *Server) Listen(addr string) (*Instance, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("orysim: listen on %s: %w", addr, err)
	}
	// Closing the Instance cancels this context, which ends injected
	// latency waits immediately instead of holding Close up.
	ctx, cancel := context.WithCancel(context.Background())
	inst := &Instance{
		URL:    "http://" + ln.Addr().String(),
		cancel: cancel,
		done:   make(chan struct{}),
		srv: &http.Server{
			Handler:           s,
			ReadHeaderTimeout: 10 * time.Second,
			BaseContext:       func(net.Listener) context.Context { return ctx },
		},
	}
	go func() {
		defer close(inst.done)
		_ = inst.srv.Serve(ln) // always returns ErrServerClosed after Close
	}()
	return inst, nil
}

// Close stops listening and closes all connections.
func (i *Instance) Close() error {
	i.cancel()
	err := i.srv.Close()
	<-i.done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// StartTest starts a simulator for a test: it fails t if the simulator
// cannot start, closes it when the test ends and then reports every
// contract violation as a test error. Tests that provoke violations on
// purpose call s.Checker().Reset() after asserting on them.
func StartTest(t testing.TB, opts ...Option) (*Server, string) {
	t.Helper()
	s, err := New(opts...)
	if err != nil {
		t.Fatalf("orysim.New: %v", err)
	}
	inst, err := s.Start()
	if err != nil {
		t.Fatalf("orysim.Start: %v", err)
	}
	t.Cleanup(func() {
		if err := inst.Close(); err != nil {
			t.Errorf("closing orysim: %v", err)
		}
		for _, v := range s.Violations() {
			t.Errorf("Ory API contract violation: %s", v)
		}
	})
	return s, inst.URL
}

// ProjectAPIOperations lists the operationIds the simulator serves on a
// project's own API, sorted.
func ProjectAPIOperations() []string {
	ops := []string{OpCreateOAuth2Client, OpGetOAuth2Client, OpListOAuth2Clients, OpSetOAuth2Client,
		OpPatchOAuth2Client, OpDeleteOAuth2Client, OpRotateOAuth2ClientSecret, OpDeleteRotatedOAuth2ClientSecrets}
	slices.Sort(ops)
	return ops
}

// Operations lists the operationIds the simulator serves on the console
// API, sorted (ProjectAPIOperations lists the others).
func Operations() []string {
	ops := []string{OpCreateProjectAPIKey, OpListProjectAPIKeys, OpDeleteProjectAPIKey, OpGetProject,
		OpCreateProject, OpListProjects, OpPatchProjectWithRevision, OpPurgeProject,
		OpCreateWorkspaceAPIKey, OpListWorkspaceAPIKeys, OpDeleteWorkspaceAPIKey}
	slices.Sort(ops)
	return ops
}
