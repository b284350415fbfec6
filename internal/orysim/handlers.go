package orysim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxRequestBody bounds what the simulator reads from a request body; the
// create body is a name and a date.
const maxRequestBody = 64 << 10

// route is a parsed request path.
type route struct {
	op string
	// parent is the holder the path names, unescaped: {project} or
	// {project_id} under /projects, {workspace} under /workspaces.
	parent  string
	tokenID string // {token_id}, unescaped
	// revision is {revision_id} of patchProjectWithRevision, unescaped.
	revision string
	allow    string // methods the path supports, for 405 answers
	// holder resolves parent for the key operations, with s.mu held.
	holder holderFor
}

// keyOps are the key operations of both holders of keys, by the
// collection whose members hold them.
var keyOps = map[string]struct {
	list, create, del string
	holder            holderFor
}{
	"projects":   {OpListProjectAPIKeys, OpCreateProjectAPIKey, OpDeleteProjectAPIKey, (*Server).projectHolderForLocked},
	"workspaces": {OpListWorkspaceAPIKeys, OpCreateWorkspaceAPIKey, OpDeleteWorkspaceAPIKey, (*Server).workspaceHolderForLocked},
}

// parseRoute maps method and path to an operation. It returns a route with
// an empty op and a non-empty allow when only the method is wrong, and the
// zero route for paths the simulator does not know.
func parseRoute(method string, u *url.URL) route {
	raw := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
	seg := make([]string, len(raw))
	for i, r := range raw {
		s, err := url.PathUnescape(r)
		if err != nil || s == "" {
			return route{}
		}
		seg[i] = s
	}
	if len(seg) == 1 && seg[0] == "projects" {
		rt := route{allow: "GET, POST"}
		switch method {
		case http.MethodGet:
			rt.op = OpListProjects
		case http.MethodPost:
			rt.op = OpCreateProject
		}
		return rt
	}
	if len(seg) < 2 {
		return route{}
	}
	ops, ok := keyOps[seg[0]]
	if !ok {
		return route{}
	}
	rt := route{parent: seg[1], holder: ops.holder}
	switch {
	case len(seg) == 2 && seg[0] == "projects":
		// The deprecated patchProject (PATCH) is not served.
		rt.allow = "GET, DELETE"
		switch method {
		case http.MethodGet:
			rt.op = OpGetProject
		case http.MethodDelete:
			rt.op = OpPurgeProject
		}
	case len(seg) == 4 && seg[0] == "projects" && seg[2] == "revision":
		rt.allow = http.MethodPatch
		rt.revision = seg[3]
		if method == http.MethodPatch {
			rt.op = OpPatchProjectWithRevision
		}
	case len(seg) == 3 && seg[2] == "tokens":
		rt.allow = "GET, POST"
		switch method {
		case http.MethodGet:
			rt.op = ops.list
		case http.MethodPost:
			rt.op = ops.create
		}
	case len(seg) == 4 && seg[2] == "tokens":
		rt.allow = http.MethodDelete
		rt.tokenID = seg[3]
		if method == http.MethodDelete {
			rt.op = ops.del
		}
	default:
		return route{}
	}
	return rt
}

// serve is the console API, below the contract middleware.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rt := parseRoute(r.Method, r.URL)
	x := exchange{op: rt.op, allow: rt.allow, parent: rt.parent, path: r.URL.Path,
		notFound: "No console API operation is served at this path."}
	s.serveOp(w, r, x, func(w http.ResponseWriter) {
		ws, apiErr := s.authenticate(r)
		if apiErr != nil {
			apiErr.writeFor(w, rt.op)
			return
		}
		switch rt.op {
		case OpCreateProjectAPIKey, OpCreateWorkspaceAPIKey:
			s.createKey(w, r, ws, rt)
		case OpListProjectAPIKeys, OpListWorkspaceAPIKeys:
			s.listKeys(w, ws, rt)
		case OpDeleteProjectAPIKey, OpDeleteWorkspaceAPIKey:
			s.deleteKey(w, ws, rt)
		case OpGetProject:
			s.getProject(w, ws, rt.parent)
		case OpCreateProject:
			s.createProject(w, r, ws)
		case OpListProjects:
			s.listProjects(w, ws)
		case OpPatchProjectWithRevision:
			s.patchProject(w, r, ws, rt)
		case OpPurgeProject:
			s.purgeProject(w, ws, rt.parent)
		}
	})
}

// An exchange is one request as serveOp handles it: which operation, and
// what to answer when there is none.
type exchange struct {
	op string
	// allow lists the methods of a path the simulator knows, for the 405
	// of a request with another method.
	allow string
	// parent is the project or workspace the path names (a project API's
	// slug), for CutAnswers.
	parent string
	// path is the request's path as the client sent it, for the log.
	path string
	// notFound is the reason of the 404 for a path the simulator does not
	// know.
	notFound string
	// projectAPI says the request is for a project's own API, whose errors
	// have another shape (see writeProjectAPIError).
	projectAPI bool
}

