// Package orysim is an in-memory simulator of the parts of Ory Network's
// console API (api.console.ory.sh) that the provider uses: project API keys
// and workspace API keys (create, list, delete), and projects (create, list,
// read, rename at a revision, purge); and of each
// project's own API (https://<slug>.projects.oryapis.com), served by the
// same process at ProjectAPIURL (<simulator URL>/projects-api/<slug>): its
// OAuth2 clients (create, get, list in pages, set, patch, delete, rotate
// and drop rotated secrets), under project API keys the console issued for
// that project (401 for an unknown, revoked or expired key, 403 for a key
// of another project or a workspace key). OAuth2Clients and SecretWorks
// let a test see the clients and which secrets Ory would accept.
//
// Tests drive the real github.com/ory/client-go against it over HTTP, so the
// simulator has to answer the way the live API does: same paths, status
// codes, JSON shapes, precision of timestamps and error bodies. By default
// every exchange is also validated against the OpenAPI document bundled in
// client-go (see package contract), so a simulator that drifts from the
// contract fails the test that noticed, not a production reconcile.
//
// A typical test:
//
//	sim, url := orysim.StartTest(t)
//	ws := sim.AddWorkspace("ory_wak_test")
//	p := sim.AddProject(ws.Key, "my-project")
//	c := orysim.NewClient(url, ws.Key)
//	key, _, err := c.ProjectAPI.CreateProjectApiKey(ctx, p.ID).
//		CreateProjectApiKeyBody(*ory.NewCreateProjectApiKeyBody("ci")).Execute()
//
// Projects can go away as they do in Ory: DeleteProject deletes one softly
// (GetProject answers it with state "deleted", its key operations 403),
// PurgeProject (or purgeProject through the API) removes it and its keys
// (403 everywhere: Ory answers an unknown project with 403, not 404), and
// MoveProject takes it out of reach of its workspace's key while it still
// exists (the same 403s).
//
// Projects created through the API belong to the caller's workspace and
// start running, with a generated slug and a first revision;
// patchProjectWithRevision renames one at its current revision (409 at any
// other) and makes a new revision. A workspace's plan may limit its
// projects (WorkspaceSpec.ProjectLimit, SetProjectLimit): a create beyond
// the limit answers 402.
//
// A workspace is set up with one workspace API key (AddWorkspace,
// CreateWorkspace), which is also the first of its API keys: the workspace
// key operations list it and can delete it, which revokes it (401), and a
// workspace key they create authenticates at once, so a test can rotate the
// provider's own credentials through the API.
//
// Faults (injected errors, latency, dropped connections, rate limiting,
// answers cut after the simulator acted) can be switched on and off at any
// time, also while requests are in flight; they apply to both APIs by
// operation name, and both are in the request log and the contract check.
//
// Behaviour the simulator assumes where the live API is not documented is
// marked "Assumption:" in the comments; keep those in mind when a test
// passes here but the provider misbehaves against Ory.
package orysim
