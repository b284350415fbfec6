// Package console is provider-ory's client of the Ory Network console API:
// the API key operations of projects and workspaces and the project reads,
// through the real ory/client-go, pointed at whatever console URL a
// ProviderConfig names. Pool shares one client, with its rate limiter and
// retries, per console URL and workspace API key.
package console

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	ory "github.com/ory/client-go"
)

// DefaultURL is the Ory Network console API that client-go is built for.
const DefaultURL = "https://api.console.ory.sh"

// A Value is a key's secret value. Its String method never reveals it, so a
// Value that ends up in a log line, an event or an error prints redacted.
type Value string

// String returns a placeholder, never the value.
func (Value) String() string { return "[redacted]" }

// GoString returns a placeholder, never the value.
func (Value) GoString() string { return "[redacted]" }

// A Key is a project or workspace API key as Ory reports it.
type Key struct {
	ID string
	// Parent is the project or workspace holding the key: its ID as Ory
	// reports it, else as the caller named it (a project's slug, say).
	Parent         string
	OwnerID        string
	Name           string
	CreatedAt      *time.Time
	ExpiresAt      *time.Time
	LastCharacters string
	// Value is set only on a key that was just created: Ory never returns it
	// again.
	Value Value
	// Object is the kind's full object as its API reports it, for kinds
	// whose objects are more than a key (an OAuth2 client: see
	// config.InPlaceAPI); nil for API keys. It never holds the secret.
	Object any
}

// HTTPClient returns the HTTP client the console client sends through:
// its retrying, rate-limited Transport, for other APIs reached with the same
// credential's limit (a project's own API, see keyview.Views.ProjectAPI).
func (c *Client) HTTPClient() *http.Client { return c.api.GetConfig().HTTPClient }

// A Client calls the console API with one workspace API key.
type Client struct {
	api *ory.APIClient
	url string // the console URL, without a trailing slash
}

// New returns a client that sends every console operation to consoleURL,
// authenticated with the workspace API key token.
func New(consoleURL, token string, hc *http.Client, userAgent string) *Client {
	cfg := ory.NewConfiguration()
	consoleURL = strings.TrimRight(consoleURL, "/")
	// client-go pins a server per operation, and those win over Servers: each
	// console operation's entry must point at consoleURL, or a ProviderConfig
	// naming another console would silently talk to Ory Network.
	for op, servers := range cfg.OperationServers {
		if len(servers) > 0 && servers[0].URL == DefaultURL {
			cfg.OperationServers[op] = ory.ServerConfigurations{{URL: consoleURL}}
		}
	}
	cfg.Servers = ory.ServerConfigurations{{URL: consoleURL}}
	cfg.HTTPClient = hc
	cfg.UserAgent = userAgent
	cfg.AddDefaultHeader("Authorization", "Bearer "+token)
	return &Client{api: ory.NewAPIClient(cfg), url: consoleURL}
}

// ListProjectKeys returns every API key of a project (its ID or slug). The
// console API has no get-by-id and does not paginate this list. Errors are
// *Error.
func (c *Client) ListProjectKeys(ctx context.Context, projectID string) ([]Key, error) {
	keys, resp, err := c.api.ProjectAPI.ListProjectApiKeys(WithOperation(ctx, OpListProjectKeys), projectID).Execute()
	return listed(projectHolder, projectID, keys, resp, err, fromProjectKey)
}

// CreateProjectKey creates a key in a project and returns it with its
// value; expiresAt nil makes a key that never expires. Errors are *Error;
// after one for which MayHaveCreated is true, the key may exist without
// anyone having its value.
func (c *Client) CreateProjectKey(ctx context.Context, projectID, name string, expiresAt *time.Time) (Key, error) {
	body := ory.NewCreateProjectApiKeyBody(name)
	if expiresAt != nil {
		body.SetExpiresAt(expiresAt.UTC())
	}
	k, resp, err := c.api.ProjectAPI.CreateProjectApiKey(WithOperation(ctx, OpCreateProjectKey), projectID).
		CreateProjectApiKeyBody(*body).Execute()
	return created(projectHolder, projectID, k, resp, err, fromProjectKey)
}

