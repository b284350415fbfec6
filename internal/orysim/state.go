package orysim

import (
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ProjectKeyPrefix starts every project API key value Ory issues.
const ProjectKeyPrefix = "ory_pat_"

// keyRandomChars is how many random characters follow ProjectKeyPrefix.
const keyRandomChars = 32

// lastCharactersLen is how many trailing characters of a value are exposed
// as last_characters. Assumption: client-go only says "the last characters
// of the token's value"; four is what the Ory console shows.
const lastCharactersLen = 4

// Workspace is a workspace and the one workspace API key that reaches it.
type Workspace struct {
	// ID is the workspace's UUID.
	ID string
	// Key is the bearer token (a workspace API key) as given by the test.
	Key string
	// OwnerID is the UUID reported as owner_id of the keys this workspace
	// key creates. Assumption: Ory reports the identity behind the
	// credential; the simulator gives every workspace key its own.
	OwnerID string
	// Revoked is set once RevokeWorkspaceKey was called for Key.
	Revoked bool
}

// Project is a project as the simulator stores it.
type Project struct {
	// ID is the project's UUID.
	ID string
	// Slug is the project's slug, which the tokens endpoints accept in place
	// of the ID.
	Slug string
	// Name is the human readable name.
	Name string
	// WorkspaceID is the UUID of the workspace that owns the project.
	WorkspaceID string
	// RevisionID is the UUID of the project's (only) configuration revision.
	RevisionID string
	// Environment is "prod", "stage" or "dev".
	Environment string
	// HomeRegion is one of the regions the spec enumerates.
	HomeRegion string
	// State is ProjectRunning, or ProjectDeleted once DeleteProject
	// soft-deleted it.
	State string
}

// Project states, from the project schema's state enum.
const (
	ProjectRunning = "running"
	ProjectDeleted = "deleted"
)

// Key is a project API key including its secret value, as stored.
type Key struct {
	// ID is the key's UUID.
	ID string
	// ProjectID is the UUID of the project the key belongs to.
	ProjectID string
	// OwnerID is the UUID of the credential that created the key.
	OwnerID string
	// Name is the name given at creation.
	Name string
	// Value is the secret (ory_pat_...). The API only returns it on create.
	Value string
	// LastCharacters is the end of Value, or empty for keys created before
	// Ory introduced the field (see SeedKey).
	LastCharacters string
	// CreatedAt and UpdatedAt are UTC with second precision, as Ory's are.
	CreatedAt time.Time
	UpdatedAt time.Time
	// ExpiresAt is nil for keys that never expire; otherwise UTC, seconds.
	ExpiresAt *time.Time
}

// ProjectSpec describes a project for CreateProject.
type ProjectSpec struct {
	// WorkspaceKey is the key of the owning workspace; it must be known.
	WorkspaceKey string
	// Slug must be unique; empty means generate one.
	Slug string
	// ID is a fixed UUID for the project; empty means generate one.
	ID string
	// Name defaults to the slug.
	Name string
	// Environment defaults to "prod".
	Environment string
	// HomeRegion defaults to "eu-central".
	HomeRegion string
}

// project is the stored form of a Project, with its keys in creation order
// (Assumption: Ory's list order is undocumented; creation order is the
// simplest stable choice and tests must not depend on it).
type project struct {
	Project
	keys []*Key
}

// AddWorkspace registers a workspace reachable with key and returns it.
// Adding a key that is already registered returns the existing workspace,
// so tests can call it without bookkeeping.
func (s *Server) AddWorkspace(key string) Workspace {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.addWorkspaceLocked(key)
}

func (s *Server) addWorkspaceLocked(key string) *Workspace {
	if ws, ok := s.workspaces[key]; ok {
		return ws
	}
	ws := &Workspace{ID: uuid.NewString(), Key: key, OwnerID: uuid.NewString()}
	s.workspaces[key] = ws
	return ws
}

// RevokeWorkspaceKey makes key answer 401 from now on, like a workspace API
// key deleted in the Ory console. Projects and keys stay as they are.
func (s *Server) RevokeWorkspaceKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ws, ok := s.workspaces[key]; ok {
		ws.Revoked = true
	}
}

