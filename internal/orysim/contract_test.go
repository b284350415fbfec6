package orysim

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crossplane-contrib/provider-ory/internal/orysim/contract"
)

// TestContractCheckCatchesBadRequests sends raw requests that client-go
// would never produce, to show the built-in contract check can fail and
// that the simulator still answers them sensibly.
func TestContractCheckCatchesBadRequests(t *testing.T) {
	type got struct {
		Status     int
		Violations []string // "operation phase"
	}
	cases := map[string]struct {
		reason string
		method string
		path   func(fixture) string
		body   string
		want   got
	}{
		"NameNotAString": {
			reason: "A body that breaks createProjectApiKeyBody is a request violation and a 400.",
			method: http.MethodPost,
			path:   func(f fixture) string { return "/projects/" + f.project.ID + "/tokens" },
			body:   `{"name":5}`,
			want:   got{Status: 400, Violations: []string{"createProjectApiKey request"}},
		},
		"NotJSON": {
			reason: "A body that is not JSON is refused by both the check and the simulator.",
			method: http.MethodPost,
			path:   func(f fixture) string { return "/projects/" + f.project.ID + "/tokens" },
			body:   `name=ci`,
			want:   got{Status: 400, Violations: []string{"createProjectApiKey request"}},
		},
		"UnknownPath": {
			reason: "Paths outside the spec are violations; the simulator answers a herodot 404 that is not validated.",
			method: http.MethodGet,
			path:   func(fixture) string { return "/workspaces" + "/x/y/z" },
			want:   got{Status: 404, Violations: []string{" request"}},
		},
		"WrongMethod": {
			reason: "A declared path with a method the spec lacks is a violation and a 405.",
			method: http.MethodPatch,
			path:   func(f fixture) string { return "/projects/" + f.project.ID + "/tokens" },
			want:   got{Status: 405, Violations: []string{" request"}},
		},
		"WorkspaceKeyNameNotAString": {
			reason: "The workspace key paths are in the contract: a body that breaks CreateWorkspaceApiKeyBody is a request violation and a 400.",
			method: http.MethodPost,
			path:   func(f fixture) string { return "/workspaces/" + f.ws.ID + "/tokens" },
			body:   `{"name":5}`,
			want:   got{Status: 400, Violations: []string{"createWorkspaceApiKey request"}},
		},
		"WorkspaceKeyWrongMethod": {
			reason: "A workspace key is deleted, never patched: a violation and a 405.",
			method: http.MethodPatch,
			path:   func(f fixture) string { return "/workspaces/" + f.ws.ID + "/tokens/" + f.ws.KeyID },
			want:   got{Status: 405, Violations: []string{" request"}},
		},
		"ValidWorkspaceKey": {
			reason: "A well-formed workspace key create is routed to createWorkspaceApiKey and its 201 answer passes the workspaceApiKey schema.",
			method: http.MethodPost,
			path:   func(f fixture) string { return "/workspaces/" + f.ws.ID + "/tokens" },
			body:   `{"name":"raw","expires_at":null}`,
			want:   got{Status: 201, Violations: []string{}},
		},
		"ProjectBodyNotJSON": {
			reason: "A project create whose body is not JSON is refused by both the check and the simulator.",
			method: http.MethodPost,
			path:   func(fixture) string { return "/projects" },
			body:   `name=shop`,
			want:   got{Status: 400, Violations: []string{"createProject request"}},
		},
		"ProjectWithoutEnvironment": {
			reason: "environment is required by createProjectBody: a violation and a 400.",
			method: http.MethodPost,
			path:   func(fixture) string { return "/projects" },
			body:   `{"name":"shop"}`,
			want:   got{Status: 400, Violations: []string{"createProject request"}},
		},
		"ValidProject": {
			reason: "A well-formed raw project create is routed to createProject and its 201 answer passes the project schema.",
			method: http.MethodPost,
			path:   func(fixture) string { return "/projects" },
			body:   `{"name":"raw","environment":"prod","home_region":"eu"}`,
			want:   got{Status: 201, Violations: []string{}},
		},
		"PatchNotAnArray": {
			reason: "A JSON Patch is an array: an object is a violation and a 400.",
			method: http.MethodPatch,
			path:   func(f fixture) string { return "/projects/" + f.project.ID + "/revision/" + f.project.RevisionID },
			body:   `{"op":"replace","path":"/name","value":"x"}`,
			want:   got{Status: 400, Violations: []string{"patchProjectWithRevision request"}},
		},
		"DeprecatedPatch": {
			reason: "The deprecated patchProject (no revision) is in the spec but not served: a 405, whose herodot body its default response accepts.",
			method: http.MethodPatch,
			path:   func(f fixture) string { return "/projects/" + f.project.ID },
			body:   `[{"op":"replace","path":"/name","value":"x"}]`,
			want:   got{Status: 405, Violations: []string{}},
		},
		"Valid": {
			reason: "A well-formed raw request produces no violation.",
			method: http.MethodPost,
			path:   func(f fixture) string { return "/projects/" + f.project.Slug + "/tokens" },
			body:   `{"name":"raw","expires_at":null}`,
			want:   got{Status: 201, Violations: []string{}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			req, err := http.NewRequest(tc.method, f.url+tc.path(f), strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+f.ws.Key)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()

			g := got{Status: resp.StatusCode, Violations: []string{}}
			for _, v := range f.sim.Violations() {
				g.Violations = append(g.Violations, v.Operation+" "+string(v.Phase))
			}
			if diff := cmp.Diff(tc.want, g); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s\nviolations: %v", tc.reason, diff, f.sim.Violations())
			}
			// Asserted above; keep StartTest's cleanup from failing the test.
			f.sim.Checker().Reset()
		})
	}
}

func TestWithoutContractCheck(t *testing.T) {
	sim, err := New(WithoutContractCheck())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	cases := map[string]struct {
		reason string
		got    any
		want   any
	}{
		"NoChecker": {
			reason: "With the check off there is no checker.",
			got:    sim.Checker() == nil,
			want:   true,
		},
		"NoViolations": {
			reason: "Violations is safe to call and empty.",
			got:    len(sim.Violations()),
			want:   0,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.got); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestWithSpecPath(t *testing.T) {
	cases := map[string]struct {
		reason  string
		path    string
		wantErr bool
	}{
		"ClientGoDocument": {
			reason: "The document client-go ships can be given explicitly.",
			path: func() string {
				p, err := contract.FindClientGoSpec()
				if err != nil {
					t.Fatalf("FindClientGoSpec: %v", err)
				}
				return p
			}(),
		},
		"Missing": {
			reason:  "A document that cannot be read makes New fail instead of silently not checking.",
			path:    "testdata/missing.yaml",
			wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := New(WithSpecPath(tc.path))
			if diff := cmp.Diff(tc.wantErr, err != nil); diff != "" {
				t.Errorf("%s\nNew error %v: -want, +got:\n%s", tc.reason, err, diff)
			}
		})
	}
}
