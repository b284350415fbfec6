package orysim

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	ory "github.com/ory/client-go"
)

// apiFixture is a fixture with a project API key of its project and a
// client-go client of the project's own API that uses it.
type apiFixture struct {
	fixture
	key Key
	api *ory.APIClient
}

func newAPIFixture(t *testing.T, opts ...Option) apiFixture {
	t.Helper()
	f := newFixture(t, opts...)
	k, err := f.sim.CreateKey(KeySpec{Project: f.project.ID, Name: "oauth2 admin"})
	if err != nil {
		t.Fatal(err)
	}
	return apiFixture{fixture: f, key: k, api: NewProjectAPIClient(ProjectAPIURL(f.url, f.project.Slug), k.Value)}
}

// createClient creates a client through client-go and fails the test on
// error.
func (f apiFixture) createClient(t *testing.T, c ory.OAuth2Client) *ory.OAuth2Client {
	t.Helper()
	got, _, err := f.api.OAuth2API.CreateOAuth2Client(context.Background()).OAuth2Client(c).Execute()
	if err != nil {
		t.Fatalf("CreateOAuth2Client: %v", err)
	}
	return got
}

// otherClientID names a client that no project has.
const otherClientID = "no-such-client"

// noSecret is the body of a rotation to a generated secret. client-go
// sends null for a rotation without a body, which breaks the contract (the
// body's schema is not nullable; see TestRotateWithoutBody).
var noSecret = ory.RotateOAuth2ClientSecretBody{}

// callClientOp performs a project API operation through client-go on the
// client id and returns the HTTP status (0 when no response arrived).
func callClientOp(ctx context.Context, c *ory.APIClient, op, id string) (int, error) {
	var resp *http.Response
	var err error
	a := c.OAuth2API
	switch op {
	case OpCreateOAuth2Client:
		_, resp, err = a.CreateOAuth2Client(ctx).OAuth2Client(ory.OAuth2Client{ClientName: ptr("made")}).Execute()
	case OpGetOAuth2Client:
		_, resp, err = a.GetOAuth2Client(ctx, id).Execute()
	case OpListOAuth2Clients:
		_, resp, err = a.ListOAuth2Clients(ctx).Execute()
	case OpSetOAuth2Client:
		_, resp, err = a.SetOAuth2Client(ctx, id).OAuth2Client(ory.OAuth2Client{ClientName: ptr("set")}).Execute()
	case OpPatchOAuth2Client:
		_, resp, err = a.PatchOAuth2Client(ctx, id).JsonPatch([]ory.JsonPatch{{Op: "replace", Path: "/client_name", Value: "patched"}}).Execute()
	case OpDeleteOAuth2Client:
		resp, err = a.DeleteOAuth2Client(ctx, id).Execute()
	case OpRotateOAuth2ClientSecret:
		_, resp, err = a.RotateOAuth2ClientSecret(ctx, id).RotateOAuth2ClientSecretBody(noSecret).Execute()
	case OpDeleteRotatedOAuth2ClientSecrets:
		_, resp, err = a.DeleteRotatedOAuth2ClientSecrets(ctx, id).Execute()
	default:
		return 0, errors.New("unknown operation " + op)
	}
	return statusOf(resp), err
}

// successStatus is what each operation answers on success.
var successStatus = map[string]int{
	OpCreateOAuth2Client: 201, OpGetOAuth2Client: 200, OpListOAuth2Clients: 200, OpSetOAuth2Client: 200,
	OpPatchOAuth2Client: 200, OpDeleteOAuth2Client: 204, OpRotateOAuth2ClientSecret: 200,
	OpDeleteRotatedOAuth2ClientSecrets: 200,
}

