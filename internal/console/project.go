package console

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"time"

	ory "github.com/ory/client-go"
)

// Project states, from the state enum of client-go's project schema.
const (
	ProjectRunning = "running"
	ProjectHalted  = "halted"
	// ProjectDeleted is a project deleted in the console: deletion is soft,
	// and the project can still be read in this state (reported from a live
	// check by Ory's Terraform provider, PR 325).
	ProjectDeleted = "deleted"
)

// Project is an Ory Network project as the console reports it.
type Project struct {
	// ID is the project's UUID; Slug names its API
	// (https://<slug>.projects.oryapis.com).
	ID, Slug, Name string
	// State is ProjectRunning, ProjectHalted or ProjectDeleted.
	State string
	// Environment is prod, stage or dev; HomeRegion one of the regions of
	// client-go's enum (eu-central, us-east, ...).
	Environment, HomeRegion string
	// WorkspaceID is the UUID of the workspace that owns the project, ""
	// when Ory reports none.
	WorkspaceID string
	// RevisionID is the project's current revision: RenameProject names
	// it, and Ory refuses a change at a stale one.
	RevisionID string
	// CreatedAt is when Ory made the project (UTC, second precision), from
	// ListProjects; zero when the answer had none (GetProject, CreateProject
	// and RenameProject answer the project schema, which has no creation
	// time).
	CreatedAt time.Time
}

// ProjectSpec is what CreateProject sends.
type ProjectSpec struct {
	// Name and Environment (prod, stage or dev) are required.
	Name, Environment string
	// HomeRegion and WorkspaceID are sent only when not empty: Ory then
	// chooses the region, and the workspace is the one of the client's
	// workspace API key.
	HomeRegion, WorkspaceID string
}

// Hints of the operations on projects themselves, which replace the
// general hints (see hints) where theirs differ.
var (
	// projectHints are GetProject's, RenameProject's and PurgeProject's. A
	// 403 keeps the general hint: the project does not exist or the key
	// cannot reach it.
	projectHints = map[Reason]string{
		ReasonConflict: "the project changed since it was read; the provider reads it again and retries",
		ReasonPaymentRequired: "the workspace's plan has no free project slot: " +
			"free one in the Ory Console or upgrade the plan",
		ReasonOutcomeUnknown: "Ory may have made the project, but its answer never arrived: " +
			"the provider looks for the project before it creates another",
	}
	// workspaceProjectHints are CreateProject's and ListProjects', which
	// name no project: a 403 or 404 is about the workspace (or, for a 403,
	// a project key).
	workspaceProjectHints = func() map[Reason]string {
		h := maps.Clone(projectHints)
		h[ReasonForbidden] = workspaceHolder.hints[ReasonForbidden]
		h[ReasonNotFound] = workspaceHolder.hints[ReasonNotFound]
		return h
	}()
)

// CreateProject creates a project and returns it as Ory answered. Errors are
// *Error: 402 (ReasonPaymentRequired) when the workspace's plan has no free
// project slot, 403 (ReasonForbidden) for a workspace the key cannot reach.
// After one for which MayHaveCreated is true, the project may exist: the
// create is never sent twice (the retrying Transport does not resend a
// POST that may have reached Ory), and the caller must look for the project
// (ListProjects) before creating another.
func (c *Client) CreateProject(ctx context.Context, s ProjectSpec) (Project, error) {
	body := ory.NewCreateProjectBody(s.Environment, s.Name)
	if s.HomeRegion != "" {
		body.SetHomeRegion(s.HomeRegion)
	}
	if s.WorkspaceID != "" {
		body.SetWorkspaceId(s.WorkspaceID)
	}
	p, resp, err := c.api.ProjectAPI.CreateProject(WithOperation(ctx, OpCreateProject)).CreateProjectBody(*body).Execute()
	if err != nil {
		e := classifyCreate(fmt.Sprintf("create project %q", s.Name), resp, err)
		return Project{}, withHints(e, workspaceProjectHints)
	}
	return fromProject(p), nil
}

