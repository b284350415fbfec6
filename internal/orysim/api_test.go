package orysim

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	ory "github.com/ory/client-go"
)

func TestPointClientAt(t *testing.T) {
	const simURL = "http://127.0.0.1:4711"
	cases := map[string]struct {
		reason    string
		configure func(*ory.Configuration)
		want      string
	}{
		"ServersOnlyIsNotEnough": {
			reason: "client-go's per-operation servers win over Servers, so console calls would still go to Ory.",
			configure: func(cfg *ory.Configuration) {
				cfg.Servers = ory.ServerConfigurations{{URL: simURL}}
			},
			want: "https://api.console.ory.sh",
		},
		"PointClientAt": {
			reason:    "Replacing every OperationServers entry sends console calls to the simulator.",
			configure: func(cfg *ory.Configuration) { PointClientAt(cfg, simURL) },
			want:      simURL,
		},
	}
	ops := []string{
		"ProjectAPIService.CreateProjectApiKey",
		"ProjectAPIService.ListProjectApiKeys",
		"ProjectAPIService.DeleteProjectApiKey",
		"ProjectAPIService.GetProject",
		"ProjectAPIService.CreateProject",
		"ProjectAPIService.ListProjects",
		"ProjectAPIService.PatchProjectWithRevision",
		"ProjectAPIService.PurgeProject",
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := ory.NewConfiguration()
			tc.configure(cfg)
			for _, op := range ops {
				got, err := cfg.ServerURLWithContext(context.Background(), op)
				if err != nil {
					t.Fatalf("ServerURLWithContext(%s): %v", op, err)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("%s\n%s: -want, +got:\n%s", tc.reason, op, diff)
				}
			}
		})
	}
}

// keyView is the part of a client-go ProjectApiKey the create tests assert.
type keyView struct {
	Name           string
	ProjectID      string
	OwnerID        string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	ExpiresAt      *time.Time
	LastCharacters string
}

func viewOf(k *ory.ProjectApiKey) keyView {
	return keyView{
		Name:           k.Name,
		ProjectID:      k.GetProjectId(),
		OwnerID:        k.OwnerId,
		CreatedAt:      k.GetCreatedAt(),
		UpdatedAt:      k.GetUpdatedAt(),
		ExpiresAt:      k.ExpiresAt.Get(),
		LastCharacters: k.GetLastCharacters(),
	}
}

var valuePattern = regexp.MustCompile(`^ory_pat_[A-Za-z0-9]{32}$`)

