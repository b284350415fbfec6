package engine

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
)

// The connection Secret is the write-ahead record of a key's life. A new key's
// value is written there, with these annotations, before the resource records
// the key's ID; so a failure or a crash between the two leaves a Secret that
// names a live key the resource does not, and Observe adopts it instead of
// creating another (see adoptRecordedKey).

// A keptSecretError says that the connection Secret holds the value of a key
// left in Ory when another resource was deleted. Observe may still take the
// Secret over once Ory shows that key is gone: then nothing needs the value.
type keptSecretError struct {
	secret   types.NamespacedName
	valueOf  common.Ref
	keptFrom string
}

// A notOursError says that the Secret the spec names is not this resource's
// to write: a create could never store its key's value there.
type notOursError struct{ error }

func notOurs(err error) error { return notOursError{err} }

// refusesCreate reports whether err means no key may be created now, as the
// spec stands (not a passing failure).
func refusesCreate(err error) bool {
	var n notOursError
	var k *keptSecretError
	return errors.As(err, &n) || errors.As(err, &k)
}

func (e *keptSecretError) Error() string {
	return fmt.Sprintf("connection Secret %s holds the value of key %s, kept when %s was deleted: choose another spec.writeConnectionSecretToRef.name, or import that key (external name %s) to manage it again", e.secret, e.valueOf, e.keptFrom, e.valueOf)
}

// A record is what the connection Secret says about the key it holds.
type record struct {
	valueOf  common.Ref
	replaces common.Ref
	trigger  string
	// issuedAt is when the secret was stored, for a kind whose secret is
	// rotated in place; zero when not recorded.
	issuedAt time.Time
	hasValue bool
	// valueSum is the SHA-256 of the value the Secret holds: enough to tell
	// whether it is a given credential, without keeping the value.
	valueSum [sha256.Size]byte
	// exists and metadata tell Observe whether the Secret needs the labels
	// and annotations the spec asks for.
	exists bool
	// absent says that there was no Secret at all: a create may then
	// create it without reading it again.
	absent      bool
	labels      map[string]string
	annotations map[string]string
	// sums are the SHA-256 of every value of the Secret's data, by key:
	// enough to tell whether publishing connection details would change
	// anything, without keeping the values.
	sums map[string][sha256.Size]byte
}

// stores reports whether the Secret holds every one of details already.
func (r record) stores(details map[string][]byte) bool {
	for k, v := range details {
		if sum, ok := r.sums[k]; !ok || sum != sha256.Sum256(v) {
			return false
		}
	}
	return r.exists
}

// valueIs reports whether the Secret holds value v.
func (r record) valueIs(v string) bool {
	return r.hasValue && r.valueSum == sha256.Sum256([]byte(v))
}

// holds reports whether the Secret holds the value of key k.
func (r record) holds(k common.Ref) bool {
	return r.hasValue && strings.EqualFold(r.valueOf.ID, k.ID)
}

// records reads and writes a key resource's connection Secret.
type records struct {
	// reader reads Secrets from the API server, not from a cache: a record
	// written a moment ago must be seen.
	reader client.Reader
	kube   client.Client
	typer  runtime.ObjectTyper
	// keys are the keys the kind's connection Secret may hold.
	keys []string
	// valueKey is the key of the secret value among them; "" is
	// common.ConnectionKeyValue.
	valueKey string
	// metadata, when set, holds the metadata of Secrets (the manager's
	// cache, whose metadata-only informer on Secrets the config watch
	// starts). read then answers from the record it last read of a Secret
	// whose resourceVersion there is still the one it read: any change to
	// a Secret, to its data too, gives it a new resourceVersion, and a
	// deleted Secret leaves the cache. Nil: every read asks the API server.
	metadata client.Reader
	mu       sync.Mutex
	last     map[types.NamespacedName]lastRecord
}

// lastRecord is the record read last from a connection Secret: at which
// resourceVersion, and for which resource (the record depends on the
// resource's UID, and on its external name unless the resource controls the
// Secret).
type lastRecord struct {
	version      string
	uid          types.UID
	controlled   bool
	externalName string
	rec          record
}

