// Package composition proves that the Compositions a platform team installs
// (examples/composition) work on real Crossplane core: an app team's XR (v2)
// or claim (v1 style) becomes a ProjectAPIKey, the key is made in Ory (the
// simulator), its value reaches the Secret the app team named, follows the
// key when it is replaced, and the key is deleted with the XR or claim.
//
// The shipped XRDs and Compositions are applied as they are, except that the
// Compositions' function step runs hack/crossplane/function (a subset of
// function-patch-and-transform that reads the same input) instead of
// function-patch-and-transform, which cannot be pulled here.
//
// It needs the binaries of hack/controlplane/build.sh (KUBEBUILDER_ASSETS)
// and hack/crossplane/build.sh (CROSSPLANE_BIN):
//
//	KUBEBUILDER_ASSETS=$(hack/controlplane/build.sh) CROSSPLANE_BIN=$(hack/crossplane/build.sh) go test ./test/composition
//
// (`make test` runs it with everything else). The schema and offline RBAC
// tests need neither.
package composition

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// examples is where the platform team's manifests are.
var examples = filepath.Join("..", "..", "examples", "composition")

const (
	// Long enough for the garbage collector, which learns of new kinds
	// (the XRs) only every 30 seconds.
	timeout = 2 * time.Minute
	// labelComposite is how Crossplane labels composed resources.
	labelComposite = "crossplane.io/composite"
)

func TestCompositionOnCrossplane(t *testing.T) {
	b := requireBinaries(t)
	w := startWorld(t, b)
	w.checkFunctionPackage(t)
	for _, api := range shippedAPIs {
		w.install(t, api.flavour, api.prefix)
	}
	w.startGarbageCollector(t)
	t.Run("Flavours", func(t *testing.T) {
		t.Run("V2NamespacedXR", func(t *testing.T) { t.Parallel(); w.namespacedXR(t) })
		t.Run("V1ClaimOfLegacyClusterXR", func(t *testing.T) { t.Parallel(); w.legacyClaim(t) })
		t.Run("V2ProjectXRKeptOnDelete", func(t *testing.T) { t.Parallel(); w.projectXR(t) })
		t.Run("V1ProjectClaimPurgedOnDelete", func(t *testing.T) { t.Parallel(); w.projectClaim(t) })
		t.Run("V2OAuth2AppOnItsOwnKey", func(t *testing.T) { t.Parallel(); w.oauth2App(t) })
	})
	for _, s := range w.timings {
		t.Log("timing: " + s)
	}
}

// namespacedXR: the v2 flavour. The ProjectAPIKey is composed in the XR's
// namespace and its own connection Secret is the app team's Secret.
func (w *world) namespacedXR(t *testing.T) {
	ctx := context.Background()
	ns := "team-v2"
	w.namespace(t, ns)

	xr := load(t, filepath.Join(examples, "v2", "xr.yaml"))
	xr.SetNamespace(ns)
	keyName := ns + "-checkout"
	_ = unstructured.SetNestedField(xr.Object, keyName, "spec", "keyName")
	// The shipped overlap keeps a replaced key for minutes; the test waits
	// for replaced keys to be deleted.
	_ = unstructured.SetNestedField(xr.Object, testOverlap, "spec", "rotation", "overlap")
	lifetime, _, _ := unstructured.NestedString(xr.Object, "spec", "rotation", "lifetime")
	secretName, _, _ := unstructured.NestedString(xr.Object, "spec", "secretName")
	begin := time.Now()
	if err := w.kube.Create(ctx, xr); err != nil {
		t.Fatal(err)
	}
	w.waitReady(t, xr)
	w.timing("v2 XR apply to XR Ready: %s", time.Since(begin).Round(time.Millisecond))

	list := &namespacedv1alpha1.ProjectAPIKeyList{}
	if err := w.kube.List(ctx, list, client.InNamespace(ns), client.MatchingLabels{labelComposite: xr.GetName()}); err != nil || len(list.Items) != 1 {
		t.Fatalf("want one ProjectAPIKey composed in %s, got %d (%v)", ns, len(list.Items), err)
	}
	pak := &list.Items[0]
	if pak.Spec.ForProvider.Name != keyName || pak.Spec.WriteConnectionSecretToReference == nil || pak.Spec.WriteConnectionSecretToReference.Name != secretName {
		t.Fatalf("composed ProjectAPIKey has name %q and Secret %v, want %q and %q", pak.Spec.ForProvider.Name, pak.Spec.WriteConnectionSecretToReference, keyName, secretName)
	}
	if c := pak.GetCondition(xpv2.TypeReady); c.Status != corev1.ConditionTrue {
		t.Fatalf("ProjectAPIKey not Ready: %s %s", c.Reason, c.Message)
	}
	if r := pak.Spec.ForProvider.Rotation; r == nil || r.Lifetime == nil || r.Lifetime.Get().String() != mustDuration(t, lifetime).String() || r.Overlap == nil || r.Overlap.Get().String() != mustDuration(t, testOverlap).String() {
		t.Errorf("composed ProjectAPIKey's rotation is %+v, want the XR's lifetime %s and overlap %s", r, lifetime, testOverlap)
	}
	secret := types.NamespacedName{Namespace: ns, Name: secretName}
	key := w.waitStored(t, keyName, secret)
	if meta.GetExternalName(pak) != key.ID {
		t.Errorf("ProjectAPIKey external name %q, key %q", meta.GetExternalName(pak), key.ID)
	}
	if key.ExpiresAt == nil {
		t.Errorf("key %s has no expiry; the XR's rotation.lifetime %s should give it one", key.ID, lifetime)
	}

	// A new name replaces the key; the Secret the app reads follows.
	newName := keyName + "-renamed"
	begin = time.Now()
	w.patchSpec(t, xr, "keyName", newName)
	renamed := w.waitStored(t, newName, secret)
	w.waitGone(t, keyName)
	w.timing("v2 key name change to new key in the app's Secret and old key deleted: %s", time.Since(begin).Round(time.Millisecond))
	w.waitReady(t, xr)

	// A new rotation trigger replaces the key once, as after a leak.
	begin = time.Now()
	w.rotate(t, xr, newName, renamed.ID, secret)
	w.timing("v2 rotation trigger to new key in the app's Secret and old key deleted: %s", time.Since(begin).Round(time.Millisecond))
	w.waitReady(t, xr)

	begin = time.Now()
	if err := w.kube.Delete(ctx, xr); err != nil {
		t.Fatal(err)
	}
	w.waitGone(t, newName)
	w.timing("v2 XR delete to key deleted in Ory: %s", time.Since(begin).Round(time.Millisecond))
	w.waitDeleted(t, pak)
	w.waitDeleted(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: secretName}})
}

