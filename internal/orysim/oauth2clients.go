package orysim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	jsonpatch "github.com/evanphx/json-patch/v5"
)

// MaxRotatedSecrets is how many rotated secrets an OAuth2 client keeps: a
// rotation beyond it forgets the oldest. Source: the spec's
// rotateOAuth2ClientSecret ("Up to five rotated secrets are retained").
const MaxRotatedSecrets = 5

// MinClientSecretLen is the shortest client_secret a caller may choose.
// Source: the spec's rotateOAuth2ClientSecretBody ("Must be at least 6
// bytes"); the simulator applies it to create, set and patch as well.
const MinClientSecretLen = 6

// clientSecretChars is the length of a generated client secret.
// Assumption: Ory does not document it; 32 alphanumerics are as strong as
// any.
const clientSecretChars = 32

// Token endpoint authentication methods, from the spec's
// token_endpoint_auth_method.
const (
	AuthClientSecretBasic = "client_secret_basic"
	AuthClientSecretPost  = "client_secret_post"
	AuthPrivateKeyJWT     = "private_key_jwt"
	// AuthNone is a public client: it has no secret.
	AuthNone = "none"
)

// DefaultClientScope is the scope of a client made without one.
// Assumption: Ory Hydra's default for oidc.dynamic_client_registration
// .default_scope; the spec does not say.
const DefaultClientScope = "offline_access offline openid"

// OAuth2Client is an OAuth 2.0 client of a project's own API as the
// simulator stores it, secrets included.
type OAuth2Client struct {
	// ID is the client_id: chosen by the creator or a generated UUID.
	ID string
	// ProjectID is the UUID of the project whose API holds the client.
	ProjectID string
	// Secret is the current client secret, "" for a public client
	// (token_endpoint_auth_method none). The API returns it only in the
	// answers that set it: create, rotate, and a set or patch that names
	// one.
	Secret string
	// RotatedSecrets are the secrets rotated away, newest first, at most
	// MaxRotatedSecrets; they keep working (SecretWorks) until
	// deleteRotatedOAuth2ClientSecrets, or a set or patch of the secret,
	// drops them.
	RotatedSecrets []string
	// Doc is the client as getOAuth2Client answers it: every property of
	// the spec's oAuth2Client but client_secret, decoded from JSON
	// (strings, bools, []any, map[string]any, json.Number, nil).
	Doc map[string]any
	// CreatedAt and UpdatedAt are UTC with second precision.
	CreatedAt, UpdatedAt time.Time
}

// oauth2Client is the stored form: fields holds what the client's owner
// sets (Doc without the properties the server manages), seq the creation
// order the list pages by.
type oauth2Client struct {
	id                   string
	secret               string
	rotated              []string
	fields               map[string]any
	createdAt, updatedAt time.Time
	seq                  uint64
}

// The properties of the spec's oAuth2Client that a caller sets, by kind.
// Properties not listed here are dropped from a request, as Ory Hydra's
// decoder ignores them; the server-managed ones (client_id,
// client_secret, client_secret_expires_at, created_at, updated_at,
// registration_*) are set by the simulator.
var (
	clientStringFields = []string{
		"access_token_strategy", "backchannel_logout_uri", "client_name", "client_uri",
		"frontchannel_logout_uri", "jwks_uri", "logo_uri", "owner", "policy_uri",
		"request_object_signing_alg", "scope", "sector_identifier_uri", "subject_type",
		"token_endpoint_auth_method", "token_endpoint_auth_signing_alg", "tos_uri",
		"userinfo_signed_response_alg",
	}
	clientListFields = []string{
		"allowed_cors_origins", "audience", "contacts", "grant_types",
		"post_logout_redirect_uris", "redirect_uris", "request_uris", "response_types",
	}
	clientBoolFields = []string{
		"backchannel_logout_session_required", "frontchannel_logout_session_required",
		"skip_consent", "skip_logout_consent",
	}
	// clientLifespanFields are nullable durations in Go's notation (1h30m).
	clientLifespanFields = []string{
		"authorization_code_grant_access_token_lifespan", "authorization_code_grant_id_token_lifespan",
		"authorization_code_grant_refresh_token_lifespan", "client_credentials_grant_access_token_lifespan",
		"device_authorization_grant_access_token_lifespan", "device_authorization_grant_id_token_lifespan",
		"device_authorization_grant_refresh_token_lifespan", "implicit_grant_access_token_lifespan",
		"implicit_grant_id_token_lifespan", "jwt_bearer_grant_access_token_lifespan",
		"refresh_token_grant_access_token_lifespan", "refresh_token_grant_id_token_lifespan",
		"refresh_token_grant_refresh_token_lifespan",
	}
	clientObjectFields = []string{"metadata", "jwks"}

	// lifespanPattern is the spec's pattern of the lifespans.
	lifespanPattern = regexp.MustCompile(`^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$`)
)

