package orysim

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	ory "github.com/ory/client-go"
)

// fixedClock is a settable clock for WithClock, so timestamps, expiry
// checks and the rate limiter are deterministic.
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *fixedClock { return &fixedClock{t: t} }

func (c *fixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fixedClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// clockStart has a sub-second part on purpose: the simulator must drop it.
var clockStart = time.Date(2030, 5, 6, 7, 8, 9, 123456789, time.UTC)

// fixture is a running simulator with one workspace owning one project.
type fixture struct {
	sim     *Server
	url     string
	ws      Workspace
	project Project
	clock   *fixedClock
	client  *ory.APIClient
}

func newFixture(t *testing.T, opts ...Option) fixture {
	t.Helper()
	clock := newClock(clockStart)
	sim, url := StartTest(t, append([]Option{WithClock(clock.Now)}, opts...)...)
	ws := sim.AddWorkspace("ory_wak_owner")
	p := sim.AddProject(ws.Key, "my-project")
	return fixture{sim: sim, url: url, ws: ws, project: p, clock: clock, client: NewClient(url, ws.Key)}
}

// createKey creates a key through client-go and fails the test on error.
func (f fixture) createKey(t *testing.T, name string) *ory.ProjectApiKey {
	t.Helper()
	k, _, err := f.client.ProjectAPI.CreateProjectApiKey(context.Background(), f.project.ID).
		CreateProjectApiKeyBody(*ory.NewCreateProjectApiKeyBody(name)).Execute()
	if err != nil {
		t.Fatalf("CreateProjectApiKey: %v", err)
	}
	return k
}

// statusOf returns the HTTP status of a client-go call, 0 without response.
func statusOf(resp *http.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}

// staleRevision is a revision no project has: callOp's patch of a
// project its caller may reach answers 409.
const staleRevision = "00000000-0000-4000-8000-000000000000"

// callOp performs op through client-go against project (for the workspace
// key operations: the workspace ID; ignored by createProject and
// listProjects; a patch names staleRevision) and returns the HTTP status (0
// when no response arrived).
func callOp(ctx context.Context, c *ory.APIClient, op, project string) (int, error) {
	var resp *http.Response
	var err error
	switch op {
	case OpCreateProjectAPIKey:
		_, resp, err = c.ProjectAPI.CreateProjectApiKey(ctx, project).
			CreateProjectApiKeyBody(*ory.NewCreateProjectApiKeyBody("k")).Execute()
	case OpListProjectAPIKeys:
		_, resp, err = c.ProjectAPI.ListProjectApiKeys(ctx, project).Execute()
	case OpDeleteProjectAPIKey:
		resp, err = c.ProjectAPI.DeleteProjectApiKey(ctx, project, "0b6f1e8e-2f0a-4f43-8d0b-3f1b2d7c9a10").Execute()
	case OpGetProject:
		_, resp, err = c.ProjectAPI.GetProject(ctx, project).Execute()
	case OpCreateProject:
		_, resp, err = c.ProjectAPI.CreateProject(ctx).CreateProjectBody(*ory.NewCreateProjectBody("dev", "p")).Execute()
	case OpListProjects:
		_, resp, err = c.ProjectAPI.ListProjects(ctx).Execute()
	case OpPatchProjectWithRevision:
		_, resp, err = c.ProjectAPI.PatchProjectWithRevision(ctx, project, staleRevision).JsonPatch(renameTo("q")).Execute()
	case OpPurgeProject:
		resp, err = c.ProjectAPI.PurgeProject(ctx, project).Execute()
	case OpCreateWorkspaceAPIKey:
		_, resp, err = c.WorkspaceAPI.CreateWorkspaceApiKey(ctx, project).
			CreateWorkspaceApiKeyBody(*ory.NewCreateWorkspaceApiKeyBody("k")).Execute()
	case OpListWorkspaceAPIKeys:
		_, resp, err = c.WorkspaceAPI.ListWorkspaceApiKeys(ctx, project).Execute()
	case OpDeleteWorkspaceAPIKey:
		resp, err = c.WorkspaceAPI.DeleteWorkspaceApiKey(ctx, project, "0b6f1e8e-2f0a-4f43-8d0b-3f1b2d7c9a10").Execute()
	default:
		return 0, errors.New("unknown operation " + op)
	}
	return statusOf(resp), err
}

// projectOperations are the operations whose path names a project.
func projectOperations() []string {
	return slices.DeleteFunc(Operations(), func(op string) bool {
		return isWorkspaceOperation(op) || op == OpCreateProject || op == OpListProjects
	})
}

// renameTo is the JSON Patch that renames a project.
func renameTo(name string) []ory.JsonPatch {
	return []ory.JsonPatch{{Op: "replace", Path: "/name", Value: name}}
}

func isWorkspaceOperation(op string) bool { return strings.Contains(op, "Workspace") }

// parentOf is what callOp needs for op: the fixture's workspace ID for the
// workspace key operations, a new project of its workspace for a purge (so
// that the fixture's project stays for the other operations), its project
// ID for the others.
func (f fixture) parentOf(op string) string {
	switch {
	case isWorkspaceOperation(op):
		return f.ws.ID
	case op == OpPurgeProject:
		return f.sim.AddProject(f.ws.Key, "").ID
	}
	return f.project.ID
}

func ptr[T any](v T) *T { return &v }