// DeleteProjectKey deletes a key of a project. A key that is already gone
// is not an error. Errors are *Error.
func (c *Client) DeleteProjectKey(ctx context.Context, projectID, keyID string) error {
	resp, err := c.api.ProjectAPI.DeleteProjectApiKey(WithOperation(ctx, OpDeleteProjectKey), projectID, keyID).Execute()
	return deleted(projectHolder, projectID, keyID, resp, err)
}

// ListWorkspaceKeys returns every API key of a workspace (its ID), the
// one this client calls with included. Like a project's, the list has no
// get-by-id and no pages. Errors are *Error.
func (c *Client) ListWorkspaceKeys(ctx context.Context, workspaceID string) ([]Key, error) {
	keys, resp, err := c.api.WorkspaceAPI.ListWorkspaceApiKeys(WithOperation(ctx, OpListWorkspaceKeys), workspaceID).Execute()
	return listed(workspaceHolder, workspaceID, keys, resp, err, fromWorkspaceKey)
}

// CreateWorkspaceKey creates a workspace API key (ory_wak_...) and returns
// it with its value, as CreateProjectKey does for a project.
func (c *Client) CreateWorkspaceKey(ctx context.Context, workspaceID, name string, expiresAt *time.Time) (Key, error) {
	body := ory.NewCreateWorkspaceApiKeyBody(name)
	if expiresAt != nil {
		body.SetExpiresAt(expiresAt.UTC())
	}
	k, resp, err := c.api.WorkspaceAPI.CreateWorkspaceApiKey(WithOperation(ctx, OpCreateWorkspaceKey), workspaceID).
		CreateWorkspaceApiKeyBody(*body).Execute()
	return created(workspaceHolder, workspaceID, k, resp, err, fromWorkspaceKey)
}

// DeleteWorkspaceKey deletes a workspace API key; one already gone is not
// an error. Deleting the key this client calls with revokes its own
// credentials: every later call answers 401 (ReasonUnauthorized).
func (c *Client) DeleteWorkspaceKey(ctx context.Context, workspaceID, keyID string) error {
	resp, err := c.api.WorkspaceAPI.DeleteWorkspaceApiKey(WithOperation(ctx, OpDeleteWorkspaceKey), workspaceID, keyID).Execute()
	return deleted(workspaceHolder, workspaceID, keyID, resp, err)
}

// A holder is a kind of holder of API keys, for messages.
type holder struct {
	// noun names the holder in messages: "project" or "workspace".
	noun string
	// hints replace the general hints (see hints) where the holder's
	// differ.
	hints map[Reason]string
}

var (
	projectHolder   = holder{noun: "project"}
	workspaceHolder = holder{noun: "workspace", hints: map[Reason]string{
		ReasonForbidden: "the workspace API key has no access to this workspace, the workspace does not exist, or it is a project key (ory_pat_) where a workspace key (ory_wak_) is needed: check the workspace ID and the ProviderConfig's credentials",
		ReasonNotFound:  "the workspace does not exist or this workspace API key cannot see it: check the workspace ID",
	}}
)

// classify is the package's classify with the holder's hints.
func (h holder) classify(op string, resp *http.Response, err error) *Error {
	return withHints(classify(op, resp, err), h.hints)
}

// withHints gives e the hint of its reason in h, if h has one; the general
// hint stays otherwise.
func withHints(e *Error, h map[Reason]string) *Error {
	e.hint = h[e.Reason]
	return e
}

// listed converts a list answer of client-go (keys, each a *T for from) or
// classifies its failure.
func listed[T any](h holder, ref string, keys []T, resp *http.Response, err error, from func(*T, string) Key) ([]Key, error) {
	if err != nil {
		return nil, h.classify("list the API keys of "+h.noun+" "+ref, resp, err)
	}
	out := make([]Key, 0, len(keys))
	for i := range keys {
		out = append(out, from(&keys[i], ref))
	}
	return out, nil
}