// legacyClaim: the v1 flavour. The ProjectAPIKey is cluster-scoped, its
// Secret is in crossplane-system, and Crossplane copies the connection
// details through the XR's Secret to the claim's Secret.
func (w *world) legacyClaim(t *testing.T) {
	ctx := context.Background()
	ns := "team-v1"
	w.namespace(t, ns)

	claim := load(t, filepath.Join(examples, "v1", "claim.yaml"))
	claim.SetNamespace(ns)
	keyName := ns + "-checkout"
	_ = unstructured.SetNestedField(claim.Object, keyName, "spec", "keyName")
	secretName, _, _ := unstructured.NestedString(claim.Object, "spec", "writeConnectionSecretToRef", "name")
	begin := time.Now()
	if err := w.kube.Create(ctx, claim); err != nil {
		t.Fatal(err)
	}
	w.waitReady(t, claim)
	w.timing("v1 claim apply to claim Ready: %s", time.Since(begin).Round(time.Millisecond))

	xrName, _, _ := unstructured.NestedString(claim.Object, "spec", "resourceRef", "name")
	list := &clusterv1alpha1.ProjectAPIKeyList{}
	if err := w.kube.List(ctx, list, client.MatchingLabels{labelComposite: xrName}); err != nil || len(list.Items) != 1 {
		t.Fatalf("want one cluster ProjectAPIKey composed for XR %q, got %d (%v)", xrName, len(list.Items), err)
	}
	pak := &list.Items[0]
	if ref := pak.Spec.WriteConnectionSecretToReference; pak.Spec.ForProvider.Name != keyName || ref == nil || ref.Namespace != systemNS {
		t.Fatalf("composed ProjectAPIKey has name %q and Secret %v, want %q and a Secret in %s", pak.Spec.ForProvider.Name, ref, keyName, systemNS)
	}
	if c := pak.GetCondition(xpv2.TypeReady); c.Status != corev1.ConditionTrue {
		t.Fatalf("ProjectAPIKey not Ready: %s %s", c.Reason, c.Message)
	}
	secret := types.NamespacedName{Namespace: ns, Name: secretName}
	key := w.waitStored(t, keyName, secret)
	if meta.GetExternalName(pak) != key.ID {
		t.Errorf("ProjectAPIKey external name %q, key %q", meta.GetExternalName(pak), key.ID)
	}
	// The XRD's connectionSecretKeys filter what reaches the claim.
	s := &corev1.Secret{}
	if err := w.kube.Get(ctx, secret, s); err != nil {
		t.Fatal(err)
	}
	var got []string
	for k := range s.Data {
		got = append(got, k)
	}
	slices.Sort(got)
	if want := []string{"apiURL", "keyID", "projectID", "value"}; !slices.Equal(got, want) {
		t.Errorf("claim Secret has keys %v, want %v", got, want)
	}

	newName := keyName + "-renamed"
	begin = time.Now()
	w.patchSpec(t, claim, "keyName", newName)
	renamed := w.waitStored(t, newName, secret)
	w.waitGone(t, keyName)
	w.timing("v1 key name change to new key in the claim's Secret and old key deleted: %s", time.Since(begin).Round(time.Millisecond))
	w.waitReady(t, claim)

	// The trigger travels claim -> XR -> ProjectAPIKey; the new value
	// travels back through two Secrets.
	begin = time.Now()
	w.rotate(t, claim, newName, renamed.ID, secret)
	w.timing("v1 rotation trigger to new key in the claim's Secret and old key deleted: %s", time.Since(begin).Round(time.Millisecond))
	w.waitReady(t, claim)

	begin = time.Now()
	if err := w.kube.Delete(ctx, claim); err != nil {
		t.Fatal(err)
	}
	w.waitGone(t, newName)
	w.timing("v1 claim delete to key deleted in Ory: %s", time.Since(begin).Round(time.Millisecond))
	w.waitDeleted(t, pak)
	w.waitDeleted(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: secretName}})
}

