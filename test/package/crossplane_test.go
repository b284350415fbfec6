package packagetest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane-contrib/provider-ory/internal/localenv"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// The MRDs and CRDs of the managed kinds, named as Crossplane names them.
const (
	namespacedKeys = "projectapikeys.ory.m.crossplane.io"
	clusterKeys    = "projectapikeys.ory.crossplane.io"
)

// installByCrossplane installs the package at ref the way users do, on a
// real API server with Crossplane core (hack/crossplane/build.sh) running
// with the External package runtime (it installs the package's objects but
// runs no Deployment; there is no kubelet here): a pkg.crossplane.io/v1
// Provider. It checks what Crossplane does with the package, then runs bin,
// the provider binary of the package's runtime image, against that control
// plane, and activates the kinds one scope at a time.
func installByCrossplane(t *testing.T, root, ref, bin string) {
	assets := testkit.Required(t, "KUBEBUILDER_ASSETS", "the control plane binaries; run `make test`")
	xpBin := testkit.Required(t, "CROSSPLANE_BIN", "Crossplane core (hack/crossplane/build.sh); run `make test`")
	xp := filepath.Join(xpBin, "crossplane")
	xpCRDs := filepath.Join(xpBin, "..", "crds")
	ctx := t.Context()

	// Only Crossplane's own CRDs: the provider's come from the package.
	env, err := localenv.Start(ctx, localenv.Options{Assets: assets, Root: root, CRDs: []string{xpCRDs}, Log: testkit.TestLog{T: t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Close(); err != nil {
			t.Errorf("closing the environment: %v", err)
		}
	})
	kube := env.Client
	if err := kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: systemNS}}); err != nil {
		t.Fatal(err)
	}
	xpEnv := []string{"KUBECONFIG=" + env.Kubeconfig, "POD_NAMESPACE=" + systemNS}
	testkit.CrossplaneCoreInit(t, xp, xpEnv, xpCRDs, filepath.Join(env.Dir, "crossplane-init.log"))
	certs := filepath.Join(env.Dir, "crossplane-client-certs")
	testkit.SecretToDir(ctx, t, kube, "crossplane-tls-client", certs)
	health := testkit.FreeAddr(t)
	_, port, _ := net.SplitHostPort(health)
	metricsAddr := testkit.FreeAddr(t)
	_, metricsPort, _ := net.SplitHostPort(metricsAddr)
	// Crossplane caches pulled packages there and fails to parse a package
	// it cannot cache ("read/write on closed pipe"); in a pod it is an
	// emptyDir that exists.
	for _, d := range []string{"xpkg-cache", "xfn-cache"} {
		if err := os.MkdirAll(filepath.Join(env.Dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	xpLog := filepath.Join(env.Dir, "crossplane.log")
	testkit.Process{Log: xpLog, Env: xpEnv}.Start(t, xp, "core", "start", "--debug",
		"--enable-webhooks=false", "--package-runtime=External",
		"--tls-client-certs-dir="+certs,
		"--xpkg-cache-dir="+filepath.Join(env.Dir, "xpkg-cache"),
		"--xfn-cache-dir="+filepath.Join(env.Dir, "xfn-cache"),
		"--metrics-port="+metricsPort, "--health-probe-port="+port)
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(testkit.Tail(xpLog, 60))
		}
	})
	eventually(t, nil, 2*time.Minute, "Crossplane core ready", func() (bool, string) {
		r, err := http.Get("http://" + health + "/readyz")
		if err != nil {
			return false, err.Error()
		}
		_ = r.Body.Close()
		return r.StatusCode == http.StatusOK, r.Status
	})

	provider := object("pkg.crossplane.io/v1", "Provider", "", "provider-ory")
	_ = unstructured.SetNestedField(provider.Object, ref, "spec", "package")
	if err := kube.Create(ctx, provider); err != nil {
		t.Fatal(err)
	}

	t.Run("RevisionHealthy", func(t *testing.T) {
		eventually(t, nil, 3*time.Minute, "the ProviderRevision Healthy", func() (bool, string) {
			revs := &unstructured.UnstructuredList{}
			revs.SetAPIVersion("pkg.crossplane.io/v1")
			revs.SetKind("ProviderRevisionList")
			if err := kube.List(ctx, revs, client.MatchingLabels{"pkg.crossplane.io/package": "provider-ory"}); err != nil {
				return false, err.Error()
			}
			if len(revs.Items) == 0 {
				p := provider.DeepCopy()
				_ = kube.Get(ctx, client.ObjectKeyFromObject(p), p)
				return false, "no ProviderRevision yet; Provider conditions: " + conditions(p)
			}
			rev := &revs.Items[0]
			if err := playRuntime(ctx, kube, rev); err != nil {
				return false, err.Error()
			}
			c := condition(rev, "RevisionHealthy")
			return c == "True", "RevisionHealthy=" + c + "; " + conditions(rev)
		})
	})

	t.Run("MRDsExistAndNothingActive", func(t *testing.T) {
		for _, n := range []string{namespacedKeys, clusterKeys} {
			mrd := object("apiextensions.crossplane.io/v1alpha1", "ManagedResourceDefinition", "", n)
			if err := kube.Get(ctx, client.ObjectKeyFromObject(mrd), mrd); err != nil {
				t.Errorf("ManagedResourceDefinition %s: %v", n, err)
			}
			if crdExists(ctx, t, kube, n) {
				t.Errorf("the CRD %s is installed before any ManagedResourceActivationPolicy activates it", n)
			}
		}
		for _, n := range []string{"providerconfigs.ory.m.crossplane.io", "clusterproviderconfigs.ory.m.crossplane.io", "providerconfigs.ory.crossplane.io"} {
			if !crdExists(ctx, t, kube, n) {
				t.Errorf("the CRD %s (not a managed resource, so always installed) is missing", n)
			}
		}
	})

	mrap := object("apiextensions.crossplane.io/v1alpha1", "ManagedResourceActivationPolicy", "", "provider-ory")
	_ = unstructured.SetNestedStringSlice(mrap.Object, []string{namespacedKeys}, "spec", "activate")
	if err := kube.Create(ctx, mrap); err != nil {
		t.Fatal(err)
	}
	t.Run("OnlyNamespacedKindsActivated", func(t *testing.T) {
		eventually(t, nil, time.Minute, "the namespaced ProjectAPIKey CRD established", func() (bool, string) {
			return crdEstablished(ctx, kube, namespacedKeys)
		})
		if crdExists(ctx, t, kube, clusterKeys) {
			t.Errorf("the CRD %s is installed though the policy activates only %s", clusterKeys, namespacedKeys)
		}
	})

	p := env.NewProvider(localenv.ProviderOptions{Binary: bin, Args: []string{"--debug", "--poll=5s"}})
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(testkit.Tail(p.LogPath(), 60))
		}
	})
	for _, o := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: systemNS, Name: credsName}, StringData: map[string]string{"credentials": localenv.ExampleWorkspaceKey}},
		exampleConfig(env.SimURL).ClusterProviderConfig(),
	} {
		if err := kube.Create(ctx, o); err != nil {
			t.Fatalf("cannot create %T %s: %v", o, o.GetName(), err)
		}
	}

	t.Run("NamespacedKeyReady", func(t *testing.T) {
		k := namespacedKey("team-a", "payments")
		if err := kube.Create(ctx, k); err != nil {
			t.Fatal(err)
		}
		eventually(t, p, wait, "the namespaced ProjectAPIKey Ready with its value in its Secret", func() (bool, string) {
			return readyWithValue(ctx, kube, env.Sim, localenv.ExampleProjectID, k, types.NamespacedName{Namespace: "team-a", Name: "payments-key"})
		})
	})

	t.Run("ClusterKindsActivatedLater", func(t *testing.T) {
		if err := kube.Get(ctx, client.ObjectKeyFromObject(mrap), mrap); err != nil {
			t.Fatal(err)
		}
		_ = unstructured.SetNestedStringSlice(mrap.Object, []string{namespacedKeys, clusterKeys}, "spec", "activate")
		if err := kube.Update(ctx, mrap); err != nil {
			t.Fatal(err)
		}
		eventually(t, p, time.Minute, "the cluster-scoped ProjectAPIKey CRD established", func() (bool, string) {
			return crdEstablished(ctx, kube, clusterKeys)
		})
		pc := exampleConfig(env.SimURL).LegacyProviderConfig()
		k := clusterKey("payments-legacy")
		for _, o := range []client.Object{pc, k} {
			if err := kube.Create(ctx, o); err != nil {
				t.Fatalf("cannot create %T %s: %v", o, o.GetName(), err)
			}
		}
		eventually(t, p, wait, "the cluster-scoped ProjectAPIKey Ready with its value in its Secret", func() (bool, string) {
			return readyWithValue(ctx, kube, env.Sim, localenv.ExampleProjectID, k, types.NamespacedName{Namespace: systemNS, Name: "payments-legacy-key"})
		})
		if n := p.Starts(); n != 1 {
			t.Errorf("the provider was started %d times, want 1", n)
		}
	})
}

