package oauth2client

import (
	"context"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"time"

	ory "github.com/ory/client-go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/console"
	"github.com/crossplane-contrib/provider-ory/internal/projectapi"
)

// A Resource is an OAuth2Client of either scope.
type Resource interface {
	ClientParameters() *common.OAuth2ClientParameters
	ClientObservation() *common.OAuth2ClientObservation
}

// Clients are the OAuth2 clients of one project, as one resource reaches
// them in one reconcile: the engine's config.InPlaceAPI.
type Clients struct {
	api     *projectapi.Client
	project string
	cr      Resource
}

// New returns the clients of project (its UUID, the engine's parent) on
// its API, for resource cr.
func New(api *projectapi.Client, project string, cr Resource) *Clients {
	return &Clients{api: api, project: project, cr: cr}
}

// key is a client as the engine sees it.
func (c *Clients) key(cl projectapi.OAuth2Client) console.Key {
	return console.Key{ID: cl.ID(), Parent: c.project, Name: cl.GetClientName(), CreatedAt: cl.CreatedAt, Value: cl.Secret, Object: cl}
}

// FindKey reads client id; nil when the project has none.
func (c *Clients) FindKey(ctx context.Context, _, id string) (*console.Key, error) {
	cl, err := c.api.GetClient(ctx, id)
	if projectapi.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	k := c.key(cl)
	return &k, nil
}

// ListKeys lists the project's clients named as the resource's: the
// engine looks among them for a client whose create lost its answer.
func (c *Clients) ListKeys(ctx context.Context, _ string) ([]console.Key, error) {
	cls, err := c.api.ListClients(ctx, projectapi.ListFilter{ClientName: c.cr.ClientParameters().ClientName})
	if err != nil {
		return nil, err
	}
	out := make([]console.Key, 0, len(cls))
	for _, cl := range cls {
		out = append(out, c.key(cl))
	}
	return out, nil
}

// CreateKey creates the client as spec.forProvider declares it; Ory
// generates its secret. name and expiresAt are the engine's words for
// keys: a client's name is in the spec, and its secret does not expire.
func (c *Clients) CreateKey(ctx context.Context, _, _ string, _ *time.Time) (console.Key, error) {
	m, err := Model(c.cr.ClientParameters())
	if err != nil {
		return console.Key{}, err
	}
	cl, err := c.api.CreateClient(ctx, m, "")
	if err != nil {
		return console.Key{}, err
	}
	return c.key(cl), nil
}

// DeleteKey deletes client id; one already gone counts as deleted.
func (c *Clients) DeleteKey(ctx context.Context, _, id string) error {
	return c.api.DeleteClient(ctx, id)
}

// RotateSecret gives client id a new secret Ory generates; the old one
// keeps working until DeleteRotatedSecrets.
func (c *Clients) RotateSecret(ctx context.Context, _, id string) (console.Key, error) {
	cl, err := c.api.RotateSecret(ctx, id, "")
	if err != nil {
		return console.Key{}, err
	}
	return c.key(cl), nil
}

// DeleteRotatedSecrets ends the rotated secrets of client id; a client
// already gone counts as done.
func (c *Clients) DeleteRotatedSecrets(ctx context.Context, _, id string) error {
	_, err := c.api.DeleteRotatedSecrets(ctx, id)
	if projectapi.IsNotFound(err) {
		return nil
	}
	return err
}

// HasSecret says whether client obj, as Ory reports it, has a secret Ory
// rotates: its token endpoint authentication is client_secret_basic (Ory's
// default) or client_secret_post. Ory refuses to rotate (or drop the
// rotated secrets of) any other client (Hydra's rotateOAuth2ClientSecret).
func (c *Clients) HasSecret(obj *console.Key) bool {
	method := c.cr.ClientParameters().TokenEndpointAuthMethod
	if cl, ok := obj.Object.(projectapi.OAuth2Client); ok && cl.TokenEndpointAuthMethod != nil {
		method = cl.GetTokenEndpointAuthMethod()
	}
	return method == "" || method == "client_secret_basic" || method == "client_secret_post"
}

// Observe mirrors the client as Ory reports it into status.atProvider
// (the engine sets the ID, creation time and project).
func (c *Clients) Observe(obj *console.Key) {
	cl, ok := obj.Object.(projectapi.OAuth2Client)
	if !ok {
		return
	}
	o := c.cr.ClientObservation()
	o.ClientName = cl.GetClientName()
	o.UpdatedAt = metaTime(cl.UpdatedAt)
	o.GrantTypes, o.ResponseTypes = cl.GrantTypes, cl.ResponseTypes
	o.RedirectURIs, o.PostLogoutRedirectURIs = cl.RedirectUris, cl.PostLogoutRedirectUris
	o.Scope, o.Audience = cl.GetScope(), cl.Audience
	o.TokenEndpointAuthMethod = cl.GetTokenEndpointAuthMethod()
	o.AllowedCORSOrigins = cl.AllowedCorsOrigins
	o.SkipConsent, o.SkipLogoutConsent = cl.SkipConsent, cl.SkipLogoutConsent
	o.AccessTokenStrategy, o.JWKSURI = cl.GetAccessTokenStrategy(), cl.GetJwksUri()
	o.Lifespans = observedLifespans(cl.OAuth2Client)
}

// Differs names the settings of the spec that client obj does not have,
// "" when it has them all. Only what the spec sets is compared: what it
// leaves out is Ory's to default.
func (c *Clients) Differs(obj *console.Key) string {
	ops, err := c.patch(obj)
	if err != nil {
		return "its spec cannot be read: " + err.Error()
	}
	if len(ops) == 0 {
		return ""
	}
	names := make([]string, 0, len(ops))
	for _, op := range ops {
		names = append(names, strings.TrimPrefix(op.Path, "/"))
	}
	return strings.Join(names, ", ") + " differ from the spec"
}