// of reports whether the record was read for mg as it is now.
func (l lastRecord) of(mg resource.Managed) bool {
	return l.uid == mg.GetUID() && (l.controlled || l.externalName == meta.GetExternalName(mg))
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

// valueIn returns the secret value Secret s holds, nil for none.
func (r *records) valueIn(s *corev1.Secret) []byte {
	if r.valueKey == "" {
		return s.Data[common.ConnectionKeyValue]
	}
	return s.Data[r.valueKey]
}

// read returns the record of mg's connection Secret. A Secret that is missing,
// or that mg does not control, records nothing. The Secret is read from the
// API server unless the record last read from it is still current (see
// records.metadata).
func (r *records) read(ctx context.Context, mg resource.Managed) (record, error) {
	nn, ok := connectionSecret(mg)
	if !ok {
		return record{}, nil
	}
	if last, ok := r.current(ctx, nn); ok && last.of(mg) {
		return last.rec, nil
	}
	s := &corev1.Secret{}
	if err := r.reader.Get(ctx, nn, s); err != nil {
		if kerrors.IsNotFound(err) {
			return record{absent: true}, nil
		}
		return record{}, errors.Wrapf(err, "cannot read connection Secret %s", nn)
	}
	rec, err := r.recordOf(mg, nn, s)
	if err == nil {
		r.remember(mg, nn, s, rec)
	}
	return rec, err
}

// remember keeps rec, the record Secret s (at nn, as the API server returned
// it) holds for mg, until the Secret's resourceVersion changes.
func (r *records) remember(mg resource.Managed, nn types.NamespacedName, s *corev1.Secret, rec record) {
	if r.metadata == nil || s.GetResourceVersion() == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		r.last = map[types.NamespacedName]lastRecord{}
	}
	c := metav1.GetControllerOf(s)
	r.last[nn] = lastRecord{version: s.GetResourceVersion(), uid: mg.GetUID(), controlled: c != nil && c.UID == mg.GetUID(), externalName: meta.GetExternalName(mg), rec: rec}
}

// current returns the record last read from Secret nn if the Secret is still
// at the resourceVersion it was read at, as the metadata cache shows it.
func (r *records) current(ctx context.Context, nn types.NamespacedName) (lastRecord, bool) {
	if r.metadata == nil {
		return lastRecord{}, false
	}
	r.mu.Lock()
	last, ok := r.last[nn]
	r.mu.Unlock()
	if !ok {
		return lastRecord{}, false
	}
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	if err := r.metadata.Get(ctx, nn, m); err != nil || m.GetResourceVersion() != last.version {
		return lastRecord{}, false
	}
	return last, true
}

// forget drops the record last read from Secret nn: the provider is about to
// write it, and the metadata cache may show the old resourceVersion for a
// moment after the write.
func (r *records) forget(nn types.NamespacedName) {
	r.mu.Lock()
	delete(r.last, nn)
	r.mu.Unlock()
}

// holdsData reports whether connection Secret s (as a publisher would write
// it: name, controller and data) is already stored with that data, as the
// current record of the Secret shows, for the resource that controls s.
func (r *records) holdsData(ctx context.Context, s *corev1.Secret) bool {
	c := metav1.GetControllerOf(s)
	last, ok := r.current(ctx, types.NamespacedName{Namespace: s.GetNamespace(), Name: s.GetName()})
	return ok && c != nil && c.UID == last.uid && last.rec.stores(s.Data)
}