// AddProject is the never-failing form of CreateProject for tests. An
// unknown workspaceKey is registered as a new workspace first; an empty or
// already taken slug is replaced by a generated one, so always use the
// returned Project's Slug and ID.
func (s *Server) AddProject(workspaceKey, slug string) Project {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addWorkspaceLocked(workspaceKey)
	if _, taken := s.slugs[slug]; taken {
		slug = ""
	}
	p, err := s.createProjectLocked(ProjectSpec{WorkspaceKey: workspaceKey, Slug: slug})
	if err != nil {
		// Unreachable: the workspace exists, the slug is free and the ID is
		// generated. Returning the zero Project keeps the promise of no
		// panics should that ever change.
		return Project{}
	}
	return p
}

// CreateProject registers a project described by spec, for callers that
// need fixed IDs (the orysim command, examples) and want errors reported.
func (s *Server) CreateProject(spec ProjectSpec) (Project, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createProjectLocked(spec)
}

func (s *Server) createProjectLocked(spec ProjectSpec) (Project, error) {
	ws, ok := s.workspaces[spec.WorkspaceKey]
	if !ok {
		return Project{}, errors.New("unknown workspace key")
	}
	id := spec.ID
	if id == "" {
		id = uuid.NewString()
	} else {
		parsed, err := uuid.Parse(id)
		if err != nil || len(id) != 36 {
			return Project{}, fmt.Errorf("project id %q is not a UUID", id)
		}
		id = parsed.String()
		if _, taken := s.projects[id]; taken {
			return Project{}, fmt.Errorf("project id %s already exists", id)
		}
	}
	slug := spec.Slug
	if slug == "" {
		slug = s.generateSlugLocked()
	} else {
		if _, err := uuid.Parse(slug); err == nil {
			// A slug that parses as a UUID would make {project} ambiguous.
			return Project{}, fmt.Errorf("slug %q looks like a project id", slug)
		}
		if strings.Contains(slug, "/") {
			return Project{}, fmt.Errorf("slug %q contains a slash", slug)
		}
		if _, taken := s.slugs[slug]; taken {
			return Project{}, fmt.Errorf("slug %q already exists", slug)
		}
	}
	p := &project{Project: Project{
		ID:          id,
		Slug:        slug,
		Name:        orDefault(spec.Name, slug),
		WorkspaceID: ws.ID,
		RevisionID:  uuid.NewString(),
		Environment: orDefault(spec.Environment, "prod"),
		HomeRegion:  orDefault(spec.HomeRegion, "eu-central"),
		State:       ProjectRunning,
	}}
	s.projects[id] = p
	s.slugs[slug] = id
	return p.Project, nil
}

// DeleteProject deletes a project as the Ory console does: softly. The
// project stays readable by its workspace with state "deleted", and its
// key operations answer 403 from then on; its keys stay stored (Keys still
// returns them) but are out of reach of the API. It reports whether ref (an
// ID or slug) named a project.
//
// Source: a live check reported by Ory's Terraform provider (PR 325), see
// /work/shared/ory-console-api.md "Deleted projects".
func (s *Server) DeleteProject(ref string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lookupProjectLocked(ref)
	if p == nil {
		return false
	}
	p.State = ProjectDeleted
	return true
}

// PurgeProject removes a project and its keys for good (the console's
// purgeProject): from then on it is unknown, which Ory answers with 403
// like a project the key may not see. It reports whether ref named a
// project.
func (s *Server) PurgeProject(ref string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lookupProjectLocked(ref)
	if p == nil {
		return false
	}
	delete(s.projects, p.ID)
	delete(s.slugs, p.Slug)
	return true
}

// MoveProject hands a project to the workspace of workspaceKey (registered
// first if unknown), so that the keys of its former workspace lose access
// to a project that still exists: they get 403 on every operation, as for
// a deleted or unknown project. It reports whether ref named a project.
func (s *Server) MoveProject(ref, workspaceKey string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lookupProjectLocked(ref)
	if p == nil {
		return false
	}
	p.WorkspaceID = s.addWorkspaceLocked(workspaceKey).ID
	return true
}