// clientDefaults are the values a client made without them has.
// Assumption: Ory Hydra's, as far as its answers show them: the
// authentication method is the spec's default, the subject type public,
// the scope DefaultClientScope, lists empty, metadata an empty object.
func clientDefaults() map[string]any {
	d := map[string]any{
		"token_endpoint_auth_method": AuthClientSecretBasic,
		"subject_type":               "public",
		"scope":                      DefaultClientScope,
		"metadata":                   map[string]any{},
	}
	for _, f := range clientStringFields {
		if _, ok := d[f]; !ok {
			d[f] = ""
		}
	}
	for _, f := range clientListFields {
		d[f] = []any{}
	}
	for _, f := range clientBoolFields {
		d[f] = false
	}
	for _, f := range clientLifespanFields {
		d[f] = nil
	}
	return d
}

// clientInput is a request's client, checked: the fields it sets over the
// defaults, and the secret it names ("" for none).
type clientInput struct {
	fields map[string]any
	secret string
}

// readClientInput checks a client as a create, set or (after the patch) a
// patch sends it, the way Ory refuses bad metadata: 400 for a property of
// the wrong type, an unknown token_endpoint_auth_method, access token
// strategy or subject type, a lifespan not in Go's duration notation, a
// redirect URI that is not an absolute URL without fragment, a secret
// shorter than MinClientSecretLen, a secret for a public client,
// private_key_jwt without jwks or jwks_uri, and both of those at once.
//
// Assumption: these are Ory Hydra's rules as its validator documents them
// in its error messages; the words are the simulator's.
func readClientInput(body map[string]any) (clientInput, *apiError) {
	in := clientInput{fields: clientDefaults()}
	bad := func(format string, args ...any) (clientInput, *apiError) {
		return clientInput{}, &apiError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
	}
	for _, f := range clientStringFields {
		if v, ok := body[f]; ok && v != nil {
			s, isString := v.(string)
			if !isString {
				return bad("%s must be a string.", f)
			}
			if s != "" || f != "token_endpoint_auth_method" && f != "subject_type" && f != "scope" {
				in.fields[f] = s
			}
		}
	}
	for _, f := range clientListFields {
		if v, ok := body[f]; ok && v != nil {
			list, isList := v.([]any)
			if !isList || slices.ContainsFunc(list, func(e any) bool { _, ok := e.(string); return !ok }) {
				return bad("%s must be an array of strings.", f)
			}
			in.fields[f] = list
		}
	}
	for _, f := range clientBoolFields {
		if v, ok := body[f]; ok && v != nil {
			if _, isBool := v.(bool); !isBool {
				return bad("%s must be a boolean.", f)
			}
			in.fields[f] = v
		}
	}
	for _, f := range clientLifespanFields {
		if v, ok := body[f]; ok && v != nil {
			s, isString := v.(string)
			if !isString || !lifespanPattern.MatchString(s) {
				return bad("%s must be a duration such as 1h or 30m0s.", f)
			}
			in.fields[f] = s
		}
	}
	for _, f := range clientObjectFields {
		if v, ok := body[f]; ok && v != nil {
			if _, isObject := v.(map[string]any); !isObject {
				return bad("%s must be an object.", f)
			}
			in.fields[f] = v
		}
	}
	if v, ok := body["client_secret"]; ok && v != nil {
		s, isString := v.(string)
		if !isString {
			return bad("client_secret must be a string.")
		}
		in.secret = s
	}

	method := in.fields["token_endpoint_auth_method"].(string)
	switch method {
	case AuthClientSecretBasic, AuthClientSecretPost, AuthPrivateKeyJWT, AuthNone:
	default:
		return bad("token_endpoint_auth_method must be one of %s, %s, %s, %s.", AuthClientSecretBasic, AuthClientSecretPost, AuthPrivateKeyJWT, AuthNone)
	}
	if s := in.fields["access_token_strategy"].(string); s != "" && s != "jwt" && s != "opaque" {
		return bad("access_token_strategy must be jwt or opaque.")
	}
	if s := in.fields["subject_type"].(string); s != "public" && s != "pairwise" {
		return bad("subject_type must be public or pairwise.")
	}
	for _, u := range in.fields["redirect_uris"].([]any) {
		p, err := url.Parse(u.(string))
		if err != nil || !p.IsAbs() || p.Fragment != "" {
			return bad("Each redirect_uris entry must be an absolute URL without a fragment.")
		}
	}
	_, hasJWKS := body["jwks"].(map[string]any)
	hasJWKSURI := in.fields["jwks_uri"] != ""
	switch {
	case hasJWKS && hasJWKSURI:
		return bad("jwks and jwks_uri cannot both be set.")
	case method == AuthPrivateKeyJWT && !hasJWKS && !hasJWKSURI:
		return bad("token_endpoint_auth_method private_key_jwt needs jwks or jwks_uri.")
	case method == AuthNone && in.secret != "":
		return bad("A public client (token_endpoint_auth_method none) cannot have a client_secret.")
	case in.secret != "" && len(in.secret) < MinClientSecretLen:
		return bad("client_secret must be at least %d bytes long.", MinClientSecretLen)
	}
	return in, nil
}