// created converts a create answer of client-go, or classifies its failure
// (classifyCreate); an answer without the key's value is a failure too.
func created[T any](h holder, ref string, k *T, resp *http.Response, err error, from func(*T, string) Key) (Key, error) {
	op := "create an API key in " + h.noun + " " + ref
	if err != nil {
		return Key{}, withHints(classifyCreate(op, resp, err), h.hints)
	}
	key := from(k, ref)
	if key.Value == "" {
		// Ory made the key (or answered as if), but without its value the key
		// is useless to its workloads and could never be given to them: the
		// create failed, and the key must be found and deleted like one whose
		// answer was lost.
		return key, &Error{Op: op, StatusCode: resp.StatusCode, Reason: ReasonOutcomeUnknown,
			Message: "the answer carries no value for the key"}
	}
	return key, nil
}

// deleted classifies the answer to a delete: 404 is a key already gone.
func deleted(h holder, ref, keyID string, resp *http.Response, err error) error {
	if err == nil || (resp != nil && resp.StatusCode == http.StatusNotFound) {
		return nil
	}
	return h.classify("delete API key "+keyID+" of "+h.noun+" "+ref, resp, err)
}

// classifyCreate classifies a failed create. Only two outcomes are known:
// a complete, decoded 2xx with a value (not an error), and Ory's refusal, a
// 4xx (429 included) whose status line arrived, or a request the
// provider's own rate limit never sent. Everything else may have made a key
// whose value nobody has: a 5xx or a broken connection (ReasonUnavailable,
// as for any call), and an answer with any other status that could not be
// read to its end or decoded (ReasonOutcomeUnknown).
func classifyCreate(op string, resp *http.Response, err error) *Error {
	e := classify(op, resp, err)
	if resp == nil || resp.StatusCode >= 500 || (resp.StatusCode >= 400 && resp.StatusCode < 500) {
		return e
	}
	// client-go returns the read or decode error itself (an unexpected EOF,
	// a JSON syntax error), or a GenericOpenAPIError whose text is the error.
	// Neither holds the body, so neither can reveal the key's value.
	e.Reason, e.Message = ReasonOutcomeUnknown, "the answer could not be read: "+truncate(err.Error(), 200)
	return e
}

// MayHaveCreated reports whether a failed create (of a key, or
// CreateProject) may nevertheless have made the key or project in Ory: its
// answer was lost, cut, unreadable or, for a key, without the key's value
// (ReasonOutcomeUnknown), or Ory or the network failed after the request may
// have left (ReasonUnavailable). The caller must then look for what was made
// before creating another; after any other error Ory did not act.
func MayHaveCreated(err error) bool {
	r := ReasonOf(err)
	return r == ReasonOutcomeUnknown || r == ReasonUnavailable
}

// keyModel is what client-go's project and workspace API key models have
// in common.
type keyModel interface {
	GetId() string
	GetOwnerId() string
	GetName() string
	GetLastCharacters() string
	GetValue() string
	GetCreatedAtOk() (*time.Time, bool)
	GetExpiresAtOk() (*time.Time, bool)
}

func fromProjectKey(k *ory.ProjectApiKey, ref string) Key {
	return fromModel(k, k.GetProjectId(), ref)
}

func fromWorkspaceKey(k *ory.WorkspaceApiKey, ref string) Key {
	return fromModel(k, k.GetWorkspaceId(), ref)
}

// fromModel converts a key of client-go held by parent (as Ory reports
// it; "" when it does not), which the caller named ref.
func fromModel(k keyModel, parent, ref string) Key {
	key := Key{
		ID:             k.GetId(),
		Parent:         cmp.Or(parent, ref),
		OwnerID:        k.GetOwnerId(),
		Name:           k.GetName(),
		LastCharacters: k.GetLastCharacters(),
		Value:          Value(k.GetValue()),
	}
	if t, ok := k.GetCreatedAtOk(); ok && t != nil {
		u := t.UTC()
		key.CreatedAt = &u
	}
	if t, ok := k.GetExpiresAtOk(); ok && t != nil {
		u := t.UTC()
		key.ExpiresAt = &u
	}
	return key
}

