package keyview

import (
	"context"
	"errors"
)

// ProjectState passes through to the console when it can look up projects
// (see console.Client.ProjectState); projects are not part of the view.
func (c *Client) ProjectState(ctx context.Context, projectID string) (string, error) {
	s, ok := c.api.(interface {
		ProjectState(ctx context.Context, projectID string) (string, error)
	})
	if !ok {
		return "", errors.New("this console client cannot look up projects")
	}
	return s.ProjectState(ctx, projectID)
}