func TestProjectAPIAuthentication(t *testing.T) {
	cases := map[string]struct {
		reason string
		// url and bearer return the API URL and the key to call it with.
		url    func(f apiFixture) string
		bearer func(t *testing.T, f apiFixture) string
		want   int // 0: each operation's success status
		// wantViolations says the requests break the contract (on purpose).
		wantViolations bool
	}{
		"OwnKey": {
			reason: "A project API key of the project reaches every operation.",
			bearer: func(_ *testing.T, f apiFixture) string { return f.key.Value },
		},
		"NoKey": {
			reason:         "The oryAccessToken scheme needs a bearer token: 401 without one.",
			bearer:         func(*testing.T, apiFixture) string { return "" },
			want:           401,
			wantViolations: true,
		},
		"UnknownKey": {
			reason: "A project key no project issued is 401.",
			bearer: func(*testing.T, apiFixture) string { return ProjectKeyPrefix + "unknown" },
			want:   401,
		},
		"DeletedKey": {
			reason: "A project key deleted through the console is revoked: 401.",
			bearer: func(t *testing.T, f apiFixture) string {
				k, err := f.sim.CreateKey(KeySpec{Project: f.project.ID, Name: "soon gone"})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.client.ProjectAPI.DeleteProjectApiKey(context.Background(), f.project.ID, k.ID).Execute(); err != nil {
					t.Fatal(err)
				}
				return k.Value
			},
			want: 401,
		},
		"ExpiredKey": {
			reason: "A project key past its expiry is refused like a revoked one.",
			bearer: func(t *testing.T, f apiFixture) string {
				at := f.clock.Now().Add(time.Hour)
				k, err := f.sim.CreateKey(KeySpec{Project: f.project.ID, Name: "short", ExpiresAt: &at})
				if err != nil {
					t.Fatal(err)
				}
				f.clock.Advance(2 * time.Hour)
				return k.Value
			},
			want: 401,
		},
		"KeyOfAnotherProject": {
			reason: "A project key of another project (same workspace) is 403: it is valid, but not here.",
			bearer: func(t *testing.T, f apiFixture) string {
				other := f.sim.AddProject(f.ws.Key, "")
				k, err := f.sim.CreateKey(KeySpec{Project: other.ID, Name: "other"})
				if err != nil {
					t.Fatal(err)
				}
				return k.Value
			},
			want: 403,
		},
		"WorkspaceKey": {
			reason: "A workspace key, even of the project's own workspace, is not a project API key: 403.",
			bearer: func(_ *testing.T, f apiFixture) string { return f.ws.Key },
			want:   403,
		},
		"UnknownSlug": {
			reason: "No project has the slug: nothing serves that API, 404 whatever the key.",
			url:    func(f apiFixture) string { return ProjectAPIURL(f.url, "no-such-slug") },
			bearer: func(_ *testing.T, f apiFixture) string { return f.key.Value },
			want:   404,
		},
		"DeletedProject": {
			reason: "A project deleted in the console (soft) serves no API any more: 404.",
			bearer: func(_ *testing.T, f apiFixture) string {
				f.sim.DeleteProject(f.project.ID)
				return f.key.Value
			},
			want: 404,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, want := map[string]int{}, map[string]int{}
			for _, op := range ProjectAPIOperations() {
				f := newAPIFixture(t)
				id := f.createClient(t, ory.OAuth2Client{ClientName: ptr("existing")}).GetClientId()
				apiURL := ProjectAPIURL(f.url, f.project.Slug)
				if tc.url != nil {
					apiURL = tc.url(f)
				}
				c := NewProjectAPIClient(apiURL, tc.bearer(t, f))
				got[op], _ = callClientOp(context.Background(), c, op, id)
				want[op] = tc.want
				if tc.want == 0 {
					want[op] = successStatus[op]
				}
				if diff := cmp.Diff(tc.wantViolations, len(f.sim.Violations()) > 0); diff != "" {
					t.Errorf("%s\n%s: contract violations %v: -want, +got:\n%s", tc.reason, op, f.sim.Violations(), diff)
				}
				f.sim.Checker().Reset()
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s\nstatus per operation: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestProjectAPIErrorShapes(t *testing.T) {
	f := newAPIFixture(t)
	ctx := context.Background()
	_, _, err := f.api.OAuth2API.GetOAuth2Client(ctx, otherClientID).Execute()
	var apiErr *ory.GenericOpenAPIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("want *ory.GenericOpenAPIError, got %T: %v", err, err)
	}
	model, ok := apiErr.Model().(ory.ErrorOAuth2)
	if !ok {
		t.Fatalf("Model() of a get is %T, want ory.ErrorOAuth2 (the spec's errorOAuth2)", apiErr.Model())
	}
	if diff := cmp.Diff([]any{"not_found", int64(404)}, []any{model.GetError(), model.GetStatusCode()}); diff != "" {
		t.Errorf("errorOAuth2 carries the error and the status: -want, +got:\n%s", diff)
	}
	_, err = f.api.OAuth2API.DeleteOAuth2Client(ctx, otherClientID).Execute()
	if !errors.As(err, &apiErr) {
		t.Fatalf("want *ory.GenericOpenAPIError, got %T: %v", err, err)
	}
	if _, ok := apiErr.Model().(ory.GenericError); !ok {
		t.Errorf("Model() of a delete is %T, want ory.GenericError: the spec declares genericError for deleteOAuth2Client", apiErr.Model())
	}
}

func TestOAuth2ClientCreate(t *testing.T) {
	cases := map[string]struct {
		reason     string
		client     ory.OAuth2Client
		wantStatus int
		// check looks at a created client's answer and what is stored.
		check func(t *testing.T, answer *ory.OAuth2Client, stored OAuth2Client)
	}{
		"GeneratedSecretAndDefaults": {
			reason:     "A confidential client gets a generated secret, answered once, and Ory's defaults.",
			client:     ory.OAuth2Client{ClientName: ptr("web"), GrantTypes: []string{"client_credentials"}},
			wantStatus: 201,
			check: func(t *testing.T, a *ory.OAuth2Client, s OAuth2Client) {
				got := []any{len(a.GetClientSecret()) >= MinClientSecretLen, a.GetClientSecret() == s.Secret,
					a.GetTokenEndpointAuthMethod(), a.GetScope(), a.GetSubjectType(), a.GetGrantTypes(), a.GetRedirectUris(), s.Doc["client_secret"]}
				want := []any{true, true, AuthClientSecretBasic, DefaultClientScope, "public", []string{"client_credentials"}, []string{}, nil}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("-want, +got:\n%s", diff)
				}
			},
		},
		"PublicClientHasNoSecret": {
			reason:     "token_endpoint_auth_method none is a public client: no secret is made or answered.",
			client:     ory.OAuth2Client{TokenEndpointAuthMethod: ptr(AuthNone), RedirectUris: []string{"https://app.example/cb"}},
			wantStatus: 201,
			check: func(t *testing.T, a *ory.OAuth2Client, s OAuth2Client) {
				if diff := cmp.Diff([]any{false, ""}, []any{a.HasClientSecret(), s.Secret}); diff != "" {
					t.Errorf("-want, +got:\n%s", diff)
				}
			},
		},
		"ChosenIDAndSecret": {
			reason:     "The admin API takes a client_id and a client_secret of the caller's choosing.",
			client:     ory.OAuth2Client{ClientId: ptr("checkout"), ClientSecret: ptr("s3cret-enough")},
			wantStatus: 201,
			check: func(t *testing.T, a *ory.OAuth2Client, s OAuth2Client) {
				if diff := cmp.Diff([]any{"checkout", "s3cret-enough", "s3cret-enough"}, []any{a.GetClientId(), a.GetClientSecret(), s.Secret}); diff != "" {
					t.Errorf("-want, +got:\n%s", diff)
				}
			},
		},
		"LifespansAndMetadata": {
			reason:     "Lifespans and metadata are stored and answered as sent.",
			client:     ory.OAuth2Client{AuthorizationCodeGrantAccessTokenLifespan: *ory.NewNullableString(ptr("1h30m0s")), Metadata: map[string]any{"team": "pay"}},
			wantStatus: 201,
			check: func(t *testing.T, a *ory.OAuth2Client, _ OAuth2Client) {
				if diff := cmp.Diff([]any{"1h30m0s", map[string]any{"team": "pay"}}, []any{a.GetAuthorizationCodeGrantAccessTokenLifespan(), a.GetMetadata()}); diff != "" {
					t.Errorf("-want, +got:\n%s", diff)
				}
			},
		},
		"ShortSecret": {
			reason:     "A chosen secret under 6 bytes is refused.",
			client:     ory.OAuth2Client{ClientSecret: ptr("abc")},
			wantStatus: 400,
		},
		"SecretForPublicClient": {
			reason:     "A public client cannot have a secret.",
			client:     ory.OAuth2Client{TokenEndpointAuthMethod: ptr(AuthNone), ClientSecret: ptr("s3cret-enough")},
			wantStatus: 400,
		},
		"UnknownAuthMethod": {
			reason:     "token_endpoint_auth_method is one of four values.",
			client:     ory.OAuth2Client{TokenEndpointAuthMethod: ptr("client_secret_jwt")},
			wantStatus: 400,
		},
		"PrivateKeyJWTWithoutKeys": {
			reason:     "private_key_jwt needs keys to check the client's JWTs.",
			client:     ory.OAuth2Client{TokenEndpointAuthMethod: ptr(AuthPrivateKeyJWT)},
			wantStatus: 400,
		},
		"RelativeRedirectURI": {
			reason:     "Redirect URIs must be absolute.",
			client:     ory.OAuth2Client{RedirectUris: []string{"/callback"}},
			wantStatus: 400,
		},
		"BadStrategy": {
			reason:     "access_token_strategy is jwt or opaque.",
			client:     ory.OAuth2Client{AccessTokenStrategy: ptr("random")},
			wantStatus: 400,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newAPIFixture(t)
			got, resp, err := f.api.OAuth2API.CreateOAuth2Client(context.Background()).OAuth2Client(tc.client).Execute()
			if diff := cmp.Diff(tc.wantStatus, statusOf(resp)); diff != "" {
				t.Fatalf("%s\nstatus (err %v): -want, +got:\n%s", tc.reason, err, diff)
			}
			stored := f.sim.OAuth2Clients(f.project.ID)
			if tc.wantStatus != http.StatusCreated {
				if len(stored) != 0 {
					t.Errorf("%s\na refused create stored %d clients", tc.reason, len(stored))
				}
				return
			}
			if len(stored) != 1 || stored[0].ID != got.GetClientId() {
				t.Fatalf("%s\nstored %+v, want the one client answered", tc.reason, stored)
			}
			tc.check(t, got, stored[0])
		})
	}
}

func TestOAuth2ClientCreateTakenID(t *testing.T) {
	f := newAPIFixture(t)
	f.createClient(t, ory.OAuth2Client{ClientId: ptr("checkout")})
	_, resp, _ := f.api.OAuth2API.CreateOAuth2Client(context.Background()).OAuth2Client(ory.OAuth2Client{ClientId: ptr("checkout")}).Execute()
	if diff := cmp.Diff([]int{409, 1}, []int{statusOf(resp), len(f.sim.OAuth2Clients(f.project.ID))}); diff != "" {
		t.Errorf("A client_id taken in the project is a 409 that makes nothing: -want, +got:\n%s", diff)
	}
	// Another project's API has its own IDs.
	other := f.sim.AddProject(f.ws.Key, "")
	k, _ := f.sim.CreateKey(KeySpec{Project: other.ID, Name: "k"})
	c := NewProjectAPIClient(ProjectAPIURL(f.url, other.Slug), k.Value)
	if _, resp, err := c.OAuth2API.CreateOAuth2Client(context.Background()).OAuth2Client(ory.OAuth2Client{ClientId: ptr("checkout")}).Execute(); err != nil {
		t.Errorf("Client IDs are per project: another project's create answered %d: %v", statusOf(resp), err)
	}
}

// TestOAuth2ClientSecretLife follows one client's secret through set,
// patch, rotation and the deletion of rotated secrets, checking after each
// step which secrets work and what the answer revealed.
func TestOAuth2ClientSecretLife(t *testing.T) {
	f := newAPIFixture(t)
	ctx := context.Background()
	a := f.api.OAuth2API
	made := f.createClient(t, ory.OAuth2Client{ClientName: ptr("web")})
	id, first := made.GetClientId(), made.GetClientSecret()

	type step struct {
		reason string
		do     func(t *testing.T) (*ory.OAuth2Client, *http.Response, error)
		// wantSecret says the answer carries a secret (it becomes "current").
		wantSecret bool
		// works and fails name secrets by label: "first", "set", "r1"...
		works, fails []string
		check        func(t *testing.T, got *ory.OAuth2Client)
	}
	secrets := map[string]string{"first": first}
	steps := []struct {
		label string
		step
	}{
		{"set-without-secret", step{
			reason: "A set without client_secret replaces the fields, keeps the secret and answers none.",
			do: func(*testing.T) (*ory.OAuth2Client, *http.Response, error) {
				return a.SetOAuth2Client(ctx, id).OAuth2Client(ory.OAuth2Client{ClientName: ptr("web v2"), Scope: ptr("openid")}).Execute()
			},
			works: []string{"first"},
			check: func(t *testing.T, got *ory.OAuth2Client) {
				if diff := cmp.Diff([]string{"web v2", "openid", id}, []string{got.GetClientName(), got.GetScope(), got.GetClientId()}); diff != "" {
					t.Errorf("-want, +got:\n%s", diff)
				}
			},
		}},
		{"r1", step{
			reason: "A rotation answers a new secret once; the old one keeps working.",
			do: func(*testing.T) (*ory.OAuth2Client, *http.Response, error) {
				return a.RotateOAuth2ClientSecret(ctx, id).RotateOAuth2ClientSecretBody(noSecret).Execute()
			},
			wantSecret: true,
			works:      []string{"first", "r1"},
		}},
		{"r2", step{
			reason: "A second rotation: every earlier secret still works.",
			do: func(*testing.T) (*ory.OAuth2Client, *http.Response, error) {
				return a.RotateOAuth2ClientSecret(ctx, id).RotateOAuth2ClientSecretBody(ory.RotateOAuth2ClientSecretBody{ClientSecret: ptr("chosen-r2")}).Execute()
			},
			wantSecret: true,
			works:      []string{"first", "r1", "r2"},
			check: func(t *testing.T, got *ory.OAuth2Client) {
				if got.GetClientSecret() != "chosen-r2" {
					t.Error("a rotation to a chosen secret must answer that secret")
				}
			},
		}},
		{"patch-name", step{
			reason: "A JSON Patch that leaves the secret alone changes the field and keeps every secret.",
			do: func(*testing.T) (*ory.OAuth2Client, *http.Response, error) {
				return a.PatchOAuth2Client(ctx, id).JsonPatch([]ory.JsonPatch{{Op: "replace", Path: "/client_name", Value: "web v3"}}).Execute()
			},
			works: []string{"first", "r1", "r2"},
			check: func(t *testing.T, got *ory.OAuth2Client) {
				if diff := cmp.Diff([]any{"web v3", "openid", false}, []any{got.GetClientName(), got.GetScope(), got.HasClientSecret()}); diff != "" {
					t.Errorf("-want, +got:\n%s", diff)
				}
			},
		}},
		{"drop", step{
			reason: "Deleting the rotated secrets leaves only the current one.",
			do: func(*testing.T) (*ory.OAuth2Client, *http.Response, error) {
				return a.DeleteRotatedOAuth2ClientSecrets(ctx, id).Execute()
			},
			works: []string{"r2"},
			fails: []string{"first", "r1"},
		}},
		{"r3", step{
			reason: "Rotate once more, to have a rotated secret for the set below to drop.",
			do: func(*testing.T) (*ory.OAuth2Client, *http.Response, error) {
				return a.RotateOAuth2ClientSecret(ctx, id).RotateOAuth2ClientSecretBody(noSecret).Execute()
			},
			wantSecret: true,
			works:      []string{"r2", "r3"},
		}},
		{"set", step{
			reason: "A set that names a client_secret makes it the only secret (rotated ones dropped) and echoes it.",
			do: func(*testing.T) (*ory.OAuth2Client, *http.Response, error) {
				return a.SetOAuth2Client(ctx, id).OAuth2Client(ory.OAuth2Client{ClientName: ptr("web v4"), ClientSecret: ptr("set-by-put")}).Execute()
			},
			wantSecret: true,
			works:      []string{"set"},
			fails:      []string{"r2", "r3"},
		}},
		{"patched", step{
			reason: "A patch that adds client_secret does the same as a set with one.",
			do: func(*testing.T) (*ory.OAuth2Client, *http.Response, error) {
				return a.PatchOAuth2Client(ctx, id).JsonPatch([]ory.JsonPatch{{Op: "add", Path: "/client_secret", Value: "set-by-patch"}}).Execute()
			},
			wantSecret: true,
			works:      []string{"patched"},
			fails:      []string{"set"},
		}},
	}
	for _, s := range steps {
		got, resp, err := s.do(t)
		if err != nil || statusOf(resp) != http.StatusOK {
			t.Fatalf("%s: %s\nanswered %d: %v", s.label, s.reason, statusOf(resp), err)
		}
		if got.HasClientSecret() != s.wantSecret {
			t.Errorf("%s: %s\nthe answer carries a secret: %v, want %v", s.label, s.reason, got.HasClientSecret(), s.wantSecret)
		}
		if s.wantSecret {
			secrets[s.label] = got.GetClientSecret()
		}
		for _, l := range s.works {
			if !f.sim.SecretWorks(f.project.Slug, id, secrets[l]) {
				t.Errorf("%s: %s\nsecret %s must work", s.label, s.reason, l)
			}
		}
		for _, l := range s.fails {
			if f.sim.SecretWorks(f.project.ID, id, secrets[l]) {
				t.Errorf("%s: %s\nsecret %s must no longer work", s.label, s.reason, l)
			}
		}
		if s.check != nil {
			s.check(t, got)
		}
	}
	// A read never reveals the secret.
	got, _, err := a.GetOAuth2Client(ctx, id).Execute()
	if err != nil || got.HasClientSecret() {
		t.Errorf("GetOAuth2Client must answer the client without its secret: %v, secret present %v", err, got.HasClientSecret())
	}
}

func TestOAuth2ClientRotationIsBounded(t *testing.T) {
	f := newAPIFixture(t)
	made := f.createClient(t, ory.OAuth2Client{})
	id := made.GetClientId()
	all := []string{made.GetClientSecret()}
	for range MaxRotatedSecrets + 2 {
		got, _, err := f.api.OAuth2API.RotateOAuth2ClientSecret(context.Background(), id).RotateOAuth2ClientSecretBody(noSecret).Execute()
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, got.GetClientSecret())
	}
	var working []bool
	for _, s := range all {
		working = append(working, f.sim.SecretWorks(f.project.ID, id, s))
	}
	// 8 secrets: the current one and the 5 newest rotated ones work.
	want := []bool{false, false, true, true, true, true, true, true}
	if diff := cmp.Diff(want, working); diff != "" {
		t.Errorf("Ory keeps at most %d rotated secrets, forgetting the oldest: -want, +got:\n%s", MaxRotatedSecrets, diff)
	}
}

