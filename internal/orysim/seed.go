package orysim

import (
	"errors"
	"fmt"
	"time"
)

// KeySpec describes a key for CreateKey: a project API key, or with
// Workspace set, a workspace API key.
type KeySpec struct {
	// Project is the ID or slug of the project the key belongs to; it must
	// exist. Empty for a workspace API key.
	Project string
	// Workspace is the ID of the workspace a workspace API key belongs to;
	// it must exist. Empty for a project API key.
	Workspace string
	// ID is a fixed UUID for the key, so that examples can import it by ID;
	// empty means generate one. Key IDs are unique across all projects and
	// workspaces.
	ID string
	// Name is the key's name.
	Name string
	// ExpiresAt is nil for a key that never expires.
	ExpiresAt *time.Time
	// WithoutLastCharacters makes the key look like one created before Ory
	// introduced last_characters (the field is returned empty).
	WithoutLastCharacters bool
}

// CreateKey stores a key as if it had been created earlier, like SeedKey,
// for callers that need a fixed key ID (the examples' imports, the local
// run) and want errors reported rather than a zero Key.
func (s *Server) CreateKey(spec KeySpec) (Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if (spec.Project == "") == (spec.Workspace == "") {
		return Key{}, errors.New("a key belongs to a project or a workspace: set exactly one of them")
	}
	if spec.Name == "" {
		return Key{}, errors.New("a key needs a name")
	}
	id, err := s.freeIDLocked(spec.ID, "key", s.keyIDTakenLocked)
	if err != nil {
		return Key{}, err
	}
	var k *Key
	if spec.Workspace != "" {
		ws := s.workspaceByIDLocked(spec.Workspace)
		if ws == nil {
			return Key{}, fmt.Errorf("unknown workspace %q", spec.Workspace)
		}
		k = s.addKeyLocked(s.workspaceHolderLocked(ws.ID), ws.OwnerID, spec.Name, spec.ExpiresAt)
	} else {
		p := s.lookupProjectLocked(spec.Project)
		if p == nil {
			return Key{}, fmt.Errorf("unknown project %q", spec.Project)
		}
		k = s.addKeyLocked(projectHolder(p), s.ownerOfLocked(p), spec.Name, spec.ExpiresAt)
	}
	k.ID = id
	if spec.WithoutLastCharacters {
		k.LastCharacters = ""
	}
	return k.clone(), nil
}

// ownerOfLocked is the owner_id of keys seeded into a project: the
// identity of its workspace's key.
func (s *Server) ownerOfLocked(p *project) string {
	if ws := s.workspaceByIDLocked(p.WorkspaceID); ws != nil {
		return ws.OwnerID
	}
	return ""
}
