// Package projectapi is provider-ory's client of a project's own API
// (https://<slug>.projects.oryapis.com, what connection Secrets publish as
// apiURL): its OAuth2 clients, through the real ory/client-go, with a
// project API key (ory_pat_...), not a workspace key.
//
// It keeps package console's rules: errors are *Error with a reason and a
// hint and never carry a secret; every request is labelled with its
// operation for the metrics; and the calls that answer a secret once
// (CreateClient, RotateSecret) are never sent twice when their outcome is
// unknown (MayHaveActed) — hand New an http.Client whose transport is a
// console.Transport, which retries reads, puts and deletes but never
// resends a POST that may have reached Ory.
package projectapi

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	ory "github.com/ory/client-go"

	"github.com/crossplane-contrib/provider-ory/internal/console"
)

// Operation names (the operationIds of Ory's OpenAPI document), for the
// metrics (console.WithOperation).
const (
	OpCreateClient         = "createOAuth2Client"
	OpGetClient            = "getOAuth2Client"
	OpListClients          = "listOAuth2Clients"
	OpSetClient            = "setOAuth2Client"
	OpPatchClient          = "patchOAuth2Client"
	OpDeleteClient         = "deleteOAuth2Client"
	OpRotateSecret         = "rotateOAuth2ClientSecret"
	OpDeleteRotatedSecrets = "deleteRotatedOAuth2ClientSecrets"
)

// AuthMethodNone is the token_endpoint_auth_method of a public client,
// which has no secret.
const AuthMethodNone = "none"

const (
	// DefaultListPageSize is how many clients ListClients asks for per
	// page (the spec allows 1 to 1000).
	DefaultListPageSize = 500
	// maxListPages bounds ListClients: a million clients, far beyond any
	// project's, rather than a loop.
	maxListPages = 1000
	// messageLimit bounds Ory's words in an error.
	messageLimit = 300
)

// An OAuth2Client is an OAuth 2.0 client as Ory reports it.
type OAuth2Client struct {
	// OAuth2Client is Ory's report, client-go's model. Its ClientSecret is
	// always nil here: the secret, when an answer carried one, is in
	// Secret, which never prints.
	ory.OAuth2Client
	// Secret is the client's secret, set only on the answers that carry
	// it: CreateClient (a confidential client), RotateSecret, and a
	// SetClient or PatchClient that set one. Ory never returns it again.
	Secret console.Value
}

// ID is the client's ID (client_id), its external name.
func (c OAuth2Client) ID() string { return c.GetClientId() }

// Public reports whether the client is public (token_endpoint_auth_method
// none): it has no secret.
func (c OAuth2Client) Public() bool { return c.GetTokenEndpointAuthMethod() == AuthMethodNone }

// A Client calls one project's own API with one project API key.
type Client struct {
	api *ory.APIClient
	url string // the project API URL, without a trailing slash
	// pageSize is ListClients' page size, DefaultListPageSize but in tests.
	pageSize int64
}

// New returns a client of the project API at apiURL (a connection
// Secret's apiURL: https://<slug>.projects.oryapis.com, a custom domain, or
// the simulator's orysim.ProjectAPIURL), authenticated with the project
// API key token. hc should send through a console.Transport (its own, per
// project key: the transport's rate limit is the key's).
//
// client-go sends the project API's operations to its Servers (a template
// naming the slug as a server variable); they have no per-operation
// servers, so replacing Servers points every one of them at apiURL.
func New(apiURL, token string, hc *http.Client, userAgent string) *Client {
	apiURL = strings.TrimRight(apiURL, "/")
	cfg := ory.NewConfiguration()
	cfg.Servers = ory.ServerConfigurations{{URL: apiURL}}
	cfg.HTTPClient = hc
	cfg.UserAgent = userAgent
	cfg.AddDefaultHeader("Authorization", "Bearer "+token)
	return &Client{api: ory.NewAPIClient(cfg), url: apiURL, pageSize: DefaultListPageSize}
}

// URL returns the project API URL the client calls.
func (c *Client) URL() string { return c.url }

