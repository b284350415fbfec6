package orysim

import (
	"net/http"
	"strings"
)

// errNoWorkspaceAccess is the answer for a workspace the caller's key does
// not belong to, or one that does not exist. Assumption: the console
// answers both with 403, as it does for projects (see projectForLocked).
var errNoWorkspaceAccess = &apiError{http.StatusForbidden, "The workspace API key has no access to this workspace, or the workspace does not exist."}

// workspaceHolderForLocked resolves {workspace} for a key operation: a
// workspace key reaches its own workspace only. The simulator's workspaces
// have no slug, so {workspace} is the workspace's ID (the spec allows a
// slug for list and delete; no caller of the simulator needs one).
func (s *Server) workspaceHolderForLocked(ws *Workspace, ref string) (keyHolder, *apiError) {
	if !strings.EqualFold(ws.ID, ref) {
		return keyHolder{}, errNoWorkspaceAccess
	}
	return s.workspaceHolderLocked(ws.ID), nil
}
