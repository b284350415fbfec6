package orysim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Environments are the values of the environment enum of the spec's
// createProjectBody and project schemas.
var Environments = []string{"prod", "stage", "dev"}

// HomeRegions are the values of the home_region enum of the spec's
// createProjectBody and project schemas.
var HomeRegions = []string{"eu-central", "asia-northeast", "us-east", "us-west", "eu", "asia", "us", "global"}

// errNoProjectSlot is the answer to a create beyond the workspace plan's
// project limit. Source: Ory's Terraform provider documents a 402 for it;
// the reason's words are the simulator's.
var errNoProjectSlot = &apiError{http.StatusPaymentRequired, "The workspace's plan has no free project slot: delete a project or upgrade the plan."}

// createProjectBody is the createProjectBody schema. The fields are
// pointers so that a missing one is told from an empty one.
type createProjectBody struct {
	Name        *string `json:"name"`
	Environment *string `json:"environment"`
	HomeRegion  *string `json:"home_region"`
	WorkspaceID *string `json:"workspace_id"`
}

// createProject serves POST /projects: a new running project of the
// caller's workspace (or of body.workspace_id, which must be the caller's:
// 403 otherwise), with a generated slug and a first revision, answered 201
// with the project. A create beyond the plan's project limit (see
// SetProjectLimit) answers 402. Faults that cut the answer act after the
// project is stored, so a lost answer leaves the project made.
//
// Assumptions: a name of only spaces is refused like an empty one (as for
// keys); deleted projects do not count against the limit; the checks run
// in the order body, workspace, limit.
func (s *Server) createProject(w http.ResponseWriter, r *http.Request, ws *Workspace) {
	spec, wsID, apiErr := readCreateProjectBody(w, r)
	if apiErr != nil {
		apiErr.write(w)
		return
	}
	if wsID != "" && !strings.EqualFold(wsID, ws.ID) {
		errNoWorkspaceAccess.write(w)
		return
	}
	s.mu.Lock()
	var p Project
	var err error
	if limit, ok := s.projectLimits[ws.ID]; ok && s.liveProjectsLocked(ws.ID) >= limit {
		apiErr = errNoProjectSlot
	} else if p, err = s.storeProjectLocked(ws.ID, spec); err != nil {
		// Unreachable: the ID and the slug are generated.
		apiErr = &apiError{http.StatusInternalServerError, "Storing the project failed: " + err.Error()}
	}
	s.mu.Unlock()
	if apiErr != nil {
		apiErr.write(w)
		return
	}
	writeJSON(w, http.StatusCreated, projectToJSON(p))
}

// readCreateProjectBody reads a createProjectBody into a ProjectSpec and
// the workspace_id it names ("" when none), or the 400 that refuses it.
func readCreateProjectBody(w http.ResponseWriter, r *http.Request) (ProjectSpec, string, *apiError) {
	var body createProjectBody
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err := dec.Decode(&body); err != nil {
		return ProjectSpec{}, "", &apiError{http.StatusBadRequest, "The request body is not a valid project create body: " + err.Error()}
	}
	if body.Name == nil || strings.TrimSpace(*body.Name) == "" {
		return ProjectSpec{}, "", &apiError{http.StatusBadRequest, "name is required and must not be empty."}
	}
	if body.Environment == nil || !slices.Contains(Environments, *body.Environment) {
		return ProjectSpec{}, "", &apiError{http.StatusBadRequest, "environment is required and must be one of " + strings.Join(Environments, ", ") + "."}
	}
	spec := ProjectSpec{Name: *body.Name, Environment: *body.Environment}
	if body.HomeRegion != nil {
		if !slices.Contains(HomeRegions, *body.HomeRegion) {
			return ProjectSpec{}, "", &apiError{http.StatusBadRequest, "home_region must be one of " + strings.Join(HomeRegions, ", ") + "."}
		}
		spec.HomeRegion = *body.HomeRegion
	}
	var wsID string
	if body.WorkspaceID != nil {
		id, err := uuid.Parse(*body.WorkspaceID)
		if err != nil || len(*body.WorkspaceID) != 36 {
			return ProjectSpec{}, "", &apiError{http.StatusBadRequest, "workspace_id is not a UUID."}
		}
		wsID = id.String()
	}
	return spec, wsID, nil
}

// liveProjectsLocked counts the projects of a workspace that are not
// deleted: the ones its plan's limit counts.
func (s *Server) liveProjectsLocked(workspaceID string) int {
	n := 0
	for _, p := range s.projectsOfLocked(workspaceID) {
		if p.State != ProjectDeleted {
			n++
		}
	}
	return n
}

