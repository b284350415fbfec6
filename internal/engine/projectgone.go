package engine

import (
	"context"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/console"
)

// observeGoneProject is Observe's answer when reading the current key failed
// with cause: the key went with its project if Ory shows the project gone;
// otherwise cause stands, and a resource being deleted says why it stays.
// parentGone looks, after a key operation in parent failed with cause,
// whether Ory shows the parent gone (see config.Parent.Gone).
func (e *external) parentGone(ctx context.Context, parent string, cause error) string {
	if e.kind.Parent.Gone == nil {
		return ""
	}
	return e.kind.Parent.Gone(ctx, e.conn, parent, cause)
}

func (e *external) observeGoneProject(ctx context.Context, cr Resource, current common.Ref, lateInit bool, cause error) (managed.ExternalObservation, error) {
	why := e.parentGone(ctx, current.Parent, cause)
	switch {
	case why == "" && meta.WasDeleted(cr) && console.ReasonOf(cause) == console.ReasonForbidden && e.kind.Parent.Gone != nil:
		return managed.ExternalObservation{}, errors.Wrapf(cause, "the resource is kept until key %s can be deleted or Ory shows %s %s deleted: a 403 does not tell a deleted %[2]s from one this workspace key may not see", current, e.kind.Parent.Noun, current.Parent)
	case why == "" && meta.WasDeleted(cr) && console.ReasonOf(cause) == console.ReasonForbidden:
		return managed.ExternalObservation{}, errors.Wrapf(cause, "the resource is kept until key %s can be deleted: if you know its %s is gone, remove Delete from spec.managementPolicies (or set deletionPolicy: Orphan) to let the resource go", current, e.kind.Parent.Noun)
	case why == "":
		return managed.ExternalObservation{}, cause
	case meta.WasDeleted(cr):
		// Nothing left to delete but replaced keys still waiting, if any.
		return managed.ExternalObservation{ResourceExists: len(retiredKeys(cr)) > 0, ResourceUpToDate: true}, nil
	case !strings.EqualFold(*cr.ParentID(), current.Parent):
		// The spec moved the key to another project: make it there.
		return managed.ExternalObservation{ResourceExists: false, ResourceLateInitialized: lateInit}, nil
	}
	noun := e.kind.Parent.Noun
	msg := noun + " " + current.Parent + " no longer exists (" + why + "), and key " + current.ID +
		" went with it: the connection Secret holds a value that no longer works. Delete this resource, or set spec.forProvider." + e.kind.Parent.Field + " to an existing " + noun + " to get a new key there."
	if cr.GetCondition(xpv2.TypeReady).Reason != common.ReasonProjectDeleted {
		e.record.Event(cr, event.Warning(event.Reason(common.ReasonProjectDeleted), errors.New(msg)))
	}
	c := xpv2.Unavailable().WithMessage(msg)
	c.Reason = common.ReasonProjectDeleted
	cr.SetConditions(c)
	// Nothing to create or replace in a project that is gone.
	return managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true, ResourceLateInitialized: lateInit}, nil
}

// deleteKey deletes a retired key in Ory; for an in-place kind, an entry
// with the resource's own object's ID stands for that object's rotated
// secrets, which it ends instead (see inplace.go).
func (e *external) deleteKey(ctx context.Context, k common.Ref) error {
	if e.inPlace != nil && e.self != "" && strings.EqualFold(k.ID, e.self) {
		return e.deleteRotated(ctx, k)
	}
	return e.deleteObject(ctx, k)
}

// deleteObject deletes a key (or object) in Ory. One whose project Ory
// shows gone counts as deleted: it went with its project.
func (e *external) deleteObject(ctx context.Context, k common.Ref) error {
	err := e.ory.DeleteKey(ctx, k.Parent, k.ID)
	if err != nil && e.parentGone(ctx, k.Parent, err) != "" {
		return nil
	}
	return err
}
