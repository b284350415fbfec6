package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	"sigs.k8s.io/controller-runtime/pkg/client"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/metapatch"
)

// Reading and writing the annotations the provider keeps on a key resource
// (their names and formats are in apis/common), and the patch that writes
// them without touching the rest.

// creationMarkOf returns the mark of an interrupted create, if mg has one.
func creationMarkOf(mg resource.Object) (common.CreationMark, bool) {
	v, ok := mg.GetAnnotations()[common.AnnotationCreating]
	if !ok {
		return common.CreationMark{}, false
	}
	return common.ParseCreationMark(v), true // a mangled mark still asks for a look
}

// keyAnnotations are the annotations that record the key a resource manages
// (its external name) and the replaced keys still to delete.
func keyAnnotations(externalName string, retired []common.RetiredKey) map[string]*string {
	a := map[string]*string{meta.AnnotationKeyExternalName: &externalName, common.AnnotationRetiredKeys: nil, common.AnnotationCreating: nil}
	if len(retired) > 0 {
		r := joinRefs(retired)
		a[common.AnnotationRetiredKeys] = &r
	}
	return a
}

// storedKeyAnnotations are keyAnnotations for a key whose value the
// resource's connection Secret holds now.
func storedKeyAnnotations(mg resource.Managed, externalName string, retired []common.RetiredKey) map[string]*string {
	a := keyAnnotations(externalName, retired)
	if nn, ok := connectionSecret(mg); ok {
		s := nn.String()
		a[common.AnnotationValueStoredIn] = &s
	}
	return a
}

// valueStoredIn returns the connection Secret the value of mg's current key
// was written to, or "" if the resource never had its value. Resources made
// before the annotation existed fall back on their KeyValue condition.
func valueStoredIn(mg resource.Managed) string {
	if s, ok := mg.GetAnnotations()[common.AnnotationValueStoredIn]; ok {
		return s
	}
	if c := mg.GetCondition(common.TypeValue); c.Status == "True" && c.Reason == common.ReasonValueStored {
		if nn, ok := connectionSecret(mg); ok {
			return nn.String()
		}
	}
	return ""
}

// retiredKeys returns the keys mg replaced that are still to be deleted.
func retiredKeys(mg resource.Managed) []common.RetiredKey {
	return common.ParseRetiredKeys(mg.GetAnnotations()[common.AnnotationRetiredKeys])
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
	return errors.Wrap(metapatch.Annotations(ctx, kube, mg, set),
		"cannot record the managed key on the resource")
}