// A Reason says why a console call failed, in terms a person can act on.
type Reason string

// Reasons of failed console calls, by HTTP status.
const (
	ReasonUnauthorized   Reason = "WorkspaceKeyRejected" // 401
	ReasonForbidden      Reason = "AccessDenied"         // 403
	ReasonNotFound       Reason = "NotFound"             // 404
	ReasonInvalidRequest Reason = "InvalidRequest"       // other 4xx
	ReasonRateLimited    Reason = "RateLimited"          // 429
	ReasonUnavailable    Reason = "OryUnavailable"       // 5xx and network errors
	ReasonUnexpected     Reason = "UnexpectedResponse"
	// ReasonOutcomeUnknown is a create whose answer had no error status but
	// could not be read to its end, did not decode, or lacked the key's
	// value: Ory may have made a key whose value nobody has.
	ReasonOutcomeUnknown Reason = "CreateOutcomeUnknown"

	// ReasonConflict (409) is a change refused because what it was made
	// for changed since it was read: a project patched at a stale revision.
	ReasonConflict Reason = "RevisionConflict"
	// ReasonPaymentRequired (402) is a refusal by the workspace's plan: no
	// free project slot.
	ReasonPaymentRequired Reason = "PlanLimitReached"
)

// An Error is a failed console call. Its message carries the status, Ory's
// reason and what to do; never a credential or a key's value.
type Error struct {
	Op         string
	StatusCode int
	Reason     Reason
	Message    string
	// RetryAt is when Ory's rate limit resets, for a 429 that said so.
	RetryAt time.Time

	// hint replaces the reason's general hint, for a holder of keys or an
	// operation whose hint differs (a workspace's, a project's).
	hint string
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
	if hint := cmp.Or(e.hint, hints[e.Reason]); hint != "" {
		fmt.Fprintf(&b, " (%s)", hint)
	}
	if !e.RetryAt.IsZero() {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAt.UTC().Format(time.RFC3339))
	}
	return b.String()
}

var hints = map[Reason]string{
	ReasonUnauthorized: "the ProviderConfig's workspace API key is invalid or revoked: put a valid ory_wak_ key in its credentials",
	ReasonForbidden:    "the workspace API key has no access to this project, the project does not exist (Ory answers 403 for unknown projects too), or it is a project key (ory_pat_) where a workspace key (ory_wak_) is needed: check spec.forProvider.projectID, the ProviderConfig's projectID and its credentials",
	ReasonNotFound:     "the project does not exist or this workspace API key cannot see it: check spec.forProvider.projectID, or the ProviderConfig's projectID",
	ReasonRateLimited:  "Ory is rate limiting this workspace; the provider retries later",
	ReasonUnavailable:  "Ory or the network failed; the provider retries",
	ReasonOutcomeUnknown: "Ory may have made the key, but its value never arrived: " +
		"the provider looks for such a key, deletes it and creates another",
	ReasonConflict:        "what the change was made for changed since it was read; the provider reads it again and retries",
	ReasonPaymentRequired: "the workspace's plan does not allow this: check the plan in the Ory Console",
}

// ReasonOf returns the reason of a console error, or "" for other errors.
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// IsNotFound reports whether err is a console answer 404.
func IsNotFound(err error) bool { return ReasonOf(err) == ReasonNotFound }

