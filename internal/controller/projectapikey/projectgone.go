package projectapikey

import (
	"context"

	"github.com/crossplane-contrib/provider-ory/internal/console"
	"github.com/crossplane-contrib/provider-ory/internal/keyview"
)

// projectGoneProof says whether an answer of GetProject proves that a
// project no longer exists, and if so how, in words for a message ("" when
// it does not). Proof is a project read that says state "deleted" (the
// console deletes softly), or a 404.
//
// Not proof: a 403, which Ory answers both for a project that does not
// exist and for one this workspace key may not see (reported from a live
// check by Ory's Terraform provider, PR 325); a 401 (a revoked workspace
// key); anything else. ListProjects is not used to settle a 403 either: a
// project moved to another workspace, or out of this key's reach, is
// missing from the key's list just as a purged one is. Taking a key for
// gone when it is not would leave a live key in Ory that no manifest knows.
func projectGoneProof(state string, err error) string {
	switch {
	case err == nil && state == console.ProjectDeleted:
		return "Ory reports the project in state " + console.ProjectDeleted
	case err != nil && console.ReasonOf(err) == console.ReasonNotFound:
		return "Ory answers 404 for the project"
	}
	return ""
}

// ProjectGone looks, after a key operation in a project failed with cause,
// whether the project is gone: it returns how Ory showed it ("" when it did
// not, or when cause is not an answer Ory gives for the keys of a deleted or
// unknown project: 403, 404).
func ProjectGone(ctx context.Context, conn *keyview.Connection, projectID string, cause error) string {
	if r := console.ReasonOf(cause); r != console.ReasonForbidden && r != console.ReasonNotFound {
		return ""
	}
	return projectGoneProof(conn.Console().ProjectState(ctx, projectID))
}