// recordOf returns the record Secret s, at nn, holds for mg.
func (r *records) recordOf(mg resource.Managed, nn types.NamespacedName, s *corev1.Secret) (record, error) {
	valueOf, _ := common.ParseRef(s.GetAnnotations()[common.AnnotationValueOf])
	switch c := metav1.GetControllerOf(s); {
	case c != nil && c.UID != mg.GetUID():
		return record{}, notOurs(errors.Errorf("connection Secret %s belongs to %s %s, not to this resource, so the provider will not write a key's value into it: choose another spec.writeConnectionSecretToRef.name, or delete that Secret if it is no longer used", nn, c.Kind, c.Name))
	case c == nil && s.GetAnnotations()[common.AnnotationKeptFrom] != "" && !r.sameKind(mg, s.GetAnnotations()[common.AnnotationKeptFrom]):
		return record{}, notOurs(errors.Errorf("connection Secret %s holds the value of a key of another kind, kept from %s: choose another spec.writeConnectionSecretToRef.name", nn, s.GetAnnotations()[common.AnnotationKeptFrom]))
	case c == nil && s.GetAnnotations()[common.AnnotationKeptFrom] != "":
		// The only copy of the value of a key left in Ory when its resource
		// was deleted. Only a resource that manages that very key may take
		// the Secret over; anything else would overwrite the value.
		current, _ := common.ParseRef(meta.GetExternalName(mg))
		if valueOf.IsZero() || !strings.EqualFold(current.ID, valueOf.ID) {
			return record{}, &keptSecretError{secret: nn, valueOf: valueOf, keptFrom: s.GetAnnotations()[common.AnnotationKeptFrom]}
		}
	case c == nil && s.Type != resource.SecretTypeConnection:
		return record{}, notOurs(errors.Errorf("Secret %s already exists, is of type %s and belongs to no resource, so the provider will not write a key's value into it: choose another spec.writeConnectionSecretToRef.name, or delete that Secret if it is no longer used", nn, s.Type))
	case c == nil:
		return record{}, nil
	}
	replaces, _ := common.ParseRef(s.GetAnnotations()[common.AnnotationReplaces])
	issuedAt, _ := time.Parse(time.RFC3339, s.GetAnnotations()[common.AnnotationIssuedAt])
	sums := make(map[string][sha256.Size]byte, len(s.Data))
	for k, v := range s.Data {
		sums[k] = sha256.Sum256(v)
	}
	return record{
		valueOf: valueOf, replaces: replaces, trigger: s.GetAnnotations()[common.AnnotationTrigger], issuedAt: issuedAt,
		hasValue: len(r.valueIn(s)) > 0,
		valueSum: sha256.Sum256(r.valueIn(s)),
		exists:   true, labels: s.GetLabels(), annotations: s.GetAnnotations(), sums: sums,
	}, nil
}

// write stores a new key's connection details and its record in mg's
// connection Secret, creating the Secret if need be, exactly as the runtime's
// publisher would (same owner, same type) plus the record annotations.
func (r *records) write(ctx context.Context, mg resource.Managed, details map[string][]byte, valueOf, replaces common.Ref, trigger string) error {
	return r.store(ctx, mg, details, stored{valueOf: valueOf, replaces: replaces, trigger: trigger}, false)
}

// stored is the record a store writes with a new secret.
type stored struct {
	valueOf, replaces common.Ref
	trigger           string
	// issuedAt, when not zero, is recorded as AnnotationIssuedAt.
	issuedAt time.Time
}

// store is write; absent says that the Secret did not exist a moment ago
// (Observe's read in this reconcile), so it is created without reading it
// first, unless it exists after all.
func (r *records) store(ctx context.Context, mg resource.Managed, details map[string][]byte, rec stored, absent bool) error {
	s, err := r.secretFor(mg, details, rec.valueOf.String(), rec.replaces.String(), rec.trigger)
	if err == nil && !rec.issuedAt.IsZero() {
		meta.AddAnnotations(s, map[string]string{common.AnnotationIssuedAt: stamp(rec.issuedAt)})
	}
	if err != nil {
		return err
	}
	nn := types.NamespacedName{Namespace: s.GetNamespace(), Name: s.GetName()}
	r.forget(nn)
	err = kerrors.NewAlreadyExists(corev1.Resource("secrets"), s.GetName())
	if absent {
		err = r.kube.Create(ctx, s)
	}
	if kerrors.IsAlreadyExists(err) {
		err = resource.NewAPIPatchingApplicator(r.kube).Apply(ctx, s, resource.ConnectionSecretMustBeControllableBy(mg.GetUID()))
	}
	if err != nil {
		return errors.Wrapf(err, "cannot write the new key's value to connection Secret %s", nn)
	}
	// s is the Secret as the API server stored it: its record is known
	// without reading it back.
	if rec, err := r.recordOf(mg, nn, s); err == nil {
		r.remember(mg, nn, s, rec)
	}
	return nil
}

// secretFor returns mg's connection Secret as the provider writes it: what
// the runtime's publisher would write (same owner, same type), plus the labels
// and annotations the spec asks for and the record annotations.
func (r *records) secretFor(mg resource.Managed, data map[string][]byte, valueOf, replaces, trigger string) (*corev1.Secret, error) {
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
		return nil, errors.New(errNoConnectionSecret)
	}
	s.Data = data
	setMetadata(s, secretMetadata(mg))
	meta.AddAnnotations(s, map[string]string{common.AnnotationValueOf: valueOf, common.AnnotationReplaces: replaces, common.AnnotationTrigger: trigger})
	return s, nil
}