func TestCreateProjectAPIKey(t *testing.T) {
	now := clockStart.Truncate(time.Second)
	cases := map[string]struct {
		reason     string
		project    func(Project) string
		name       string
		expiresAt  *time.Time
		wantStatus int
		// want is compared for successful creates; LastCharacters is
		// filled in from the returned value.
		wantExpiresAt *time.Time
	}{
		"BySlug": {
			reason:     "{project} accepts the project's slug.",
			project:    func(p Project) string { return p.Slug },
			name:       "ci",
			wantStatus: http.StatusCreated,
		},
		"ByID": {
			reason:     "{project} accepts the project's UUID.",
			project:    func(p Project) string { return p.ID },
			name:       "ci",
			wantStatus: http.StatusCreated,
		},
		"ExpiryTruncatedToSeconds": {
			reason:        "Ory stores timestamps with second precision; the sub-second part of expires_at is dropped.",
			project:       func(p Project) string { return p.ID },
			name:          "expiring",
			expiresAt:     ptr(time.Date(2031, 1, 1, 0, 0, 0, 987000000, time.FixedZone("CET", 3600))),
			wantStatus:    http.StatusCreated,
			wantExpiresAt: ptr(time.Date(2030, 12, 31, 23, 0, 0, 0, time.UTC)),
		},
		"ExpiryInThePast": {
			reason:     "Simulator assumption: Ory refuses a key that would be born expired with 400.",
			project:    func(p Project) string { return p.ID },
			name:       "stale",
			expiresAt:  ptr(clockStart.Add(-time.Hour)),
			wantStatus: http.StatusBadRequest,
		},
		"ExpiryNow": {
			reason:     "An expiry equal to the current second is not in the future either.",
			project:    func(p Project) string { return p.ID },
			name:       "stale",
			expiresAt:  ptr(clockStart),
			wantStatus: http.StatusBadRequest,
		},
		"EmptyName": {
			reason:     "name is required; an empty one is refused with 400.",
			project:    func(p Project) string { return p.ID },
			name:       "",
			wantStatus: http.StatusBadRequest,
		},
		"BlankName": {
			reason:     "Simulator assumption: a name of only spaces counts as empty.",
			project:    func(p Project) string { return p.ID },
			name:       "   ",
			wantStatus: http.StatusBadRequest,
		},
		"UnknownProject": {
			reason:     "A project that does not exist is 403, as the live console answers (Ory's Terraform provider, PR 325).",
			project:    func(Project) string { return "no-such-project" },
			name:       "ci",
			wantStatus: http.StatusForbidden,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			body := ory.NewCreateProjectApiKeyBody(tc.name)
			if tc.expiresAt != nil {
				body.SetExpiresAt(*tc.expiresAt)
			}
			got, resp, err := f.client.ProjectAPI.CreateProjectApiKey(context.Background(), tc.project(f.project)).
				CreateProjectApiKeyBody(*body).Execute()
			if diff := cmp.Diff(tc.wantStatus, statusOf(resp)); diff != "" {
				t.Fatalf("%s\nstatus (err %v): -want, +got:\n%s", tc.reason, err, diff)
			}
			if tc.wantStatus != http.StatusCreated {
				if err == nil {
					t.Errorf("%s\nwant an error for status %d", tc.reason, tc.wantStatus)
				}
				if diff := cmp.Diff(0, len(f.sim.Keys(f.project.ID))); diff != "" {
					t.Errorf("%s\na refused create must store nothing: -want, +got:\n%s", tc.reason, diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\nCreateProjectApiKey: %v", tc.reason, err)
			}
			value := got.GetValue()
			if !valuePattern.MatchString(value) {
				t.Errorf("%s\nvalue %q does not look like ory_pat_ + 32 alphanumerics", tc.reason, value)
			}
			want := keyView{
				Name:           tc.name,
				ProjectID:      f.project.ID,
				OwnerID:        f.ws.OwnerID,
				CreatedAt:      now,
				UpdatedAt:      now,
				ExpiresAt:      tc.wantExpiresAt,
				LastCharacters: value[len(value)-4:],
			}
			if diff := cmp.Diff(want, viewOf(got)); diff != "" {
				t.Errorf("%s\ncreated key: -want, +got:\n%s", tc.reason, diff)
			}
			stored, ok := f.sim.Key(f.project.ID, got.Id)
			if !ok {
				t.Fatalf("%s\nthe key is not stored", tc.reason)
			}
			if diff := cmp.Diff(value, stored.Value); diff != "" {
				t.Errorf("%s\nstored value: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestValueOnlyOnCreate(t *testing.T) {
	f := newFixture(t)
	created := f.createKey(t, "ci")
	if !created.HasValue() {
		t.Fatalf("the create response must carry the value")
	}

	keys, resp, err := f.client.ProjectAPI.ListProjectApiKeys(context.Background(), f.project.Slug).Execute()
	if err != nil {
		t.Fatalf("ListProjectApiKeys: %v", err)
	}
	// client-go leaves the raw body readable on the response.
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var objects []map[string]any
	if err := json.Unmarshal(raw, &objects); err != nil {
		t.Fatalf("list body is not a JSON array: %v\n%s", err, raw)
	}

	cases := map[string]struct {
		reason string
		got    any
		want   any
	}{
		"ListHasTheKey": {
			reason: "The created key is listed.",
			got:    len(keys),
			want:   1,
		},
		"ClientSeesNoValue": {
			reason: "The API never returns the value again; client-go leaves Value nil.",
			got:    keys[0].HasValue(),
			want:   false,
		},
		"NoValueFieldInJSON": {
			reason: "Not even an empty value field is sent on list.",
			got:    hasKey(objects[0], "value"),
			want:   false,
		},
		"LastCharactersListed": {
			reason: "last_characters lets users tell keys apart without the value.",
			got:    keys[0].GetLastCharacters(),
			want:   created.GetValue()[len(created.GetValue())-4:],
		},
		"SecondPrecisionOnTheWire": {
			reason: "Timestamps are sent without a fractional part, like Ory's.",
			got:    objects[0]["created_at"],
			want:   "2030-05-06T07:08:09Z",
		},
		"NeverExpiresIsNull": {
			reason: "expires_at is nullable and sent as null for keys that do not expire.",
			got:    [2]bool{hasKey(objects[0], "expires_at"), objects[0]["expires_at"] == nil},
			want:   [2]bool{true, true},
		},
		"SimulatorKeepsValue": {
			reason: "Tests can still read the value through the inspection API.",
			got:    f.sim.Keys(f.project.ID)[0].Value,
			want:   created.GetValue(),
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

func hasKey(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}

func TestListProjectAPIKeys(t *testing.T) {
	expiry := time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)
	// matchesValue stands for "last_characters is the end of the value".
	const matchesValue = "<end of value>"
	type listed struct {
		Name           string
		LastCharacters string
		ExpiresAt      *time.Time
	}
	cases := map[string]struct {
		reason     string
		seed       func(f fixture)
		project    func(Project) string
		wantStatus int
		want       []listed
	}{
		"Empty": {
			reason:     "A project without keys lists an empty array, not null.",
			project:    func(p Project) string { return p.ID },
			wantStatus: http.StatusOK,
			want:       []listed{},
		},
		"LegacyKeyWithoutLastCharacters": {
			reason: "Keys created before Ory introduced last_characters list it empty, which import must cope with.",
			seed: func(f fixture) {
				f.sim.SeedKey(f.project.Slug, "legacy", nil, false)
			},
			project:    func(p Project) string { return p.Slug },
			wantStatus: http.StatusOK,
			want:       []listed{{Name: "legacy", LastCharacters: ""}},
		},
		"SeededWithExpiry": {
			reason: "Seeded keys keep their expiry and, when asked to, have last_characters; order is creation order.",
			seed: func(f fixture) {
				f.sim.SeedKey(f.project.ID, "expiring", &expiry, true)
				f.sim.SeedKey(f.project.ID, "second", nil, true)
			},
			project:    func(p Project) string { return p.ID },
			wantStatus: http.StatusOK,
			want: []listed{
				{Name: "expiring", LastCharacters: matchesValue, ExpiresAt: &expiry},
				{Name: "second", LastCharacters: matchesValue},
			},
		},
		"UnknownProject": {
			reason:     "Listing keys of a project that does not exist is 403, as the live console answers (Ory's Terraform provider, PR 325).",
			project:    func(Project) string { return "c0ffee00-0000-4000-8000-000000000000" },
			wantStatus: http.StatusForbidden,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			if tc.seed != nil {
				tc.seed(f)
			}
			keys, resp, err := f.client.ProjectAPI.ListProjectApiKeys(context.Background(), tc.project(f.project)).Execute()
			if diff := cmp.Diff(tc.wantStatus, statusOf(resp)); diff != "" {
				t.Fatalf("%s\nstatus (err %v): -want, +got:\n%s", tc.reason, err, diff)
			}
			if tc.wantStatus != http.StatusOK {
				return
			}
			got := make([]listed, 0, len(keys))
			for _, k := range keys {
				l := listed{Name: k.Name, LastCharacters: k.GetLastCharacters(), ExpiresAt: k.ExpiresAt.Get()}
				if stored, ok := f.sim.Key(f.project.ID, k.Id); ok && l.LastCharacters != "" &&
					strings.HasSuffix(stored.Value, l.LastCharacters) {
					l.LastCharacters = matchesValue
				}
				got = append(got, l)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nlisted keys: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestDeleteProjectAPIKey(t *testing.T) {
	cases := map[string]struct {
		reason     string
		target     func(t *testing.T, f fixture) (project, id string)
		wantStatus int
		wantLeft   int
	}{
		"Existing": {
			reason: "Deleting a key answers 204 and removes it.",
			target: func(t *testing.T, f fixture) (string, string) {
				return f.project.Slug, f.createKey(t, "doomed").Id
			},
			wantStatus: http.StatusNoContent,
			wantLeft:   0,
		},
		"UnknownKey": {
			reason: "A key id that does not exist is 404, which the provider treats as already deleted.",
			target: func(t *testing.T, f fixture) (string, string) {
				f.createKey(t, "survivor")
				return f.project.ID, "0b6f1e8e-2f0a-4f43-8d0b-3f1b2d7c9a10"
			},
			wantStatus: http.StatusNotFound,
			wantLeft:   1,
		},
		"NotAUUID": {
			reason: "Any token_id string is accepted by the spec; one that matches no key is 404.",
			target: func(t *testing.T, f fixture) (string, string) {
				return f.project.ID, "not-a-uuid"
			},
			wantStatus: http.StatusNotFound,
		},
		"KeyOfAnotherProject": {
			reason: "A key is only found under its own project.",
			target: func(t *testing.T, f fixture) (string, string) {
				other := f.sim.AddProject(f.ws.Key, "other-project")
				return other.ID, f.createKey(t, "mine").Id
			},
			wantStatus: http.StatusNotFound,
			wantLeft:   1,
		},
		"Twice": {
			reason: "The second delete of the same key is 404.",
			target: func(t *testing.T, f fixture) (string, string) {
				id := f.createKey(t, "doomed").Id
				if _, err := f.client.ProjectAPI.DeleteProjectApiKey(context.Background(), f.project.ID, id).Execute(); err != nil {
					t.Fatalf("first delete: %v", err)
				}
				return f.project.ID, id
			},
			wantStatus: http.StatusNotFound,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			project, id := tc.target(t, f)
			resp, err := f.client.ProjectAPI.DeleteProjectApiKey(context.Background(), project, id).Execute()
			if diff := cmp.Diff(tc.wantStatus, statusOf(resp)); diff != "" {
				t.Errorf("%s\nstatus (err %v): -want, +got:\n%s", tc.reason, err, diff)
			}
			if diff := cmp.Diff(tc.wantLeft, len(f.sim.Keys(f.project.ID))); diff != "" {
				t.Errorf("%s\nkeys left: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestGetProject(t *testing.T) {
	cases := map[string]struct {
		reason     string
		ref        func(f fixture) string
		wantStatus int
	}{
		"ByID": {
			reason:     "The project is returned, with its slug, for its owner.",
			ref:        func(f fixture) string { return f.project.ID },
			wantStatus: http.StatusOK,
		},
		"BySlug": {
			reason:     "Simulator assumption: getProject's parameter is a project ID only, so a slug is an unknown project: 403.",
			ref:        func(f fixture) string { return f.project.Slug },
			wantStatus: http.StatusForbidden,
		},
		"Unknown": {
			reason:     "An unknown project is 403, not 404, as the live console answers (Ory's Terraform provider, PR 325).",
			ref:        func(fixture) string { return "c0ffee00-0000-4000-8000-000000000000" },
			wantStatus: http.StatusForbidden,
		},
		"OtherWorkspace": {
			reason: "A project of another workspace is 403.",
			ref: func(f fixture) string {
				return f.sim.AddProject("ory_wak_stranger", "not-yours").ID
			},
			wantStatus: http.StatusForbidden,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			got, resp, err := f.client.ProjectAPI.GetProject(context.Background(), tc.ref(f)).Execute()
			if diff := cmp.Diff(tc.wantStatus, statusOf(resp)); diff != "" {
				t.Fatalf("%s\nstatus (err %v): -want, +got:\n%s", tc.reason, err, diff)
			}
			if tc.wantStatus != http.StatusOK {
				return
			}
			want := map[string]string{
				"id": f.project.ID, "slug": f.project.Slug, "name": f.project.Name,
				"state": "running", "workspace_id": f.ws.ID,
			}
			gotView := map[string]string{
				"id": got.Id, "slug": got.Slug, "name": got.Name,
				"state": got.State, "workspace_id": got.GetWorkspaceId(),
			}
			if diff := cmp.Diff(want, gotView); diff != "" {
				t.Errorf("%s\nproject: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestAuthentication(t *testing.T) {
	cases := map[string]struct {
		reason string
		// bearer returns the Authorization header to send ("" for none).
		bearer     func(t *testing.T, f fixture) string
		wantStatus int
		// except are the operations that answer otherwise.
		except         map[string]int
		wantViolations bool
	}{
		"Owner": {
			reason:     "The owning workspace's key passes authentication (the operation itself may then 404).",
			bearer:     func(_ *testing.T, f fixture) string { return "Bearer " + f.ws.Key },
			wantStatus: 0, // checked per operation below
		},
		"UnknownKey": {
			reason:     "A workspace key the API does not know is 401.",
			bearer:     func(*testing.T, fixture) string { return "Bearer ory_wak_unknown" },
			wantStatus: http.StatusUnauthorized,
		},
		"RevokedKey": {
			reason: "A revoked workspace key is 401, like an unknown one.",
			bearer: func(_ *testing.T, f fixture) string {
				f.sim.RevokeWorkspaceKey(f.ws.Key)
				return "Bearer " + f.ws.Key
			},
			wantStatus: http.StatusUnauthorized,
		},
		"ProjectKey": {
			reason: "A project API key (ory_pat_) has no access to console operations: 403.",
			bearer: func(t *testing.T, f fixture) string {
				return "Bearer " + f.createKey(t, "pat").GetValue()
			},
			wantStatus: http.StatusForbidden,
		},
		"OtherWorkspace": {
			reason: "A valid workspace key of a workspace that does not own the project (or is not the workspace) is 403; it lists and creates projects of its own workspace.",
			bearer: func(_ *testing.T, f fixture) string {
				return "Bearer " + f.sim.AddWorkspace("ory_wak_other").Key
			},
			wantStatus: http.StatusForbidden,
			except:     map[string]int{OpCreateProject: http.StatusCreated, OpListProjects: http.StatusOK},
		},
		"LowerCaseScheme": {
			reason:     "The bearer scheme name is case-insensitive (RFC 6750), so this is an unknown key, not a missing one.",
			bearer:     func(*testing.T, fixture) string { return "bearer ory_wak_unknown" },
			wantStatus: http.StatusUnauthorized,
		},
		"Missing": {
			reason:         "No Authorization header is 401 and breaks the spec's security requirement.",
			bearer:         func(*testing.T, fixture) string { return "" },
			wantStatus:     http.StatusUnauthorized,
			wantViolations: true,
		},
	}
	ownerStatus := map[string]int{
		OpCreateProjectAPIKey: http.StatusCreated,
		OpListProjectAPIKeys:  http.StatusOK,
		OpDeleteProjectAPIKey: http.StatusNotFound,
		OpGetProject:          http.StatusOK,

		OpCreateProject: http.StatusCreated,
		OpListProjects:  http.StatusOK,
		// callOp patches a stale revision: past authentication, Ory
		// refuses it.
		OpPatchProjectWithRevision: http.StatusConflict,
		OpPurgeProject:             http.StatusNoContent,

		OpCreateWorkspaceAPIKey: http.StatusCreated,
		OpListWorkspaceAPIKeys:  http.StatusOK,
		OpDeleteWorkspaceAPIKey: http.StatusNotFound,
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			cfg := ory.NewConfiguration()
			PointClientAt(cfg, f.url)
			if h := tc.bearer(t, f); h != "" {
				cfg.AddDefaultHeader("Authorization", h)
			}
			c := ory.NewAPIClient(cfg)
			got := map[string]int{}
			want := map[string]int{}
			for _, op := range Operations() {
				got[op], _ = callOp(context.Background(), c, op, f.parentOf(op))
				want[op] = tc.wantStatus
				if tc.wantStatus == 0 {
					want[op] = ownerStatus[op]
				}
				if st, ok := tc.except[op]; ok {
					want[op] = st
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s\nstatus per operation: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.wantViolations, len(f.sim.Violations()) > 0); diff != "" {
				t.Errorf("%s\ncontract violations %v: -want, +got:\n%s", tc.reason, f.sim.Violations(), diff)
			}
			f.sim.Checker().Reset()
		})
	}
}

func TestErrorDecoding(t *testing.T) {
	f := newFixture(t)
	_, resp, err := f.client.ProjectAPI.ListProjectApiKeys(context.Background(), "no-such-project").Execute()

	var apiErr *ory.GenericOpenAPIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("want *ory.GenericOpenAPIError, got %T: %v", err, err)
	}
	model, ok := apiErr.Model().(ory.ErrorGeneric)
	if !ok {
		t.Fatalf("Model() is %T, want ory.ErrorGeneric (a value, not a pointer)", apiErr.Model())
	}

	cases := map[string]struct {
		reason string
		got    any
		want   any
	}{
		"Status": {
			reason: "Decide on the HTTP status; it is on the response (403: the live console answers an unknown project so).",
			got:    statusOf(resp),
			want:   http.StatusForbidden,
		},
		"ErrorString": {
			reason: "Error() is the status line when the body decodes.",
			got:    apiErr.Error(),
			want:   "403 Forbidden",
		},
		"Message": {
			reason: "herodot's message lands in ErrorGeneric.Error.Message.",
			got:    model.Error.GetMessage(),
			want:   "The requested action was forbidden",
		},
		"StatusCodeEmpty": {
			reason: "herodot sends code, not status_code, so the spec's StatusCode stays unset.",
			got:    model.Error.StatusCode == nil,
			want:   true,
		},
		"HerodotExtrasAreAdditionalProperties": {
			reason: "code, status, reason and request arrive as additional properties.",
			got: []any{
				model.Error.AdditionalProperties["code"],
				model.Error.AdditionalProperties["status"],
				model.Error.AdditionalProperties["reason"],
			},
			want: []any{float64(403), "Forbidden", "The workspace API key has no access to this project, or the project does not exist."},
		},
		"RawBody": {
			reason: "Body() keeps the raw herodot JSON.",
			got:    strings.HasPrefix(string(apiErr.Body()), `{"error":{"code":403,"status":"Forbidden","request":"`),
			want:   true,
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

func TestRequestLogOrder(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	k := f.createKey(t, "ci")
	if _, _, err := f.client.ProjectAPI.ListProjectApiKeys(ctx, f.project.Slug).Execute(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.ProjectAPI.DeleteProjectApiKey(ctx, f.project.ID, k.Id).Execute(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.client.ProjectAPI.GetProject(ctx, f.project.ID).Execute(); err != nil {
		t.Fatal(err)
	}

	want := []LogEntry{
		{Operation: OpCreateProjectAPIKey, Method: http.MethodPost, Path: "/projects/" + f.project.ID + "/tokens", Status: 201, WorkspaceKeyID: f.ws.KeyID},
		{Operation: OpListProjectAPIKeys, Method: http.MethodGet, Path: "/projects/my-project/tokens", Status: 200, WorkspaceKeyID: f.ws.KeyID},
		{Operation: OpDeleteProjectAPIKey, Method: http.MethodDelete, Path: "/projects/" + f.project.ID + "/tokens/" + k.Id, Status: 204, WorkspaceKeyID: f.ws.KeyID},
		{Operation: OpGetProject, Method: http.MethodGet, Path: "/projects/" + f.project.ID, Status: 200, WorkspaceKeyID: f.ws.KeyID},
	}
	if diff := cmp.Diff(want, f.sim.RequestLog(), cmpopts.IgnoreFields(LogEntry{}, "Time")); diff != "" {
		t.Errorf("The log must list requests in arrival order with their answers: -want, +got:\n%s", diff)
	}
	gotCounts := map[string]int{}
	for _, op := range Operations() {
		if n := f.sim.Requests(op); n > 0 {
			gotCounts[op] = n
		}
	}
	wantCounts := map[string]int{OpCreateProjectAPIKey: 1, OpListProjectAPIKeys: 1, OpDeleteProjectAPIKey: 1, OpGetProject: 1}
	if diff := cmp.Diff(wantCounts, gotCounts); diff != "" {
		t.Errorf("Requests counts per operation: -want, +got:\n%s", diff)
	}
	f.sim.ResetRequests()
	if diff := cmp.Diff(0, len(f.sim.RequestLog())+f.sim.Requests(OpGetProject)); diff != "" {
		t.Errorf("ResetRequests must clear log and counters: -want, +got:\n%s", diff)
	}
}