// checkFunctionPackage has the API server validate functions.yaml. The
// Function is paused: its package cannot be pulled here.
func (w *world) checkFunctionPackage(t *testing.T) {
	t.Helper()
	fn := load(t, filepath.Join(examples, "functions.yaml"))
	fn.SetAnnotations(map[string]string{"crossplane.io/paused": "true"})
	if err := w.kube.Create(context.Background(), fn); err != nil {
		t.Fatalf("functions.yaml: %v", err)
	}
}

// install applies a flavour's XRD (<prefix>xrd.yaml) as shipped and its
// Composition (<prefix>composition.yaml) with the function step pointed at
// the test function, and waits until the XRD serves its API.
func (w *world) install(t *testing.T, flavour, prefix string) {
	t.Helper()
	ctx := context.Background()
	xrd := load(t, filepath.Join(examples, flavour, prefix+"xrd.yaml"))
	comp := load(t, filepath.Join(examples, flavour, prefix+"composition.yaml"))
	steps, _, _ := unstructured.NestedSlice(comp.Object, "spec", "pipeline")
	if len(steps) != 1 {
		t.Fatalf("%s Composition has %d pipeline steps; the test swaps exactly one", flavour, len(steps))
	}
	_ = unstructured.SetNestedField(steps[0].(map[string]any), testFunction, "functionRef", "name")
	_ = unstructured.SetNestedSlice(comp.Object, steps, "spec", "pipeline")

	begin := time.Now()
	for _, o := range []*unstructured.Unstructured{xrd, comp} {
		if err := w.kube.Create(ctx, o); err != nil {
			t.Fatalf("cannot create %s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}
	want := []string{"Established"}
	if _, claims, _ := unstructured.NestedMap(xrd.Object, "spec", "claimNames"); claims {
		want = append(want, "Offered")
	}
	for _, c := range want {
		w.waitFor(t, timeout, "XRD "+xrd.GetName()+" "+c, func() (bool, string) {
			if err := w.kube.Get(ctx, client.ObjectKeyFromObject(xrd), xrd); err != nil {
				return false, err.Error()
			}
			return conditionTrue(xrd, c)
		})
	}
	w.timing("%s XRD apply to Established: %s", flavour, time.Since(begin).Round(time.Millisecond))
}

// waitStored waits until Ory holds exactly one key named name and the
// Secret holds its value, ID and project. It returns the key.
func (w *world) waitStored(t *testing.T, name string, secret types.NamespacedName) orysim.Key {
	t.Helper()
	var key orysim.Key
	w.waitFor(t, timeout, fmt.Sprintf("key %q stored in Secret %s", name, secret), func() (bool, string) {
		keys := w.keysNamed(name)
		if len(keys) != 1 {
			return false, fmt.Sprintf("Ory holds %d keys named %q", len(keys), name)
		}
		key = keys[0]
		s := &corev1.Secret{}
		if err := w.kube.Get(context.Background(), secret, s); err != nil {
			return false, err.Error()
		}
		if string(s.Data["value"]) != key.Value {
			return false, fmt.Sprintf("the Secret's value is not key %s's (keyID %q)", key.ID, s.Data["keyID"])
		}
		if string(s.Data["keyID"]) != key.ID || string(s.Data["projectID"]) != w.project.ID {
			return false, fmt.Sprintf("Secret keyID=%q projectID=%q", s.Data["keyID"], s.Data["projectID"])
		}
		return true, ""
	})
	return key
}

// testOverlap replaces the shipped XR's rotation.overlap: long enough to
// be seen, short enough that the test need not wait for it.
const testOverlap = "1s"

func mustDuration(t *testing.T, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// rotate sets a new spec.rotation.trigger on an XR or claim, as an app team
// would after a leak, and waits until the Secret holds a new key of the same
// name and the old key (oldID) is gone from Ory.
func (w *world) rotate(t *testing.T, o *unstructured.Unstructured, name, oldID string, secret types.NamespacedName) {
	t.Helper()
	patch := fmt.Sprintf(`{"spec":{"rotation":{"trigger":%q}}}`, "leak-"+oldID)
	if err := w.kube.Patch(context.Background(), o, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		t.Fatal(err)
	}
	w.waitFor(t, timeout, fmt.Sprintf("key %q rotated from %s in Secret %s", name, oldID, secret), func() (bool, string) {
		keys := w.keysNamed(name)
		if len(keys) != 1 || keys[0].ID == oldID {
			return false, fmt.Sprintf("Ory holds %d keys named %q (want only a new one)", len(keys), name)
		}
		s := &corev1.Secret{}
		if err := w.kube.Get(context.Background(), secret, s); err != nil {
			return false, err.Error()
		}
		if string(s.Data["keyID"]) != keys[0].ID || string(s.Data["value"]) != keys[0].Value {
			return false, fmt.Sprintf("the Secret holds key %q, Ory's new key is %s", s.Data["keyID"], keys[0].ID)
		}
		return true, ""
	})
}

// waitGone waits until Ory holds no key named name.
func (w *world) waitGone(t *testing.T, name string) {
	t.Helper()
	w.waitFor(t, timeout, fmt.Sprintf("key %q deleted in Ory", name), func() (bool, string) {
		n := len(w.keysNamed(name))
		return n == 0, fmt.Sprintf("Ory holds %d keys named %q", n, name)
	})
}

func (w *world) keysNamed(name string) []orysim.Key {
	var out []orysim.Key
	for _, k := range w.sim.Keys(w.project.ID) {
		if k.Name == name {
			out = append(out, k)
		}
	}
	return out
}

// waitReady waits until an XR or claim is Ready (and Synced).
func (w *world) waitReady(t *testing.T, o *unstructured.Unstructured) {
	t.Helper()
	w.waitFor(t, timeout, o.GetKind()+" "+o.GetName()+" Ready", func() (bool, string) {
		if err := w.kube.Get(context.Background(), client.ObjectKeyFromObject(o), o); err != nil {
			return false, err.Error()
		}
		if ok, why := conditionTrue(o, "Synced"); !ok {
			return false, why
		}
		return conditionTrue(o, "Ready")
	})
}

// waitDeleted waits until the garbage collector (or a controller) has
// removed o.
func (w *world) waitDeleted(t *testing.T, o client.Object) {
	t.Helper()
	w.waitFor(t, timeout, fmt.Sprintf("%T %s deleted", o, o.GetName()), func() (bool, string) {
		err := w.kube.Get(context.Background(), client.ObjectKeyFromObject(o), o)
		if kerrors.IsNotFound(err) {
			return true, ""
		}
		return false, fmt.Sprintf("still there (%v)", err)
	})
}

// patchSpec sets one field of an XR's or claim's spec, as an app team's
// `kubectl apply` of a changed manifest would.
func (w *world) patchSpec(t *testing.T, o *unstructured.Unstructured, field, value string) {
	t.Helper()
	patch := fmt.Sprintf(`{"spec":{%q:%q}}`, field, value)
	if err := w.kube.Patch(context.Background(), o, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		t.Fatal(err)
	}
}

func (w *world) namespace(t *testing.T, name string) {
	t.Helper()
	if err := w.kube.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		t.Fatal(err)
	}
}

func conditionTrue(o *unstructured.Unstructured, typ string) (bool, string) {
	conds, _, _ := unstructured.NestedSlice(o.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ {
			return m["status"] == "True", fmt.Sprintf("%s=%v (%v: %v)", typ, m["status"], m["reason"], m["message"])
		}
	}
	return false, fmt.Sprintf("no %s condition yet", typ)
}

// load reads one manifest.
func load(t *testing.T, path string) *unstructured.Unstructured {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if strings.Contains(string(b), "\n---") {
		t.Fatalf("%s: one manifest per file expected", path)
	}
	return object(m)
}