// listProjects serves GET /projects: the projects of the caller's
// workspace, a plain array in creation order, never another workspace's.
//
// Assumption: deleted projects are listed, with state "deleted", as
// getProject still answers them; the spec does not say.
func (s *Server) listProjects(w http.ResponseWriter, ws *Workspace) {
	s.mu.Lock()
	out := []projectMetadataJSON{} // [] for none, never null
	for _, p := range s.projectsOfLocked(ws.ID) {
		out = append(out, projectMetadataToJSON(p.Project))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// patchOp is one operation of a JSON Patch (the spec's jsonPatch schema).
type patchOp struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	Value json.RawMessage `json:"value"`
}

// patchProject serves PATCH /projects/{project_id}/revision/{revision_id}:
// the JSON Patch is applied to the project if revision_id is its current
// revision, which makes a new revision; the answer is 200 with a
// successfulProjectUpdate. A stale revision is 409 and changes nothing. A
// project unknown, of another workspace or deleted is 403.
//
// The simulator applies "replace" (and "add", which on an existing member
// is the same) of "/name" to a non-empty string, and refuses every other
// operation or path with 400: the rest of a project (its services'
// configuration) is not simulated. An empty patch succeeds and changes
// nothing but the revision. Assumptions: the checks run in the order
// access, body, revision; a deleted project cannot be changed (as its keys
// cannot).
func (s *Server) patchProject(w http.ResponseWriter, r *http.Request, ws *Workspace, rt route) {
	name, bodyErr := readNamePatch(w, r)
	s.mu.Lock()
	p := s.projectByIDLocked(ws, rt.parent)
	var apiErr *apiError
	var out projectJSON
	switch {
	case p == nil || p.State == ProjectDeleted:
		apiErr = errNoProjectAccess
	case bodyErr != nil:
		apiErr = bodyErr
	case !strings.EqualFold(p.RevisionID, rt.revision):
		apiErr = &apiError{http.StatusConflict, fmt.Sprintf("The project changed since revision %s: read it again and patch its current revision.", rt.revision)}
	default:
		if name != nil {
			p.Name = *name
		}
		p.RevisionID = uuid.NewString()
		p.UpdatedAt = s.now().UTC().Truncate(time.Second)
		out = projectToJSON(p.Project)
	}
	s.mu.Unlock()
	if apiErr != nil {
		apiErr.write(w)
		return
	}
	writeJSON(w, http.StatusOK, successfulProjectUpdateJSON{Project: out, Warnings: []warningJSON{}})
}

// readNamePatch reads a JSON Patch and returns the name it sets (nil when it
// sets none), or the 400 that refuses it.
func readNamePatch(w http.ResponseWriter, r *http.Request) (*string, *apiError) {
	var ops []patchOp
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err := dec.Decode(&ops); err != nil {
		return nil, &apiError{http.StatusBadRequest, "The request body is not a JSON Patch: " + err.Error()}
	}
	var name *string
	for i, op := range ops {
		if (op.Op != "replace" && op.Op != "add") || op.Path != "/name" {
			return nil, &apiError{http.StatusBadRequest, fmt.Sprintf("Patch operation %d (%s %s) is not supported by the Ory simulator: it changes only /name, with replace or add.", i, op.Op, op.Path)}
		}
		var v string
		if err := json.Unmarshal(op.Value, &v); err != nil || strings.TrimSpace(v) == "" {
			return nil, &apiError{http.StatusBadRequest, fmt.Sprintf("Patch operation %d: the value of /name must be a non-empty string.", i)}
		}
		name = &v
	}
	return name, nil
}

// purgeProject serves DELETE /projects/{project_id}: the project (deleted
// or not) and all its keys are removed for good, answered 204. From then on
// every operation answers it as an unknown project: 403.
//
// Assumption: purging a project that is unknown (already purged included)
// or of another workspace answers 403, as reading it does; the spec also
// declares 404, which the simulator never sends.
func (s *Server) purgeProject(w http.ResponseWriter, ws *Workspace, id string) {
	s.mu.Lock()
	p := s.projectByIDLocked(ws, id)
	if p != nil {
		s.removeProjectLocked(p)
	}
	s.mu.Unlock()
	if p == nil {
		errNoProjectAccess.writeFor(w, OpPurgeProject)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// projectMetadataJSON is the projectMetadata schema (an element of
// listProjects' answer) as the simulator fills it: its required properties
// and workspace_id. hosts is empty: the simulator serves no project API and
// no custom domains.
type projectMetadataJSON struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Slug        string    `json:"slug"`
	State       string    `json:"state"`
	Environment string    `json:"environment"`
	HomeRegion  string    `json:"home_region"`
	Hosts       []string  `json:"hosts"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	WorkspaceID string    `json:"workspace_id"`
}

func projectMetadataToJSON(p Project) projectMetadataJSON {
	return projectMetadataJSON{
		ID:          p.ID,
		Name:        p.Name,
		Slug:        p.Slug,
		State:       p.State,
		Environment: p.Environment,
		HomeRegion:  p.HomeRegion,
		Hosts:       []string{},
		CreatedAt:   p.CreatedAt,
		UpdatedAt:   p.UpdatedAt,
		WorkspaceID: p.WorkspaceID,
	}
}

// successfulProjectUpdateJSON is the successfulProjectUpdate schema: the
// project after the patch and the warnings about parts of it Ory could not
// apply (none: the simulator refuses what it cannot apply).
type successfulProjectUpdateJSON struct {
	Project  projectJSON   `json:"project"`
	Warnings []warningJSON `json:"warnings"`
}

// warningJSON is the spec's Warning schema.
type warningJSON struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}