// CreateClient creates an OAuth2 client as spec says and returns it with
// its secret: secret when not empty (at least 6 bytes), else one Ory
// generates; a public client (token_endpoint_auth_method none) has none.
// spec.ClientSecret is ignored (pass the secret as a Value); spec.ClientId,
// when set, is the ID to use (409, ReasonConflict, when the project has a
// client with it).
//
// Errors are *Error. After one for which MayHaveActed is true the client
// may exist, its secret known to nobody: look for it (by the ID chosen, or
// ListClients) before creating another. An answer without the secret of a
// confidential client is such an error too; the client it names is
// returned with it, so that the caller can delete it.
func (c *Client) CreateClient(ctx context.Context, spec ory.OAuth2Client, secret console.Value) (OAuth2Client, error) {
	spec.ClientSecret = nil
	if secret != "" {
		spec.ClientSecret = ory.PtrString(string(secret))
	}
	m, resp, err := c.api.OAuth2API.CreateOAuth2Client(console.WithOperation(ctx, OpCreateClient)).OAuth2Client(spec).Execute()
	op := "create an OAuth2 client in the project API at " + c.url
	if err != nil {
		return OAuth2Client{}, classifyUnsure(op, resp, err)
	}
	out := fromModel(m)
	if out.Secret == "" && !out.Public() {
		return out, &Error{Op: op, StatusCode: resp.StatusCode, Reason: ReasonOutcomeUnknown,
			Message: "the answer carries no secret for client " + out.ID()}
	}
	return out, nil
}

// GetClient reads a client by its ID, without its secret. A client that
// does not exist is ReasonNotFound (IsNotFound). Errors are *Error.
func (c *Client) GetClient(ctx context.Context, id string) (OAuth2Client, error) {
	m, resp, err := c.api.OAuth2API.GetOAuth2Client(console.WithOperation(ctx, OpGetClient), id).Execute()
	if err != nil {
		return OAuth2Client{}, classify(fmt.Sprintf("get OAuth2 client %s", id), resp, err)
	}
	return fromModel(m), nil
}

// A ListFilter narrows ListClients to clients whose name or owner equal
// its fields; an empty field does not filter.
type ListFilter struct {
	ClientName, Owner string
}

// ListClients returns every client of the project that f lets through,
// without secrets, following Ory's pages (the Link header's rel="next"
// page_token) to the last. Errors are *Error; a page that names itself as
// its next, or more than a thousand pages, is ReasonUnexpected rather than
// a loop.
func (c *Client) ListClients(ctx context.Context, f ListFilter) ([]OAuth2Client, error) {
	var out []OAuth2Client
	token := ""
	seen := map[string]bool{}
	for range maxListPages {
		req := c.api.OAuth2API.ListOAuth2Clients(console.WithOperation(ctx, OpListClients)).PageSize(c.pageSize)
		if token != "" {
			req = req.PageToken(token)
		}
		if f.ClientName != "" {
			req = req.ClientName(f.ClientName)
		}
		if f.Owner != "" {
			req = req.Owner(f.Owner)
		}
		page, resp, err := req.Execute()
		if err != nil {
			return nil, classify("list the OAuth2 clients", resp, err)
		}
		for i := range page {
			out = append(out, fromModel(&page[i]))
		}
		seen[token] = true
		if token = NextPageToken(resp.Header); token == "" {
			return out, nil
		}
		if seen[token] {
			return nil, &Error{Op: "list the OAuth2 clients", StatusCode: resp.StatusCode, Reason: ReasonUnexpected,
				Message: "Ory named a page already read as the next one"}
		}
	}
	return nil, &Error{Op: "list the OAuth2 clients", Reason: ReasonUnexpected,
		Message: fmt.Sprintf("more than %d pages", maxListPages)}
}

// NextPageToken returns the page_token of the rel="next" link of a
// response's Link header (RFC 8288), "" on the last page. Ory's keyset
// pagination names the next page so; the token is opaque.
func NextPageToken(h http.Header) string {
	for _, v := range h.Values("Link") {
		for link := range strings.SplitSeq(v, ",") {
			target, params, ok := strings.Cut(strings.TrimSpace(link), ";")
			if !ok || !hasRelNext(params) {
				continue
			}
			u, err := url.Parse(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(target), "<"), ">"))
			if err != nil {
				continue
			}
			if t := u.Query().Get("page_token"); t != "" {
				return t
			}
		}
	}
	return ""
}