// generateSlugLocked returns a free slug shaped like Ory's generated ones
// (adjective-name-suffix).
func (s *Server) generateSlugLocked() string {
	adjectives := []string{"adoring", "brave", "calm", "eager", "focused", "gifted", "happy", "keen"}
	names := []string{"hopper", "lovelace", "turing", "curie", "noether", "ritchie", "hamilton", "shannon"}
	for {
		slug := fmt.Sprintf("%s-%s-%s",
			adjectives[randomIndex(len(adjectives))], names[randomIndex(len(names))],
			strings.ToLower(randomAlphanumeric(10)))
		if _, taken := s.slugs[slug]; !taken {
			return slug
		}
	}
}

// SeedKey stores a key as if it had been created earlier, for import tests.
// project is an ID or slug; an unknown project yields the zero Key. With
// withLastCharacters false the key looks like one created before Ory
// introduced last_characters (the field is returned empty).
func (s *Server) SeedKey(projectRef, name string, expiresAt *time.Time, withLastCharacters bool) Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lookupProjectLocked(projectRef)
	if p == nil {
		return Key{}
	}
	owner := ""
	for _, ws := range s.workspaces {
		if ws.ID == p.WorkspaceID {
			owner = ws.OwnerID
			break
		}
	}
	k := s.newKeyLocked(p, owner, name, expiresAt)
	if !withLastCharacters {
		k.LastCharacters = ""
	}
	return *k
}

// newKeyLocked creates and stores a key with a fresh value.
func (s *Server) newKeyLocked(p *project, ownerID, name string, expiresAt *time.Time) *Key {
	now := s.now().UTC().Truncate(time.Second)
	value := ProjectKeyPrefix + randomAlphanumeric(keyRandomChars)
	k := &Key{
		ID:             uuid.NewString(),
		ProjectID:      p.ID,
		OwnerID:        ownerID,
		Name:           name,
		Value:          value,
		LastCharacters: value[len(value)-lastCharactersLen:],
		CreatedAt:      now,
		UpdatedAt:      now,
	}
	if expiresAt != nil {
		e := expiresAt.UTC().Truncate(time.Second)
		k.ExpiresAt = &e
	}
	p.keys = append(p.keys, k)
	return k
}

// Keys returns copies of the project's keys, values included, in creation
// order. project is an ID or slug; unknown projects have no keys.
func (s *Server) Keys(projectRef string) []Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lookupProjectLocked(projectRef)
	if p == nil {
		return nil
	}
	out := make([]Key, 0, len(p.keys))
	for _, k := range p.keys {
		out = append(out, k.clone())
	}
	return out
}

// Key returns a copy of one key of a project, value included.
func (s *Server) Key(projectRef, id string) (Key, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lookupProjectLocked(projectRef)
	if p == nil {
		return Key{}, false
	}
	if i := p.keyIndex(id); i >= 0 {
		return p.keys[i].clone(), true
	}
	return Key{}, false
}

// Project returns a stored project by ID or slug.
func (s *Server) Project(ref string) (Project, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.lookupProjectLocked(ref); p != nil {
		return p.Project, true
	}
	return Project{}, false
}

// lookupProjectLocked resolves {project}: an ID first, then a slug.
func (s *Server) lookupProjectLocked(ref string) *project {
	if p, ok := s.projects[strings.ToLower(ref)]; ok {
		return p
	}
	if id, ok := s.slugs[ref]; ok {
		return s.projects[id]
	}
	return nil
}

func (p *project) keyIndex(id string) int {
	return slices.IndexFunc(p.keys, func(k *Key) bool { return k.ID == id })
}

func (k *Key) clone() Key {
	c := *k
	if k.ExpiresAt != nil {
		e := *k.ExpiresAt
		c.ExpiresAt = &e
	}
	return c
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

const alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomAlphanumeric returns n characters drawn uniformly from
// alphanumerics with crypto/rand: values are secrets in the provider's eyes,
// so they should look and behave like real ones (never from the seeded
// fault RNG).
func randomAlphanumeric(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphanumerics[randomIndex(len(alphanumerics))]
	}
	return string(b)
}

// randomIndex returns a uniform index below n (n <= 256) using rejection
// sampling to avoid modulo bias.
func randomIndex(n int) int {
	limit := 256 - 256%n
	var buf [1]byte
	for {
		if _, err := rand.Read(buf[:]); err != nil {
			// crypto/rand.Read never returns an error on supported
			// platforms (it crashes the program instead).
			continue
		}
		if int(buf[0]) < limit {
			return int(buf[0]) % n
		}
	}
}