// GetProject reads a project by its ID (getProject takes no slug). Errors
// are *Error. Ory answers 403 (ReasonForbidden) both for a project that does
// not exist, purged ones included, and for one this workspace key may not
// see, so a 403 says nothing about whether the project exists; a project
// deleted in the console is answered, with State ProjectDeleted.
func (c *Client) GetProject(ctx context.Context, id string) (Project, error) {
	p, resp, err := c.api.ProjectAPI.GetProject(WithOperation(ctx, OpGetProject), id).Execute()
	if err != nil {
		return Project{}, withHints(classify("get project "+id, resp, err), projectHints)
	}
	return fromProject(p), nil
}

// ListProjects returns every project the client's workspace API key may
// see, with their creation times; the list is not paginated. Whether Ory
// lists projects deleted in the console is not documented (the simulator
// lists them, with State ProjectDeleted): callers filter on State. Errors
// are *Error.
func (c *Client) ListProjects(ctx context.Context) ([]Project, error) {
	ps, resp, err := c.api.ProjectAPI.ListProjects(WithOperation(ctx, OpListProjects)).Execute()
	if err != nil {
		return nil, withHints(classify("list the projects", resp, err), workspaceProjectHints)
	}
	out := make([]Project, 0, len(ps))
	for i := range ps {
		p := &ps[i]
		out = append(out, Project{
			ID:          p.GetId(),
			Slug:        p.GetSlug(),
			Name:        p.GetName(),
			State:       p.GetState(),
			Environment: p.GetEnvironment(),
			HomeRegion:  p.GetHomeRegion(),
			WorkspaceID: p.GetWorkspaceId(),
			CreatedAt:   p.GetCreatedAt().UTC(),
		})
	}
	return out, nil
}

// RenameProject patches the name at revisionID (PatchProjectWithRevision,
// JSON Patch replace /name) and returns the project after the patch, with
// its new revision. A stale revision is ReasonConflict (409): someone
// changed the project since it was read, and nothing was changed now; read
// it again and retry. Errors are *Error. The Transport does not resend a
// PATCH whose answer was lost; sending it again would be harmless anyway
// (the first one made a new revision, so a second answers 409).
func (c *Client) RenameProject(ctx context.Context, id, revisionID, name string) (Project, error) {
	patch := []ory.JsonPatch{{Op: "replace", Path: "/name", Value: name}}
	u, resp, err := c.api.ProjectAPI.PatchProjectWithRevision(WithOperation(ctx, OpPatchProject), id, revisionID).
		JsonPatch(patch).Execute()
	if err != nil {
		e := classify(fmt.Sprintf("rename project %s to %q", id, name), resp, err)
		return Project{}, withHints(e, projectHints)
	}
	return fromProject(&u.Project), nil
}

// PurgeProject deletes a project and all its data (identities, sessions,
// clients, configuration, API keys) for good; one already purged (404) is
// nil. Errors are *Error. Ory answers 403 for a project it does not know
// (see GetProject), so a purge that finds the project already purged, as a
// retry of one whose answer was lost can, may end in ReasonForbidden rather
// than nil.
func (c *Client) PurgeProject(ctx context.Context, id string) error {
	resp, err := c.api.ProjectAPI.PurgeProject(WithOperation(ctx, OpPurgeProject), id).Execute()
	if err == nil || (resp != nil && resp.StatusCode == http.StatusNotFound) {
		return nil
	}
	return withHints(classify("purge project "+id, resp, err), projectHints)
}

// ProjectSlug returns the slug of a project, which names its API
// (https://<slug>.projects.oryapis.com). Errors are GetProject's.
func (c *Client) ProjectSlug(ctx context.Context, projectID string) (string, error) {
	p, err := c.GetProject(ctx, projectID)
	return p.Slug, err
}

// ProjectState returns a project's state as GetProject reports it: one of
// ProjectRunning, ProjectHalted, ProjectDeleted. Errors are GetProject's:
// a 403 says nothing about whether the project exists.
func (c *Client) ProjectState(ctx context.Context, projectID string) (string, error) {
	p, err := c.GetProject(ctx, projectID)
	return p.State, err
}

// fromProject converts client-go's project (the project schema, which has
// no creation time).
func fromProject(p *ory.Project) Project {
	return Project{
		ID:          p.GetId(),
		Slug:        p.GetSlug(),
		Name:        p.GetName(),
		State:       p.GetState(),
		Environment: p.GetEnvironment(),
		HomeRegion:  p.GetHomeRegion(),
		WorkspaceID: p.GetWorkspaceId(),
		RevisionID:  p.GetRevisionId(),
	}
}