// hasRelNext reports whether a link's parameters say rel="next" (or rel=next,
// or a rel list with next).
func hasRelNext(params string) bool {
	for p := range strings.SplitSeq(params, ";") {
		name, value, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "rel") {
			continue
		}
		for _, rel := range strings.Fields(strings.Trim(strings.TrimSpace(value), `"`)) {
			if strings.EqualFold(rel, "next") {
				return true
			}
		}
	}
	return false
}

// SetClient replaces the client id with spec (PUT: what spec leaves out
// goes back to Ory's defaults). With secret empty the client's secret
// stays as it is and the answer has none; with one, it becomes the only
// secret (rotated ones are dropped) and the answer carries it. Errors are
// *Error; a client that does not exist is ReasonNotFound.
func (c *Client) SetClient(ctx context.Context, id string, spec ory.OAuth2Client, secret console.Value) (OAuth2Client, error) {
	spec.ClientSecret = nil
	if secret != "" {
		spec.ClientSecret = ory.PtrString(string(secret))
	}
	m, resp, err := c.api.OAuth2API.SetOAuth2Client(console.WithOperation(ctx, OpSetClient), id).OAuth2Client(spec).Execute()
	if err != nil {
		return OAuth2Client{}, classify("set OAuth2 client "+id, resp, err)
	}
	return fromModel(m), nil
}

// PatchClient applies a JSON Patch (RFC 6902) to the client id and returns
// it as patched. A patch that sets /client_secret sets the only secret, as
// SetClient with one does. Errors are *Error: ReasonNotFound, or
// ReasonInvalidRequest for a patch that does not apply or breaks Ory's
// rules. The transport does not resend a PATCH whose answer was lost.
func (c *Client) PatchClient(ctx context.Context, id string, patch []ory.JsonPatch) (OAuth2Client, error) {
	m, resp, err := c.api.OAuth2API.PatchOAuth2Client(console.WithOperation(ctx, OpPatchClient), id).JsonPatch(patch).Execute()
	if err != nil {
		return OAuth2Client{}, classify("patch OAuth2 client "+id, resp, err)
	}
	return fromModel(m), nil
}

// DeleteClient deletes the client id; one already gone (404) is nil.
// Errors are *Error.
func (c *Client) DeleteClient(ctx context.Context, id string) error {
	resp, err := c.api.OAuth2API.DeleteOAuth2Client(console.WithOperation(ctx, OpDeleteClient), id).Execute()
	if err == nil || (resp != nil && resp.StatusCode == http.StatusNotFound) {
		return nil
	}
	return classify("delete OAuth2 client "+id, resp, err)
}

// RotateSecret gives the client id a new secret, secret when not empty
// (at least 6 bytes) else one Ory generates, and returns the client with
// it. The old secret keeps working (Ory keeps up to five rotated secrets)
// until DeleteRotatedSecrets.
//
// Errors are *Error. After one for which MayHaveActed is true the rotation
// may have happened with a new secret nobody has: the old secret still
// works, so rotate again (the lost one then is a rotated secret too, and
// DeleteRotatedSecrets ends it with the others). An answer without a
// secret is such an error.
func (c *Client) RotateSecret(ctx context.Context, id string, secret console.Value) (OAuth2Client, error) {
	// Always a body: without one client-go sends null, which the spec's
	// schema does not allow.
	body := ory.RotateOAuth2ClientSecretBody{}
	if secret != "" {
		body.ClientSecret = ory.PtrString(string(secret))
	}
	m, resp, err := c.api.OAuth2API.RotateOAuth2ClientSecret(console.WithOperation(ctx, OpRotateSecret), id).
		RotateOAuth2ClientSecretBody(body).Execute()
	op := "rotate the secret of OAuth2 client " + id
	if err != nil {
		return OAuth2Client{}, classifyUnsure(op, resp, err)
	}
	out := fromModel(m)
	if out.Secret == "" {
		return out, &Error{Op: op, StatusCode: resp.StatusCode, Reason: ReasonOutcomeUnknown,
			Message: "the answer carries no secret"}
	}
	return out, nil
}

// DeleteRotatedSecrets ends every rotated secret of the client id; its
// current secret stays. Errors are *Error; a client that does not exist is
// ReasonNotFound.
func (c *Client) DeleteRotatedSecrets(ctx context.Context, id string) (OAuth2Client, error) {
	m, resp, err := c.api.OAuth2API.DeleteRotatedOAuth2ClientSecrets(console.WithOperation(ctx, OpDeleteRotatedSecrets), id).Execute()
	if err != nil {
		return OAuth2Client{}, classify("delete the rotated secrets of OAuth2 client "+id, resp, err)
	}
	return fromModel(m), nil
}