// playRuntime does for rev what Crossplane's package runtime controller does
// before the revision's objects are installed, which with the External
// runtime is left to whoever runs the provider: it creates the TLS Secrets
// the revision names (the server certificate is only read as the CA bundle
// of conversion webhooks, which this provider has none of) and reports them
// in the revision's status.
func playRuntime(ctx context.Context, kube client.Client, rev *unstructured.Unstructured) error {
	// With the External runtime Crossplane names no Secrets in the
	// revision's spec; the runtime chooses them.
	server, _, _ := unstructured.NestedString(rev.Object, "spec", "tlsServerSecretName")
	clientName, _, _ := unstructured.NestedString(rev.Object, "spec", "tlsClientSecretName")
	if server == "" {
		server, clientName = "provider-ory-tls-server", "provider-ory-tls-client"
	}
	if observed, _, _ := unstructured.NestedString(rev.Object, "status", "tlsServerSecretName"); observed == server {
		return nil
	}
	ca := &corev1.Secret{}
	if err := kube.Get(ctx, types.NamespacedName{Namespace: systemNS, Name: "crossplane-root-ca"}, ca); err != nil {
		return err
	}
	for _, n := range []string{server, clientName} {
		if n == "" {
			continue
		}
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: systemNS, Name: n}, Data: map[string][]byte{
			"tls.crt": ca.Data["tls.crt"], "tls.key": ca.Data["tls.key"], "ca.crt": ca.Data["tls.crt"]}}
		if err := kube.Create(ctx, s); err != nil && !kerrors.IsAlreadyExists(err) {
			return err
		}
	}
	_ = unstructured.SetNestedField(rev.Object, server, "status", "tlsServerSecretName")
	if clientName != "" {
		_ = unstructured.SetNestedField(rev.Object, clientName, "status", "tlsClientSecretName")
	}
	return kube.Status().Update(ctx, rev)
}

