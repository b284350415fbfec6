// Package metapatch writes a managed resource's metadata (annotations,
// finalizers) without touching its spec or status, for the controllers that
// record what they do in annotations while crossplane-runtime holds the
// resource's status in memory.
package metapatch

import (
	"context"
	"encoding/json"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
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
