package console

import (
	"context"
	"time"
)

// ProjectKeys are the API keys of projects through one Client, under the
// holder-neutral names a view of keys is built over (keyview.API): parent
// is a project's ID or slug.
type ProjectKeys struct{ c *Client }

// WorkspaceKeys are the API keys of workspaces through one Client, like
// ProjectKeys: parent is a workspace's ID.
type WorkspaceKeys struct{ c *Client }

// ProjectKeys returns the project API key operations of c.
func (c *Client) ProjectKeys() ProjectKeys { return ProjectKeys{c: c} }

// WorkspaceKeys returns the workspace API key operations of c.
func (c *Client) WorkspaceKeys() WorkspaceKeys { return WorkspaceKeys{c: c} }

// Holder is "project".
func (ProjectKeys) Holder() string { return projectHolder.noun }

// ListKeys is Client.ListProjectKeys.
func (p ProjectKeys) ListKeys(ctx context.Context, parent string) ([]Key, error) {
	return p.c.ListProjectKeys(ctx, parent)
}

// CreateKey is Client.CreateProjectKey.
func (p ProjectKeys) CreateKey(ctx context.Context, parent, name string, expiresAt *time.Time) (Key, error) {
	return p.c.CreateProjectKey(ctx, parent, name, expiresAt)
}

// DeleteKey is Client.DeleteProjectKey.
func (p ProjectKeys) DeleteKey(ctx context.Context, parent, keyID string) error {
	return p.c.DeleteProjectKey(ctx, parent, keyID)
}

// Holder is "workspace".
func (WorkspaceKeys) Holder() string { return workspaceHolder.noun }

// ListKeys is Client.ListWorkspaceKeys.
func (w WorkspaceKeys) ListKeys(ctx context.Context, parent string) ([]Key, error) {
	return w.c.ListWorkspaceKeys(ctx, parent)
}

// CreateKey is Client.CreateWorkspaceKey.
func (w WorkspaceKeys) CreateKey(ctx context.Context, parent, name string, expiresAt *time.Time) (Key, error) {
	return w.c.CreateWorkspaceKey(ctx, parent, name, expiresAt)
}

// DeleteKey is Client.DeleteWorkspaceKey.
func (w WorkspaceKeys) DeleteKey(ctx context.Context, parent, keyID string) error {
	return w.c.DeleteWorkspaceKey(ctx, parent, keyID)
}