func classify(op string, resp *http.Response, err error) *Error {
	if resp == nil {
		if errors.Is(err, ErrClientRateLimited) {
			// Not sent: the provider's own limiter had no room in time.
			return &Error{Op: op, Reason: ReasonRateLimited, Message: ErrClientRateLimited.Error()}
		}
		// No answer at all: the connection failed. The transport's error text
		// names the URL and the cause, never a header.
		return &Error{Op: op, Reason: ReasonUnavailable, Message: err.Error()}
	}
	e := &Error{Op: op, StatusCode: resp.StatusCode, Message: oryMessage(err, resp.StatusCode)}
	switch s := resp.StatusCode; {
	case s == http.StatusUnauthorized:
		e.Reason = ReasonUnauthorized
	case s == http.StatusForbidden:
		e.Reason = ReasonForbidden
	case s == http.StatusNotFound:
		e.Reason = ReasonNotFound
	case s == http.StatusConflict:
		e.Reason = ReasonConflict
	case s == http.StatusPaymentRequired:
		e.Reason = ReasonPaymentRequired
	case s == http.StatusTooManyRequests:
		e.Reason = ReasonRateLimited
		e.RetryAt = RetryAt(resp.Header, time.Now())
	case s >= 500:
		e.Reason = ReasonUnavailable
	case s >= 400:
		e.Reason = ReasonInvalidRequest
	default:
		e.Reason = ReasonUnexpected
	}
	return e
}

// oryMessage extracts Ory's own explanation from a herodot error body
// ({"error":{"reason":...,"message":...}}) of an answer with status, if it
// has one. A message that only repeats the status text (herodot's default
// for a 402 is "Payment Required") is left out: Error already says it.
func oryMessage(err error, status int) string {
	var apiErr *ory.GenericOpenAPIError
	if !errors.As(err, &apiErr) {
		return ""
	}
	var body struct {
		Error struct {
			Message string `json:"message"`
			Reason  string `json:"reason"`
		} `json:"error"`
	}
	if json.Unmarshal(apiErr.Body(), &body) != nil {
		return ""
	}
	msg := body.Error.Message
	if strings.EqualFold(strings.TrimSpace(msg), http.StatusText(status)) {
		msg = ""
	}
	if r := body.Error.Reason; r != "" && r != msg {
		msg = strings.TrimSpace(msg + " " + r)
	}
	return truncate(msg, 300)
}

// MaxRateLimitWait bounds how long any rate limit header can make the
// provider wait, and how far ahead a message can put the retry. Ory's
// limits are per second and per minute (its rate limit documentation), so
// an honest reset is never more than a minute or so away; a longer one is a
// misread header (an epoch in milliseconds, a gateway's daily quota) and
// waiting for it would stall every key of the workspace. Beyond the bound
// the reconcile's own backoff takes over.
const MaxRateLimitWait = 5 * time.Minute

// epochThreshold tells an epoch time from a delay in x-ratelimit-reset:
// 10^9 seconds is 31 years as a delay, which no rate limit asks for, and
// September 2001 as a Unix time, before any answer this provider can get.
const epochThreshold = 1_000_000_000

// RetryAt reads when a rate limit resets from a 429's headers, or returns
// the zero time when they give no wait, so that the normal backoff applies.
//
//   - x-ratelimit-reset is what Ory documents and sends: the seconds until
//     its window resets, often 0 for sub-second windows (Ory's Terraform
//     provider). Gateways and many APIs send the reset's Unix time instead;
//     a value of epochThreshold or more can only be that, and is read so.
//   - Retry-After is delta-seconds or an HTTP-date (RFC 9110, 10.2.3).
//
// 0, a time already past, and anything unreadable give no wait. When both
// headers give one, the later wins: waiting less than either asks is
// answered by another 429. The result is never more than MaxRateLimitWait
// after now.
func RetryAt(h http.Header, now time.Time) time.Time {
	var at time.Time
	if v := strings.TrimSpace(h.Get("X-Ratelimit-Reset")); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			if n >= epochThreshold {
				at = time.Unix(n, 0)
			} else {
				at = now.Add(time.Duration(min(n, int64(MaxRateLimitWait/time.Second))) * time.Second)
			}
		}
	}
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		var ra time.Time
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			ra = now.Add(time.Duration(min(n, int64(MaxRateLimitWait/time.Second))) * time.Second)
		} else if t, err := http.ParseTime(v); err == nil {
			ra = t
		}
		if ra.After(at) {
			at = ra
		}
	}
	if !at.After(now) {
		return time.Time{}
	}
	if limit := now.Add(MaxRateLimitWait); at.After(limit) {
		return limit
	}
	return at
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