func object(apiVersion, kind, namespace, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(namespace)
	u.SetName(name)
	return u
}

// condition returns the status of a condition of u, or "" without it.
func condition(u *unstructured.Unstructured, typ string) string {
	cs, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range cs {
		m, _ := c.(map[string]any)
		if m["type"] == typ {
			s, _ := m["status"].(string)
			return s
		}
	}
	return ""
}

func conditions(u *unstructured.Unstructured) string {
	cs, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	return fmt.Sprint(cs)
}

// crdObject reads a CRD with the unstructured client: the Env's client has
// no apiextensions types in its scheme.
func crdObject(ctx context.Context, kube client.Client, name string) (*unstructured.Unstructured, error) {
	u := object("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", name)
	return u, kube.Get(ctx, client.ObjectKeyFromObject(u), u)
}

func crdExists(ctx context.Context, t *testing.T, kube client.Client, name string) bool {
	t.Helper()
	_, err := crdObject(ctx, kube, name)
	if kerrors.IsNotFound(err) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

func crdEstablished(ctx context.Context, kube client.Client, name string) (bool, string) {
	u, err := crdObject(ctx, kube, name)
	if err != nil {
		return false, err.Error()
	}
	c := condition(u, string(apiextensionsv1.Established))
	return c == "True", "Established=" + c
}