func TestOAuth2ClientRefusals(t *testing.T) {
	cases := map[string]struct {
		reason string
		call   func(ctx context.Context, a ory.OAuth2API, id string) (*http.Response, error)
		want   int
	}{
		"PatchChangesID": {
			reason: "A client's ID cannot be patched.",
			call: func(ctx context.Context, a ory.OAuth2API, id string) (*http.Response, error) {
				_, resp, err := a.PatchOAuth2Client(ctx, id).JsonPatch([]ory.JsonPatch{{Op: "replace", Path: "/client_id", Value: "other"}}).Execute()
				return resp, err
			},
			want: 400,
		},
		"PatchDoesNotApply": {
			reason: "A JSON Patch whose test fails changes nothing: 400.",
			call: func(ctx context.Context, a ory.OAuth2API, id string) (*http.Response, error) {
				_, resp, err := a.PatchOAuth2Client(ctx, id).JsonPatch([]ory.JsonPatch{
					{Op: "test", Path: "/client_name", Value: "not its name"},
					{Op: "replace", Path: "/client_name", Value: "changed"},
				}).Execute()
				return resp, err
			},
			want: 400,
		},
		"PatchBreaksRules": {
			reason: "The patched client is checked like a set: a relative redirect URI is 400.",
			call: func(ctx context.Context, a ory.OAuth2API, id string) (*http.Response, error) {
				_, resp, err := a.PatchOAuth2Client(ctx, id).JsonPatch([]ory.JsonPatch{{Op: "add", Path: "/redirect_uris/-", Value: "relative"}}).Execute()
				return resp, err
			},
			want: 400,
		},
		"SetShortSecret": {
			reason: "A set is checked like a create.",
			call: func(ctx context.Context, a ory.OAuth2API, id string) (*http.Response, error) {
				_, resp, err := a.SetOAuth2Client(ctx, id).OAuth2Client(ory.OAuth2Client{ClientSecret: ptr("abc")}).Execute()
				return resp, err
			},
			want: 400,
		},
		"RotateShortSecret": {
			reason: "A rotation to a chosen secret needs 6 bytes.",
			call: func(ctx context.Context, a ory.OAuth2API, id string) (*http.Response, error) {
				_, resp, err := a.RotateOAuth2ClientSecret(ctx, id).RotateOAuth2ClientSecretBody(ory.RotateOAuth2ClientSecretBody{ClientSecret: ptr("abc")}).Execute()
				return resp, err
			},
			want: 400,
		},
		"RotatePublicClient": {
			reason: "A public client has no secret to rotate.",
			call: func(ctx context.Context, a ory.OAuth2API, id string) (*http.Response, error) {
				if _, _, err := a.SetOAuth2Client(ctx, id).OAuth2Client(ory.OAuth2Client{TokenEndpointAuthMethod: ptr(AuthNone)}).Execute(); err != nil {
					return nil, err
				}
				_, resp, err := a.RotateOAuth2ClientSecret(ctx, id).RotateOAuth2ClientSecretBody(noSecret).Execute()
				return resp, err
			},
			want: 400,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newAPIFixture(t)
			before := f.createClient(t, ory.OAuth2Client{ClientName: ptr("web"), RedirectUris: []string{"https://app.example/cb"}})
			stored, _ := f.sim.OAuth2Client(f.project.ID, before.GetClientId())
			resp, err := tc.call(context.Background(), f.api.OAuth2API, before.GetClientId())
			if diff := cmp.Diff(tc.want, statusOf(resp)); diff != "" {
				t.Errorf("%s\nstatus (err %v): -want, +got:\n%s", tc.reason, err, diff)
			}
			after, _ := f.sim.OAuth2Client(f.project.ID, before.GetClientId())
			if name != "RotatePublicClient" {
				if diff := cmp.Diff(stored, after); diff != "" {
					t.Errorf("%s\na refused change must change nothing: -before, +after:\n%s", tc.reason, diff)
				}
			}
		})
	}
}

