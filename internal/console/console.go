// Package console is provider-ory's client of the Ory Network console API:
// the project API key operations, through the real ory/client-go, pointed at
// whatever console URL a ProviderConfig names.
package console

import (
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

// A Key is a project API key as Ory reports it.
type Key struct {
	ID             string
	ProjectID      string
	OwnerID        string
	Name           string
	CreatedAt      *time.Time
	ExpiresAt      *time.Time
	LastCharacters string
	// Value is set only on a key that was just created: Ory never returns it
	// again.
	Value Value
}

// A Client calls the console API with one workspace API key.
type Client struct {
	api *ory.APIClient
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
	return &Client{api: ory.NewAPIClient(cfg)}
}

// ListKeys returns every API key of a project. The console API has no
// get-by-id and does not paginate this list.
func (c *Client) ListKeys(ctx context.Context, projectID string) ([]Key, error) {
	keys, resp, err := c.api.ProjectAPI.ListProjectApiKeys(ctx, projectID).Execute()
	if err != nil {
		return nil, classify("list the API keys of project "+projectID, resp, err)
	}
	out := make([]Key, 0, len(keys))
	for i := range keys {
		out = append(out, fromAPI(&keys[i], projectID))
	}
	return out, nil
}

// CreateKey creates a key and returns it with its value.
func (c *Client) CreateKey(ctx context.Context, projectID, name string, expiresAt *time.Time) (Key, error) {
	body := ory.NewCreateProjectApiKeyBody(name)
	if expiresAt != nil {
		body.SetExpiresAt(expiresAt.UTC())
	}
	k, resp, err := c.api.ProjectAPI.CreateProjectApiKey(ctx, projectID).CreateProjectApiKeyBody(*body).Execute()
	if err != nil {
		return Key{}, classify("create an API key in project "+projectID, resp, err)
	}
	key := fromAPI(k, projectID)
	if key.Value == "" {
		// Without a value the key is useless to its workloads and could never
		// be given to them: treat it as a failed create.
		return key, &Error{Op: "create an API key in project " + projectID, Reason: ReasonUnexpected,
			Message: "Ory answered without the key's value"}
	}
	return key, nil
}

// DeleteKey deletes a key. A key that is already gone is not an error.
func (c *Client) DeleteKey(ctx context.Context, projectID, keyID string) error {
	resp, err := c.api.ProjectAPI.DeleteProjectApiKey(ctx, projectID, keyID).Execute()
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			return nil
		}
		return classify("delete API key "+keyID+" of project "+projectID, resp, err)
	}
	return nil
}

func fromAPI(k *ory.ProjectApiKey, projectID string) Key {
	key := Key{
		ID:             k.GetId(),
		ProjectID:      k.GetProjectId(),
		OwnerID:        k.GetOwnerId(),
		Name:           k.GetName(),
		LastCharacters: k.GetLastCharacters(),
		Value:          Value(k.GetValue()),
	}
	if key.ProjectID == "" {
		key.ProjectID = projectID
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

var hints = map[Reason]string{
	ReasonUnauthorized: "the ProviderConfig's workspace API key is invalid or revoked: put a valid ory_wak_ key in its credentials",
	ReasonForbidden:    "the workspace API key has no access to this project, the project does not exist (Ory answers 403 for unknown projects too), or it is a project key (ory_pat_) where a workspace key (ory_wak_) is needed: check spec.forProvider.projectID, the ProviderConfig's projectID and its credentials",
	ReasonNotFound:     "the project does not exist or this workspace API key cannot see it: check spec.forProvider.projectID, or the ProviderConfig's projectID",
	ReasonRateLimited:  "Ory is rate limiting this workspace; the provider retries later",
	ReasonUnavailable:  "Ory or the network failed; the provider retries",
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

func classify(op string, resp *http.Response, err error) error {
	if resp == nil {
		if errors.Is(err, ErrClientRateLimited) {
			// Not sent: the provider's own limiter had no room in time.
			return &Error{Op: op, Reason: ReasonRateLimited, Message: ErrClientRateLimited.Error()}
		}
		// No answer at all: the connection failed. The transport's error text
		// names the URL and the cause, never a header.
		return &Error{Op: op, Reason: ReasonUnavailable, Message: err.Error()}
	}
	e := &Error{Op: op, StatusCode: resp.StatusCode, Message: oryMessage(err)}
	switch s := resp.StatusCode; {
	case s == http.StatusUnauthorized:
		e.Reason = ReasonUnauthorized
	case s == http.StatusForbidden:
		e.Reason = ReasonForbidden
	case s == http.StatusNotFound:
		e.Reason = ReasonNotFound
	case s == http.StatusTooManyRequests:
		e.Reason = ReasonRateLimited
		e.RetryAt = retryAt(resp.Header, time.Now())
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
// ({"error":{"reason":...,"message":...}}), if it has one.
func oryMessage(err error) string {
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
	if r := body.Error.Reason; r != "" && r != msg {
		msg = strings.TrimSpace(msg + " " + r)
	}
	return truncate(msg, 300)
}

// retryAt reads when a rate limit resets: x-ratelimit-reset is the number of
// seconds until Ory's window resets (0 for sub-second windows, hence at
// least one second), Retry-After is seconds or an HTTP date.
func retryAt(h http.Header, now time.Time) time.Time {
	if v := h.Get("X-Ratelimit-Reset"); v != "" {
		if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
			return now.Add(time.Duration(max(secs, 1)) * time.Second)
		}
	}
	if v := h.Get("Retry-After"); v != "" {
		if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
			return now.Add(time.Duration(secs) * time.Second)
		}
		if t, err := http.ParseTime(v); err == nil {
			return t
		}
	}
	return time.Time{}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
