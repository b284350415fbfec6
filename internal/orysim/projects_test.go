package orysim

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
	ory "github.com/ory/client-go"
)

// TestProjectsThatGoAway checks what each console operation on a project
// answers once it is deleted (softly, as the console does), purged, or
// handed to another workspace, as the live console does according to the
// check reported by Ory's Terraform provider (PR 325). The purge runs last,
// after the state and the keys are checked.
func TestProjectsThatGoAway(t *testing.T) {
	cases := map[string]struct {
		reason string
		// arrange acts on the fixture's project (which holds one key) and
		// returns the project reference to call with.
		arrange   func(t *testing.T, f fixture) string
		want      map[string]int
		wantState string // the state GetProject reports, when it answers 200
		wantKeys  int    // keys Keys still returns for the project
	}{
		"Running": {
			reason:  "A live project answers as usual (the delete targets an unknown key ID: 404, the patch a stale revision: 409) and is purged last.",
			arrange: func(_ *testing.T, f fixture) string { return f.project.ID },
			want: map[string]int{OpCreateProjectAPIKey: 201, OpListProjectAPIKeys: 200, OpDeleteProjectAPIKey: 404, OpGetProject: 200,
				OpPatchProjectWithRevision: 409, OpPurgeProject: 204},
			wantState: ProjectRunning,
			wantKeys:  2,
		},
		"Deleted": {
			reason: "A deleted project is still readable with state deleted; its key operations and a patch answer 403; it can be purged.",
			arrange: func(t *testing.T, f fixture) string {
				if !f.sim.DeleteProject(f.project.Slug) {
					t.Fatal("DeleteProject did not find the project")
				}
				return f.project.ID
			},
			want: map[string]int{OpCreateProjectAPIKey: 403, OpListProjectAPIKeys: 403, OpDeleteProjectAPIKey: 403, OpGetProject: 200,
				OpPatchProjectWithRevision: 403, OpPurgeProject: 204},
			wantState: ProjectDeleted,
			wantKeys:  1,
		},
		"Purged": {
			reason: "A purged project is unknown: 403 everywhere, 404 nowhere.",
			arrange: func(t *testing.T, f fixture) string {
				if !f.sim.PurgeProject(f.project.ID) {
					t.Fatal("PurgeProject did not find the project")
				}
				return f.project.ID
			},
			want: map[string]int{OpCreateProjectAPIKey: 403, OpListProjectAPIKeys: 403, OpDeleteProjectAPIKey: 403, OpGetProject: 403,
				OpPatchProjectWithRevision: 403, OpPurgeProject: 403},
		},
		"Unknown": {
			reason:  "A project that never existed answers like a purged one.",
			arrange: func(*testing.T, fixture) string { return "c0ffee00-0000-4000-8000-000000000000" },
			want: map[string]int{OpCreateProjectAPIKey: 403, OpListProjectAPIKeys: 403, OpDeleteProjectAPIKey: 403, OpGetProject: 403,
				OpPatchProjectWithRevision: 403, OpPurgeProject: 403},
			// The fixture's project is untouched.
			wantKeys: 1,
		},
		"Moved": {
			reason: "A project handed to another workspace still exists, yet its former workspace's key gets the same 403s: a 403 proves nothing.",
			arrange: func(t *testing.T, f fixture) string {
				if !f.sim.MoveProject(f.project.ID, "ory_wak_new_owner") {
					t.Fatal("MoveProject did not find the project")
				}
				return f.project.ID
			},
			want: map[string]int{OpCreateProjectAPIKey: 403, OpListProjectAPIKeys: 403, OpDeleteProjectAPIKey: 403, OpGetProject: 403,
				OpPatchProjectWithRevision: 403, OpPurgeProject: 403},
			wantKeys: 1,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			f.createKey(t, "before")
			ref := tc.arrange(t, f)
			got := map[string]int{}
			for _, op := range projectOperations() {
				if op != OpPurgeProject {
					got[op], _ = callOp(context.Background(), f.client, op, ref)
				}
			}
			if got[OpGetProject] == http.StatusOK {
				p, _, err := f.client.ProjectAPI.GetProject(context.Background(), ref).Execute()
				if err != nil {
					t.Fatalf("GetProject: %v", err)
				}
				if diff := cmp.Diff(tc.wantState, p.State); diff != "" {
					t.Errorf("%s\nstate: -want, +got:\n%s", tc.reason, diff)
				}
			}
			if diff := cmp.Diff(tc.wantKeys, len(f.sim.Keys(f.project.ID))); diff != "" {
				t.Errorf("%s\nkeys stored: -want, +got:\n%s", tc.reason, diff)
			}
			got[OpPurgeProject], _ = callOp(context.Background(), f.client, OpPurgeProject, ref)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nstatus per operation: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// createProjectThrough creates a project with client-go and fails the test
// on error.
func (f fixture) createProjectThrough(t *testing.T, name string) *ory.Project {
	t.Helper()
	p, _, err := f.client.ProjectAPI.CreateProject(context.Background()).
		CreateProjectBody(*ory.NewCreateProjectBody("dev", name)).Execute()
	if err != nil {
		t.Fatalf("CreateProject: %v", err)
	}
	return p
}

// violated reports whether the simulator recorded a contract violation, and
// forgets them: the tests that provoke one on purpose assert on it.
func violated(f fixture) bool {
	v := len(f.sim.Violations()) > 0
	f.sim.Checker().Reset()
	return v
}

// TestCreateProjectThroughAPI is createProject as client-go calls it
// (TestCreateProject is the test helper of that name).
func TestCreateProjectThroughAPI(t *testing.T) {
	// projectView is what a create makes, as the simulator stores it.
	type projectView struct {
		Name, Environment, HomeRegion, WorkspaceID, State string
	}
	type want struct {
		Status int
		// Made is the project made, nil when none.
		Made *projectView
		// Projects is how many projects the fixture's workspace holds
		// afterwards (it starts with one).
		Projects  int
		Violation bool
	}
	cases := map[string]struct {
		reason  string
		arrange func(t *testing.T, f fixture)
		body    func(f fixture) *ory.CreateProjectBody
		want    want
	}{
		"Minimal": {
			reason: "Name and environment are all a create needs: the project is running in the caller's workspace, in the default home region.",
			body:   func(fixture) *ory.CreateProjectBody { return ory.NewCreateProjectBody("dev", "shop") },
			want: want{Status: 201, Projects: 2,
				Made: &projectView{Name: "shop", Environment: "dev", HomeRegion: DefaultHomeRegion, State: ProjectRunning}},
		},
		"Full": {
			reason: "A home region and the caller's own workspace are taken as given.",
			body: func(f fixture) *ory.CreateProjectBody {
				b := ory.NewCreateProjectBody("stage", "shop")
				b.SetHomeRegion("us-west")
				b.SetWorkspaceId(f.ws.ID)
				return b
			},
			want: want{Status: 201, Projects: 2,
				Made: &projectView{Name: "shop", Environment: "stage", HomeRegion: "us-west", State: ProjectRunning}},
		},
		"SameNameAgain": {
			reason:  "Ory does not require names to be unique: a second project of a name is made, which is why a lost create must be looked for before it is sent again.",
			arrange: func(t *testing.T, f fixture) { f.createProjectThrough(t, "shop") },
			body:    func(fixture) *ory.CreateProjectBody { return ory.NewCreateProjectBody("dev", "shop") },
			want: want{Status: 201, Projects: 3,
				Made: &projectView{Name: "shop", Environment: "dev", HomeRegion: DefaultHomeRegion, State: ProjectRunning}},
		},
		"OtherWorkspace": {
			reason: "A workspace_id the key does not belong to is 403, as for the workspace's keys; nothing is made.",
			body: func(f fixture) *ory.CreateProjectBody {
				b := ory.NewCreateProjectBody("dev", "shop")
				b.SetWorkspaceId(f.sim.AddWorkspace("ory_wak_other").ID)
				return b
			},
			want: want{Status: 403, Projects: 1},
		},
		"UnknownWorkspace": {
			reason: "A workspace that does not exist is 403 too.",
			body: func(fixture) *ory.CreateProjectBody {
				b := ory.NewCreateProjectBody("dev", "shop")
				b.SetWorkspaceId("c0ffee00-0000-4000-8000-000000000000")
				return b
			},
			want: want{Status: 403, Projects: 1},
		},
		"EmptyName": {
			reason: "name is required; an empty one is refused with 400.",
			body:   func(fixture) *ory.CreateProjectBody { return ory.NewCreateProjectBody("dev", "") },
			want:   want{Status: 400, Projects: 1},
		},
		"BlankName": {
			reason: "Simulator assumption: a name of only spaces counts as empty, as for keys.",
			body:   func(fixture) *ory.CreateProjectBody { return ory.NewCreateProjectBody("dev", "  ") },
			want:   want{Status: 400, Projects: 1},
		},
		"UnknownEnvironment": {
			reason: "environment is an enum (prod, stage, dev): another value breaks the contract and is refused with 400.",
			body:   func(fixture) *ory.CreateProjectBody { return ory.NewCreateProjectBody("qa", "shop") },
			want:   want{Status: 400, Projects: 1, Violation: true},
		},
		"UnknownHomeRegion": {
			reason: "home_region is an enum too.",
			body: func(fixture) *ory.CreateProjectBody {
				b := ory.NewCreateProjectBody("dev", "shop")
				b.SetHomeRegion("mars")
				return b
			},
			want: want{Status: 400, Projects: 1, Violation: true},
		},
		"AtTheLimit": {
			reason: "A workspace whose plan allows one project, which it has, gets 402 and no second project.",
			arrange: func(t *testing.T, f fixture) {
				if !f.sim.SetProjectLimit(f.ws.ID, 1) {
					t.Fatal("SetProjectLimit did not find the workspace")
				}
			},
			body: func(fixture) *ory.CreateProjectBody { return ory.NewCreateProjectBody("dev", "shop") },
			want: want{Status: 402, Projects: 1},
		},
		"BelowTheLimit": {
			reason: "A free slot is used.",
			arrange: func(_ *testing.T, f fixture) {
				f.sim.SetProjectLimit(f.ws.ID, 2)
			},
			body: func(fixture) *ory.CreateProjectBody { return ory.NewCreateProjectBody("dev", "shop") },
			want: want{Status: 201, Projects: 2,
				Made: &projectView{Name: "shop", Environment: "dev", HomeRegion: DefaultHomeRegion, State: ProjectRunning}},
		},
		"DeletedProjectsDoNotCount": {
			reason: "Simulator assumption: a project deleted in the console frees its slot.",
			arrange: func(_ *testing.T, f fixture) {
				f.sim.SetProjectLimit(f.ws.ID, 1)
				f.sim.DeleteProject(f.project.ID)
			},
			body: func(fixture) *ory.CreateProjectBody { return ory.NewCreateProjectBody("dev", "shop") },
			want: want{Status: 201, Projects: 2,
				Made: &projectView{Name: "shop", Environment: "dev", HomeRegion: DefaultHomeRegion, State: ProjectRunning}},
		},
		"LimitRemoved": {
			reason: "SetProjectLimit with 0 removes the limit.",
			arrange: func(_ *testing.T, f fixture) {
				f.sim.SetProjectLimit(f.ws.ID, 1)
				f.sim.SetProjectLimit(f.ws.ID, 0)
			},
			body: func(fixture) *ory.CreateProjectBody { return ory.NewCreateProjectBody("dev", "shop") },
			want: want{Status: 201, Projects: 2,
				Made: &projectView{Name: "shop", Environment: "dev", HomeRegion: DefaultHomeRegion, State: ProjectRunning}},
		},
		"LimitOfAnotherWorkspace": {
			reason: "A limit is the workspace's own: another workspace's full plan does not stop this one.",
			arrange: func(_ *testing.T, f fixture) {
				other := f.sim.AddWorkspace("ory_wak_other")
				f.sim.AddProject(other.Key, "")
				f.sim.SetProjectLimit(other.ID, 1)
			},
			body: func(fixture) *ory.CreateProjectBody { return ory.NewCreateProjectBody("dev", "shop") },
			want: want{Status: 201, Projects: 2,
				Made: &projectView{Name: "shop", Environment: "dev", HomeRegion: DefaultHomeRegion, State: ProjectRunning}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			if tc.arrange != nil {
				tc.arrange(t, f)
			}
			p, resp, err := f.client.ProjectAPI.CreateProject(context.Background()).CreateProjectBody(*tc.body(f)).Execute()
			got := want{Status: statusOf(resp), Projects: len(f.sim.Projects(f.ws.ID)), Violation: violated(f)}
			if err == nil {
				stored, ok := f.sim.Project(p.Id)
				if !ok {
					t.Fatalf("%s\nthe answered project %s is not stored", tc.reason, p.Id)
				}
				got.Made = &projectView{Name: stored.Name, Environment: stored.Environment, HomeRegion: stored.HomeRegion, State: stored.State}
				if tc.want.Made != nil {
					tc.want.Made.WorkspaceID = f.ws.ID
				}
				got.Made.WorkspaceID = stored.WorkspaceID
				answered := Project{ID: p.Id, Slug: p.Slug, Name: p.Name, WorkspaceID: p.GetWorkspaceId(), RevisionID: p.RevisionId,
					Environment: p.Environment, HomeRegion: p.HomeRegion, State: p.State}
				now := clockStart.Truncate(time.Second)
				wantStored := answered
				wantStored.CreatedAt, wantStored.UpdatedAt = now, now
				if diff := cmp.Diff(wantStored, stored); diff != "" {
					t.Errorf("%s\nstored project against the answer (plus the times): -want, +got:\n%s", tc.reason, diff)
				}
				if _, err := uuid.Parse(p.RevisionId); err != nil || p.Slug == "" {
					t.Errorf("%s\nthe project has no revision (%q) or no slug (%q)", tc.reason, p.RevisionId, p.Slug)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n-want, +got (error: %v):\n%s", tc.reason, err, diff)
			}
			if tc.want.Status >= 400 {
				var apiErr *ory.GenericOpenAPIError
				if !errors.As(err, &apiErr) || apiErr.Model() == nil {
					t.Errorf("%s\nthe refusal must decode as Ory's errors do: %T %v", tc.reason, err, err)
				}
			}
		})
	}
}

func TestListProjects(t *testing.T) {
	type listed struct{ Name, State string }
	cases := map[string]struct {
		reason  string
		arrange func(t *testing.T, f fixture)
		// key is the workspace key to list with; "" is the fixture's.
		key  string
		want []listed
	}{
		"OwnProjectsInCreationOrder": {
			reason: "The caller's projects are listed, in creation order; another workspace's are not.",
			arrange: func(t *testing.T, f fixture) {
				f.sim.AddProject("ory_wak_other", "not-yours")
				f.createProjectThrough(t, "second")
				f.createProjectThrough(t, "third")
			},
			want: []listed{{"my-project", ProjectRunning}, {"second", ProjectRunning}, {"third", ProjectRunning}},
		},
		"DeletedListed": {
			reason: "Simulator assumption: a project deleted in the console is listed with state deleted, as getProject still answers it.",
			arrange: func(_ *testing.T, f fixture) {
				f.sim.DeleteProject(f.project.ID)
			},
			want: []listed{{"my-project", ProjectDeleted}},
		},
		"PurgedNotListed": {
			reason: "A purged project is gone from the list.",
			arrange: func(_ *testing.T, f fixture) {
				f.sim.PurgeProject(f.project.ID)
			},
			want: []listed{},
		},
		"MovedAway": {
			reason: "A project handed to another workspace is out of its former workspace's list, and in the new one's.",
			arrange: func(_ *testing.T, f fixture) {
				f.sim.MoveProject(f.project.ID, "ory_wak_new_owner")
			},
			want: []listed{},
		},
		"MovedHere": {
			reason: "The new owner lists it.",
			arrange: func(_ *testing.T, f fixture) {
				f.sim.MoveProject(f.project.ID, "ory_wak_new_owner")
			},
			key:  "ory_wak_new_owner",
			want: []listed{{"my-project", ProjectRunning}},
		},
		"APICreatedKey": {
			reason: "A workspace key created through the API sees its workspace's projects, those AddProject made with it included.",
			arrange: func(t *testing.T, f fixture) {
				next := f.createWorkspaceKey(t, f.client, "next", nil).GetValue()
				f.sim.AddProject(next, "added-with-next")
			},
			want: []listed{{"my-project", ProjectRunning}, {"added-with-next", ProjectRunning}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			if tc.arrange != nil {
				tc.arrange(t, f)
			}
			c := f.client
			if tc.key != "" {
				c = NewClient(f.url, tc.key)
			}
			ps, resp, err := c.ProjectAPI.ListProjects(context.Background()).Execute()
			if err != nil {
				t.Fatalf("%s\nListProjects: %v", tc.reason, err)
			}
			got := []listed{}
			for _, p := range ps {
				got = append(got, listed{p.Name, p.State})
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
			raw, _ := io.ReadAll(resp.Body)
			if len(tc.want) == 0 && strings.TrimSpace(string(raw)) != "[]" {
				t.Errorf("%s\nan empty list must be [], not %s", tc.reason, raw)
			}
		})
	}
}

// TestListedProject checks one listed project field by field, on the wire
// too: the metadata a client recovers a lost create with.
func TestListedProject(t *testing.T) {
	f := newFixture(t)
	made := f.createProjectThrough(t, "shop")
	ps, resp, err := f.client.ProjectAPI.ListProjects(context.Background()).Execute()
	if err != nil || len(ps) != 2 {
		t.Fatalf("ListProjects = %d projects, %v; want 2", len(ps), err)
	}
	raw, _ := io.ReadAll(resp.Body)
	var objects []map[string]any
	if err := json.Unmarshal(raw, &objects); err != nil {
		t.Fatal(err)
	}
	p := ps[1]
	now := clockStart.Truncate(time.Second)
	want := map[string]any{
		"id": made.Id, "slug": made.Slug, "name": "shop", "state": ProjectRunning, "environment": "dev",
		"home_region": DefaultHomeRegion, "workspace_id": f.ws.ID, "created_at": now, "updated_at": now,
	}
	got := map[string]any{
		"id": p.Id, "slug": p.Slug, "name": p.Name, "state": p.State, "environment": p.Environment,
		"home_region": p.HomeRegion, "workspace_id": p.GetWorkspaceId(), "created_at": p.CreatedAt, "updated_at": p.UpdatedAt,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the listed project: -want, +got:\n%s", diff)
	}
	if diff := cmp.Diff("2030-05-06T07:08:09Z", objects[1]["created_at"]); diff != "" {
		t.Errorf("created_at is sent with second precision, like Ory's timestamps: -want, +got:\n%s", diff)
	}
}

func TestPatchProjectWithRevision(t *testing.T) {
	type want struct {
		Status int
		// Name is the stored project's name afterwards.
		Name string
		// NewRevision says whether the stored revision changed.
		NewRevision bool
		Violation   bool
	}
	cases := map[string]struct {
		reason string
		// arrange returns the project ID and the revision to patch.
		arrange func(t *testing.T, f fixture) (id, revision string)
		patch   []ory.JsonPatch
		want    want
	}{
		"Rename": {
			reason:  "replace /name at the current revision renames the project and makes a new revision.",
			arrange: current,
			patch:   renameTo("renamed"),
			want:    want{Status: 200, Name: "renamed", NewRevision: true},
		},
		"AddIsReplace": {
			reason:  "add on a member that exists replaces it (RFC 6902).",
			arrange: current,
			patch:   []ory.JsonPatch{{Op: "add", Path: "/name", Value: "added"}},
			want:    want{Status: 200, Name: "added", NewRevision: true},
		},
		"LastOneWins": {
			reason:  "Operations apply in order.",
			arrange: current,
			patch:   append(renameTo("first"), renameTo("second")...),
			want:    want{Status: 200, Name: "second", NewRevision: true},
		},
		"EmptyPatch": {
			reason:  "An empty patch changes nothing but still makes a revision.",
			arrange: current,
			patch:   []ory.JsonPatch{},
			want:    want{Status: 200, Name: "my-project", NewRevision: true},
		},
		"StaleRevision": {
			reason: "A revision that a change since replaced is 409, and nothing changes: the client reads again.",
			arrange: func(t *testing.T, f fixture) (string, string) {
				old := f.project.RevisionID
				if _, _, err := f.client.ProjectAPI.PatchProjectWithRevision(context.Background(), f.project.ID, old).
					JsonPatch(renameTo("theirs")).Execute(); err != nil {
					t.Fatal(err)
				}
				f.sim.ResetRequests()
				return f.project.ID, old
			},
			patch: renameTo("mine"),
			want:  want{Status: 409, Name: "theirs"},
		},
		"UnknownRevision": {
			reason:  "A revision the project never had is stale too.",
			arrange: func(_ *testing.T, f fixture) (string, string) { return f.project.ID, staleRevision },
			patch:   renameTo("mine"),
			want:    want{Status: 409, Name: "my-project"},
		},
		"UnsupportedPath": {
			reason:  "The simulator changes /name only; a configuration path is refused with 400 rather than ignored.",
			arrange: current,
			patch:   []ory.JsonPatch{{Op: "replace", Path: "/services/identity/config/selfservice/default_browser_return_url", Value: "https://x"}},
			want:    want{Status: 400, Name: "my-project"},
		},
		"RemoveName": {
			reason:  "A project cannot lose its name.",
			arrange: current,
			patch:   []ory.JsonPatch{{Op: "remove", Path: "/name"}},
			want:    want{Status: 400, Name: "my-project"},
		},
		"NameNotAString": {
			reason:  "The name is a string.",
			arrange: current,
			patch:   []ory.JsonPatch{{Op: "replace", Path: "/name", Value: 42}},
			want:    want{Status: 400, Name: "my-project"},
		},
		"BlankName": {
			reason:  "Simulator assumption: a blank name is refused, as at create.",
			arrange: current,
			patch:   renameTo(" "),
			want:    want{Status: 400, Name: "my-project"},
		},
		"BadOperation": {
			reason:  "An op outside JSON Patch's breaks the contract and is refused.",
			arrange: current,
			patch:   []ory.JsonPatch{{Op: "rename", Path: "/name", Value: "x"}},
			want:    want{Status: 400, Name: "my-project", Violation: true},
		},
		"Deleted": {
			reason: "Simulator assumption: a deleted project cannot be changed, as its keys cannot: 403, before the revision is looked at.",
			arrange: func(_ *testing.T, f fixture) (string, string) {
				f.sim.DeleteProject(f.project.ID)
				return f.project.ID, staleRevision
			},
			patch: renameTo("mine"),
			want:  want{Status: 403, Name: "my-project"},
		},
		"OtherWorkspace": {
			reason: "Another workspace's project is 403, its revision untold.",
			arrange: func(_ *testing.T, f fixture) (string, string) {
				f.sim.MoveProject(f.project.ID, "ory_wak_new_owner")
				return f.project.ID, f.project.RevisionID
			},
			patch: renameTo("mine"),
			want:  want{Status: 403, Name: "my-project"},
		},
		"BySlug": {
			reason:  "Simulator assumption: {project_id} is an ID, as for getProject; a slug is an unknown project.",
			arrange: func(_ *testing.T, f fixture) (string, string) { return f.project.Slug, f.project.RevisionID },
			patch:   renameTo("mine"),
			want:    want{Status: 403, Name: "my-project"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			id, rev := tc.arrange(t, f)
			before, _ := f.sim.Project(f.project.ID)
			f.clock.Advance(time.Minute)
			u, resp, err := f.client.ProjectAPI.PatchProjectWithRevision(context.Background(), id, rev).JsonPatch(tc.patch).Execute()
			after, _ := f.sim.Project(f.project.ID)
			got := want{Status: statusOf(resp), Name: after.Name, NewRevision: after.RevisionID != before.RevisionID, Violation: violated(f)}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("%s\n-want, +got (error: %v):\n%s", tc.reason, err, diff)
			}
			if err != nil {
				if after.UpdatedAt != before.UpdatedAt {
					t.Errorf("%s\na refused patch moved updated_at", tc.reason)
				}
				return
			}
			if diff := cmp.Diff(0, len(u.Warnings)); diff != "" {
				t.Errorf("%s\nwarnings: -want, +got:\n%s", tc.reason, diff)
			}
			answered := map[string]string{"name": u.Project.Name, "revision_id": u.Project.RevisionId, "id": u.Project.Id}
			wantAnswer := map[string]string{"name": after.Name, "revision_id": after.RevisionID, "id": after.ID}
			if diff := cmp.Diff(wantAnswer, answered); diff != "" {
				t.Errorf("%s\nthe answer must carry the project after the patch: -want, +got:\n%s", tc.reason, diff)
			}
			if !after.UpdatedAt.Equal(clockStart.Add(time.Minute).Truncate(time.Second)) {
				t.Errorf("%s\nupdated_at = %v, want the patch's time", tc.reason, after.UpdatedAt)
			}
		})
	}
}

// current is the fixture's project at its current revision.
func current(_ *testing.T, f fixture) (string, string) { return f.project.ID, f.project.RevisionID }

func TestPurgeProject(t *testing.T) {
	type want struct {
		Status int
		// Exists says whether the fixture's project is still stored.
		Exists bool
		// Keys is how many keys of the fixture's project are stored.
		Keys int
		// OtherKeys is how many keys another project of the workspace keeps.
		OtherKeys int
	}
	cases := map[string]struct {
		reason  string
		arrange func(t *testing.T, f fixture) string
		want    want
	}{
		"Running": {
			reason:  "A purge removes the project and all its keys for good: 204.",
			arrange: func(_ *testing.T, f fixture) string { return f.project.ID },
			want:    want{Status: 204, OtherKeys: 1},
		},
		"Deleted": {
			reason: "A project deleted in the console can be purged.",
			arrange: func(_ *testing.T, f fixture) string {
				f.sim.DeleteProject(f.project.ID)
				return f.project.ID
			},
			want: want{Status: 204, OtherKeys: 1},
		},
		"Twice": {
			reason: "Simulator assumption: a purged project is unknown, and purging an unknown project is 403 like reading it.",
			arrange: func(t *testing.T, f fixture) string {
				if _, err := f.client.ProjectAPI.PurgeProject(context.Background(), f.project.ID).Execute(); err != nil {
					t.Fatal(err)
				}
				return f.project.ID
			},
			want: want{Status: 403, OtherKeys: 1},
		},
		"OtherWorkspace": {
			reason: "Another workspace's project is 403 and stays.",
			arrange: func(_ *testing.T, f fixture) string {
				f.sim.MoveProject(f.project.ID, "ory_wak_new_owner")
				return f.project.ID
			},
			want: want{Status: 403, Exists: true, Keys: 2, OtherKeys: 1},
		},
		"BySlug": {
			reason:  "Simulator assumption: {project_id} is an ID, as for getProject; a slug is an unknown project and nothing is purged.",
			arrange: func(_ *testing.T, f fixture) string { return f.project.Slug },
			want:    want{Status: 403, Exists: true, Keys: 2, OtherKeys: 1},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			f.createKey(t, "one")
			f.createKey(t, "two")
			other := f.sim.AddProject(f.ws.Key, "other")
			f.sim.SeedKey(other.ID, "kept", nil, true)
			ref := tc.arrange(t, f)
			resp, err := f.client.ProjectAPI.PurgeProject(context.Background(), ref).Execute()
			_, exists := f.sim.Project(f.project.ID)
			got := want{Status: statusOf(resp), Exists: exists, Keys: len(f.sim.Keys(f.project.ID)), OtherKeys: len(f.sim.Keys(other.ID))}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n-want, +got (error: %v):\n%s", tc.reason, err, diff)
			}
			if got.Status == http.StatusForbidden {
				// purgeProject declares its errors as genericError, which
				// client-go decodes into GenericError.
				var apiErr *ory.GenericOpenAPIError
				if !errors.As(err, &apiErr) {
					t.Fatalf("%s\nerror %T %v, want *ory.GenericOpenAPIError", tc.reason, err, err)
				}
				if m, ok := apiErr.Model().(ory.GenericError); !ok || m.Message == "" {
					t.Errorf("%s\nthe 403 decodes to %T, want ory.GenericError with a message", tc.reason, apiErr.Model())
				}
			}
			if got.Status == http.StatusNoContent {
				if s, _ := callOp(context.Background(), f.client, OpGetProject, f.project.ID); s != http.StatusForbidden {
					t.Errorf("%s\nreading the purged project answered %d, want 403 as for any unknown project", tc.reason, s)
				}
			}
		})
	}
}

// TestProjectFaults shows that the fault knobs act on the project
// operations as on the others, and above all that a create whose answer is
// lost has made its project: the case a controller must recover from.
func TestProjectFaults(t *testing.T) {
	type want struct {
		Status int
		Err    bool
		// Projects is how many projects the fixture's workspace holds
		// afterwards (it starts with one).
		Projects int
		Name     string // the fixture project's name afterwards
		Logged   string // the request log's Fault
	}
	create := func(f fixture) (*http.Response, error) {
		_, resp, err := f.client.ProjectAPI.CreateProject(context.Background()).
			CreateProjectBody(*ory.NewCreateProjectBody("dev", "lost")).Execute()
		return resp, err
	}
	rename := func(f fixture) (*http.Response, error) {
		_, resp, err := f.client.ProjectAPI.PatchProjectWithRevision(context.Background(), f.project.ID, f.project.RevisionID).
			JsonPatch(renameTo("renamed")).Execute()
		return resp, err
	}
	purge := func(f fixture) (*http.Response, error) {
		return f.client.ProjectAPI.PurgeProject(context.Background(), f.project.ID).Execute()
	}
	list := func(f fixture) (*http.Response, error) {
		_, resp, err := f.client.ProjectAPI.ListProjects(context.Background()).Execute()
		return resp, err
	}
	cases := map[string]struct {
		reason string
		fault  func(s *Server)
		call   func(f fixture) (*http.Response, error)
		want   want
	}{
		"CreateCutBeforeHeaders": {
			reason: "Ory made the project and the connection closed before the status line: the project exists.",
			fault:  func(s *Server) { s.CutAnswers(OpCreateProject, "", 1, CutBeforeHeaders) },
			call:   create,
			want:   want{Status: 0, Err: true, Projects: 2, Name: "my-project", Logged: FaultCutBeforeHeaders},
		},
		"CreateCutAfterHeaders": {
			reason: "A 201 whose body never came: the project exists.",
			fault:  func(s *Server) { s.CutAnswers(OpCreateProject, "", 1, CutAfterHeaders) },
			call:   create,
			want:   want{Status: 201, Err: true, Projects: 2, Name: "my-project", Logged: FaultCutAfterHeaders},
		},
		"CreateCutMidBody": {
			reason: "Half a 201: the project exists.",
			fault:  func(s *Server) { s.CutAnswers(OpCreateProject, "", 1, CutMidBody) },
			call:   create,
			want:   want{Status: 201, Err: true, Projects: 2, Name: "my-project", Logged: FaultCutMidBody},
		},
		"CreateFailsBeforeActing": {
			reason: "An injected 503 answers before the simulator acts: no project.",
			fault:  func(s *Server) { s.FailNext(OpCreateProject, 1, http.StatusServiceUnavailable) },
			call:   create,
			want:   want{Status: 503, Err: true, Projects: 1, Name: "my-project", Logged: FaultFailNext},
		},
		"CreateDropped": {
			reason: "A dropped create never reached the API logic.",
			fault:  func(s *Server) { s.SetDropRate(OpCreateProject, 1) },
			call:   create,
			want:   want{Status: 0, Err: true, Projects: 1, Name: "my-project", Logged: FaultDrop},
		},
		"ListRateLimited": {
			reason: "The rate limit covers the project operations.",
			fault:  func(s *Server) { s.SetRateLimit(RateLimit{Rate: 0.001, Burst: 1}) },
			call: func(f fixture) (*http.Response, error) {
				if _, err := list(f); err != nil {
					return nil, err
				}
				return list(f)
			},
			want: want{Status: 429, Err: true, Projects: 1, Name: "my-project", Logged: FaultRateLimit},
		},
		"RenameCut": {
			reason: "A rename whose answer is cut has renamed: the client reads again, and its old revision is stale.",
			fault:  func(s *Server) { s.CutAnswers(OpPatchProjectWithRevision, "", 1, CutBeforeHeaders) },
			call:   rename,
			want:   want{Status: 0, Err: true, Projects: 1, Name: "renamed", Logged: FaultCutBeforeHeaders},
		},
		"RenameFails": {
			reason: "An injected 500 renames nothing.",
			fault:  func(s *Server) { s.FailNext(OpPatchProjectWithRevision, 1, http.StatusInternalServerError) },
			call:   rename,
			want:   want{Status: 500, Err: true, Projects: 1, Name: "my-project", Logged: FaultFailNext},
		},
		"PurgeFails": {
			reason: "An injected 502 on a purge purges nothing, and its body is a genericError as the spec declares for purgeProject.",
			fault:  func(s *Server) { s.FailNext(OpPurgeProject, 1, http.StatusBadGateway) },
			call:   purge,
			want:   want{Status: 502, Err: true, Projects: 1, Name: "my-project", Logged: FaultFailNext},
		},
		"PurgeCut": {
			reason: "A purge whose answer is cut has purged.",
			fault:  func(s *Server) { s.CutAnswers(OpPurgeProject, "", 1, CutBeforeHeaders) },
			call:   purge,
			want:   want{Status: 0, Err: true, Projects: 0, Logged: FaultCutBeforeHeaders},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			tc.fault(f.sim)
			f.sim.ResetRequests()
			resp, err := tc.call(f)
			p, _ := f.sim.Project(f.project.ID)
			got := want{Status: statusOf(resp), Err: err != nil, Projects: len(f.sim.Projects(f.ws.ID)), Name: p.Name}
			for _, e := range f.sim.RequestLog() {
				got.Logged += e.Fault
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n-want, +got (error: %v):\n%s", tc.reason, err, diff)
			}
		})
	}
}

func TestProjectLimitSetup(t *testing.T) {
	cases := map[string]struct {
		reason  string
		spec    WorkspaceSpec
		wantErr bool
		// wantStatus is what the second create through the API answers
		// (the first one fills a limit of 1).
		wantStatus int
	}{
		"FromWorkspaceSpec": {
			reason:     "A limit set when the workspace is created holds from the start.",
			spec:       WorkspaceSpec{Key: "ory_wak_limited", ProjectLimit: 1},
			wantStatus: http.StatusPaymentRequired,
		},
		"NoLimit": {
			reason:     "0 is no limit.",
			spec:       WorkspaceSpec{Key: "ory_wak_limited"},
			wantStatus: http.StatusCreated,
		},
		"Negative": {
			reason:  "A negative limit is a mistake in the test, reported.",
			spec:    WorkspaceSpec{Key: "ory_wak_limited", ProjectLimit: -1},
			wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sim, url := StartTest(t)
			_, err := sim.CreateWorkspace(tc.spec)
			if diff := cmp.Diff(tc.wantErr, err != nil); diff != "" {
				t.Fatalf("%s\nerror %v: -want, +got:\n%s", tc.reason, err, diff)
			}
			if err != nil {
				return
			}
			c := NewClient(url, tc.spec.Key)
			var status int
			for range 2 {
				_, resp, _ := c.ProjectAPI.CreateProject(context.Background()).CreateProjectBody(*ory.NewCreateProjectBody("dev", "p")).Execute()
				status = statusOf(resp)
			}
			if diff := cmp.Diff(tc.wantStatus, status); diff != "" {
				t.Errorf("%s\nsecond create: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
	t.Run("UnknownWorkspace", func(t *testing.T) {
		sim, _ := StartTest(t)
		if sim.SetProjectLimit("c0ffee00-0000-4000-8000-000000000000", 1) {
			t.Error("SetProjectLimit reported an unknown workspace as found")
		}
	})
}

// TestProjectRequestLog: the project operations are logged and counted
// under their operationIds, with the paths client-go calls.
func TestProjectRequestLog(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	made := f.createProjectThrough(t, "shop")
	if _, _, err := f.client.ProjectAPI.ListProjects(ctx).Execute(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.client.ProjectAPI.PatchProjectWithRevision(ctx, made.Id, made.RevisionId).JsonPatch(renameTo("webshop")).Execute(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.ProjectAPI.PurgeProject(ctx, made.Id).Execute(); err != nil {
		t.Fatal(err)
	}
	want := []LogEntry{
		{Operation: OpCreateProject, Method: http.MethodPost, Path: "/projects", Status: 201, WorkspaceKeyID: f.ws.KeyID},
		{Operation: OpListProjects, Method: http.MethodGet, Path: "/projects", Status: 200, WorkspaceKeyID: f.ws.KeyID},
		{Operation: OpPatchProjectWithRevision, Method: http.MethodPatch, Path: "/projects/" + made.Id + "/revision/" + made.RevisionId, Status: 200, WorkspaceKeyID: f.ws.KeyID},
		{Operation: OpPurgeProject, Method: http.MethodDelete, Path: "/projects/" + made.Id, Status: 204, WorkspaceKeyID: f.ws.KeyID},
	}
	if diff := cmp.Diff(want, f.sim.RequestLog(), cmpopts.IgnoreFields(LogEntry{}, "Time")); diff != "" {
		t.Errorf("The log must list the project operations with their answers: -want, +got:\n%s", diff)
	}
	for _, op := range []string{OpCreateProject, OpListProjects, OpPatchProjectWithRevision, OpPurgeProject} {
		if n := f.sim.Requests(op); n != 1 {
			t.Errorf("Requests(%s) = %d, want 1", op, n)
		}
	}
}
