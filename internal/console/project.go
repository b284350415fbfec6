package console

import (
	"context"

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

// ProjectSlug returns the slug of a project, which names its API
// (https://<slug>.projects.oryapis.com). Errors are *Error.
func (c *Client) ProjectSlug(ctx context.Context, projectID string) (string, error) {
	p, err := c.getProject(ctx, projectID)
	return p.GetSlug(), err
}

// ProjectState returns a project's state as GetProject reports it: one of
// ProjectRunning, ProjectHalted, ProjectDeleted. Errors are *Error. Ory
// answers 403 (ReasonForbidden) both for a project that does not exist and
// for one this workspace key may not see, so a 403 says nothing about
// whether the project exists.
func (c *Client) ProjectState(ctx context.Context, projectID string) (string, error) {
	p, err := c.getProject(ctx, projectID)
	return p.GetState(), err
}

// getProject reads a project; on error the project is nil, whose getters
// answer "".
func (c *Client) getProject(ctx context.Context, projectID string) (*ory.Project, error) {
	p, resp, err := c.api.ProjectAPI.GetProject(withOperation(ctx, OpGetProject), projectID).Execute()
	if err != nil {
		return nil, classify("get project "+projectID, resp, err)
	}
	return p, nil
}
