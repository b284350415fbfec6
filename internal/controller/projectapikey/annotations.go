package projectapikey

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane-contrib/provider-ory/config"
)

// The annotations the provider keeps on a ProjectAPIKey, besides the
// external name, and the patch that writes them without touching the rest.

// AnnotationRetiredKeys, on a ProjectAPIKey, lists the keys it replaced and
// that are still to be deleted in Ory, comma separated, each as
// <project-id>/<key-id>, followed by @<RFC 3339 time> when a rotation overlap
// keeps it until then. It is written in the same patch as the new external
// name, so a replaced key is never forgotten.
const AnnotationRetiredKeys = "ory.crossplane.io/retired-keys"

// AnnotationCreating, on a ProjectAPIKey, marks a key the provider is asking
// Ory for: when, in which project, under which name (a JSON creationMark).
// It is set before the create call, and the patch that records the new key
// removes it; found later, it means the create was interrupted, or its
// answer lost, and Ory may hold a key whose value was never stored (see
// recoverCreation).
const AnnotationCreating = "ory.crossplane.io/creating"

// AnnotationValueStoredIn, on a ProjectAPIKey, names the connection Secret
// (<namespace>/<name>) that the value of its current key was written to. It
// is written in the same patch as the key's ID, so the resource remembers
// that it had the value: a Secret deleted or emptied out of band is then
// told apart from an import whose value was never known, and a changed
// spec.writeConnectionSecretToRef tells where to move the value from.
const AnnotationValueStoredIn = "ory.crossplane.io/value-stored-in"

// A creationMark is the content of AnnotationCreating.
type creationMark struct {
	Since   time.Time `json:"since"`
	Project string    `json:"project"`
	Name    string    `json:"name"`
}

// creationMarkOf returns the mark of an interrupted create, if mg has one.
func creationMarkOf(mg resource.Object) (creationMark, bool) {
	v, ok := mg.GetAnnotations()[AnnotationCreating]
	if !ok {
		return creationMark{}, false
	}
	var m creationMark
	_ = json.Unmarshal([]byte(v), &m) // a mangled mark still asks for a look
	return m, true
}

// A retiredKey is a replaced key waiting to be deleted, not before
// notBefore (zero: at once).
type retiredKey struct {
	config.Ref
	notBefore time.Time
}

func (r retiredKey) String() string {
	if r.notBefore.IsZero() {
		return r.Ref.String()
	}
	return r.Ref.String() + "@" + r.notBefore.UTC().Format(time.RFC3339)
}

// keyAnnotations are the annotations that record the key a resource manages
// (its external name) and the replaced keys still to delete.
func keyAnnotations(externalName string, retired []retiredKey) map[string]*string {
	a := map[string]*string{meta.AnnotationKeyExternalName: &externalName, AnnotationRetiredKeys: nil, AnnotationCreating: nil}
	if len(retired) > 0 {
		r := joinRefs(retired)
		a[AnnotationRetiredKeys] = &r
	}
	return a
}

// storedKeyAnnotations are keyAnnotations for a key whose value the
// resource's connection Secret holds now.
func storedKeyAnnotations(mg resource.Managed, externalName string, retired []retiredKey) map[string]*string {
	a := keyAnnotations(externalName, retired)
	if nn, ok := connectionSecret(mg); ok {
		s := nn.String()
		a[AnnotationValueStoredIn] = &s
	}
	return a
}

// valueStoredIn returns the connection Secret the value of mg's current key
// was written to, or "" if the resource never had its value. Resources made
// before the annotation existed fall back on their KeyValue condition.
func valueStoredIn(mg resource.Managed) string {
	if s, ok := mg.GetAnnotations()[AnnotationValueStoredIn]; ok {
		return s
	}
	if c := mg.GetCondition(TypeValue); c.Status == "True" && c.Reason == ReasonValueStored {
		if nn, ok := connectionSecret(mg); ok {
			return nn.String()
		}
	}
	return ""
}

// retiredKeys returns the keys mg replaced that are still to be deleted.
func retiredKeys(mg resource.Managed) []retiredKey {
	var out []retiredKey
	for _, s := range strings.Split(mg.GetAnnotations()[AnnotationRetiredKeys], ",") {
		ref, at, _ := strings.Cut(strings.TrimSpace(s), "@")
		r, err := config.ParseRef(ref)
		if err != nil || r.IsZero() || r.Parent == "" {
			continue
		}
		k := retiredKey{Ref: r}
		if t, err := time.Parse(time.RFC3339, at); err == nil {
			k.notBefore = t
		}
		out = append(out, k)
	}
	return out
}

func joinRefs[T fmt.Stringer](refs []T) string {
	s := make([]string, 0, len(refs))
	for _, r := range refs {
		s = append(s, r.String())
	}
	return strings.Join(s, ",")
}

// patchAnnotations sets (or, for a nil value, removes) annotations of mg in
// one optimistic merge patch.
func patchAnnotations(ctx context.Context, kube client.Client, mg resource.Object, set map[string]*string) error {
	return errors.Wrap(patchMetadata(ctx, kube, mg, map[string]any{"annotations": set}),
		"cannot record the managed key on the resource")
}

// patchMetadata merge-patches metadata fields of mg, failing if mg changed
// since it was read. Only metadata changes: the patch goes to a copy, and only
// annotations, finalizers and the resource version are copied back, so the
// spec and status that Observe filled in memory are kept for the runtime to
// persist (a full Update would replace them with the server's).
func patchMetadata(ctx context.Context, kube client.Client, mg resource.Object, metadata map[string]any) error {
	metadata["resourceVersion"] = mg.GetResourceVersion()
	patch, err := json.Marshal(map[string]any{"metadata": metadata})
	if err != nil {
		return errors.Wrap(err, "cannot encode metadata patch")
	}
	cp, _ := mg.DeepCopyObject().(client.Object)
	if err := kube.Patch(ctx, cp, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return err
	}
	mg.SetAnnotations(cp.GetAnnotations())
	mg.SetFinalizers(cp.GetFinalizers())
	mg.SetResourceVersion(cp.GetResourceVersion())
	return nil
}