// public reports whether fields make a public client, one without a secret.
func public(fields map[string]any) bool { return fields["token_endpoint_auth_method"] == AuthNone }

// rotatable reports whether Ory rotates the secret of a client with
// fields: only client_secret_basic (the default) and client_secret_post
// clients have one (Hydra's rotateOAuth2ClientSecret and
// deleteRotatedOAuth2ClientSecrets answer 400 for any other).
func rotatable(fields map[string]any) bool {
	m, _ := fields["token_endpoint_auth_method"].(string)
	return m == "" || m == AuthClientSecretBasic || m == AuthClientSecretPost
}

// errNotRotatable is the answer to a rotation of a client without a secret.
var errNotRotatable = &apiError{http.StatusBadRequest, "Only clients with token_endpoint_auth_method client_secret_basic or client_secret_post have a secret to rotate."}

// answer is c as the API answers it; withSecret adds client_secret.
func (c *oauth2Client) answer(withSecret bool) map[string]any {
	out := make(map[string]any, len(c.fields)+5)
	for k, v := range c.fields {
		out[k] = v
	}
	out["client_id"] = c.id
	out["created_at"] = c.createdAt
	out["updated_at"] = c.updatedAt
	out["client_secret_expires_at"] = 0
	if withSecret && c.secret != "" {
		out["client_secret"] = c.secret
	}
	return out
}

// export returns a copy of c for the test accessors.
func (c *oauth2Client) export(projectID string) OAuth2Client {
	var doc map[string]any
	b, _ := json.Marshal(c.answer(false)) // cannot fail: decoded JSON and times
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	_ = dec.Decode(&doc)
	return OAuth2Client{
		ID: c.id, ProjectID: projectID, Secret: c.secret, RotatedSecrets: slices.Clone(c.rotated),
		Doc: doc, CreatedAt: c.createdAt, UpdatedAt: c.updatedAt,
	}
}

// setSecret makes secret the client's only one: the rotated secrets are
// dropped, as Ory documents for a set or patch with a new client_secret.
func (c *oauth2Client) setSecret(secret string) {
	c.secret, c.rotated = secret, nil
}

// OAuth2Clients returns copies of the OAuth2 clients of a project (ID or
// slug), secrets included, in creation order; an unknown project has none.
func (s *Server) OAuth2Clients(projectRef string) []OAuth2Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lookupProjectLocked(projectRef)
	if p == nil {
		return nil
	}
	out := make([]OAuth2Client, 0, len(p.clients))
	for _, c := range p.clients {
		out = append(out, c.export(p.ID))
	}
	return out
}

// OAuth2Client returns a copy of one OAuth2 client of a project (ID or
// slug), secrets included.
func (s *Server) OAuth2Client(projectRef, id string) (OAuth2Client, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lookupProjectLocked(projectRef)
	if p == nil {
		return OAuth2Client{}, false
	}
	if c := p.client(id); c != nil {
		return c.export(p.ID), true
	}
	return OAuth2Client{}, false
}

// SecretWorks reports whether Ory would accept secret for the client
// clientID of a project (ID or slug) at its token endpoint: it is the
// client's current secret or one of its rotated secrets. An empty secret,
// an unknown client or project never works.
func (s *Server) SecretWorks(projectRef, clientID, secret string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lookupProjectLocked(projectRef)
	if p == nil || secret == "" {
		return false
	}
	c := p.client(clientID)
	return c != nil && (c.secret == secret || slices.Contains(c.rotated, secret))
}

