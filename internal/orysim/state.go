package orysim

import (
	"cmp"
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

// WorkspaceKeyPrefix starts every workspace API key value Ory issues.
const WorkspaceKeyPrefix = "ory_wak_"

// keyRandomChars is how many random characters follow a key's prefix.
const keyRandomChars = 32

// lastCharactersLen is how many trailing characters of a value are exposed
// as last_characters. Assumption: client-go only says "the last characters
// of the token's value"; four is what the Ory console shows.
const lastCharactersLen = 4

// Workspace is a workspace and the workspace API key it was set up with.
// That key is one of the workspace's API keys: ListWorkspaceApiKeys lists
// it (as KeyID) and DeleteWorkspaceApiKey can delete it, which revokes it.
// Keys created through CreateWorkspaceApiKey reach the workspace too.
type Workspace struct {
	// ID is the workspace's UUID.
	ID string
	// Key is the bearer token (a workspace API key) as given by the test,
	// or, for a workspace a created key authenticated, that key's value.
	Key string
	// KeyID is the UUID of Key as a workspace API key.
	KeyID string
	// OwnerID is the UUID reported as owner_id of the keys this workspace
	// key creates. Assumption: Ory reports the identity behind the
	// credential; the simulator gives every workspace key it is set up
	// with its own, and a key created through the API acts as the
	// identity that created it.
	OwnerID string
	// Revoked is set once Key was revoked (RevokeWorkspaceKey) or deleted
	// through DeleteWorkspaceApiKey: it answers 401 from then on.
	Revoked bool
}

// WorkspaceSpec describes a workspace for CreateWorkspace.
type WorkspaceSpec struct {
	// Key is the workspace API key (bearer token) that reaches it; it must
	// be new to the simulator.
	Key string
	// ID is a fixed UUID for the workspace; empty means generate one.
	ID string
	// KeyID is a fixed UUID for Key as a workspace API key (to import it);
	// empty means generate one.
	KeyID string
	// KeyName is Key's name as ListWorkspaceApiKeys reports it; empty
	// means "orysim".
	KeyName string
	// ProjectLimit is how many projects (not deleted ones) the workspace's
	// plan allows; CreateProject through the API answers 402 beyond it.
	// 0 means no limit. SetProjectLimit changes it later.
	ProjectLimit int
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
	// RevisionID is the UUID of the project's current revision: every
	// successful patchProjectWithRevision makes a new one, and a patch
	// that names another is refused with 409.
	RevisionID string
	// Environment is "prod", "stage" or "dev".
	Environment string
	// HomeRegion is one of the regions the spec enumerates.
	HomeRegion string
	// State is ProjectRunning, or ProjectDeleted once DeleteProject
	// soft-deleted it.
	State string
	// CreatedAt and UpdatedAt are UTC with second precision, as Ory's
	// are; a patch moves UpdatedAt. listProjects reports them.
	CreatedAt time.Time
	UpdatedAt time.Time
}

// DefaultHomeRegion is the home region of a project created without one.
// Assumption: the spec does not say what Ory chooses; eu-central is the
// first region its enum lists.
const DefaultHomeRegion = "eu-central"

// Project states, from the project schema's state enum.
const (
	ProjectRunning = "running"
	ProjectDeleted = "deleted"
)

// Key is a project or workspace API key including its secret value, as
// stored.
type Key struct {
	// ID is the key's UUID.
	ID string
	// ProjectID is the UUID of the project a project API key belongs to,
	// empty for a workspace API key.
	ProjectID string
	// WorkspaceID is the UUID of the workspace a workspace API key belongs
	// to, empty for a project API key.
	WorkspaceID string
	// OwnerID is the UUID of the credential that created the key.
	OwnerID string
	// Name is the name given at creation.
	Name string
	// Value is the secret (ory_pat_... or ory_wak_...). The API only
	// returns it on create.
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
	// Environment is one of Environments; empty means "prod".
	Environment string
	// HomeRegion is one of HomeRegions; empty means DefaultHomeRegion.
	HomeRegion string
}

// project is the stored form of a Project, with its keys in creation order
// (Assumption: Ory's list order is undocumented; creation order is the
// simplest stable choice and tests must not depend on it). seq orders
// projects by creation for listProjects, under the same assumption.
type project struct {
	Project
	keys []*Key
	// clients are the OAuth2 clients of the project's own API, in creation
	// order.
	clients []*oauth2Client
	seq     uint64
}

// AddWorkspace registers a workspace reachable with key and returns it.
// Adding a key that is already registered returns the existing workspace,
// so tests can call it without bookkeeping; so does the value of a
// workspace key created through the API (its workspace, as that key
// authenticates it).
func (s *Server) AddWorkspace(key string) Workspace {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.addWorkspaceLocked(key)
}

func (s *Server) addWorkspaceLocked(key string) *Workspace {
	if ws, ok := s.workspaces[key]; ok {
		return ws
	}
	if k := s.workspaceKeyByValueLocked(key); k != nil {
		return &Workspace{ID: k.WorkspaceID, Key: key, KeyID: k.ID, OwnerID: k.OwnerID}
	}
	ws, _ := s.createWorkspaceLocked(WorkspaceSpec{Key: key}) // cannot fail: the key is new, the IDs generated
	return ws
}

// CreateWorkspace registers a workspace described by spec, for callers
// that need fixed IDs (the orysim command, examples) and want errors
// reported.
func (s *Server) CreateWorkspace(spec WorkspaceSpec) (Workspace, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws, err := s.createWorkspaceLocked(spec)
	if err != nil {
		return Workspace{}, err
	}
	return *ws, nil
}

func (s *Server) createWorkspaceLocked(spec WorkspaceSpec) (*Workspace, error) {
	if spec.Key == "" {
		return nil, errors.New("a workspace needs a key")
	}
	if _, taken := s.workspaces[spec.Key]; taken || s.workspaceKeyByValueLocked(spec.Key) != nil {
		return nil, errors.New("the workspace key is already registered")
	}
	id, err := s.freeIDLocked(spec.ID, "workspace", func(id string) bool { return s.workspaceByIDLocked(id) != nil })
	if err != nil {
		return nil, err
	}
	keyID, err := s.freeIDLocked(spec.KeyID, "key", s.keyIDTakenLocked)
	if err != nil {
		return nil, err
	}
	if spec.ProjectLimit < 0 {
		return nil, errors.New("a project limit cannot be negative")
	}
	ws := &Workspace{ID: id, Key: spec.Key, KeyID: keyID, OwnerID: uuid.NewString()}
	s.workspaces[spec.Key] = ws
	if spec.ProjectLimit > 0 {
		s.projectLimits[id] = spec.ProjectLimit
	}
	// The key it was set up with is one of its API keys, as in Ory.
	now := s.now().UTC().Truncate(time.Second)
	h := s.workspaceHolderLocked(id)
	*h.keys = append(*h.keys, &Key{
		ID:             keyID,
		WorkspaceID:    id,
		OwnerID:        ws.OwnerID,
		Name:           orDefault(spec.KeyName, "orysim"),
		Value:          spec.Key,
		LastCharacters: lastCharacters(spec.Key),
		CreatedAt:      now,
		UpdatedAt:      now,
	})
	return ws, nil
}

// RevokeWorkspaceKey makes key answer 401 from now on, like a workspace API
// key deleted in the Ory console: it is no longer among its workspace's
// API keys. key is the value of a key a workspace was set up with or of
// one created through the API. Projects and other keys stay as they are.
func (s *Server) RevokeWorkspaceKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k := s.workspaceKeyByValueLocked(key); k != nil {
		s.removeKeyLocked(s.workspaceHolderLocked(k.WorkspaceID), k.ID)
	}
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
	ws := s.addWorkspaceLocked(workspaceKey)
	if _, taken := s.slugs[slug]; taken {
		slug = ""
	}
	p, err := s.storeProjectLocked(ws.ID, ProjectSpec{Slug: slug})
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
	return s.storeProjectLocked(ws.ID, spec)
}

