package orysim

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
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