func (p *project) client(id string) *oauth2Client {
	if i := p.clientIndex(id); i >= 0 {
		return p.clients[i]
	}
	return nil
}

func (p *project) clientIndex(id string) int {
	return slices.IndexFunc(p.clients, func(c *oauth2Client) bool { return c.id == id })
}

// A clientCall is one OAuth2 client operation of an authenticated request.
type clientCall struct {
	s         *Server
	w         http.ResponseWriter
	r         *http.Request
	op        string
	projectID string
	clientID  string // {id}, for the operations on one client
	path      string // the request's path as sent, for the list's links
}

var errNoClient = &apiError{http.StatusNotFound, "Unable to locate the OAuth2 client."}

func (c clientCall) fail(e *apiError) { writeProjectAPIError(c.w, c.op, e.status, e.reason) }

// withClient runs fn on the client {id} with the lock held: 404 for a
// client (or a project, purged since the request was authenticated) that
// is not there. fn returns the answer's status and body, or an error.
func (c clientCall) withClient(fn func(p *project, cl *oauth2Client) (int, any, *apiError)) {
	c.s.mu.Lock()
	p := c.s.projects[c.projectID]
	var cl *oauth2Client
	if p != nil {
		cl = p.client(c.clientID)
	}
	status, body, apiErr := http.StatusOK, any(nil), errNoClient
	if cl != nil {
		status, body, apiErr = fn(p, cl)
	}
	c.s.mu.Unlock()
	if apiErr != nil {
		c.fail(apiErr)
		return
	}
	writeJSON(c.w, status, body)
}

// readObject reads the request body as one JSON object, numbers as
// json.Number; an empty body is nil when optional, else a 400. An optional
// body may also be null: client-go sends null for
// RotateOAuth2ClientSecret without a body (it marshals a nil pointer),
// which the contract check reports (the schema is not nullable) and the
// simulator, like a Go server decoding into a struct, takes for no body.
func (c clientCall) readObject(optional bool) (map[string]any, *apiError) {
	b, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, maxRequestBody))
	if err != nil {
		return nil, &apiError{http.StatusBadRequest, "The request body could not be read: " + err.Error()}
	}
	b = bytes.TrimSpace(b)
	if optional && (len(b) == 0 || string(b) == "null") {
		return nil, nil
	}
	var body map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil || body == nil {
		return nil, &apiError{http.StatusBadRequest, "The request body is not a JSON object."}
	}
	return body, nil
}

// create serves POST /admin/clients: a new client, answered 201 with its
// secret, the only answer that carries a generated one. A confidential
// client gets the secret the body names or a generated one; a public one
// none. A client_id in the body is used if no client of the project has
// it (409 otherwise), else the ID is a generated UUID. Faults that cut the
// answer act after the client is stored.
//
// Assumption: Ory Hydra v2.2 takes a client_id chosen through the admin
// API again (after v2.0 refused it), and a taken one is a uniqueness
// conflict, 409.
func (c clientCall) create() {
	body, apiErr := c.readObject(false)
	if apiErr != nil {
		c.fail(apiErr)
		return
	}
	in, apiErr := readClientInput(body)
	if apiErr != nil {
		c.fail(apiErr)
		return
	}
	id, isString := body["client_id"].(string)
	if body["client_id"] != nil && (!isString || strings.TrimSpace(id) == "" || strings.Contains(id, "/")) {
		c.fail(&apiError{http.StatusBadRequest, "client_id must be a non-empty string without slashes."})
		return
	}
	if in.secret == "" && !public(in.fields) {
		in.secret = randomAlphanumeric(clientSecretChars)
	}
	s := c.s
	s.mu.Lock()
	p := s.projects[c.projectID]
	switch {
	case p == nil:
		apiErr = errNoProjectAPI
	case id != "" && p.client(id) != nil:
		apiErr = &apiError{http.StatusConflict, "An OAuth2 client with this client_id exists already."}
	}
	var out map[string]any
	if apiErr == nil {
		if id == "" {
			id = newClientID()
		}
		now := s.nowSeconds()
		s.clientSeq++
		cl := &oauth2Client{id: id, secret: in.secret, fields: in.fields, createdAt: now, updatedAt: now, seq: s.clientSeq}
		p.clients = append(p.clients, cl)
		out = cl.answer(true)
	}
	s.mu.Unlock()
	if apiErr != nil {
		c.fail(apiErr)
		return
	}
	writeJSON(c.w, http.StatusCreated, out)
}

