package orysim

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ProjectAPIPathPrefix starts the path of every request to a project's own
// API: the simulator serves the API of the project with slug <slug> at
// <simulator URL>/projects-api/<slug>, where Ory Network serves it at
// https://<slug>.projects.oryapis.com.
//
// A path rather than a host name, because a host name per project needs DNS
// (or a Host header a client must be told to send), while a path prefix
// works on loopback with nothing but the URL: client-go appends the
// operation's path (/admin/clients) to whatever server URL it is given, so
// the real client-go, and any HTTP client a workload uses, reach the
// simulator with only the server URL changed. The prefix is stripped before
// the contract check, which therefore sees the spec's own paths.
const ProjectAPIPathPrefix = "/projects-api/"

// ProjectAPIURL returns the URL at which the simulator at baseURL (an
// Instance's URL) serves the own API of the project with slug slug, the
// simulator's counterpart of https://<slug>.projects.oryapis.com: what a
// ProviderConfig's projectAPIURLs names for the project, what client-go's
// server URL is set to.
func ProjectAPIURL(baseURL, slug string) string {
	return strings.TrimRight(baseURL, "/") + ProjectAPIPathPrefix + url.PathEscape(slug)
}

// ProjectAPIURL is ProjectAPIURL of i's URL.
func (i *Instance) ProjectAPIURL(slug string) string { return ProjectAPIURL(i.URL, slug) }

// projectAPICall is what ServeHTTP learnt from the path of a request to a
// project's own API, kept in the request's context for serveProjectAPI.
type projectAPICall struct {
	slug string
	// path is the path as the client sent it, prefix included.
	path string
}

type projectAPICallKey struct{}

// projectAPIRequest returns, for a request under ProjectAPIPathPrefix, a
// shallow copy of it whose path is the part after the slug (what the spec
// names, /admin/clients...), with the slug and the original path in its
// context. ok is false for every other request.
func projectAPIRequest(r *http.Request) (*http.Request, bool) {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), ProjectAPIPathPrefix)
	if !ok {
		return nil, false
	}
	escSlug, tail, _ := strings.Cut(rest, "/")
	slug, err := url.PathUnescape(escSlug)
	if err != nil {
		slug = ""
	}
	u := *r.URL
	u.RawPath = "/" + tail
	if u.Path, err = url.PathUnescape(u.RawPath); err != nil {
		u.Path = "/"
	}
	if u.Path == u.RawPath {
		u.RawPath = ""
	}
	call := projectAPICall{slug: slug, path: r.URL.Path}
	pr := r.WithContext(context.WithValue(r.Context(), projectAPICallKey{}, call))
	pr.URL = &u
	return pr, true
}

// clientRoute is a parsed path of a project's own API.
type clientRoute struct {
	op       string
	clientID string // {id}, unescaped
	allow    string // methods the path supports, for 405 answers
}

// parseClientRoute maps method and path (the prefix stripped) to an OAuth2
// client operation, as parseRoute does for the console.
func parseClientRoute(method string, u *url.URL) clientRoute {
	raw := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
	seg := make([]string, len(raw))
	for i, r := range raw {
		s, err := url.PathUnescape(r)
		if err != nil || s == "" {
			return clientRoute{}
		}
		seg[i] = s
	}
	if len(seg) < 2 || seg[0] != "admin" || seg[1] != "clients" {
		return clientRoute{}
	}
	var rt clientRoute
	switch {
	case len(seg) == 2:
		rt.allow = "GET, POST"
		rt.op = map[string]string{http.MethodGet: OpListOAuth2Clients, http.MethodPost: OpCreateOAuth2Client}[method]
	case len(seg) == 3:
		rt.allow, rt.clientID = "GET, PUT, PATCH, DELETE", seg[2]
		rt.op = map[string]string{
			http.MethodGet: OpGetOAuth2Client, http.MethodPut: OpSetOAuth2Client,
			http.MethodPatch: OpPatchOAuth2Client, http.MethodDelete: OpDeleteOAuth2Client,
		}[method]
	case len(seg) == 5 && seg[3] == "secrets" && seg[4] == "rotate":
		rt.allow, rt.clientID = "POST, DELETE", seg[2]
		rt.op = map[string]string{http.MethodPost: OpRotateOAuth2ClientSecret, http.MethodDelete: OpDeleteRotatedOAuth2ClientSecrets}[method]
	default:
		return clientRoute{}
	}
	return rt
}

