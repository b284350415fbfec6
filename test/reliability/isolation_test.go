package reliability

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// TestNamespacedIsolation shows that a namespaced ProjectAPIKey in namespace
// A can reach nothing of namespace B: not B's ProviderConfig, not (through
// its own ProviderConfig) B's credentials Secret, and its connection Secret
// is written in A. The namespaced kinds have no field that could name
// another namespace; the manifests below try anyway, and the API server
// prunes the field, so the provider looks in A and finds nothing of B's.
func TestNamespacedIsolation(t *testing.T) {
	t.Parallel()
	nsA, nsB := h.NewNamespace(t, "iso-a"), h.NewNamespace(t, "iso-b")
	keyA, keyB := newWorkspaceKey("isolation A"), newWorkspaceKey("isolation B")
	wsA, wsB := sim.AddWorkspace(keyA), sim.AddWorkspace(keyB)
	pA, pB := sim.AddProject(keyA, ""), sim.AddProject(keyB, "")
	start := time.Now()

	// Namespace B has a working ProviderConfig and credentials Secret.
	h.Create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: nsB, Name: "creds"}, StringData: map[string]string{"token": keyB}})
	apply(t, nsB, `
apiVersion: ory.m.crossplane.io/v1alpha1
kind: ProviderConfig
metadata: {name: team-b}
spec:
  projectID: `+pB.ID+`
  consoleURL: `+simURL+`
  credentials: {source: Secret, secretRef: {name: creds, key: token}}`)

	t.Run("ProviderConfigOfAnotherNamespace", func(t *testing.T) {
		k := apply(t, nsA, `
apiVersion: ory.m.crossplane.io/v1alpha1
kind: ProjectAPIKey
metadata: {name: borrower}
spec:
  forProvider: {name: `+nsA+`-borrower}
  providerConfigRef: {kind: ProviderConfig, name: team-b, namespace: `+nsB+`}
  writeConnectionSecretToRef: {name: borrower-key}`)
		if _, found, _ := unstructured.NestedString(k.Object, "spec", "providerConfigRef", "namespace"); found {
			t.Error("the API server kept spec.providerConfigRef.namespace; it must prune it")
		}
		key := &namespacedv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Namespace: nsA, Name: "borrower"}}
		h.Within(waitTimeout).WaitSyncError(t, key, "ProviderConfig "+nsA+"/team-b does not exist")
	})

	t.Run("CredentialsSecretOfAnotherNamespace", func(t *testing.T) {
		pc := apply(t, nsA, `
apiVersion: ory.m.crossplane.io/v1alpha1
kind: ProviderConfig
metadata: {name: team-a}
spec:
  projectID: `+pA.ID+`
  consoleURL: `+simURL+`
  credentials: {source: Secret, secretRef: {namespace: `+nsB+`, name: creds, key: token}}`)
		if _, found, _ := unstructured.NestedString(pc.Object, "spec", "credentials", "secretRef", "namespace"); found {
			t.Error("the API server kept spec.credentials.secretRef.namespace; it must prune it")
		}
		// The key also asks for its connection Secret in B.
		u := apply(t, nsA, `
apiVersion: ory.m.crossplane.io/v1alpha1
kind: ProjectAPIKey
metadata: {name: reacher}
spec:
  forProvider: {name: `+nsA+`-reacher}
  providerConfigRef: {kind: ProviderConfig, name: team-a}
  writeConnectionSecretToRef: {name: reacher-key, namespace: `+nsB+`}`)
		if _, found, _ := unstructured.NestedString(u.Object, "spec", "writeConnectionSecretToRef", "namespace"); found {
			t.Error("the API server kept spec.writeConnectionSecretToRef.namespace; it must prune it")
		}
		key := &namespacedv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Namespace: nsA, Name: "reacher"}}
		h.Within(waitTimeout).WaitSyncError(t, key, "credentials Secret "+nsA+"/creds does not exist")

		// Nothing was sent to Ory with B's credentials (or any).
		if r := append(requestsTo(pA.ID, start, time.Now()), requestsTo(pB.ID, start, time.Now())...); len(r) > 0 {
			t.Errorf("requests reached Ory before A had credentials: %s", describe(r))
		}

		// Once A has a credentials Secret of that name, A's is used: the key
		// is made with A's workspace key, in A's project.
		h.Create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: nsA, Name: "creds"}, StringData: map[string]string{"token": keyA}})
		got := h.WaitStored(t, key, pA.ID)
		if got.OwnerID != wsA.OwnerID || got.OwnerID == wsB.OwnerID {
			t.Errorf("the key's owner is %s, want namespace A's workspace key's identity %s (B's is %s)", got.OwnerID, wsA.OwnerID, wsB.OwnerID)
		}
		if s := testkit.SecretRef(key); s.Namespace != nsA {
			t.Errorf("the connection Secret is in %s, want %s", s.Namespace, nsA)
		}
		err := kube.Get(context.Background(), client.ObjectKey{Namespace: nsB, Name: "reacher-key"}, &corev1.Secret{})
		if !kerrors.IsNotFound(err) {
			t.Errorf("namespace B has a Secret reacher-key (err %v): the connection Secret must stay in A", err)
		}
	})

	t.Run("ImportValueFromAnotherNamespace", func(t *testing.T) {
		u := manifest(t, nsA, `
apiVersion: ory.m.crossplane.io/v1alpha1
kind: ProjectAPIKey
metadata: {name: importer}
spec:
  forProvider: {name: x, importValueFrom: {name: creds, namespace: `+nsB+`, key: token}}
  writeConnectionSecretToRef: {name: importer-key}`)
		err := kube.Create(context.Background(), u)
		if err == nil || !strings.Contains(err.Error(), "spec.forProvider.importValueFrom.namespace must be left out") {
			t.Errorf("a namespaced key naming a Secret of another namespace to import from: got %v, want it refused at admission", err)
		}
	})

	// B's project never saw a key made, nor a request.
	if n := len(sim.Keys(pB.ID)); n != 0 {
		t.Errorf("project of namespace B holds %d keys", n)
	}
	if r := requestsTo(pB.ID, start, time.Now()); len(r) > 0 {
		t.Errorf("requests reached namespace B's project: %s", describe(r))
	}
}

// manifest parses a YAML manifest into an object of namespace ns.
func manifest(t *testing.T, ns, y string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(y), &u.Object); err != nil {
		t.Fatalf("bad test manifest: %v\n%s", err, y)
	}
	u.SetNamespace(ns)
	return u
}

// apply creates a manifest in ns and returns it as the API server stored it.
func apply(t *testing.T, ns, y string) *unstructured.Unstructured {
	t.Helper()
	u := manifest(t, ns, y)
	if err := kube.Create(context.Background(), u); err != nil {
		t.Fatalf("cannot create %s %s: %v", u.GetKind(), u.GetName(), err)
	}
	got := &unstructured.Unstructured{}
	got.SetGroupVersionKind(u.GroupVersionKind())
	if err := kube.Get(context.Background(), client.ObjectKeyFromObject(u), got); err != nil {
		t.Fatal(err)
	}
	return got
}
