package console

import (
	"context"
	"time"
)

// Keys are the API key operations of one kind of holder (projects or
// workspaces) through one Client, under the holder-neutral names a view of
// keys is built over (keyview.API). parent is a project's ID or slug, or a
// workspace's ID.
type Keys struct {
	noun   string
	list   func(ctx context.Context, parent string) ([]Key, error)
	create func(ctx context.Context, parent, name string, expiresAt *time.Time) (Key, error)
	del    func(ctx context.Context, parent, keyID string) error
}

// ProjectKeys returns the project API key operations of c.
func (c *Client) ProjectKeys() Keys {
	return Keys{noun: projectHolder.noun, list: c.ListProjectKeys, create: c.CreateProjectKey, del: c.DeleteProjectKey}
}

// WorkspaceKeys returns the workspace API key operations of c.
func (c *Client) WorkspaceKeys() Keys {
	return Keys{noun: workspaceHolder.noun, list: c.ListWorkspaceKeys, create: c.CreateWorkspaceKey, del: c.DeleteWorkspaceKey}
}

// Holder names the kind of holder in messages: "project" or "workspace".
func (k Keys) Holder() string { return k.noun }

// ListKeys is Client.ListProjectKeys or Client.ListWorkspaceKeys.
func (k Keys) ListKeys(ctx context.Context, parent string) ([]Key, error) {
	return k.list(ctx, parent)
}

// CreateKey is Client.CreateProjectKey or Client.CreateWorkspaceKey.
func (k Keys) CreateKey(ctx context.Context, parent, name string, expiresAt *time.Time) (Key, error) {
	return k.create(ctx, parent, name, expiresAt)
}

// DeleteKey is Client.DeleteProjectKey or Client.DeleteWorkspaceKey.
func (k Keys) DeleteKey(ctx context.Context, parent, keyID string) error {
	return k.del(ctx, parent, keyID)
}
