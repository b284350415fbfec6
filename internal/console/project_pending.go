package console

// TEMPORARY, for branch projctl only: the names branch projsim adds to this
// package (internal/console/project.go), so that the Project controller
// compiles before projsim is merged. Deleted when main has projsim.

import (
	"context"
	"errors"
	"time"
)

type Project struct {
	ID, Slug, Name, State, Environment, HomeRegion, WorkspaceID, RevisionID string
	CreatedAt                                                               time.Time
}

type ProjectSpec struct{ Name, Environment, HomeRegion, WorkspaceID string }

const (
	ReasonConflict        Reason = "RevisionConflict"
	ReasonPaymentRequired Reason = "PlanLimitReached"
)

var errPending = errors.New("the console's project operations come with branch projsim")

func (c *Client) CreateProject(context.Context, ProjectSpec) (Project, error) {
	return Project{}, errPending
}
func (c *Client) GetProject(context.Context, string) (Project, error) { return Project{}, errPending }
func (c *Client) ListProjects(context.Context) ([]Project, error)     { return nil, errPending }
func (c *Client) RenameProject(context.Context, string, string, string) (Project, error) {
	return Project{}, errPending
}
func (c *Client) PurgeProject(context.Context, string) error { return errPending }