// serveProjectAPI is a project's own API, below the contract middleware:
// the OAuth2 client operations of the project whose slug the path names,
// under the oryAccessToken scheme (see authenticateProject).
func (s *Server) serveProjectAPI(w http.ResponseWriter, r *http.Request) {
	call, _ := r.Context().Value(projectAPICallKey{}).(projectAPICall)
	rt := parseClientRoute(r.Method, r.URL)
	x := exchange{op: rt.op, allow: rt.allow, parent: call.slug, path: call.path, projectAPI: true,
		notFound: "No operation of a project's API is served at this path by the Ory simulator."}
	s.serveOp(w, r, x, func(w http.ResponseWriter) {
		projectID, apiErr := s.authenticateProject(r, call.slug)
		if apiErr != nil {
			writeProjectAPIError(w, rt.op, apiErr.status, apiErr.reason)
			return
		}
		c := clientCall{s: s, w: w, r: r, op: rt.op, projectID: projectID, clientID: rt.clientID, path: call.path}
		switch rt.op {
		case OpCreateOAuth2Client:
			c.create()
		case OpGetOAuth2Client:
			c.get()
		case OpListOAuth2Clients:
			c.list()
		case OpSetOAuth2Client:
			c.set()
		case OpPatchOAuth2Client:
			c.patch()
		case OpDeleteOAuth2Client:
			c.delete()
		case OpRotateOAuth2ClientSecret:
			c.rotate()
		case OpDeleteRotatedOAuth2ClientSecrets:
			c.deleteRotated()
		}
	})
}

var (
	// errNoProjectAPI answers a slug no running project has.
	// Assumption: Ory Network has no DNS name for an unknown slug; the
	// simulator, which answers on one host, says 404. A project deleted in
	// the console (soft) is answered the same way: its API is gone.
	errNoProjectAPI = &apiError{http.StatusNotFound, "No Ory Network project with this slug serves an API here."}
	// errUnknownProjectKey answers a bearer that is no API key of any
	// project or workspace, or a project key that was deleted or expired.
	errUnknownProjectKey = &apiError{http.StatusUnauthorized, "The API key is unknown, expired or was revoked."}
	// errKeyOfOtherProject answers a project API key of another project,
	// and a workspace API key: neither may use this project's API.
	errKeyOfOtherProject = &apiError{http.StatusForbidden, "The API key does not belong to this project: use a project API key (ory_pat_) of this project."}
)

// authenticateProject resolves {slug} to a running project and checks that
// the bearer token is a project API key of that project, not expired
// (401 without a token, for an unknown, deleted or expired key; 403 for a
// key of another project or a workspace key), and returns the project's ID.
//
// Assumptions: the project is resolved first, so an unknown slug is 404
// whatever the key; a workspace key known to the simulator is 403, since
// Ory documents the project API's scheme (oryAccessToken) as taking
// project API keys, and refuses a key of another kind with 403 on the
// console too.
func (s *Server) authenticateProject(r *http.Request, slug string) (string, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.slugs[slug]
	p := s.projects[id]
	if !ok || p == nil || p.State == ProjectDeleted {
		return "", errNoProjectAPI
	}
	token, ok := bearerToken(r.Header.Get("Authorization"))
	if !ok {
		return "", &apiError{http.StatusUnauthorized, "The request does not carry a bearer token."}
	}
	if owner, k := s.projectKeyByValueLocked(token); k != nil {
		switch {
		case k.ExpiresAt != nil && !s.now().Before(*k.ExpiresAt):
			return "", errUnknownProjectKey
		case owner != p:
			return "", errKeyOfOtherProject
		}
		return p.ID, nil
	}
	if ws, ok := s.workspaces[token]; (ok && !ws.Revoked) || s.workspaceKeyByValueLocked(token) != nil {
		return "", errKeyOfOtherProject
	}
	return "", errUnknownProjectKey
}

// projectKeyByValueLocked finds a stored project API key by its value, and
// the project holding it.
func (s *Server) projectKeyByValueLocked(value string) (*project, *Key) {
	if !strings.HasPrefix(value, ProjectKeyPrefix) {
		return nil, nil
	}
	for _, p := range s.projects {
		for _, k := range p.keys {
			if k.Value == value {
				return p, k
			}
		}
	}
	return nil, nil
}

// oauth2ErrorBody is the spec's errorOAuth2 schema, the error answer of
// the OAuth2 client operations.
type oauth2ErrorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	StatusCode       int    `json:"status_code"`
}

// writeProjectAPIError answers status for op of a project's API, in the
// shape the spec declares for op: genericError for deleteOAuth2Client
// (the herodot envelope with a top-level copy, see genericErrorBody),
// errorOAuth2 for the others, whose error is the status in snake case
// (not_found) and error_description the reason.
//
// Assumption: the spec declares the shapes, not their content; these are
// Ory Hydra's words as far as its OAuth2 errors show them.
func writeProjectAPIError(w http.ResponseWriter, op string, status int, reason string) {
	if op == OpDeleteOAuth2Client {
		writeGenericError(w, status, reason)
		return
	}
	code := strings.ToLower(strings.ReplaceAll(http.StatusText(status), " ", "_"))
	if status == http.StatusBadRequest {
		code = "invalid_request"
	}
	b, _ := json.Marshal(oauth2ErrorBody{Error: code, ErrorDescription: reason, StatusCode: status}) // cannot fail
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// nowSeconds is the simulator clock, UTC, at second precision like every time Ory
// reports.
func (s *Server) nowSeconds() time.Time { return s.now().UTC().Truncate(time.Second) }

// newClientID is the ID of a client made without one: a UUID, as Ory Hydra
// v2 generates them.
func newClientID() string { return uuid.NewString() }
