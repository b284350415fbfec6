package console

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// TestProjectLifecycle drives every project operation of the client through
// real client-go against the simulator: create, get, list, rename, purge.
func TestProjectLifecycle(t *testing.T) {
	sim, url := orysim.StartTest(t)
	ws := sim.AddWorkspace(workspaceKey)
	c := New(url, workspaceKey, http.DefaultClient, "provider-ory-test")
	ctx := context.Background()
	before := time.Now().UTC().Truncate(time.Second)

	created, err := c.CreateProject(ctx, ProjectSpec{Name: "shop", Environment: "stage", HomeRegion: "us-east", WorkspaceID: ws.ID})
	if err != nil {
		t.Fatal(err)
	}
	stored, ok := sim.Project(created.ID)
	if !ok {
		t.Fatal("CreateProject answered a project the simulator does not have")
	}
	want := Project{ID: stored.ID, Slug: stored.Slug, Name: "shop", State: ProjectRunning, Environment: "stage",
		HomeRegion: "us-east", WorkspaceID: ws.ID, RevisionID: stored.RevisionID}
	if diff := cmp.Diff(want, created); diff != "" {
		t.Errorf("CreateProject: -want, +got:\n%s", diff)
	}

	got, err := c.GetProject(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetProject: -want, +got:\n%s", diff)
	}

	listed, err := c.ListProjects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantListed := want
	wantListed.RevisionID = "" // the list's projectMetadata has no revision
	if diff := cmp.Diff([]Project{wantListed}, listed, cmpopts.IgnoreFields(Project{}, "CreatedAt")); diff != "" {
		t.Errorf("ListProjects: -want, +got:\n%s", diff)
	}
	if len(listed) == 1 && (listed[0].CreatedAt.Before(before) || listed[0].CreatedAt.After(time.Now()) || listed[0].CreatedAt.Location() != time.UTC) {
		t.Errorf("ListProjects: created at %v, want a UTC time since %v", listed[0].CreatedAt, before)
	}

	renamed, err := c.RenameProject(ctx, created.ID, created.RevisionID, "webshop")
	if err != nil {
		t.Fatal(err)
	}
	if renamed.Name != "webshop" || renamed.RevisionID == "" || renamed.RevisionID == created.RevisionID {
		t.Errorf("RenameProject = %+v, want the new name and a new revision", renamed)
	}
	if _, err := c.RenameProject(ctx, created.ID, created.RevisionID, "again"); ReasonOf(err) != ReasonConflict {
		t.Errorf("a rename at the old revision: %v, want %s", err, ReasonConflict)
	}

	if err := c.PurgeProject(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := sim.Project(created.ID); ok {
		t.Error("the purged project is still stored")
	}
	if _, err := c.GetProject(ctx, created.ID); ReasonOf(err) != ReasonForbidden {
		t.Errorf("reading the purged project: %v, want %s (Ory answers unknown projects with 403)", err, ReasonForbidden)
	}
}

// projectWorld is a simulator with the test's workspace, which holds one
// project, and a client of it without retries.
type projectWorld struct {
	sim *orysim.Server
	url string
	ws  orysim.Workspace
	p   orysim.Project
}

func newProjectWorld(t *testing.T) projectWorld {
	t.Helper()
	sim, url := orysim.StartTest(t)
	ws := sim.AddWorkspace(workspaceKey)
	return projectWorld{sim: sim, url: url, ws: ws, p: sim.AddProject(workspaceKey, "main")}
}

func TestProjectErrors(t *testing.T) {
	create := func(ctx context.Context, c *Client, w projectWorld) error {
		_, err := c.CreateProject(ctx, ProjectSpec{Name: "shop", Environment: "dev"})
		return err
	}
	get := func(ctx context.Context, c *Client, w projectWorld) error {
		_, err := c.GetProject(ctx, w.p.ID)
		return err
	}
	list := func(ctx context.Context, c *Client, _ projectWorld) error {
		_, err := c.ListProjects(ctx)
		return err
	}
	rename := func(ctx context.Context, c *Client, w projectWorld) error {
		_, err := c.RenameProject(ctx, w.p.ID, w.p.RevisionID, "renamed")
		return err
	}
	purge := func(ctx context.Context, c *Client, w projectWorld) error {
		return c.PurgeProject(ctx, w.p.ID)
	}
	cases := map[string]struct {
		reason string
		setup  func(t *testing.T, w projectWorld)
		token  string
		call   func(ctx context.Context, c *Client, w projectWorld) error
		// op is what the error says it tried.
		op   string
		want Reason // "" for success
		hint string
	}{
		"CreateAtThePlanLimit": {
			reason: "402: the plan has no free project slot, and the message says how to get one.",
			setup:  func(_ *testing.T, w projectWorld) { w.sim.SetProjectLimit(w.ws.ID, 1) },
			call:   create, op: `create project "shop"`,
			want: ReasonPaymentRequired, hint: "no free project slot: free one in the Ory Console or upgrade the plan",
		},
		"CreateInAForeignWorkspace": {
			reason: "403 on a create is about the workspace, not a project.",
			call: func(ctx context.Context, c *Client, w projectWorld) error {
				_, err := c.CreateProject(ctx, ProjectSpec{Name: "shop", Environment: "dev", WorkspaceID: w.sim.AddWorkspace("ory_wak_other").ID})
				return err
			},
			op:   `create project "shop"`,
			want: ReasonForbidden, hint: "no access to this workspace",
		},
		"CreateRefused": {
			reason: "Another 4xx is a request to fix.",
			call: func(ctx context.Context, c *Client, _ projectWorld) error {
				_, err := c.CreateProject(ctx, ProjectSpec{Name: " ", Environment: "dev"})
				return err
			},
			op:   `create project " "`,
			want: ReasonInvalidRequest, hint: "name is required",
		},
		"CreateWithARevokedKey": {
			reason: "401 names the credential to fix.",
			setup:  func(_ *testing.T, w projectWorld) { w.sim.RevokeWorkspaceKey(workspaceKey) },
			call:   create, op: `create project "shop"`,
			want: ReasonUnauthorized, hint: "invalid or revoked",
		},
		"CreateRateLimited": {
			reason: "429 is transient.",
			setup: func(_ *testing.T, w projectWorld) {
				w.sim.FailNext(orysim.OpCreateProject, 1, http.StatusTooManyRequests)
			},
			call: create, op: `create project "shop"`,
			want: ReasonRateLimited, hint: "rate limiting",
		},
		"CreateServerError": {
			reason: "5xx is transient; whether the project was made is unknown (see TestCreateProjectOutcome).",
			setup: func(_ *testing.T, w projectWorld) {
				w.sim.FailNext(orysim.OpCreateProject, 1, http.StatusServiceUnavailable)
			},
			call: create, op: `create project "shop"`,
			want: ReasonUnavailable, hint: "retries",
		},
		"GetUnknown": {
			reason: "403 for a project Ory does not know keeps the general hint: it may not exist, or the key cannot reach it.",
			setup:  func(_ *testing.T, w projectWorld) { w.sim.PurgeProject(w.p.ID) },
			call:   get, op: "get project",
			want: ReasonForbidden, hint: "Ory answers 403 for unknown projects too",
		},
		"GetNotFound": {
			reason: "404, should Ory answer it.",
			setup:  func(_ *testing.T, w projectWorld) { w.sim.FailNext(orysim.OpGetProject, 1, http.StatusNotFound) },
			call:   get, op: "get project",
			want: ReasonNotFound, hint: "does not exist",
		},
		"GetDeleted": {
			reason: "A project deleted in the console is read, not refused.",
			setup:  func(_ *testing.T, w projectWorld) { w.sim.DeleteProject(w.p.ID) },
			call:   get,
		},
		"ListWithAProjectKey": {
			reason: "A project key (ory_pat_) is refused on the console: the hint names the mix-up.",
			token:  "ory_pat_not_a_workspace_key",
			call:   list, op: "list the projects",
			want: ReasonForbidden, hint: "workspace key (ory_wak_) is needed",
		},
		"ListNotFound": {
			reason: "A 404 on a list names no project: the hint is about the workspace.",
			setup:  func(_ *testing.T, w projectWorld) { w.sim.FailNext(orysim.OpListProjects, 1, http.StatusNotFound) },
			call:   list, op: "list the projects",
			want: ReasonNotFound, hint: "the workspace does not exist",
		},
		"ListServerError": {
			reason: "5xx is transient.",
			setup:  func(_ *testing.T, w projectWorld) { w.sim.FailNext(orysim.OpListProjects, 1, http.StatusBadGateway) },
			call:   list, op: "list the projects",
			want: ReasonUnavailable, hint: "retries",
		},
		"RenameAtAStaleRevision": {
			reason: "409: the project changed since it was read; the provider reads again.",
			setup: func(t *testing.T, w projectWorld) {
				if _, err := New(w.url, workspaceKey, http.DefaultClient, "ua").RenameProject(context.Background(), w.p.ID, w.p.RevisionID, "theirs"); err != nil {
					t.Fatal(err)
				}
			},
			call: rename, op: `rename project`,
			want: ReasonConflict, hint: "the project changed since it was read; the provider reads it again and retries",
		},
		"RenameDeleted": {
			reason: "A deleted project cannot be renamed: 403 with the general hint.",
			setup:  func(_ *testing.T, w projectWorld) { w.sim.DeleteProject(w.p.ID) },
			call:   rename, op: "rename project",
			want: ReasonForbidden, hint: "no access to this project",
		},
		"RenameRateLimited": {
			reason: "429 is transient.",
			setup: func(_ *testing.T, w projectWorld) {
				w.sim.FailNext(orysim.OpPatchProjectWithRevision, 1, http.StatusTooManyRequests)
			},
			call: rename, op: "rename project",
			want: ReasonRateLimited, hint: "rate limiting",
		},
		"PurgeUnknown": {
			reason: "Ory answers 403 for a project it does not know, purged ones included: not nil, since a 403 proves nothing.",
			setup:  func(_ *testing.T, w projectWorld) { w.sim.PurgeProject(w.p.ID) },
			call:   purge, op: "purge project",
			want: ReasonForbidden, hint: "Ory answers 403 for unknown projects too",
		},
		"PurgeNotFound": {
			reason: "A 404 is a project already purged: nil.",
			setup:  func(_ *testing.T, w projectWorld) { w.sim.FailNext(orysim.OpPurgeProject, 1, http.StatusNotFound) },
			call:   purge,
		},
		"PurgeServerError": {
			reason: "5xx is transient.",
			setup: func(_ *testing.T, w projectWorld) {
				w.sim.FailNext(orysim.OpPurgeProject, 1, http.StatusInternalServerError)
			},
			call: purge, op: "purge project",
			want: ReasonUnavailable, hint: "retries",
		},
		"PurgeWithARevokedKey": {
			reason: "401 names the credential to fix.",
			setup:  func(_ *testing.T, w projectWorld) { w.sim.RevokeWorkspaceKey(workspaceKey) },
			call:   purge, op: "purge project",
			want: ReasonUnauthorized, hint: "invalid or revoked",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := newProjectWorld(t)
			if tc.setup != nil {
				tc.setup(t, w)
			}
			token := workspaceKey
			if tc.token != "" {
				token = tc.token
			}
			err := tc.call(context.Background(), New(w.url, token, http.DefaultClient, "ua"), w)
			if got := ReasonOf(err); got != tc.want || (err != nil) != (tc.want != "") {
				t.Fatalf("%s\nreason = %q, want %q (%v)", tc.reason, got, tc.want, err)
			}
			if err == nil {
				return
			}
			for _, want := range []string{tc.op, tc.hint} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%s\nerror %q does not say %q", tc.reason, err, want)
				}
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("%s\nerror reveals the credential", tc.reason)
			}
		})
	}
}