// writeError answers status as x's API shapes its errors.
func (x exchange) writeError(w http.ResponseWriter, status int, reason string) {
	if x.projectAPI {
		writeProjectAPIError(w, x.op, status, reason)
		return
	}
	writeErrorFor(w, x.op, status, reason)
}

// serveOp is what every request goes through, on both APIs: it is logged
// and counted, refused when no operation matches, meets the faults
// injected for its operation (latency, drop, rate limit, FailNext, error
// rate), and then is served by handle, whose answer CutAnswers may cut.
func (s *Server) serveOp(w http.ResponseWriter, r *http.Request, x exchange, handle func(http.ResponseWriter)) {
	entry := s.logArrival(x.op, x.path, r)
	sw := &statusWriter{ResponseWriter: w}
	fault, logged := "", false
	// Completing the entry before the handler returns means it is complete
	// before the client has the whole response (net/http sends the end of
	// it only after the handler returns), so tests can read the log as
	// soon as a call returns.
	defer func() {
		if !logged {
			s.logCompletion(entry, sw.status, fault)
		}
	}()

	if x.op == "" {
		if x.allow != "" {
			w.Header().Set("Allow", x.allow)
			x.writeError(sw, http.StatusMethodNotAllowed, "The method is not allowed for the requested URL.")
			return
		}
		x.writeError(sw, http.StatusNotFound, x.notFound)
		return
	}

	d := s.faults.decide(x.op, s.now())
	for name, values := range d.rateHeaders {
		w.Header()[name] = values
	}
	if !sleep(r.Context(), d.latency) {
		return // the client gave up or the simulator is closing
	}
	if d.drop {
		fault = FaultDrop
		conn, _, err := http.NewResponseController(sw).Hijack()
		if err != nil {
			// HTTP/2 connections cannot be taken over; 502 is the closest
			// a handler can get to a cut connection.
			x.writeError(sw, http.StatusBadGateway, "The connection could not be dropped: "+err.Error())
			return
		}
		// The client notices the closed connection at once, so complete
		// the entry first.
		s.logCompletion(entry, 0, FaultDrop)
		logged = true
		_ = conn.Close()
		return
	}
	if d.status != 0 {
		fault = d.fault
		reason := "Injected by the Ory simulator (" + d.fault + ")."
		if d.fault == FaultRateLimit {
			reason = "Rate limit exceeded; retry after x-ratelimit-reset seconds."
		}
		x.writeError(sw, d.status, reason)
		return
	}

	if at := s.faults.takeCut(x.op, x.parent); at != "" {
		// Serve into a cutWriter, then break the answer. The entry is
		// complete before the client can notice the cut.
		cw := &cutWriter{ResponseWriter: w, at: at}
		sw.ResponseWriter, fault = cw, string(at)
		defer func() {
			s.logCompletion(entry, sw.status, fault)
			logged = true
			cw.cut()
		}()
	}
	handle(sw)
}