// setMetadata puts the labels and annotations the spec asks for on a Secret
// the provider is about to write. The maps are copied: the Secret's maps get
// the provider's record annotations next, and a map shared with the spec
// would carry them into the resource's spec, which the runtime then saves.
func setMetadata(s *corev1.Secret, m *common.SecretMetadata) {
	if m == nil {
		return
	}
	// common.Strings makes new maps: never the spec's own.
	meta.AddLabels(s, common.Strings(m.Labels))
	meta.AddAnnotations(s, common.Strings(m.Annotations))
}

// dryRun asks the API server whether it would accept the connection Secret
// as the provider will write it after a create: same name, owner, labels,
// annotations and keys, with placeholder data. Whatever would refuse the real
// write (the Secret's metadata, an admission policy, a quota, RBAC) refuses
// this, before Ory is asked for a key whose value could then not be stored.
//
// absent says that the Secret did not exist a moment ago (Observe's read in
// this reconcile): the create is then tried without reading it again.
func (r *records) dryRun(ctx context.Context, mg resource.Managed, absent bool) error {
	placeholder := map[string][]byte{}
	for _, k := range r.keys {
		placeholder[k] = []byte("dry-run")
	}
	s, err := r.secretFor(mg, placeholder, "dry-run", "", "")
	if err != nil {
		return err
	}
	nn := types.NamespacedName{Namespace: s.GetNamespace(), Name: s.GetName()}
	if absent {
		err := r.kube.Create(ctx, s.DeepCopy(), client.DryRunAll)
		if !kerrors.IsAlreadyExists(err) {
			return errors.Wrapf(err, "the API server would refuse connection Secret %s, so no key was created (its value could not be stored): fix what it names, for example spec.connectionSecretMetadata", nn)
		}
	}
	current := &corev1.Secret{}
	err = r.reader.Get(ctx, nn, current)
	switch {
	case kerrors.IsNotFound(err):
		err = r.kube.Create(ctx, s, client.DryRunAll)
	case err == nil:
		if err := resource.ConnectionSecretMustBeControllableBy(mg.GetUID())(ctx, current, s); err != nil {
			return errors.Wrapf(err, "connection Secret %s cannot be written by this resource, so no key was created: choose another spec.writeConnectionSecretToRef.name", nn)
		}
		s.SetResourceVersion(current.GetResourceVersion())
		err = r.kube.Patch(ctx, s, client.MergeFrom(current), client.DryRunAll)
	}
	return errors.Wrapf(err, "the API server would refuse connection Secret %s, so no key was created (its value could not be stored): fix what it names, for example spec.connectionSecretMetadata", nn)
}

// applyMetadata puts the labels and annotations the spec asks for on an
// existing connection Secret that lacks them. It never removes any: others
// (and the provider's record) may have put them there.
func (r *records) applyMetadata(ctx context.Context, mg resource.Managed, rec record) error {
	m := secretMetadata(mg)
	if m == nil || !rec.exists || (contains(rec.labels, common.Strings(m.Labels)) && contains(rec.annotations, common.Strings(m.Annotations))) {
		return nil
	}
	nn, _ := connectionSecret(mg)
	r.forget(nn)
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"labels": common.Strings(m.Labels), "annotations": common.Strings(m.Annotations)}})
	if err != nil {
		return errors.Wrap(err, "cannot encode Secret metadata patch")
	}
	s := &corev1.Secret{}
	s.SetNamespace(nn.Namespace)
	s.SetName(nn.Name)
	return errors.Wrapf(r.kube.Patch(ctx, s, client.RawPatch(types.MergePatchType, patch)),
		"cannot set labels and annotations on connection Secret %s", nn)
}