// TestProjectRetries: the retrying Transport never sends a create that may
// have reached Ory twice, and retries what is safe to retry.
func TestProjectRetries(t *testing.T) {
	type want struct {
		Reason   Reason // "" for success
		Requests int    // requests of the operation that reached the simulator
		Projects int    // projects in the workspace afterwards (it starts with one)
		Name     string // the workspace's first project's name afterwards
	}
	create := func(ctx context.Context, c *Client, _ projectWorld) error {
		_, err := c.CreateProject(ctx, ProjectSpec{Name: "shop", Environment: "dev"})
		return err
	}
	cases := map[string]struct {
		reason string
		fault  func(sim *orysim.Server)
		call   func(ctx context.Context, c *Client, w projectWorld) error
		op     string
		want   want
	}{
		"CreateNotRetriedAfter5xx": {
			reason: "A create that got a 5xx may have made the project: sending it again could make a second one.",
			fault:  func(sim *orysim.Server) { sim.FailNext(orysim.OpCreateProject, 1, http.StatusBadGateway) },
			call:   create, op: orysim.OpCreateProject,
			want: want{Reason: ReasonUnavailable, Requests: 1, Projects: 1, Name: "main"},
		},
		"CreateNotRetriedWhenCutBeforeHeaders": {
			reason: "Ory made the project and the connection closed: not sent again, and the project exists.",
			fault:  func(sim *orysim.Server) { sim.CutAnswers(orysim.OpCreateProject, "", 1, orysim.CutBeforeHeaders) },
			call:   create, op: orysim.OpCreateProject,
			want: want{Reason: ReasonUnavailable, Requests: 1, Projects: 2, Name: "main"},
		},
		"CreateNotRetriedWhenCutMidBody": {
			reason: "Half a 201: the outcome is unknown, not sent again, and the project exists.",
			fault:  func(sim *orysim.Server) { sim.CutAnswers(orysim.OpCreateProject, "", 1, orysim.CutMidBody) },
			call:   create, op: orysim.OpCreateProject,
			want: want{Reason: ReasonOutcomeUnknown, Requests: 1, Projects: 2, Name: "main"},
		},
		"CreateRetriedAfter429": {
			reason: "Ory answers 429 before it acts, so a rate limited create is sent again, and one project is made.",
			fault:  func(sim *orysim.Server) { sim.FailNext(orysim.OpCreateProject, 1, http.StatusTooManyRequests) },
			call:   create, op: orysim.OpCreateProject,
			want: want{Requests: 2, Projects: 2, Name: "main"},
		},
		"ListRetriedAfter5xx": {
			reason: "A list is idempotent: 5xx are retried.",
			fault:  func(sim *orysim.Server) { sim.FailNext(orysim.OpListProjects, 2, http.StatusServiceUnavailable) },
			call: func(ctx context.Context, c *Client, _ projectWorld) error {
				_, err := c.ListProjects(ctx)
				return err
			},
			op:   orysim.OpListProjects,
			want: want{Requests: 3, Projects: 1, Name: "main"},
		},
		"RenameNotRetriedAfter5xx": {
			reason: "A PATCH goes back after a 5xx, as a create does.",
			fault: func(sim *orysim.Server) {
				sim.FailNext(orysim.OpPatchProjectWithRevision, 1, http.StatusInternalServerError)
			},
			call: func(ctx context.Context, c *Client, w projectWorld) error {
				_, err := c.RenameProject(ctx, w.p.ID, w.p.RevisionID, "renamed")
				return err
			},
			op:   orysim.OpPatchProjectWithRevision,
			want: want{Reason: ReasonUnavailable, Requests: 1, Projects: 1, Name: "main"},
		},
		"PurgeRetriedAfter5xx": {
			reason: "A purge is a DELETE: retried after a 5xx, and the retry purges.",
			fault:  func(sim *orysim.Server) { sim.FailNext(orysim.OpPurgeProject, 1, http.StatusServiceUnavailable) },
			call:   func(ctx context.Context, c *Client, w projectWorld) error { return c.PurgeProject(ctx, w.p.ID) },
			op:     orysim.OpPurgeProject,
			want:   want{Requests: 2, Projects: 0},
		},
		"PurgeRetriedAfterItsAnswerWasLost": {
			reason: "A purge that acted and lost its answer is retried, and Ory answers the retry 403 (it does not know the project any more): the caller gets ReasonForbidden for a purge that happened, as PurgeProject documents.",
			fault:  func(sim *orysim.Server) { sim.CutAnswers(orysim.OpPurgeProject, "", 1, orysim.CutBeforeHeaders) },
			call:   func(ctx context.Context, c *Client, w projectWorld) error { return c.PurgeProject(ctx, w.p.ID) },
			op:     orysim.OpPurgeProject,
			want:   want{Reason: ReasonForbidden, Requests: 2, Projects: 0},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := newProjectWorld(t)
			tc.fault(w.sim)
			c, _ := newRetryingClient(w.url, fastRetries)
			err := tc.call(context.Background(), c, w)
			got := want{Reason: ReasonOf(err), Requests: w.sim.Requests(tc.op), Projects: len(w.sim.Projects(w.ws.ID))}
			if ps := w.sim.Projects(w.ws.ID); len(ps) > 0 {
				got.Name = ps[0].Name
			}
			if err != nil && got.Reason == "" {
				t.Fatalf("%s\nunexpected error: %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n-want +got (error: %v):\n%s", tc.reason, err, diff)
			}
		})
	}
}
