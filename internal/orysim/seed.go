package orysim

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// KeySpec describes a key for CreateKey.
type KeySpec struct {
	// Project is the ID or slug of the project the key belongs to; it must
	// exist.
	Project string
	// ID is a fixed UUID for the key, so that examples can import it by ID;
	// empty means generate one. Key IDs are unique across all projects.
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
	p := s.lookupProjectLocked(spec.Project)
	if p == nil {
		return Key{}, fmt.Errorf("unknown project %q", spec.Project)
	}
	if spec.Name == "" {
		return Key{}, errors.New("a key needs a name")
	}
	id := ""
	if spec.ID != "" {
		parsed, err := uuid.Parse(spec.ID)
		if err != nil || len(spec.ID) != 36 {
			return Key{}, fmt.Errorf("key id %q is not a UUID", spec.ID)
		}
		id = parsed.String()
		for _, other := range s.projects {
			if other.keyIndex(id) >= 0 {
				return Key{}, fmt.Errorf("key id %s already exists", id)
			}
		}
	}
	owner := ""
	for _, ws := range s.workspaces {
		if ws.ID == p.WorkspaceID {
			owner = ws.OwnerID
			break
		}
	}
	k := s.newKeyLocked(p, owner, spec.Name, spec.ExpiresAt)
	if id != "" {
		k.ID = id
	}
	if spec.WithoutLastCharacters {
		k.LastCharacters = ""
	}
	return k.clone(), nil
}
