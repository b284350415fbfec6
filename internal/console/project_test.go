package console

import (
	"context"
	"net/http"
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