func TestOAuth2ClientDelete(t *testing.T) {
	f := newAPIFixture(t)
	ctx := context.Background()
	id := f.createClient(t, ory.OAuth2Client{}).GetClientId()
	var got []int
	for range 2 {
		resp, _ := f.api.OAuth2API.DeleteOAuth2Client(ctx, id).Execute()
		got = append(got, statusOf(resp))
	}
	_, resp, _ := f.api.OAuth2API.GetOAuth2Client(ctx, id).Execute()
	got = append(got, statusOf(resp))
	if diff := cmp.Diff([]int{204, 404, 404}, got); diff != "" {
		t.Errorf("Delete is 204, then the client is unknown (404) to delete and get: -want, +got:\n%s", diff)
	}
}

func TestListOAuth2ClientsPages(t *testing.T) {
	f := newAPIFixture(t)
	ctx := context.Background()
	var ids []string
	for _, owner := range []string{"a", "b", "a", "a", "b"} {
		ids = append(ids, f.createClient(t, ory.OAuth2Client{Owner: ptr(owner)}).GetClientId())
	}
	cases := map[string]struct {
		reason string
		list   func(token string) ory.OAuth2APIListOAuth2ClientsRequest
		want   [][]string // client IDs per page
	}{
		"Pages": {
			reason: "Two at a time: three pages, the last without a next link.",
			list: func(tok string) ory.OAuth2APIListOAuth2ClientsRequest {
				return f.api.OAuth2API.ListOAuth2Clients(ctx).PageSize(2).PageToken(tok)
			},
			want: [][]string{{ids[0], ids[1]}, {ids[2], ids[3]}, {ids[4]}},
		},
		"ExactFit": {
			reason: "A page size that divides the list: no empty page at the end.",
			list: func(tok string) ory.OAuth2APIListOAuth2ClientsRequest {
				return f.api.OAuth2API.ListOAuth2Clients(ctx).PageSize(5).PageToken(tok)
			},
			want: [][]string{ids},
		},
		"Default": {
			reason: "client-go's default page size (250) takes all in one page.",
			list: func(tok string) ory.OAuth2APIListOAuth2ClientsRequest {
				r := f.api.OAuth2API.ListOAuth2Clients(ctx)
				if tok != "" {
					r = r.PageToken(tok)
				}
				return r
			},
			want: [][]string{ids},
		},
		"FilteredPages": {
			reason: "The owner filter applies before paging, and the next link keeps it.",
			list: func(tok string) ory.OAuth2APIListOAuth2ClientsRequest {
				return f.api.OAuth2API.ListOAuth2Clients(ctx).Owner("a").PageSize(2).PageToken(tok)
			},
			want: [][]string{{ids[0], ids[2]}, {ids[3]}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got [][]string
			token := ""
			for range 10 {
				page, resp, err := tc.list(token).Execute()
				if err != nil {
					t.Fatal(err)
				}
				var pageIDs []string
				for _, c := range page {
					pageIDs = append(pageIDs, c.GetClientId())
					if c.HasClientSecret() {
						t.Errorf("a list must never carry a secret")
					}
				}
				got = append(got, pageIDs)
				if token = nextPageToken(t, resp.Header.Get("Link")); token == "" {
					break
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}

	_, resp, _ := f.api.OAuth2API.ListOAuth2Clients(ctx).PageToken("not-a-token").Execute()
	if statusOf(resp) != http.StatusBadRequest {
		t.Errorf("A page token the simulator did not make is 400, got %d", statusOf(resp))
	}
}

// nextPageToken is page_token of the rel="next" link of a Link header, ""
// when there is none.
func nextPageToken(t *testing.T, header string) string {
	t.Helper()
	for l := range strings.SplitSeq(header, ",") {
		target, params, _ := strings.Cut(strings.TrimSpace(l), ";")
		if !strings.Contains(params, `rel="next"`) {
			continue
		}
		u, err := url.Parse(strings.Trim(target, "<>"))
		if err != nil {
			t.Fatalf("next link %q: %v", target, err)
		}
		return u.Query().Get("page_token")
	}
	return ""
}

func TestOAuth2ClientFaults(t *testing.T) {
	cases := map[string]struct {
		reason string
		arm    func(f apiFixture)
		op     string
		// wantStatus is what the client sees (0: no status), wantMade
		// whether the create or rotation took place in Ory.
		wantStatus int
		wantMade   bool
	}{
		"CreateAnswerLost": {
			reason:     "Ory made the client, then the answer was cut: the client exists and its secret is lost to the caller.",
			arm:        func(f apiFixture) { f.sim.CutAnswers(OpCreateOAuth2Client, f.project.Slug, 1, CutBeforeHeaders) },
			op:         OpCreateOAuth2Client,
			wantStatus: 0,
			wantMade:   true,
		},
		"CreateSecretOmitted": {
			reason:     "The answer arrives without client_secret: the client exists.",
			arm:        func(f apiFixture) { f.sim.CutAnswers(OpCreateOAuth2Client, "", 1, OmitValue) },
			op:         OpCreateOAuth2Client,
			wantStatus: 201,
			wantMade:   true,
		},
		"Create503": {
			reason:     "An injected 5xx strikes before Ory acts: nothing is made.",
			arm:        func(f apiFixture) { f.sim.FailNext(OpCreateOAuth2Client, 1, 503) },
			op:         OpCreateOAuth2Client,
			wantStatus: 503,
		},
		"CreateRateLimited": {
			reason: "A 429 strikes before Ory acts.",
			arm: func(f apiFixture) {
				f.sim.SetRateLimit(RateLimit{Rate: 0.001, Burst: 1})
				_, _ = callClientOp(context.Background(), f.api, OpListOAuth2Clients, "")
			},
			op:         OpCreateOAuth2Client,
			wantStatus: 429,
		},
		"RotateAnswerLost": {
			reason:     "Ory rotated, then the answer was cut mid-body: the new secret is lost to the caller, the rotation happened.",
			arm:        func(f apiFixture) { f.sim.CutAnswers(OpRotateOAuth2ClientSecret, f.project.Slug, 1, CutMidBody) },
			op:         OpRotateOAuth2ClientSecret,
			wantStatus: 200,
			wantMade:   true,
		},
		"RotateDropped": {
			reason:     "A dropped connection strikes before Ory acts.",
			arm:        func(f apiFixture) { f.sim.SetDropRate(OpRotateOAuth2ClientSecret, 1) },
			op:         OpRotateOAuth2ClientSecret,
			wantStatus: 0,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newAPIFixture(t)
			made := f.createClient(t, ory.OAuth2Client{})
			before := f.sim.OAuth2Clients(f.project.ID)
			tc.arm(f)
			status, err := callClientOp(context.Background(), f.api, tc.op, made.GetClientId())
			f.sim.ClearFaults()
			if diff := cmp.Diff(tc.wantStatus, status); diff != "" {
				t.Errorf("%s\nstatus (err %v): -want, +got:\n%s", tc.reason, err, diff)
			}
			after := f.sim.OAuth2Clients(f.project.ID)
			var gotMade bool
			switch tc.op {
			case OpCreateOAuth2Client:
				gotMade = len(after) == len(before)+1
			case OpRotateOAuth2ClientSecret:
				gotMade = after[0].Secret != before[0].Secret && f.sim.SecretWorks(f.project.ID, made.GetClientId(), made.GetClientSecret())
			}
			if diff := cmp.Diff(tc.wantMade, gotMade); diff != "" {
				t.Errorf("%s\nOry acted: -want, +got:\n%s", tc.reason, diff)
			}
			log := f.sim.RequestLog()
			last := log[len(log)-1]
			if last.Operation != tc.op || last.ProjectKeyID != f.key.ID || !strings.HasPrefix(last.Path, ProjectAPIPathPrefix+f.project.Slug+"/admin/clients") {
				t.Errorf("%s\nthe request log must name the operation, the project key and the path as sent: %+v", tc.reason, last)
			}
		})
	}
}

func TestPurgeProjectRemovesClients(t *testing.T) {
	f := newAPIFixture(t)
	f.createClient(t, ory.OAuth2Client{ClientName: ptr("a")})
	id := f.createClient(t, ory.OAuth2Client{ClientName: ptr("b")}).GetClientId()
	secret, _ := f.sim.OAuth2Client(f.project.ID, id)
	if _, err := f.client.ProjectAPI.PurgeProject(context.Background(), f.project.ID).Execute(); err != nil {
		t.Fatal(err)
	}
	_, resp, _ := f.api.OAuth2API.ListOAuth2Clients(context.Background()).Execute()
	got := []any{len(f.sim.OAuth2Clients(f.project.ID)), f.sim.SecretWorks(f.project.ID, id, secret.Secret), statusOf(resp)}
	if diff := cmp.Diff([]any{0, false, 404}, got); diff != "" {
		t.Errorf("A purged project's clients are gone, their secrets do not work, its API is not served: -want, +got:\n%s", diff)
	}
}

func TestRotateWithoutBody(t *testing.T) {
	f := newAPIFixture(t)
	made := f.createClient(t, ory.OAuth2Client{})
	got, _, err := f.api.OAuth2API.RotateOAuth2ClientSecret(context.Background(), made.GetClientId()).Execute()
	if err != nil || got.GetClientSecret() == "" || got.GetClientSecret() == made.GetClientSecret() {
		t.Fatalf("A rotation without a body must rotate to a generated secret: %v", err)
	}
	v := f.sim.Violations()
	if len(v) != 1 || !strings.Contains(v[0].Error, "not nullable") {
		t.Errorf("client-go sends null for a rotation without a body, which the contract check must report: %v", v)
	}
	f.sim.Checker().Reset()
}
