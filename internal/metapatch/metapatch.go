// Package metapatch writes a managed resource's metadata (annotations,
// finalizers) without touching its spec or status, for the controllers that
// record what they do in annotations while crossplane-runtime holds the
// resource's status in memory.
package metapatch

import (
	"context"
	"encoding/json"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Metadata merge-patches metadata fields of o, failing (a Conflict) if o
// changed since it was read: the patch names o's resourceVersion. Only
// metadata changes: the patch goes to a copy, and only annotations,
// finalizers and the resource version are copied back, so the spec and
// status that Observe filled in memory are kept for the runtime to persist
// (a full Update would replace them with the server's).
func Metadata(ctx context.Context, kube client.Client, o client.Object, metadata map[string]any) error {
	metadata["resourceVersion"] = o.GetResourceVersion()
	patch, err := json.Marshal(map[string]any{"metadata": metadata})
	if err != nil {
		return errors.Wrap(err, "cannot encode metadata patch")
	}
	cp, _ := o.DeepCopyObject().(client.Object)
	if err := kube.Patch(ctx, cp, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return err
	}
	o.SetAnnotations(cp.GetAnnotations())
	o.SetFinalizers(cp.GetFinalizers())
	o.SetResourceVersion(cp.GetResourceVersion())
	return nil
}

// Annotations sets (or, for a nil value, removes) annotations of o in one
// Metadata patch.
func Annotations(ctx context.Context, kube client.Client, o client.Object, set map[string]*string) error {
	return Metadata(ctx, kube, o, map[string]any{"annotations": set})
}

// Finalizer adds and removes crossplane-runtime's managed resource
// finalizer with Metadata patches. The runtime's own finalizer updates the
// whole object right after Observe, and the server's answer replaces the
// status Observe set in memory: a freshly imported resource would show no
// status until the next poll.
type Finalizer struct {
	Kube client.Client
}

// AddFinalizer adds the managed resource finalizer to o.
func (f Finalizer) AddFinalizer(ctx context.Context, o resource.Object) error {
	if meta.FinalizerExists(o, managed.FinalizerName) {
		return nil
	}
	return errors.Wrap(Metadata(ctx, f.Kube, o, map[string]any{"finalizers": append(o.GetFinalizers(), managed.FinalizerName)}),
		"cannot add finalizer")
}

// RemoveFinalizer removes the managed resource finalizer from o; o being
// gone already is no error.
func (f Finalizer) RemoveFinalizer(ctx context.Context, o resource.Object) error {
	if !meta.FinalizerExists(o, managed.FinalizerName) {
		return nil
	}
	var keep []string
	for _, name := range o.GetFinalizers() {
		if name != managed.FinalizerName {
			keep = append(keep, name)
		}
	}
	return errors.Wrap(resource.IgnoreNotFound(Metadata(ctx, f.Kube, o, map[string]any{"finalizers": keep})), "cannot remove finalizer")
}
