// Package packagetest tests provider-ory the way a Crossplane v2 cluster
// meets it: as a package whose kinds are activated one by one (safe-start),
// and, in install_test.go, as a package pulled from an OCI registry by
// Crossplane core.
package packagetest

import (
	"path/filepath"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/localenv"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

const (
	systemNS  = "crossplane-system"
	credsName = "ory-workspace-key"
	// cacheSyncTimeout is the provider's --cache-sync-timeout: how long a
	// started controller may wait for its kind to be listed before the
	// manager gives up and the process exits (controller-runtime's default
	// is two minutes; shorter, so that the test does not wait that long).
	// Not shorter still: a kind whose CRD was just established can be
	// missing from discovery at the controller's first look, and
	// controller-runtime looks again only after 10 seconds.
	cacheSyncTimeout = 25 * time.Second
)

// The CRDs Crossplane installs for a package with the safe-start capability
// when a ManagedResourceActivationPolicy activates only the namespaced
// managed kinds: every ProviderConfig kind (not managed resources, so
// always installed) and the namespaced ProjectAPIKey.
var namespacedOnly = []string{
	"ory.m.crossplane.io_projectapikeys.yaml",
	"ory.m.crossplane.io_providerconfigs.yaml",
	"ory.m.crossplane.io_clusterproviderconfigs.yaml",
	"ory.m.crossplane.io_providerconfigusages.yaml",
	"ory.crossplane.io_providerconfigs.yaml",
	"ory.crossplane.io_providerconfigusages.yaml",
}

// TestSafeStart runs the provider binary on a control plane where only the
// namespaced kinds are active. It must serve them, stay up and healthy past
// the point where a controller waiting for an absent kind would have
// stopped it, recover a create whose answer was lost without listing the
// absent kind, and start the cluster-scoped controller, without a restart,
// once that kind's CRD is installed.
func TestSafeStart(t *testing.T) {
	assets := testkit.Required(t, "KUBEBUILDER_ASSETS", "the control plane binaries; run `make test`, which builds them")
	ctx := t.Context()
	root, err := localenv.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	var crds []string
	for _, f := range namespacedOnly {
		crds = append(crds, filepath.Join(root, "package", "crds", f))
	}
	env, err := localenv.Start(ctx, localenv.Options{Assets: assets, Root: root, CRDs: crds, Log: testkit.TestLog{T: t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Close(); err != nil {
			t.Errorf("closing the environment: %v", err)
		}
	})
	health := testkit.FreeAddr(t)
	p := env.NewProvider(localenv.ProviderOptions{
		Binary: providerBinary(ctx, t, env.Dir),
		Args:   []string{"--debug", "--poll=5s", "--cache-sync-timeout=" + cacheSyncTimeout.String(), "--health-probe-bind-address=" + health},
	})
	started := time.Now()
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(testkit.Tail(p.LogPath(), 60))
		}
	})

	for _, o := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: systemNS}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: systemNS, Name: credsName}, StringData: map[string]string{"credentials": localenv.ExampleWorkspaceKey}},
		exampleConfig(env.SimURL).ClusterProviderConfig(),
	} {
		if err := env.Client.Create(ctx, o); err != nil {
			t.Fatalf("cannot create %T %s: %v", o, o.GetName(), err)
		}
	}

	t.Run("NamespacedKeyReady", func(t *testing.T) {
		k := namespacedKey("team-a", "payments")
		if err := env.Client.Create(ctx, k); err != nil {
			t.Fatal(err)
		}
		eventually(t, p, wait, "the namespaced ProjectAPIKey Ready with its value in its Secret", func() (bool, string) {
			return readyWithValue(ctx, env.Client, env.Sim, localenv.ExampleProjectID, k, types.NamespacedName{Namespace: "team-a", Name: "payments-key"})
		})
	})

	// Recovery looks for keys no ProjectAPIKey of either scope knows; the
	// cluster-scoped kind is not installed, which must count as "none".
	t.Run("LostCreateAnswerRecovered", func(t *testing.T) {
		// The simulator makes the key, then closes the connection before
		// its answer, the only place the key's value appears.
		env.Sim.CutAnswers(orysim.OpCreateProjectAPIKey, localenv.ExampleProjectID, 1, orysim.CutBeforeHeaders)
		t.Cleanup(func() { env.Sim.CutAnswers(orysim.OpCreateProjectAPIKey, localenv.ExampleProjectID, 0, "") })
		k := namespacedKey("team-a", "lost-answer")
		if err := env.Client.Create(ctx, k); err != nil {
			t.Fatal(err)
		}
		eventually(t, p, wait, "the ProjectAPIKey whose first create answer was lost Ready with its value", func() (bool, string) {
			return readyWithValue(ctx, env.Client, env.Sim, localenv.ExampleProjectID, k, types.NamespacedName{Namespace: "team-a", Name: "lost-answer-key"})
		})
		lost := 0
		for _, e := range env.Sim.RequestLog() {
			if e.Operation == orysim.OpCreateProjectAPIKey && e.Fault == string(orysim.CutBeforeHeaders) {
				lost++
			}
		}
		if n := lost; n != 1 {
			t.Fatalf("%d create answers were lost, want 1: the test did not exercise recovery", n)
		}
		var named int
		for _, key := range env.Sim.Keys(localenv.ExampleProjectID) {
			if key.Name == k.Spec.ForProvider.Name {
				named++
			}
		}
		if named != 1 {
			t.Errorf("%d keys named %q in Ory, want 1: the key of the lost answer was left behind", named, k.Spec.ForProvider.Name)
		}
	})

	t.Run("StaysUpPastCacheSyncTimeout", func(t *testing.T) {
		// A controller of an absent kind would have given up and stopped
		// the manager by then.
		if d := time.Until(started.Add(cacheSyncTimeout + 15*time.Second)); d > 0 {
			time.Sleep(d)
		}
		if !p.Running() {
			t.Fatalf("the provider exited %s after start (%v)\n%s", time.Since(started).Round(time.Second), p.ExitError(), testkit.Tail(p.LogPath(), 40))
		}
		if ok, why := healthy(health); !ok {
			t.Fatalf("/healthz: %s", why)
		}
	})

	t.Run("ClusterKindActivatedLater", func(t *testing.T) {
		if _, err := envtest.InstallCRDs(env.Config, envtest.CRDInstallOptions{
			Paths: []string{filepath.Join(root, "package", "crds", "ory.crossplane.io_projectapikeys.yaml")}, ErrorIfPathMissing: true,
		}); err != nil {
			t.Fatal(err)
		}
		pc := exampleConfig(env.SimURL).LegacyProviderConfig()
		k := clusterKey("payments-legacy")
		for _, o := range []client.Object{pc, k} {
			if err := env.Client.Create(ctx, o); err != nil {
				t.Fatalf("cannot create %T %s: %v", o, o.GetName(), err)
			}
		}
		eventually(t, p, wait, "the cluster-scoped ProjectAPIKey Ready with its value in its Secret", func() (bool, string) {
			return readyWithValue(ctx, env.Client, env.Sim, localenv.ExampleProjectID, k, types.NamespacedName{Namespace: systemNS, Name: "payments-legacy-key"})
		})
		if n := p.Starts(); n != 1 {
			t.Errorf("the provider was started %d times, want 1: the new kind must not need a restart", n)
		}
	})
}

