package projectapikey

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane-contrib/provider-ory/config"
)

// The connection Secret is the write-ahead record of a key's life. A new key's
// value is written there, with these annotations, before the resource records
// the key's ID; so a failure or a crash between the two leaves a Secret that
// names a live key the resource does not, and Observe adopts it instead of
// creating another (see adoptRecordedKey).
const (
	// AnnotationValueOf names the key (<project-id>/<key-id>) whose value the
	// Secret's "value" holds.
	AnnotationValueOf = "ory.crossplane.io/value-of"
	// AnnotationReplaces names the key that the key in AnnotationValueOf was
	// created to replace; empty for a key that replaced none.
	AnnotationReplaces = "ory.crossplane.io/replaces"
)

// AnnotationRetiredKeys, on a ProjectAPIKey, lists the keys
// (<project-id>/<key-id>, comma separated) it replaced and that are still to
// be deleted in Ory. It is written in the same patch as the new external name,
// so a replaced key is never forgotten.
const AnnotationRetiredKeys = "ory.crossplane.io/retired-keys"

// A record is what the connection Secret says about the key it holds.
type record struct {
	valueOf  config.KeyRef
	replaces config.KeyRef
	hasValue bool
}

// records reads and writes a ProjectAPIKey's connection Secret.
type records struct {
	// reader reads Secrets from the API server, not from a cache: a record
	// written a moment ago must be seen.
	reader client.Reader
	writer resource.Applicator
	typer  runtime.ObjectTyper
}

// connectionSecret returns where mg's connection Secret is, for either scope.
func connectionSecret(mg resource.Managed) (types.NamespacedName, bool) {
	switch o := mg.(type) {
	case resource.LocalConnectionSecretOwner:
		if r := o.GetWriteConnectionSecretToReference(); r != nil {
			return types.NamespacedName{Namespace: o.GetNamespace(), Name: r.Name}, true
		}
	case resource.ConnectionSecretOwner:
		if r := o.GetWriteConnectionSecretToReference(); r != nil {
			return types.NamespacedName{Namespace: r.Namespace, Name: r.Name}, true
		}
	}
	return types.NamespacedName{}, false
}

// read returns the record of mg's connection Secret. A Secret that is missing,
// or that mg does not control, records nothing.
func (r *records) read(ctx context.Context, mg resource.Managed) (record, error) {
	nn, ok := connectionSecret(mg)
	if !ok {
		return record{}, nil
	}
	s := &corev1.Secret{}
	if err := r.reader.Get(ctx, nn, s); err != nil {
		if kerrors.IsNotFound(err) {
			return record{}, nil
		}
		return record{}, errors.Wrapf(err, "cannot read connection Secret %s", nn)
	}
	if c := metav1.GetControllerOf(s); c == nil || c.UID != mg.GetUID() {
		return record{}, nil
	}
	valueOf, _ := config.ParseKeyRef(s.GetAnnotations()[AnnotationValueOf])
	replaces, _ := config.ParseKeyRef(s.GetAnnotations()[AnnotationReplaces])
	return record{valueOf: valueOf, replaces: replaces, hasValue: len(s.Data[config.ConnectionKeyValue]) > 0}, nil
}

// write stores a new key's connection details and its record in mg's
// connection Secret, creating the Secret if need be, exactly as the runtime's
// publisher would (same owner, same type) plus the record annotations.
func (r *records) write(ctx context.Context, mg resource.Managed, details map[string][]byte, valueOf, replaces config.KeyRef) error {
	var s *corev1.Secret
	switch o := mg.(type) {
	case resource.LocalConnectionSecretOwner:
		if o.GetWriteConnectionSecretToReference() != nil {
			s = resource.LocalConnectionSecretFor(o, resource.MustGetKind(o, r.typer))
		}
	case resource.ConnectionSecretOwner:
		if o.GetWriteConnectionSecretToReference() != nil {
			s = resource.ConnectionSecretFor(o, resource.MustGetKind(o, r.typer))
		}
	}
	if s == nil {
		return errors.New(errNoConnectionSecret)
	}
	s.Data = details
	meta.AddAnnotations(s, map[string]string{AnnotationValueOf: valueOf.String(), AnnotationReplaces: replaces.String()})
	return errors.Wrapf(r.writer.Apply(ctx, s, resource.ConnectionSecretMustBeControllableBy(mg.GetUID())),
		"cannot write the new key's value to connection Secret %s/%s", s.GetNamespace(), s.GetName())
}

// patchAnnotations sets (or, for a nil value, removes) annotations of mg in
// one optimistic merge patch. Only metadata changes: the spec and status that
// Observe filled in memory are kept for the runtime to persist.
func patchAnnotations(ctx context.Context, kube client.Client, mg resource.Managed, set map[string]*string) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"resourceVersion": mg.GetResourceVersion(),
		"annotations":     set,
	}})
	if err != nil {
		return errors.Wrap(err, "cannot encode annotation patch")
	}
	cp, _ := mg.DeepCopyObject().(client.Object)
	if err := kube.Patch(ctx, cp, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return errors.Wrap(err, "cannot record the managed key on the resource")
	}
	mg.SetAnnotations(cp.GetAnnotations())
	mg.SetResourceVersion(cp.GetResourceVersion())
	return nil
}

// keyAnnotations are the annotations that record the key a resource manages
// (its external name) and the replaced keys still to delete.
func keyAnnotations(externalName string, retired []config.KeyRef) map[string]*string {
	a := map[string]*string{meta.AnnotationKeyExternalName: &externalName, AnnotationRetiredKeys: nil}
	if len(retired) > 0 {
		r := joinRefs(retired)
		a[AnnotationRetiredKeys] = &r
	}
	return a
}

// retiredKeys returns the keys mg replaced that are still to be deleted.
func retiredKeys(mg resource.Managed) []config.KeyRef {
	var out []config.KeyRef
	for _, s := range strings.Split(mg.GetAnnotations()[AnnotationRetiredKeys], ",") {
		if r, err := config.ParseKeyRef(strings.TrimSpace(s)); err == nil && !r.IsZero() && r.ProjectID != "" {
			out = append(out, r)
		}
	}
	return out
}

func joinRefs(refs []config.KeyRef) string {
	s := make([]string, 0, len(refs))
	for _, r := range refs {
		s = append(s, r.String())
	}
	return strings.Join(s, ",")
}
