package orysim

import (
	"net/http"
	"strings"
)

// errNoWorkspaceAccess is the answer for a workspace the caller's key does
// not belong to, or one that does not exist. Assumption: the console
// answers both with 403, as it does for projects (see projectForLocked).
var errNoWorkspaceAccess = &apiError{http.StatusForbidden, "The workspace API key has no access to this workspace, or the workspace does not exist."}

// workspaceFor resolves {workspace} for a key operation: a workspace key
// reaches its own workspace only. The simulator's workspaces have no slug,
// so {workspace} is the workspace's ID (the spec allows a slug for list and
// delete; no caller of the simulator needs one).
func workspaceFor(ws *Workspace, ref string) (string, *apiError) {
	if !strings.EqualFold(ws.ID, ref) {
		return "", errNoWorkspaceAccess
	}
	return ws.ID, nil
}

// createWorkspaceKey serves POST /workspaces/{workspace}/tokens: a new
// workspace API key (ory_wak_...), which authenticates at once, and whose
// value is in this answer only.
func (s *Server) createWorkspaceKey(w http.ResponseWriter, r *http.Request, ws *Workspace, ref string) {
	id, apiErr := workspaceFor(ws, ref)
	if apiErr != nil {
		apiErr.write(w)
		return
	}
	name, expiresAt, apiErr := s.readCreateBody(w, r)
	if apiErr != nil {
		apiErr.write(w)
		return
	}
	s.mu.Lock()
	k := s.newWorkspaceKeyLocked(id, ws.OwnerID, name, expiresAt).clone()
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, keyToJSON(k, true))
}

// listWorkspaceKeys serves GET /workspaces/{workspace}/tokens: every API
// key of the workspace, the caller's own included, without values, as a
// plain array.
func (s *Server) listWorkspaceKeys(w http.ResponseWriter, ws *Workspace, ref string) {
	id, apiErr := workspaceFor(ws, ref)
	if apiErr != nil {
		apiErr.write(w)
		return
	}
	s.mu.Lock()
	out := []keyJSON{} // [], never null: the spec's workspaceApiKeys is an array
	for _, k := range s.wsKeys[id] {
		out = append(out, keyToJSON(*k, false))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// deleteWorkspaceKey serves DELETE /workspaces/{workspace}/tokens/{token_id}.
// The deleted key answers 401 from then on, even when it is the key of this
// very request (a credential rotated by the one it replaces). An unknown
// key is 404, as for a project's keys.
func (s *Server) deleteWorkspaceKey(w http.ResponseWriter, ws *Workspace, ref, tokenID string) {
	id, apiErr := workspaceFor(ws, ref)
	if apiErr != nil {
		apiErr.write(w)
		return
	}
	s.mu.Lock()
	found := s.deleteWorkspaceKeyLocked(id, tokenID)
	s.mu.Unlock()
	if !found {
		writeError(w, http.StatusNotFound, "Unable to locate the API key.")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