// get serves GET /admin/clients/{id}: the client without its secret.
func (c clientCall) get() {
	c.withClient(func(_ *project, cl *oauth2Client) (int, any, *apiError) {
		return http.StatusOK, cl.answer(false), nil
	})
}

// set serves PUT /admin/clients/{id}: the body replaces the client (what
// it leaves out goes back to the defaults; a client_id in it is ignored,
// the path names the client). A client_secret in the body becomes the
// only secret and is echoed; without one the secret stays as it was.
// Making the client public drops its secrets.
func (c clientCall) set() {
	body, apiErr := c.readObject(false)
	if apiErr != nil {
		c.fail(apiErr)
		return
	}
	c.withClient(func(_ *project, cl *oauth2Client) (int, any, *apiError) {
		return c.replace(cl, body)
	})
}

// replace makes cl what body says, as set and patch do.
func (c clientCall) replace(cl *oauth2Client, body map[string]any) (int, any, *apiError) {
	in, apiErr := readClientInput(body)
	if apiErr != nil {
		return 0, nil, apiErr
	}
	cl.fields, cl.updatedAt = in.fields, c.s.nowSeconds()
	switch {
	case public(in.fields):
		cl.setSecret("")
	case in.secret != "":
		cl.setSecret(in.secret)
	}
	return http.StatusOK, cl.answer(in.secret != ""), nil
}

// patch serves PATCH /admin/clients/{id}: the JSON Patch (RFC 6902) is
// applied to the client as get answers it, and the result replaces it as
// in set, so a patch that adds client_secret sets the secret (echoed,
// rotated secrets dropped). A patch that does not apply, or changes
// client_id, is 400 and changes nothing.
//
// Assumption: Ory Hydra refuses a change of the ID; the spec does not say.
func (c clientCall) patch() {
	raw, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, maxRequestBody))
	var patch jsonpatch.Patch
	if err == nil {
		patch, err = jsonpatch.DecodePatch(raw)
	}
	if err != nil {
		c.fail(&apiError{http.StatusBadRequest, "The request body is not a JSON Patch."})
		return
	}
	c.withClient(func(_ *project, cl *oauth2Client) (int, any, *apiError) {
		doc, _ := json.Marshal(cl.answer(false)) // cannot fail: decoded JSON and times
		patched, err := patch.Apply(doc)
		if err != nil {
			return 0, nil, &apiError{http.StatusBadRequest, "The JSON Patch does not apply to the client: " + err.Error()}
		}
		var body map[string]any
		dec := json.NewDecoder(bytes.NewReader(patched))
		dec.UseNumber()
		if err := dec.Decode(&body); err != nil || body == nil {
			return 0, nil, &apiError{http.StatusBadRequest, "The patched client is not a JSON object."}
		}
		if body["client_id"] != cl.id {
			return 0, nil, &apiError{http.StatusBadRequest, "client_id cannot be changed."}
		}
		return c.replace(cl, body)
	})
}

// delete serves DELETE /admin/clients/{id}: 204, or 404 for a client that
// is not there (a genericError, as the spec declares for this operation).
func (c clientCall) delete() {
	s := c.s
	s.mu.Lock()
	found := false
	if p := s.projects[c.projectID]; p != nil {
		if i := p.clientIndex(c.clientID); i >= 0 {
			p.clients = slices.Delete(p.clients, i, i+1)
			found = true
		}
	}
	s.mu.Unlock()
	if !found {
		c.fail(errNoClient)
		return
	}
	c.w.WriteHeader(http.StatusNoContent)
}

// rotate serves POST /admin/clients/{id}/secrets/rotate: the current
// secret joins the rotated ones (newest first, the oldest forgotten beyond
// MaxRotatedSecrets) and keeps working; the new one, the body's
// client_secret or a generated one, is answered once, 200.
//
// Like Hydra's handler, it refuses (400) a client whose
// token_endpoint_auth_method is neither client_secret_basic nor
// client_secret_post: a public or private_key_jwt client has no secret to
// rotate.
func (c clientCall) rotate() {
	body, apiErr := c.readObject(true)
	if apiErr != nil {
		c.fail(apiErr)
		return
	}
	secret := randomAlphanumeric(clientSecretChars)
	if v, ok := body["client_secret"]; ok && v != nil {
		s, isString := v.(string)
		if !isString || len(s) < MinClientSecretLen {
			c.fail(&apiError{http.StatusBadRequest, fmt.Sprintf("client_secret must be a string of at least %d bytes.", MinClientSecretLen)})
			return
		}
		secret = s
	}
	c.withClient(func(_ *project, cl *oauth2Client) (int, any, *apiError) {
		if !rotatable(cl.fields) {
			return 0, nil, errNotRotatable
		}
		if cl.secret != "" {
			cl.rotated = append([]string{cl.secret}, cl.rotated...)
			cl.rotated = cl.rotated[:min(len(cl.rotated), MaxRotatedSecrets)]
		}
		cl.secret, cl.updatedAt = secret, c.s.nowSeconds()
		return http.StatusOK, cl.answer(true), nil
	})
}

