package contract

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const (
	projectID = "5f0f7a1c-3b52-4c1e-9a57-6c4a3e0c7d11"
	keyID     = "0b6f1e8e-2f0a-4f43-8d0b-3f1b2d7c9a10"
	ownerID   = "7d3c2b1a-9e8f-4a6b-8c5d-1e2f3a4b5c6d"
	herodot   = `{"error":{"code":%d,"status":"x","request":"` + keyID + `","reason":"r","message":"m"}}`
)

// validKey is a projectApiKey as the simulator writes it.
const validKey = `{"id":"` + keyID + `","name":"ci","owner_id":"` + ownerID + `","project_id":"` + projectID +
	`","created_at":"2025-01-02T03:04:05Z","updated_at":"2025-01-02T03:04:05Z","expires_at":null,"last_characters":"abcd","value":"ory_pat_x"}`

// respond returns a handler variant that answers status with body.
func respond(status int, contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// herodotBody is Ory's error envelope for status.
func herodotBody(status int) string { return fmt.Sprintf(herodot, status) }

// want is a violation reduced to what a case asserts on.
type want struct {
	Operation     string
	Phase         Phase
	Status        int
	ErrorContains string
}

func reduce(got []Violation, wants []want) []want {
	out := make([]want, len(got))
	for i, v := range got {
		out[i] = want{Operation: v.Operation, Phase: v.Phase, Status: v.Status, ErrorContains: v.Error}
		if i < len(wants) && strings.Contains(v.Error, wants[i].ErrorContains) {
			out[i].ErrorContains = wants[i].ErrorContains
		}
	}
	return out
}

func TestMiddleware(t *testing.T) {
	clientGo, err := ClientGoSpec()
	if err != nil {
		t.Fatalf("ClientGoSpec: %v", err)
	}
	noDefault, err := LoadSpec("testdata/no-default.yaml")
	if err != nil {
		t.Fatalf("LoadSpec: %v", err)
	}
	const (
		tokens = "/projects/" + projectID + "/tokens"
		json   = "application/json"
	)

	cases := map[string]struct {
		reason         string
		spec           *Spec
		method, path   string
		bearer         string
		body           string
		handler        http.HandlerFunc
		want           []want
		wantExceptions int
		// projectAPI checks with ProjectAPIMiddleware instead of Middleware.
		projectAPI bool
	}{
		"ValidCreate": {
			reason:  "A request and response exactly as the simulator produces them must pass.",
			method:  http.MethodPost,
			path:    tokens,
			body:    `{"name":"ci","expires_at":"2030-01-01T00:00:00Z"}`,
			handler: respond(http.StatusCreated, json, validKey),
		},
		"ValidListBySlug": {
			reason:  "The tokens endpoints accept a slug; the path parameter is a plain string.",
			method:  http.MethodGet,
			path:    "/projects/my-slug/tokens",
			handler: respond(http.StatusOK, json, `[`+validKey+`]`),
		},
		"ValidDelete": {
			reason:  "204 declares no body and none is sent.",
			method:  http.MethodDelete,
			path:    tokens + "/" + keyID,
			handler: respond(http.StatusNoContent, "", ""),
		},
		"HerodotErrorOnDefault": {
			reason:  "Ory's herodot error shape must be valid against errorGeneric under default.",
			method:  http.MethodDelete,
			path:    tokens + "/" + keyID,
			handler: respond(http.StatusNotFound, json, herodotBody(404)),
		},
		"RateLimitedUnderDefault": {
			reason:  "429 is not listed for createProjectApiKey but default covers it, so no exception is needed.",
			method:  http.MethodPost,
			path:    tokens,
			body:    `{"name":"ci"}`,
			handler: respond(http.StatusTooManyRequests, json, herodotBody(429)),
		},
		"GetProject503UnderDefault": {
			reason:  "getProject lists 401/403/404 and a default; 503 falls to default.",
			method:  http.MethodGet,
			path:    "/projects/" + projectID,
			handler: respond(http.StatusServiceUnavailable, json, herodotBody(503)),
		},
		"UnknownPath": {
			reason:  "Requests to paths the spec does not have are violations.",
			method:  http.MethodGet,
			path:    "/nope",
			handler: respond(http.StatusNotFound, json, herodotBody(404)),
			want:    []want{{Phase: PhaseRequest, Status: 404, ErrorContains: "no path in the spec"}},
		},
		"MethodNotAllowed": {
			reason:  "A declared path with an undeclared method is a violation too.",
			method:  http.MethodPut,
			path:    tokens,
			handler: respond(http.StatusMethodNotAllowed, json, herodotBody(405)),
			want:    []want{{Phase: PhaseRequest, Status: 405, ErrorContains: "not this method"}},
		},
		"ProjectAPIOperation": {
			reason:  "Operations served by the per-project API are not console operations.",
			method:  http.MethodGet,
			path:    "/admin/identities",
			handler: respond(http.StatusNotFound, json, herodotBody(404)),
			want:    []want{{Operation: "listIdentities", Phase: PhaseRequest, Status: 404, ErrorContains: "not served by https://api.console.ory.sh"}},
		},
		"ProjectAPIValidClientCreate": {
			reason:     "On a project's own API, an OAuth2 client create as the simulator answers it passes.",
			projectAPI: true,
			method:     http.MethodPost,
			path:       "/admin/clients",
			body:       `{"client_name":"web"}`,
			handler:    respond(http.StatusCreated, json, `{"client_id":"c1","client_name":"web","client_secret":"s3cret","created_at":"2025-01-02T03:04:05Z"}`),
		},
		"ProjectAPIErrorShape": {
			reason:     "getOAuth2Client's errors are errorOAuth2, whose error is a string: a herodot object breaks it.",
			projectAPI: true,
			method:     http.MethodGet,
			path:       "/admin/clients/c1",
			handler:    respond(http.StatusNotFound, json, herodotBody(404)),
			want:       []want{{Operation: "getOAuth2Client", Phase: PhaseResponse, Status: 404, ErrorContains: "/error"}},
		},
		"ConsoleOperationOnProjectAPI": {
			reason:     "A console operation sent to a project's API is a violation, as the reverse is.",
			projectAPI: true,
			method:     http.MethodGet,
			path:       tokens,
			handler:    respond(http.StatusOK, json, `[`+validKey+`]`),
			want:       []want{{Operation: "listProjectApiKeys", Phase: PhaseRequest, Status: 200, ErrorContains: "not served by https://{project_slug}.projects.oryapis.com"}},
		},
		"MissingBearer": {
			reason:  "The console operations require the oryWorkspaceApiKey bearer scheme.",
			method:  http.MethodGet,
			path:    tokens,
			bearer:  "-",
			handler: respond(http.StatusUnauthorized, json, herodotBody(401)),
			want:    []want{{Operation: "listProjectApiKeys", Phase: PhaseRequest, Status: 401, ErrorContains: "no bearer token"}},
		},
		"NameWrongType": {
			reason:  "A malformed request body must be caught, so the check is shown to fail.",
			method:  http.MethodPost,
			path:    tokens,
			body:    `{"name":5}`,
			handler: respond(http.StatusBadRequest, json, herodotBody(400)),
			want:    []want{{Operation: "createProjectApiKey", Phase: PhaseRequest, Status: 400, ErrorContains: "/name"}},
		},
		"NameMissing": {
			reason:  "name is required by createProjectApiKeyBody.",
			method:  http.MethodPost,
			path:    tokens,
			body:    `{}`,
			handler: respond(http.StatusBadRequest, json, herodotBody(400)),
			want:    []want{{Operation: "createProjectApiKey", Phase: PhaseRequest, Status: 400, ErrorContains: "name"}},
		},
		"ExpiresAtNotDateTime": {
			reason:  "expires_at is a date-time; kin-openapi checks that format out of the box.",
			method:  http.MethodPost,
			path:    tokens,
			body:    `{"name":"ci","expires_at":"tomorrow"}`,
			handler: respond(http.StatusBadRequest, json, herodotBody(400)),
			want:    []want{{Operation: "createProjectApiKey", Phase: PhaseRequest, Status: 400, ErrorContains: "/expires_at"}},
		},
		"KeyWithoutOwner": {
			reason:  "owner_id is required in projectApiKey; client-go refuses to decode without it.",
			method:  http.MethodPost,
			path:    tokens,
			body:    `{"name":"ci"}`,
			handler: respond(http.StatusCreated, json, strings.Replace(validKey, `"owner_id"`, `"owner"`, 1)),
			want:    []want{{Operation: "createProjectApiKey", Phase: PhaseResponse, Status: 201, ErrorContains: "owner_id"}},
		},
		"KeyIDNotUUID": {
			reason:  "ids are format uuid; the checker adds a uuid format validator kin-openapi lacks.",
			method:  http.MethodGet,
			path:    tokens,
			handler: respond(http.StatusOK, json, `[`+strings.Replace(validKey, keyID, "42", 1)+`]`),
			want:    []want{{Operation: "listProjectApiKeys", Phase: PhaseResponse, Status: 200, ErrorContains: "/0/id"}},
		},
		"ListAsObject": {
			reason:  "listProjectApiKeys returns a plain array, not a paginated object.",
			method:  http.MethodGet,
			path:    tokens,
			handler: respond(http.StatusOK, json, `{"items":[]}`),
			want:    []want{{Operation: "listProjectApiKeys", Phase: PhaseResponse, Status: 200, ErrorContains: "array"}},
		},
		"NoContentWithBody": {
			reason:  "kin-openapi ignores bodies of responses without content; the checker does not.",
			method:  http.MethodDelete,
			path:    tokens + "/" + keyID,
			handler: respond(http.StatusNoContent, json, `{}`),
			want:    []want{{Operation: "deleteProjectApiKey", Phase: PhaseResponse, Status: 204, ErrorContains: "declares no body"}},
		},
		"ErrorNotHerodot": {
			reason:  "errorGeneric requires the error envelope; a bare message is not Ory's shape.",
			method:  http.MethodGet,
			path:    tokens,
			handler: respond(http.StatusNotFound, json, `{"message":"not found"}`),
			want:    []want{{Operation: "listProjectApiKeys", Phase: PhaseResponse, Status: 404, ErrorContains: "error"}},
		},
		"ErrorAsText": {
			reason:  "A plain text 503 (what a proxy might send) does not match the declared media type.",
			method:  http.MethodGet,
			path:    tokens,
			handler: respond(http.StatusServiceUnavailable, "text/plain", "oops"),
			want:    []want{{Operation: "listProjectApiKeys", Phase: PhaseResponse, Status: 503, ErrorContains: "text/plain"}},
		},
		"ProjectWithoutSlug": {
			reason:  "slug is required in project and is what the provider reads from getProject.",
			method:  http.MethodGet,
			path:    "/projects/" + projectID,
			handler: respond(http.StatusOK, json, `{"id":"`+projectID+`","name":"p","state":"running","environment":"prod","home_region":"eu-central","revision_id":"`+keyID+`","organizations":[],"services":{}}`),
			want:    []want{{Operation: "getProject", Phase: PhaseResponse, Status: 200, ErrorContains: "slug"}},
		},
		"DroppedConnection": {
			reason: "A hijacked connection got no response, so there is nothing to validate.",
			method: http.MethodGet,
			path:   tokens,
			handler: func(w http.ResponseWriter, _ *http.Request) {
				conn, _, err := http.NewResponseController(w).Hijack()
				if err == nil {
					_ = conn.Close()
				}
			},
		},
		"UndeclaredServerErrorIsException": {
			reason:         "Without a default, 5xx is accepted as a documented exception if the body is errorGeneric.",
			spec:           noDefault,
			method:         http.MethodGet,
			path:           "/things/" + keyID,
			handler:        respond(http.StatusServiceUnavailable, json, herodotBody(503)),
			wantExceptions: 1,
		},
		"UndeclaredServerErrorBadBody": {
			reason:  "The exception still validates the body against errorGeneric.",
			spec:    noDefault,
			method:  http.MethodGet,
			path:    "/things/" + keyID,
			handler: respond(http.StatusServiceUnavailable, json, `{"message":"x"}`),
			want:    []want{{Operation: "getThing", Phase: PhaseResponse, Status: 503, ErrorContains: "errorGeneric"}},
		},
		"UndeclaredClientError": {
			reason:  "Without a default, an undeclared 4xx is a plain violation.",
			spec:    noDefault,
			method:  http.MethodGet,
			path:    "/things/" + keyID,
			handler: respond(http.StatusTeapot, json, herodotBody(418)),
			want:    []want{{Operation: "getThing", Phase: PhaseResponse, Status: 418, ErrorContains: "not declared"}},
		},
	}

	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			spec := tc.spec
			if spec == nil {
				spec = clientGo
			}
			c := NewChecker(spec)
			mw := c.Middleware
			if tc.projectAPI {
				mw = c.ProjectAPIMiddleware
			}
			srv := httptest.NewServer(mw(tc.handler))
			defer srv.Close()

			req, err := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if tc.bearer != "-" {
				req.Header.Set("Authorization", "Bearer ory_wak_test")
			}
			if resp, err := srv.Client().Do(req); err == nil {
				_ = resp.Body.Close()
			}

			got := c.Violations()
			if diff := cmp.Diff(tc.want, reduce(got, tc.want), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\nViolations(): -want, +got:\n%s\nall: %v", tc.reason, diff, got)
			}
			if diff := cmp.Diff(tc.wantExceptions, len(c.Exceptions())); diff != "" {
				t.Errorf("%s\nlen(Exceptions()): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestReset(t *testing.T) {
	spec, err := ClientGoSpec()
	if err != nil {
		t.Fatalf("ClientGoSpec: %v", err)
	}
	c := NewChecker(spec)
	srv := httptest.NewServer(c.Middleware(respond(http.StatusNotFound, "application/json", herodotBody(404))))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/nope")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if len(c.Violations()) != 1 {
		t.Fatalf("want one violation before Reset, got %v", c.Violations())
	}
	c.Reset()
	if diff := cmp.Diff(0, len(c.Violations())); diff != "" {
		t.Errorf("Reset must forget violations: -want, +got:\n%s", diff)
	}
}

func TestFindClientGoSpec(t *testing.T) {
	cases := map[string]struct {
		reason  string
		env     string
		wantErr bool
	}{
		"ModuleCache": {
			reason: "Without an override the document is found next to the compiled client-go.",
		},
		"EnvOverride": {
			reason: "ORYSIM_OPENAPI_SPEC wins, for binaries run outside a module.",
			env:    "testdata/no-default.yaml",
		},
		"EnvMissingFile": {
			reason:  "A wrong override is an error, not a silent fallback to another document.",
			env:     "testdata/does-not-exist.yaml",
			wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv(SpecPathEnv, tc.env)
			got, err := FindClientGoSpec()
			if diff := cmp.Diff(tc.wantErr, err != nil); diff != "" {
				t.Fatalf("%s\nFindClientGoSpec() error = %v: -want, +got:\n%s", tc.reason, err, diff)
			}
			if err != nil {
				return
			}
			wantSuffix := "api/openapi.yaml"
			if tc.env != "" {
				wantSuffix = tc.env
			}
			if !strings.HasSuffix(got, wantSuffix) {
				t.Errorf("%s\nFindClientGoSpec() = %q, want suffix %q", tc.reason, got, wantSuffix)
			}
		})
	}
}

func TestEscapeModulePath(t *testing.T) {
	cases := map[string]struct {
		reason string
		in     string
		want   string
	}{
		"LowerCase": {reason: "Lower case paths are unchanged.", in: "github.com/ory/client-go", want: "github.com/ory/client-go"},
		"UpperCase": {reason: "The module cache escapes capitals with '!'.", in: "github.com/Azure/Go", want: "github.com/!azure/!go"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, escapeModulePath(tc.in)); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