// exampleConfig is the config default (either kind), for the workspace
// and project the simulator is seeded with, at consoleURL.
func exampleConfig(consoleURL string) testkit.Config {
	return testkit.Config{Name: "default", Creds: testkit.Creds{Namespace: systemNS, Name: credsName, Key: "credentials"},
		ProjectID: localenv.ExampleProjectID, ConsoleURL: consoleURL}
}

// namespacedKey is a ProjectAPIKey of namespace ns using the
// ClusterProviderConfig default; its Secret is <name>-key.
func namespacedKey(ns, name string) *namespacedv1alpha1.ProjectAPIKey {
	k := &namespacedv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	k.Spec.ForProvider.Name = ns + "-" + name
	k.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: name + "-key"}
	return k
}

// clusterKey is a cluster-scoped ProjectAPIKey using the ProviderConfig
// default; its Secret is crossplane-system/<name>-key.
func clusterKey(name string) *clusterv1alpha1.ProjectAPIKey {
	k := &clusterv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Name: name}}
	k.Spec.ForProvider.Name = name
	k.Spec.ProviderConfigReference = &xpv2.Reference{Name: "default"}
	k.Spec.WriteConnectionSecretToReference = &xpv2.SecretReference{Namespace: systemNS, Name: name + "-key"}
	return k
}