// Apply patches client obj with the spec's settings it lacks (a JSON Patch
// of exactly those fields: the rest, and the secret, stay as they are).
func (c *Clients) Apply(ctx context.Context, obj *console.Key) (*console.Key, error) {
	ops, err := c.patch(obj)
	if err != nil || len(ops) == 0 {
		return obj, err
	}
	cl, err := c.api.PatchClient(ctx, obj.ID, ops)
	if err != nil {
		return nil, err
	}
	k := c.key(cl)
	return &k, nil
}

// patch is the JSON Patch that gives obj the spec's settings.
func (c *Clients) patch(obj *console.Key) ([]ory.JsonPatch, error) {
	cl, ok := obj.Object.(projectapi.OAuth2Client)
	if !ok {
		return nil, nil
	}
	want, err := Model(c.cr.ClientParameters())
	if err != nil {
		return nil, err
	}
	w, err := asMap(want)
	if err != nil {
		return nil, err
	}
	// A list the spec sets empty asks for no entries; Ory's model leaves
	// an empty list out, so it is added here.
	for f, l := range listFields(c.cr.ClientParameters()) {
		if l != nil && len(l) == 0 {
			w[f] = []any{}
		}
	}
	have, err := asMap(cl.OAuth2Client)
	if err != nil {
		return nil, err
	}
	fields := make([]string, 0, len(w))
	for f := range w {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	var ops []ory.JsonPatch
	for _, f := range fields {
		h, present := have[f]
		if present && same(f, w[f], h) {
			continue
		}
		op := "add"
		if present {
			op = "replace"
		}
		ops = append(ops, ory.JsonPatch{Op: op, Path: "/" + f, Value: w[f]})
	}
	return ops, nil
}

// same compares a field's wanted and reported values as Ory keeps them: a
// lifespan by the duration it spells ("60m" is "1h0m0s").
func same(field string, want, have any) bool {
	if strings.HasSuffix(field, "_lifespan") {
		ws, _ := want.(string)
		hs, _ := have.(string)
		wd, werr := time.ParseDuration(ws)
		hd, herr := time.ParseDuration(hs)
		return werr == nil && herr == nil && wd == hd
	}
	if w, ok := want.([]any); ok && len(w) == 0 {
		// Ory reports an empty list as [] or leaves it out.
		h, _ := have.([]any)
		return len(h) == 0
	}
	return reflect.DeepEqual(want, have)
}

// asMap is v as JSON decodes it: the fields it sets, by Ory's names.
func asMap(v ory.OAuth2Client) (map[string]any, error) {
	v.ClientSecret = nil
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	return m, json.Unmarshal(b, &m)
}

// Model is spec.forProvider as Ory's OAuth2Client: the fields the spec
// sets, and nothing else (never a secret). Errors: metadata that is not a
// JSON object.
func Model(p *common.OAuth2ClientParameters) (ory.OAuth2Client, error) {
	m := ory.OAuth2Client{
		ClientName:              ory.PtrString(p.ClientName),
		GrantTypes:              p.GrantTypes,
		ResponseTypes:           p.ResponseTypes,
		RedirectUris:            p.RedirectURIs,
		PostLogoutRedirectUris:  p.PostLogoutRedirectURIs,
		Audience:                p.Audience,
		AllowedCorsOrigins:      p.AllowedCORSOrigins,
		Contacts:                p.Contacts,
		SkipConsent:             p.SkipConsent,
		SkipLogoutConsent:       p.SkipLogoutConsent,
		Scope:                   optional(p.Scope),
		TokenEndpointAuthMethod: optional(p.TokenEndpointAuthMethod),
		ClientUri:               optional(p.ClientURI),
		LogoUri:                 optional(p.LogoURI),
		PolicyUri:               optional(p.PolicyURI),
		TosUri:                  optional(p.TosURI),
		JwksUri:                 optional(p.JWKSURI),
		AccessTokenStrategy:     optional(p.AccessTokenStrategy),
	}
	if p.Metadata != nil && len(p.Metadata.Raw) > 0 {
		if err := json.Unmarshal(p.Metadata.Raw, &m.Metadata); err != nil {
			return m, err
		}
	}
	setLifespans(&m, p.Lifespans)
	return m, nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func metaTime(t *time.Time) *metav1.Time {
	if t == nil {
		return nil
	}
	m := metav1.NewTime(*t)
	return &m
}

// Details are a client's connection details besides its ID, secret and
// project: the project's OAuth2 issuer (its API URL, where Ory Network
// serves /.well-known/openid-configuration) and the token and
// authorization endpoints Ory serves there (/oauth2/token, /oauth2/auth).
func Details(apiURL string) map[string][]byte {
	u := strings.TrimRight(apiURL, "/")
	if u == "" {
		return nil
	}
	return map[string][]byte{
		common.ConnectionKeyIssuerURL:        []byte(u),
		common.ConnectionKeyTokenURL:         []byte(u + "/oauth2/token"),
		common.ConnectionKeyAuthorizationURL: []byte(u + "/oauth2/auth"),
	}
}

// listFields are the spec's lists by Ory's field names.
func listFields(p *common.OAuth2ClientParameters) map[string][]string {
	return map[string][]string{
		"grant_types": p.GrantTypes, "response_types": p.ResponseTypes, "redirect_uris": p.RedirectURIs,
		"post_logout_redirect_uris": p.PostLogoutRedirectURIs, "audience": p.Audience,
		"allowed_cors_origins": p.AllowedCORSOrigins, "contacts": p.Contacts,
	}
}
