package projectapikey

import (
	"context"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-ory/config"
	"github.com/crossplane-contrib/provider-ory/internal/console"
)

// ReasonProjectDeleted is the Ready reason of a key whose project Ory shows
// deleted: the key went with it.
const ReasonProjectDeleted xpv2.ConditionReason = "ProjectDeleted"

// A projectStater reads a project's state in the Ory console (see
// console.Client.ProjectState).
type projectStater interface {
	ProjectState(ctx context.Context, projectID string) (string, error)
}

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

// projectGone looks, after a key operation in a project failed with cause,
// whether the project is gone: it returns how Ory showed it ("" when it did
// not, or when cause is not an answer Ory gives for the keys of a deleted or
// unknown project: 403, 404).
func (e *external) projectGone(ctx context.Context, projectID string, cause error) string {
	if r := console.ReasonOf(cause); r != console.ReasonForbidden && r != console.ReasonNotFound {
		return ""
	}
	ps, ok := e.ory.(projectStater)
	if !ok {
		return ""
	}
	return projectGoneProof(ps.ProjectState(ctx, projectID))
}

// observeGoneProject is Observe's answer when reading the current key failed
// with cause: the key went with its project if Ory shows the project gone;
// otherwise cause stands, and a resource being deleted says why it stays.
func (e *external) observeGoneProject(ctx context.Context, cr keyResource, current config.Ref, lateInit bool, cause error) (managed.ExternalObservation, error) {
	why := e.projectGone(ctx, current.Parent, cause)
	switch {
	case why == "" && meta.WasDeleted(cr) && console.ReasonOf(cause) == console.ReasonForbidden:
		return managed.ExternalObservation{}, errors.Wrapf(cause, "the resource is kept until key %s can be deleted or Ory shows project %s deleted: a 403 does not tell a deleted project from one this workspace key may not see", current, current.Parent)
	case why == "":
		return managed.ExternalObservation{}, cause
	case meta.WasDeleted(cr):
		// Nothing left to delete but replaced keys still waiting, if any.
		return managed.ExternalObservation{ResourceExists: len(retiredKeys(cr)) > 0, ResourceUpToDate: true}, nil
	case !strings.EqualFold(cr.Parameters().ProjectID, current.Parent):
		// The spec moved the key to another project: make it there.
		return managed.ExternalObservation{ResourceExists: false, ResourceLateInitialized: lateInit}, nil
	}
	msg := "project " + current.Parent + " no longer exists (" + why + "), and key " + current.ID +
		" went with it: the connection Secret holds a value that no longer works. Delete this resource, or set spec.forProvider.projectID to an existing project to get a new key there."
	if cr.GetCondition(xpv2.TypeReady).Reason != ReasonProjectDeleted {
		e.record.Event(cr, event.Warning(event.Reason(ReasonProjectDeleted), errors.New(msg)))
	}
	c := xpv2.Unavailable().WithMessage(msg)
	c.Reason = ReasonProjectDeleted
	cr.SetConditions(c)
	// Nothing to create or replace in a project that is gone.
	return managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true, ResourceLateInitialized: lateInit}, nil
}

// deleteKey deletes a key in Ory. A key whose project Ory shows gone counts
// as deleted: it went with its project.
func (e *external) deleteKey(ctx context.Context, k config.Ref) error {
	err := e.ory.DeleteKey(ctx, k.Parent, k.ID)
	if err != nil && e.projectGone(ctx, k.Parent, err) != "" {
		return nil
	}
	return err
}
