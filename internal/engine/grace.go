package engine

import (
	"context"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
)

// creationGracePeriod is crossplane-runtime's default creation grace period
// (defaultGracePeriod in pkg/reconciler/managed/reconciler.go, v2.4.0),
// which Setup does not change.
const creationGracePeriod = 30 * time.Second

// endCreationGracePeriod ends crossplane-runtime's creation grace period
// for a resource whose key the provider has just deleted.
//
// For 30 s after a create, the runtime does not trust an Observe that finds
// no key: an eventually consistent API may not list a fresh resource yet.
// So a resource deleted within those 30 s, its key deleted, waited them out
// with the event "Waiting for external resource existence to be confirmed"
// (and backoff on top) before its finalizer went. That wait guards nothing
// here: Observe found this key (Delete is only told to delete a key it
// found), so its existence was confirmed, and the provider deleted it. The
// creation annotations are removed together: without "succeeded", a
// "pending" one would read as an interrupted create and stop the resource.
// Best effort: should the patch fail, the resource waits as before.
func (e *external) endCreationGracePeriod(ctx context.Context, cr resource.Managed) {
	if e.observed.current.IsZero() || !meta.ExternalCreateSucceededDuring(cr, creationGracePeriod) {
		return
	}
	_ = patchAnnotations(ctx, e.kube, cr, map[string]*string{
		meta.AnnotationKeyExternalCreatePending:   nil,
		meta.AnnotationKeyExternalCreateSucceeded: nil,
		meta.AnnotationKeyExternalCreateFailed:    nil,
	})
}