// fromModel moves the secret out of client-go's model into a Value.
func fromModel(m *ory.OAuth2Client) OAuth2Client {
	if m == nil {
		return OAuth2Client{}
	}
	out := OAuth2Client{OAuth2Client: *m, Secret: console.Value(m.GetClientSecret())}
	out.ClientSecret = nil
	// A credential too (Hydra answers one to every create): the provider
	// never uses it, so it is never kept where it could be printed.
	out.RegistrationAccessToken = nil
	return out
}

// A Reason says why a call to a project's API failed, in terms a person
// can act on.
type Reason string

// Reasons of failed calls, by HTTP status.
const (
	ReasonUnauthorized Reason = "ProjectKeyRejected" // 401
	ReasonForbidden    Reason = "AccessDenied"       // 403
	ReasonNotFound     Reason = "NotFound"           // 404
	// ReasonConflict is a create with a client ID the project has.
	ReasonConflict       Reason = "Conflict"           // 409
	ReasonInvalidRequest Reason = "InvalidRequest"     // other 4xx
	ReasonRateLimited    Reason = "RateLimited"        // 429
	ReasonUnavailable    Reason = "OryUnavailable"     // 5xx and network errors
	ReasonUnexpected     Reason = "UnexpectedResponse" // anything else
	// ReasonOutcomeUnknown is a create or rotation whose answer had no
	// error status but could not be read to its end, did not decode, or
	// lacked the secret: Ory may have acted, and the secret is lost.
	ReasonOutcomeUnknown Reason = "OutcomeUnknown"
)

var hints = map[Reason]string{
	ReasonUnauthorized: "the project API key is invalid, expired or revoked: put a valid ory_pat_ key of this project in the ProviderConfig's credentials",
	ReasonForbidden:    "the API key is not a project API key of this project (a key of another project, or a workspace key ory_wak_): check that the ProviderConfig's key and API URL belong to the same project",
	ReasonNotFound:     "the OAuth2 client does not exist, or no project serves an API at this URL: check the client ID and the API URL",
	ReasonConflict:     "the project has an OAuth2 client with this ID already",
	ReasonRateLimited:  "Ory is rate limiting this project; the provider retries later",
	ReasonUnavailable:  "Ory or the network failed; the provider retries",
	ReasonOutcomeUnknown: "Ory may have acted, but its answer with the secret never arrived: " +
		"the provider looks for what was made before it acts again",
}

// An Error is a failed call to a project's API. Its message carries the
// status, Ory's reason and what to do; never a credential or a secret.
type Error struct {
	Op         string
	StatusCode int
	Reason     Reason
	Message    string
	// RetryAt is when Ory's rate limit resets, for a 429 that said so.
	RetryAt time.Time
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cannot %s", e.Op)
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, ": Ory answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if hint := hints[e.Reason]; hint != "" {
		fmt.Fprintf(&b, " (%s)", hint)
	}
	if !e.RetryAt.IsZero() {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAt.UTC().Format(time.RFC3339))
	}
	return b.String()
}

// consoleReasons are the console's words for the same outcomes, so that
// code written for console errors (console.ReasonOf, MayHaveCreated,
// RetryAt) reads a project API's errors the same way.
var consoleReasons = map[Reason]console.Reason{
	ReasonUnauthorized:   console.ReasonUnauthorized,
	ReasonForbidden:      console.ReasonForbidden,
	ReasonNotFound:       console.ReasonNotFound,
	ReasonConflict:       console.ReasonConflict,
	ReasonInvalidRequest: console.ReasonInvalidRequest,
	ReasonRateLimited:    console.ReasonRateLimited,
	ReasonUnavailable:    console.ReasonUnavailable,
	ReasonUnexpected:     console.ReasonUnexpected,
	ReasonOutcomeUnknown: console.ReasonOutcomeUnknown,
}

