package console

import (
	"context"
	"time"

	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// keysAPI is what Keys offers, for either holder.
type keysAPI interface {
	Holder() string
	ListKeys(ctx context.Context, parent string) ([]Key, error)
	CreateKey(ctx context.Context, parent, name string, expiresAt *time.Time) (Key, error)
	DeleteKey(ctx context.Context, parent, keyID string) error
}

var _ keysAPI = Keys{}

// A testHolder is a holder of keys as the tests drive it: the same
// table runs for projects and workspaces wherever the holder matters.
type testHolder struct {
	// setup makes the holder in sim, reachable with workspaceKey, and
	// returns its ID.
	setup func(sim *orysim.Server) string
	keys  func(c *Client) keysAPI
	// stored returns the keys stored in the holder, values included,
	// except the workspace key a workspace was set up with.
	stored func(sim *orysim.Server, parent string) []orysim.Key
	// The holder's operations, as the simulator names them.
	list, create, del string
}

var testHolders = map[string]testHolder{
	"Project": {
		setup:  func(sim *orysim.Server) string { return sim.AddProject(workspaceKey, "main").ID },
		keys:   func(c *Client) keysAPI { return c.ProjectKeys() },
		stored: func(sim *orysim.Server, parent string) []orysim.Key { return sim.Keys(parent) },
		list:   orysim.OpListProjectAPIKeys, create: orysim.OpCreateProjectAPIKey, del: orysim.OpDeleteProjectAPIKey,
	},
	"Workspace": {
		setup: func(sim *orysim.Server) string { return sim.AddWorkspace(workspaceKey).ID },
		keys:  func(c *Client) keysAPI { return c.WorkspaceKeys() },
		stored: func(sim *orysim.Server, parent string) []orysim.Key {
			var out []orysim.Key
			for _, k := range sim.WorkspaceKeys(parent) {
				if k.Value != workspaceKey {
					out = append(out, k)
				}
			}
			return out
		},
		list: orysim.OpListWorkspaceAPIKeys, create: orysim.OpCreateWorkspaceAPIKey, del: orysim.OpDeleteWorkspaceAPIKey,
	},
}

// seed stores a key in the holder as if made earlier.
func (h testHolder) seed(sim *orysim.Server, parent string) orysim.Key {
	spec := orysim.KeySpec{Project: parent, Name: "seeded"}
	if h.create == orysim.OpCreateWorkspaceAPIKey {
		spec = orysim.KeySpec{Workspace: parent, Name: "seeded"}
	}
	k, _ := sim.CreateKey(spec)
	return k
}