// authenticate resolves the bearer token to a workspace.
//
// Assumption: any bearer that looks like a project API key is refused with
// 403 (whether or not such a key exists), because the console only accepts
// workspace API keys and Ory answers project keys with 403.
func (s *Server) authenticate(r *http.Request) (*Workspace, *apiError) {
	token, ok := bearerToken(r.Header.Get("Authorization"))
	if !ok {
		return nil, &apiError{http.StatusUnauthorized, "The request does not carry a bearer token."}
	}
	if strings.HasPrefix(token, ProjectKeyPrefix) {
		return nil, &apiError{http.StatusForbidden, "Project API keys cannot use the console API; use a workspace API key."}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ws, ok := s.workspaces[token]; ok {
		if ws.Revoked {
			return nil, errUnknownWorkspaceKey
		}
		c := *ws
		return &c, nil
	}
	// A workspace API key created through the API acts as the identity
	// that created it. Assumption: an expired key is refused like a
	// deleted one.
	k := s.workspaceKeyByValueLocked(token)
	if k == nil || (k.ExpiresAt != nil && !s.now().Before(*k.ExpiresAt)) {
		return nil, errUnknownWorkspaceKey
	}
	return &Workspace{ID: k.WorkspaceID, Key: token, KeyID: k.ID, OwnerID: k.OwnerID}, nil
}

var errUnknownWorkspaceKey = &apiError{http.StatusUnauthorized, "The workspace API key is unknown or was revoked."}

// errNoProjectAccess is the answer for a project the caller cannot reach:
// one of another workspace, an unknown one, or (for its keys) a deleted one.
var errNoProjectAccess = &apiError{http.StatusForbidden, "The workspace API key has no access to this project, or the project does not exist."}

// projectForLocked resolves {project} for a key operation and checks that
// ws owns it and that it is not deleted; every failure is 403.
//
// Source: a live check reported by Ory's Terraform provider (PR 325): the
// console answers 403, not 404, for a project that does not exist, and the
// keys of a deleted project can no longer be listed or created. Assumption:
// deleting a key of a deleted project is refused the same way.
func (s *Server) projectForLocked(ws *Workspace, ref string) (*project, *apiError) {
	p := s.lookupProjectLocked(ref)
	if p == nil || p.WorkspaceID != ws.ID || p.State == ProjectDeleted {
		return nil, errNoProjectAccess
	}
	return p, nil
}

// projectHolderForLocked resolves {project} for a key operation, as
// projectForLocked.
func (s *Server) projectHolderForLocked(ws *Workspace, ref string) (keyHolder, *apiError) {
	p, apiErr := s.projectForLocked(ws, ref)
	if apiErr != nil {
		return keyHolder{}, apiErr
	}
	return projectHolder(p), nil
}

// createKeyBody is the createProjectApiKeyBody schema, and the
// CreateWorkspaceApiKeyBody schema, which is the same. expires_at is read
// as a string so that its format errors become 400s with a reason.
type createKeyBody struct {
	Name      *string `json:"name"`
	ExpiresAt *string `json:"expires_at"`
}

// createKey serves a key create of either holder. Access is checked
// before the body, so an unknown, foreign or deleted holder is 403 whatever
// the body says. Should a project be deleted or purged before the key is
// stored below, the key lands in a project nobody can reach, as it would in
// Ory.
func (s *Server) createKey(w http.ResponseWriter, r *http.Request, ws *Workspace, rt route) {
	s.mu.Lock()
	h, apiErr := rt.holder(s, ws, rt.parent)
	s.mu.Unlock()
	if apiErr != nil {
		apiErr.write(w)
		return
	}

	name, expiresAt, apiErr := s.readCreateBody(w, r)
	if apiErr != nil {
		apiErr.write(w)
		return
	}

	s.mu.Lock()
	k := s.addKeyLocked(h, ws.OwnerID, name, expiresAt).clone()
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, keyToJSON(k, true))
}

// readCreateBody reads the body of a key create (createProjectApiKeyBody
// and CreateWorkspaceApiKeyBody are alike): the name, and when to expire,
// or the 400 that refuses it.
func (s *Server) readCreateBody(w http.ResponseWriter, r *http.Request) (string, *time.Time, *apiError) {
	var body createKeyBody
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err := dec.Decode(&body); err != nil {
		return "", nil, &apiError{http.StatusBadRequest, "The request body is not a valid key create body: " + err.Error()}
	}
	// Assumption: a name of only spaces is as useless as an empty one.
	if body.Name == nil || strings.TrimSpace(*body.Name) == "" {
		return "", nil, &apiError{http.StatusBadRequest, "name is required and must not be empty."}
	}
	if body.ExpiresAt == nil {
		return *body.Name, nil, nil
	}
	t, err := time.Parse(time.RFC3339, *body.ExpiresAt)
	if err != nil {
		return "", nil, &apiError{http.StatusBadRequest, "expires_at is not an RFC 3339 date-time."}
	}
	// Assumption: Ory refuses keys that would be born expired. The stored
	// value is truncated to seconds like every Ory timestamp.
	t = t.UTC().Truncate(time.Second)
	if !t.After(s.now().UTC().Truncate(time.Second)) {
		return "", nil, &apiError{http.StatusBadRequest, "expires_at must be in the future."}
	}
	return *body.Name, &t, nil
}