// release removes mg's ownership of its connection Secret, so that garbage
// collection does not delete the only copy of the value of a key that mg's
// deletion leaves in Ory.
func (r *records) release(ctx context.Context, mg resource.Managed) (bool, error) {
	nn, ok := connectionSecret(mg)
	if !ok {
		return false, nil
	}
	s := &corev1.Secret{}
	if err := r.reader.Get(ctx, nn, s); err != nil {
		return false, errors.Wrapf(resource.IgnoreNotFound(err), "cannot read connection Secret %s", nn)
	}
	// Only the value of the key left in Ory is worth keeping: a Secret that
	// holds no value (an import whose value was never known) or the value of
	// another key goes with its resource.
	valueOf, _ := common.ParseRef(s.GetAnnotations()[common.AnnotationValueOf])
	current, _ := common.ParseRef(meta.GetExternalName(mg))
	if len(r.valueIn(s)) == 0 || current.IsZero() || !strings.EqualFold(valueOf.ID, current.ID) {
		return false, nil
	}
	var owners []metav1.OwnerReference
	for _, o := range s.GetOwnerReferences() {
		if o.UID != mg.GetUID() {
			owners = append(owners, o)
		}
	}
	if len(owners) == len(s.GetOwnerReferences()) {
		return false, nil
	}
	kind := mg.GetObjectKind().GroupVersionKind()
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"resourceVersion": s.GetResourceVersion(),
		"ownerReferences": owners,
		"annotations":     map[string]string{common.AnnotationKeptFrom: kind.Kind + "." + kind.Group + " " + client.ObjectKeyFromObject(mg).String()},
	}})
	if err != nil {
		return false, errors.Wrap(err, "cannot encode Secret release patch")
	}
	r.forget(nn)
	if err := r.kube.Patch(ctx, s, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return false, errors.Wrapf(err, "cannot release connection Secret %s from its resource", nn)
	}
	return true, nil
}

// importedValue reads the value named by spec.forProvider.importValueFrom.
// A namespaced resource reads its own namespace, whatever the spec says.
func (r *records) importedValue(ctx context.Context, mg resource.Managed, src *common.ValueSource) (string, error) {
	ns := src.Namespace
	if _, ok := mg.(resource.LocalConnectionSecretOwner); ok {
		ns = mg.GetNamespace()
	}
	s := &corev1.Secret{}
	if err := r.reader.Get(ctx, types.NamespacedName{Namespace: ns, Name: src.Name}, s); err != nil {
		if kerrors.IsNotFound(err) {
			return "", errors.Errorf("Secret %s/%s named by spec.forProvider.importValueFrom does not exist", ns, src.Name)
		}
		return "", errors.Wrapf(err, "cannot read Secret %s/%s named by spec.forProvider.importValueFrom", ns, src.Name)
	}
	v := strings.TrimSpace(string(s.Data[src.Key]))
	if v == "" {
		return "", errors.Errorf("Secret %s/%s has no key %q (or it is empty)", ns, src.Name, src.Key)
	}
	return v, nil
}

func secretMetadata(mg resource.Managed) *common.SecretMetadata {
	if m, ok := mg.(interface{ SecretMetadata() *common.SecretMetadata }); ok {
		return m.SecretMetadata()
	}
	return nil
}

func contains(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// removeEmpty deletes mg's connection Secret if it is mg's and holds neither
// a value nor a record: what the runtime publishes before a create that then
// failed. A Secret that holds anything else is left alone.
func (r *records) removeEmpty(ctx context.Context, mg resource.Managed) error {
	nn, ok := connectionSecret(mg)
	if !ok {
		return nil
	}
	s := &corev1.Secret{}
	if err := r.reader.Get(ctx, nn, s); err != nil {
		return resource.IgnoreNotFound(err)
	}
	if c := metav1.GetControllerOf(s); c == nil || c.UID != mg.GetUID() || len(r.valueIn(s)) > 0 || s.GetAnnotations()[common.AnnotationValueOf] != "" {
		return nil
	}
	r.forget(nn)
	return resource.IgnoreNotFound(r.kube.Delete(ctx, s, client.Preconditions{UID: ptr(s.GetUID()), ResourceVersion: ptr(s.GetResourceVersion())}))
}

// sameKind reports whether keptFrom (common.AnnotationKeptFrom: "<Kind>.<group>
// <namespace>/<name>") names a resource of mg's kind, of either scope.
func (r *records) sameKind(mg resource.Managed, keptFrom string) bool {
	kind, _, _ := strings.Cut(keptFrom, ".")
	gvks, _, err := r.typer.ObjectKinds(mg)
	return err == nil && len(gvks) > 0 && gvks[0].Kind == kind
}