// As lets errors.As see an *Error as a *console.Error with the console's
// reason for the same outcome and the same words, so that the engine,
// written for console errors, classifies both alike.
func (e *Error) As(target any) bool {
	t, ok := target.(**console.Error)
	if !ok {
		return false
	}
	*t = &console.Error{Op: e.Op, StatusCode: e.StatusCode, Reason: consoleReasons[e.Reason], Message: e.Message, RetryAt: e.RetryAt}
	return true
}

// ReasonOf returns the reason of an *Error, or "" for other errors.
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// IsNotFound reports whether err is a 404 of the project API.
func IsNotFound(err error) bool { return ReasonOf(err) == ReasonNotFound }

// MayHaveActed reports whether a failed CreateClient or RotateSecret may
// nevertheless have made the client or the new secret: its answer was
// lost, cut, unreadable or without the secret (ReasonOutcomeUnknown), or
// Ory or the network failed after the request may have left
// (ReasonUnavailable). After any other error Ory did not act.
func MayHaveActed(err error) bool {
	r := ReasonOf(err)
	return r == ReasonOutcomeUnknown || r == ReasonUnavailable
}

func classify(op string, resp *http.Response, err error) *Error {
	if resp == nil {
		if errors.Is(err, console.ErrClientRateLimited) {
			return &Error{Op: op, Reason: ReasonRateLimited, Message: "the provider's own rate limit for this project API key leaves no room before the deadline"}
		}
		// No answer: the transport's error names the URL and the cause,
		// never a header or a body.
		return &Error{Op: op, Reason: ReasonUnavailable, Message: truncate(err.Error())}
	}
	e := &Error{Op: op, StatusCode: resp.StatusCode, Message: oryMessage(err)}
	switch s := resp.StatusCode; {
	case s == http.StatusUnauthorized:
		e.Reason = ReasonUnauthorized
	case s == http.StatusForbidden:
		e.Reason = ReasonForbidden
	case s == http.StatusNotFound:
		e.Reason = ReasonNotFound
	case s == http.StatusConflict:
		e.Reason = ReasonConflict
	case s == http.StatusTooManyRequests:
		e.Reason = ReasonRateLimited
		e.RetryAt = console.RetryAt(resp.Header, time.Now())
	case s >= 500:
		e.Reason = ReasonUnavailable
	case s >= 400:
		e.Reason = ReasonInvalidRequest
	default:
		// A 2xx whose body could not be read or decoded. client-go returns
		// the read or decode error itself, which holds no part of the body.
		e.Reason, e.Message = ReasonUnexpected, "the answer could not be read: "+truncate(err.Error())
	}
	return e
}

// classifyUnsure classifies a failed create or rotation: only Ory's
// refusal (a 4xx whose status arrived, 429 included) or a request never
// sent is a known outcome. A 5xx or a broken connection is
// ReasonUnavailable, and an answer with any other status that could not be
// read or decoded is ReasonOutcomeUnknown: either may have acted.
func classifyUnsure(op string, resp *http.Response, err error) *Error {
	e := classify(op, resp, err)
	if e.Reason == ReasonUnexpected {
		e.Reason = ReasonOutcomeUnknown
	}
	return e
}

// oryMessage extracts Ory's explanation from an error answer: the
// errorOAuth2 shape ({"error":"code","error_description","error_hint"}) of
// most OAuth2 client operations, or the herodot shape
// ({"error":{"message","reason"}}) of genericError.
func oryMessage(err error) string {
	var apiErr *ory.GenericOpenAPIError
	if !errors.As(err, &apiErr) {
		return ""
	}
	var body struct {
		Error            json.RawMessage `json:"error"`
		ErrorDescription string          `json:"error_description"`
		ErrorHint        string          `json:"error_hint"`
	}
	if json.Unmarshal(apiErr.Body(), &body) != nil {
		return ""
	}
	var code string
	var herodot struct {
		Message string `json:"message"`
		Reason  string `json:"reason"`
	}
	var first, second string
	switch {
	case json.Unmarshal(body.Error, &code) == nil:
		first, second = cmp.Or(body.ErrorDescription, code), body.ErrorHint
	case json.Unmarshal(body.Error, &herodot) == nil:
		first, second = herodot.Message, herodot.Reason
	}
	if second != "" && second != first {
		first = strings.TrimSpace(first + " " + second)
	}
	return truncate(first)
}

func truncate(s string) string {
	if len(s) <= messageLimit {
		return s
	}
	return s[:messageLimit] + "..."
}