// listKeys serves the key list of either holder: a plain array, without
// values.
func (s *Server) listKeys(w http.ResponseWriter, ws *Workspace, rt route) {
	s.mu.Lock()
	h, apiErr := rt.holder(s, ws, rt.parent)
	// An empty list must encode as [], never null: client-go decodes into
	// a slice either way, but the spec's projectApiKeys and
	// workspaceApiKeys are arrays.
	out := []keyJSON{}
	if apiErr == nil {
		for _, k := range *h.keys {
			out = append(out, keyToJSON(*k, false))
		}
	}
	s.mu.Unlock()
	if apiErr != nil {
		apiErr.write(w)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// deleteKey serves the key delete of either holder; an unknown key is 404.
// A deleted workspace key answers 401 from then on, even when it is the key
// of this very request (a credential rotated by the one it replaces).
func (s *Server) deleteKey(w http.ResponseWriter, ws *Workspace, rt route) {
	s.mu.Lock()
	h, apiErr := rt.holder(s, ws, rt.parent)
	if apiErr == nil && !s.removeKeyLocked(h, rt.tokenID) {
		apiErr = &apiError{http.StatusNotFound, "Unable to locate the API key."}
	}
	s.mu.Unlock()
	if apiErr != nil {
		apiErr.write(w)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// getProject serves GET /projects/{project_id}. A deleted project is still
// answered, with state "deleted"; an unknown project is 403, like one of
// another workspace (source: the live check of Ory's Terraform provider,
// PR 325).
//
// Assumption: unlike the tokens endpoints, whose parameter the spec
// documents as "Project ID or Project slug", getProject's is "Project ID"
// only, so a slug is an unknown project. Being strict here keeps the
// provider from relying on a lookup the live API may not offer.
func (s *Server) getProject(w http.ResponseWriter, ws *Workspace, id string) {
	s.mu.Lock()
	p := s.projectByIDLocked(ws, id)
	var out projectJSON
	if p != nil {
		out = projectToJSON(p.Project)
	}
	s.mu.Unlock()
	if p == nil {
		errNoProjectAccess.write(w)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// projectByIDLocked resolves {project_id} of the operations on a project
// itself (getProject, patchProjectWithRevision, purgeProject): a project of
// ws's workspace, deleted or not, by its ID (the spec documents "Project
// ID" only, unlike the tokens endpoints' "Project ID or Project slug"), or
// nil for one unknown or of another workspace, which Ory answers alike.
func (s *Server) projectByIDLocked(ws *Workspace, id string) *project {
	p, ok := s.projects[strings.ToLower(id)]
	if !ok || p.WorkspaceID != ws.ID {
		return nil
	}
	return p
}

// keyJSON is the projectApiKey and workspaceApiKey schemas as Ory fills
// them.
type keyJSON struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	OwnerID string `json:"owner_id"`
	// ProjectID is set for a project API key, WorkspaceID for a workspace
	// API key (the workspaceApiKey schema).
	ProjectID   string    `json:"project_id,omitempty"`
	WorkspaceID string    `json:"workspace_id,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// ExpiresAt is sent as null for keys that do not expire (the schema
	// marks it nullable), which exercises client-go's NullableTime.
	ExpiresAt *time.Time `json:"expires_at"`
	// LastCharacters is sent even when empty: the spec documents "empty",
	// not "absent", for keys created before the field existed.
	LastCharacters string  `json:"last_characters"`
	Value          *string `json:"value,omitempty"`
}

func keyToJSON(k Key, withValue bool) keyJSON {
	out := keyJSON{
		ID:             k.ID,
		Name:           k.Name,
		OwnerID:        k.OwnerID,
		ProjectID:      k.ProjectID,
		WorkspaceID:    k.WorkspaceID,
		CreatedAt:      k.CreatedAt,
		UpdatedAt:      k.UpdatedAt,
		ExpiresAt:      k.ExpiresAt,
		LastCharacters: k.LastCharacters,
	}
	if withValue {
		v := k.Value
		out.Value = &v
	}
	return out
}

// projectJSON carries the project schema's required properties plus the
// ones a console answer always has. Service configs are empty objects: the
// provider does not read them and the schema only requires an object.
type projectJSON struct {
	ID            string                    `json:"id"`
	Name          string                    `json:"name"`
	Slug          string                    `json:"slug"`
	State         string                    `json:"state"`
	Environment   string                    `json:"environment"`
	HomeRegion    string                    `json:"home_region"`
	RevisionID    string                    `json:"revision_id"`
	WorkspaceID   string                    `json:"workspace_id"`
	Organizations []any                     `json:"organizations"`
	Services      map[string]map[string]any `json:"services"`
	CorsAdmin     corsJSON                  `json:"cors_admin"`
	CorsPublic    corsJSON                  `json:"cors_public"`
}

type corsJSON struct {
	Enabled bool     `json:"enabled"`
	Origins []string `json:"origins"`
}

func projectToJSON(p Project) projectJSON {
	cfg := func() map[string]any { return map[string]any{"config": map[string]any{}} }
	return projectJSON{
		ID:            p.ID,
		Name:          p.Name,
		Slug:          p.Slug,
		State:         p.State,
		Environment:   p.Environment,
		HomeRegion:    p.HomeRegion,
		RevisionID:    p.RevisionID,
		WorkspaceID:   p.WorkspaceID,
		Organizations: []any{},
		Services: map[string]map[string]any{
			"identity": cfg(), "oauth2": cfg(), "permission": cfg(),
		},
		CorsAdmin:  corsJSON{Origins: []string{}},
		CorsPublic: corsJSON{Origins: []string{}},
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Encoding the response failed: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// bearerToken extracts the token of an "Authorization: Bearer <token>"
// header; the scheme is case-insensitive as RFC 6750 allows.
func bearerToken(h string) (string, bool) {
	scheme, token, ok := strings.Cut(h, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

// statusWriter remembers the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Hijack below.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