// storeProjectLocked stores a new running project of workspace wsID
// (spec.WorkspaceKey is not read), checking a fixed ID and slug. The plan's
// project limit is the API's to enforce, not this one's: tests set up what
// they need.
func (s *Server) storeProjectLocked(wsID string, spec ProjectSpec) (Project, error) {
	// Answers carry these in enums: a value outside them would make every
	// read of the project break the contract.
	if spec.Environment != "" && !slices.Contains(Environments, spec.Environment) {
		return Project{}, fmt.Errorf("environment %q is not one of %s", spec.Environment, strings.Join(Environments, ", "))
	}
	if spec.HomeRegion != "" && !slices.Contains(HomeRegions, spec.HomeRegion) {
		return Project{}, fmt.Errorf("home region %q is not one of %s", spec.HomeRegion, strings.Join(HomeRegions, ", "))
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
	now := s.now().UTC().Truncate(time.Second)
	s.projectSeq++
	p := &project{seq: s.projectSeq, Project: Project{
		ID:          id,
		Slug:        slug,
		Name:        orDefault(spec.Name, slug),
		WorkspaceID: wsID,
		RevisionID:  uuid.NewString(),
		Environment: orDefault(spec.Environment, "prod"),
		HomeRegion:  orDefault(spec.HomeRegion, DefaultHomeRegion),
		State:       ProjectRunning,
		CreatedAt:   now,
		UpdatedAt:   now,
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

// PurgeProject removes a project, its keys and its OAuth2 clients for
// good, as the console's purgeProject does (served too, see purgeProject):
// from then on it is unknown, which Ory answers with 403 like a project the
// key may not see, and its own API answers 404. It reports whether ref
// named a project.
func (s *Server) PurgeProject(ref string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lookupProjectLocked(ref)
	if p == nil {
		return false
	}
	s.removeProjectLocked(p)
	return true
}

// removeProjectLocked forgets p, and with it its keys and OAuth2 clients:
// they are stored in p alone.
func (s *Server) removeProjectLocked(p *project) {
	delete(s.projects, p.ID)
	delete(s.slugs, p.Slug)
}

// SetProjectLimit sets how many projects (not deleted ones) the plan of
// workspace workspaceID allows; createProject answers 402 beyond it. n <= 0
// removes the limit. Projects already over the limit stay. It reports
// whether the workspace exists.
func (s *Server) SetProjectLimit(workspaceID string, n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.workspaceByIDLocked(workspaceID)
	if ws == nil {
		return false
	}
	if n <= 0 {
		delete(s.projectLimits, ws.ID)
	} else {
		s.projectLimits[ws.ID] = n
	}
	return true
}

// Projects returns copies of the projects of workspace workspaceID, deleted
// ones included, in creation order.
func (s *Server) Projects(workspaceID string) []Project {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Project
	for _, p := range s.projectsOfLocked(workspaceID) {
		out = append(out, p.Project)
	}
	return out
}

// projectsOfLocked returns the stored projects of a workspace, deleted ones
// included, in creation order.
func (s *Server) projectsOfLocked(workspaceID string) []*project {
	var out []*project
	for _, p := range s.projects {
		if strings.EqualFold(p.WorkspaceID, workspaceID) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *project) int { return cmp.Compare(a.seq, b.seq) })
	return out
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
	k := s.addKeyLocked(projectHolder(p), s.ownerOfLocked(p), name, expiresAt)
	if !withLastCharacters {
		k.LastCharacters = ""
	}
	return *k
}

// A keyHolder is a project or a workspace as its key operations see it:
// where its keys are stored, the prefix of their values, and how a key
// names it.
type keyHolder struct {
	keys   *[]*Key
	prefix string
	stamp  func(*Key)
}

// holderFor resolves, with s.mu held, the holder a key operation names
// (ref) for the caller's workspace, or the answer that refuses it.
type holderFor func(s *Server, ws *Workspace, ref string) (keyHolder, *apiError)

func projectHolder(p *project) keyHolder {
	return keyHolder{keys: &p.keys, prefix: ProjectKeyPrefix, stamp: func(k *Key) { k.ProjectID = p.ID }}
}

// workspaceHolderLocked is the workspace id (lower case) as a holder of
// keys.
func (s *Server) workspaceHolderLocked(id string) keyHolder {
	keys, ok := s.wsKeys[id]
	if !ok {
		keys = &[]*Key{}
		s.wsKeys[id] = keys
	}
	return keyHolder{keys: keys, prefix: WorkspaceKeyPrefix, stamp: func(k *Key) { k.WorkspaceID = id }}
}

// addKeyLocked creates and stores a key of h with a fresh value.
func (s *Server) addKeyLocked(h keyHolder, ownerID, name string, expiresAt *time.Time) *Key {
	k := s.mintKeyLocked(h.prefix, ownerID, name, expiresAt)
	h.stamp(k)
	*h.keys = append(*h.keys, k)
	return k
}

// removeKeyLocked removes the key id of h and reports whether it existed.
// A workspace key a workspace was set up with is revoked with it.
func (s *Server) removeKeyLocked(h keyHolder, id string) bool {
	i := slices.IndexFunc(*h.keys, func(k *Key) bool { return k.ID == id })
	if i < 0 {
		return false
	}
	if ws, ok := s.workspaces[(*h.keys)[i].Value]; ok {
		ws.Revoked = true
	}
	*h.keys = slices.Delete(*h.keys, i, i+1)
	return true
}

// mintKeyLocked returns a new key whose value is prefix and random
// characters, held by nothing yet.
func (s *Server) mintKeyLocked(prefix, ownerID, name string, expiresAt *time.Time) *Key {
	now := s.now().UTC().Truncate(time.Second)
	value := prefix + randomAlphanumeric(keyRandomChars)
	k := &Key{
		ID:             uuid.NewString(),
		OwnerID:        ownerID,
		Name:           name,
		Value:          value,
		LastCharacters: lastCharacters(value),
		CreatedAt:      now,
		UpdatedAt:      now,
	}
	if expiresAt != nil {
		e := expiresAt.UTC().Truncate(time.Second)
		k.ExpiresAt = &e
	}
	return k
}

// lastCharacters is what Ory shows of a value: its end.
func lastCharacters(value string) string {
	return value[max(len(value)-lastCharactersLen, 0):]
}

// WorkspaceKeys returns copies of a workspace's API keys, values included,
// in creation order (the key it was set up with first). Unknown workspaces
// have no keys.
func (s *Server) WorkspaceKeys(workspaceID string) []Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := s.wsKeys[strings.ToLower(workspaceID)]
	if keys == nil {
		return nil
	}
	out := make([]Key, 0, len(*keys))
	for _, k := range *keys {
		out = append(out, k.clone())
	}
	return out
}

// WorkspaceKey returns a copy of one API key of a workspace, value
// included.
func (s *Server) WorkspaceKey(workspaceID, id string) (Key, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if keys := s.wsKeys[strings.ToLower(workspaceID)]; keys != nil {
		for _, k := range *keys {
			if k.ID == id {
				return k.clone(), true
			}
		}
	}
	return Key{}, false
}

// workspaceKeyByValueLocked finds a stored workspace API key by its value.
func (s *Server) workspaceKeyByValueLocked(value string) *Key {
	for _, keys := range s.wsKeys {
		for _, k := range *keys {
			if k.Value == value {
				return k
			}
		}
	}
	return nil
}

func (s *Server) workspaceByIDLocked(id string) *Workspace {
	for _, ws := range s.workspaces {
		if strings.EqualFold(ws.ID, id) {
			return ws
		}
	}
	return nil
}

// keyIDTakenLocked reports whether any project or workspace key has id:
// key IDs are unique across both.
func (s *Server) keyIDTakenLocked(id string) bool {
	for _, p := range s.projects {
		if p.keyIndex(id) >= 0 {
			return true
		}
	}
	for _, keys := range s.wsKeys {
		if slices.ContainsFunc(*keys, func(k *Key) bool { return k.ID == id }) {
			return true
		}
	}
	return false
}

// freeIDLocked returns fixed in canonical form, or a new UUID when fixed is
// empty. A fixed ID must be a UUID that taken does not report.
func (s *Server) freeIDLocked(fixed, what string, taken func(string) bool) (string, error) {
	if fixed == "" {
		return uuid.NewString(), nil
	}
	parsed, err := uuid.Parse(fixed)
	if err != nil || len(fixed) != 36 {
		return "", fmt.Errorf("%s id %q is not a UUID", what, fixed)
	}
	id := parsed.String()
	if taken(id) {
		return "", fmt.Errorf("%s id %s already exists", what, id)
	}
	return id, nil
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