// deleteRotated serves DELETE /admin/clients/{id}/secrets/rotate: the
// rotated secrets stop working; the current one stays. 200 with the client
// (no secret).
func (c clientCall) deleteRotated() {
	c.withClient(func(_ *project, cl *oauth2Client) (int, any, *apiError) {
		if !rotatable(cl.fields) {
			return 0, nil, errNotRotatable
		}
		cl.rotated, cl.updatedAt = nil, c.s.nowSeconds()
		return http.StatusOK, cl.answer(false), nil
	})
}

// Page sizes of listOAuth2Clients, from the spec's page_size.
const (
	DefaultClientPageSize = 250
	MaxClientPageSize     = 1000
)

// list serves GET /admin/clients: the project's clients in creation order,
// without secrets, filtered by client_name and owner when given (equal
// values), page_size at a time. When more follow, the answer's Link header
// has a rel="next" link whose page_token query parameter asks for them
// (and a rel="first" link), as Ory's keyset pagination does; the last page
// has no next link. A page_token is opaque; one the simulator did not
// make, or page_size out of 1..1000, is 400. Tokens are keys, not
// offsets: a client deleted between two pages shifts nothing.
//
// Assumption: Ory's links are relative references to the same path; the
// simulator's keep the project prefix of the request, so that a client
// that follows them whole reaches the simulator too.
func (c clientCall) list() {
	q := c.r.URL.Query()
	size := DefaultClientPageSize
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxClientPageSize {
			c.fail(&apiError{http.StatusBadRequest, fmt.Sprintf("page_size must be an integer from 1 to %d.", MaxClientPageSize)})
			return
		}
		size = n
	}
	after, err := decodePageToken(q.Get("page_token"))
	if err != nil {
		c.fail(&apiError{http.StatusBadRequest, "page_token is not a token of this list."})
		return
	}
	name, owner := q.Get("client_name"), q.Get("owner")

	s := c.s
	s.mu.Lock()
	p := s.projects[c.projectID]
	out := []any{} // [] for none, never null
	more := false
	var last uint64
	if p != nil {
		for _, cl := range p.clients {
			if cl.seq <= after || (q.Has("client_name") && cl.fields["client_name"] != name) ||
				(q.Has("owner") && cl.fields["owner"] != owner) {
				continue
			}
			if len(out) == size {
				more = true
				break
			}
			out = append(out, cl.answer(false))
			last = cl.seq
		}
	}
	s.mu.Unlock()
	if p == nil {
		c.fail(errNoProjectAPI)
		return
	}
	link := func(token, rel string) string {
		lq := url.Values{}
		for k, v := range q {
			lq[k] = v
		}
		lq.Set("page_size", strconv.Itoa(size))
		lq.Del("page_token")
		if token != "" {
			lq.Set("page_token", token)
		}
		return fmt.Sprintf("<%s?%s>; rel=%q", c.path, lq.Encode(), rel)
	}
	links := []string{link("", "first")}
	if more {
		links = append(links, link(encodePageToken(last), "next"))
	}
	c.w.Header().Set("Link", strings.Join(links, ","))
	writeJSON(c.w, http.StatusOK, out)
}

// pageTokenPrefix marks the simulator's page tokens.
const pageTokenPrefix = "orysim-clients:"

// encodePageToken is the token of the page after the client with seq.
func encodePageToken(seq uint64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(pageTokenPrefix + strconv.FormatUint(seq, 10)))
}

// decodePageToken returns the seq a token names, 0 for none.
func decodePageToken(token string) (uint64, error) {
	if token == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return 0, err
	}
	rest, ok := strings.CutPrefix(string(b), pageTokenPrefix)
	if !ok {
		return 0, errors.New("not a page token of the simulator")
	}
	return strconv.ParseUint(rest, 10, 64)
}
