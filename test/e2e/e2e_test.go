// Package e2e runs the provider binary, as its own process, against a real
// kube-apiserver and etcd (with kube-controller-manager's garbage collector)
// and the Ory console simulator, with the shipped examples applied unchanged
// (only their ProviderConfigs' spec.consoleURL is patched to the simulator),
// so that the examples stay true. It checks the binary reports the version
// `make build` stamped into it, that every example converges with its value
// in its Secret, and that deleting the examples deletes the keys the
// provider made and leaves the imported ones.
//
// Run it with `make test` (everything) or `make e2e` (this alone): both build
// the control plane and the provider first and pass them in
// KUBEBUILDER_ASSETS, E2E_PROVIDER_BIN and E2E_PROVIDER_VERSION. With plain
// `go test` it builds the provider itself and skips without
// KUBEBUILDER_ASSETS, unless CI is set: then anything missing fails it.
// E2E_DIR=<folder> keeps the kubeconfig and the logs there.
package e2e

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/config"
	"github.com/crossplane-contrib/provider-ory/internal/localenv"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

const (
	// wait bounds each wait for the provider; converging takes seconds.
	wait = 2 * time.Minute
	// poll is the provider's --poll: short, so that the test does not wait
	// on the default minute.
	poll = "10s"
	// selfBuiltVersion is stamped into the provider this test builds when
	// the Makefile did not hand it one.
	selfBuiltVersion = "v0.0.0-e2e"
)

func TestExamples(t *testing.T) {
	assets := testkit.Required(t, "KUBEBUILDER_ASSETS", "the control plane binaries; run `make test` or `make e2e`, which build them")
	ctx := t.Context()

	// E2E_DIR keeps the work folder (kubeconfig, logs) for a look afterwards.
	env, err := localenv.Start(ctx, localenv.Options{Assets: assets, Dir: os.Getenv("E2E_DIR"), Log: testkit.TestLog{T: t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Close(); err != nil {
			t.Errorf("closing the environment: %v", err)
		}
	})
	// Built into the work folder, which the watchdog removes even when the
	// test binary dies (a timeout).
	bin, version := providerBinary(t, env.Dir)
	t.Run("BinaryReportsStampedVersion", func(t *testing.T) {
		got, err := localenv.BinaryVersion(ctx, bin)
		if err != nil {
			t.Fatal(err)
		}
		if got != version {
			t.Errorf("%s --version: want %q (the version stamped at build time), got %q", bin, version, got)
		}
	})
	provider := env.NewProvider(localenv.ProviderOptions{Binary: bin, Args: []string{"--debug", "--poll=" + poll}})
	if err := provider.Start(); err != nil {
		t.Fatal(err)
	}
	// Registered after env.Close, so it runs before it, while the logs exist.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("provider log (last 150 lines of %s):\n%s", provider.LogPath(), testkit.Tail(provider.LogPath(), 150))
			t.Logf("kube-controller-manager log (last 30 lines):\n%s", testkit.Tail(env.KubeControllerManagerLog(), 30))
		}
	})

	objs, err := env.ApplyExamples(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var managed, imports []*unstructured.Unstructured
	for _, o := range objs {
		if !localenv.IsKeyResource(o) {
			continue
		}
		if policies, _, _ := unstructured.NestedStringSlice(o.Object, "spec", "managementPolicies"); slices.Equal(policies, []string{string(xpv2.ManagementActionObserve)}) {
			imports = append(imports, o)
		} else {
			managed = append(managed, o)
		}
	}
	// Both scopes ship a new ProjectAPIKey, a new WorkspaceAPIKey and an
	// import of a ProjectAPIKey, and the namespaced scope a WorkspaceAPIKey
	// that rotates its own ProviderConfig's credentials; fewer means an
	// example went missing or stopped being what examples/README.md says.
	want := map[string]int{"ProjectAPIKey": 2, "WorkspaceAPIKey": 3}
	got := map[string]int{}
	for _, o := range managed {
		got[o.GetKind()]++
	}
	if !maps.Equal(got, want) || len(imports) != 2 {
		t.Fatalf("examples/: want new keys %v and 2 imports (of ProjectAPIKeys, one per scope), got %v and %d", want, got, len(imports))
	}
	selfRotating := credentialsOfProviderConfigs(objs)
	seeded := map[string]orysim.KeySpec{}
	for _, k := range localenv.ExampleImports() {
		seeded[k.ID] = k
	}
	for _, o := range imports {
		id := keyIDOf(o.GetAnnotations()["crossplane.io/external-name"])
		if _, ok := seeded[id]; !ok {
			t.Fatalf("%s imports key %s, which the simulator is not seeded with: add it to localenv.ExampleImports (and examples/README.md)", name(o), id)
		}
	}

	t.Run("ExamplesConverge", func(t *testing.T) {
		statuses := waitConverged(t, env, objs)
		for _, o := range managed {
			s := statuses[name(o)]
			parent := exampleParent(o)
			key, ok := simKey(env.Sim, o, s.KeyID)
			if !ok {
				t.Errorf("%s: key %s is not in the simulator's %s %s", name(o), s.KeyID, s.Parent, parent)
				continue
			}
			wantName, _, _ := unstructured.NestedString(o.Object, "spec", "forProvider", "name")
			if key.Name != wantName {
				t.Errorf("%s: the key in Ory is named %q, want %q", name(o), key.Name, wantName)
			}
			if s.ExternalName != key.ID {
				t.Errorf("%s: external name %q, want the key's ID %s", name(o), s.ExternalName, key.ID)
			}
			secret := connectionSecret(ctx, t, env.Client, s)
			for k, want := range map[string]string{
				common.ConnectionKeyValue: key.Value,
				common.ConnectionKeyID:    key.ID,
				kindOf(o).Parent.Field:    parent,
			} {
				if got := string(secret.Data[k]); got != want {
					if k == common.ConnectionKeyValue {
						// Never print a value, not even a simulated one.
						got, want = localenv.Mask([]byte(got)), localenv.Mask([]byte(want))
					}
					t.Errorf("%s: connection Secret %s/%s key %q: want %s, got %s", name(o), secret.Namespace, secret.Name, k, want, got)
				}
			}
			if c := metav1.GetControllerOf(secret); c == nil || c.Name != o.GetName() || c.Kind != o.GetKind() {
				t.Errorf("%s: connection Secret's controller is %v, want the %s (the garbage collector deletes the Secret with it)", name(o), c, o.GetKind())
			}
		}
		waitSelfRotated(t, env, selfRotating)
		for _, o := range imports {
			s := statuses[name(o)]
			want := seeded[keyIDOf(o.GetAnnotations()["crossplane.io/external-name"])]
			if s.KeyID != want.ID {
				t.Errorf("%s: observes key %q, want the imported key %s", name(o), s.KeyID, want.ID)
			}
			if s.Secret != nil {
				t.Errorf("%s: has a connection Secret, but an import's value is unknown", name(o))
			}
			if !s.ValueUnknown {
				t.Errorf("%s: want condition %s with reason %s: Ory never returns an existing key's value", name(o), common.TypeValue, common.ReasonValueUnknown)
			}
		}
		// Exactly one new key per example that makes one: a second would be
		// a key whose value nobody holds.
		if got, want := len(env.Sim.Keys(localenv.ExampleProjectID)), len(seeded)+countKind(managed, "ProjectAPIKey"); got != want {
			t.Errorf("the simulator's project holds %d keys, want %d (the %d imported and one per new ProjectAPIKey)", got, want, len(seeded))
		}
		if got, want := len(env.Sim.WorkspaceKeys(localenv.ExampleWorkspaceID)), 1+countKind(managed, "WorkspaceAPIKey"); got != want {
			t.Errorf("the simulator's workspace holds %d keys, want %d (the examples' credentials and one per new WorkspaceAPIKey)", got, want)
		}
	})
	if t.Failed() {
		t.FailNow()
	}

	t.Run("ExamplesLiveTheirLife", func(t *testing.T) {
		testExamplesLiveTheirLife(ctx, t, env, provider, objs, managed, selfRotating)
	})
	if t.Failed() {
		t.FailNow()
	}

	t.Run("OrphanedKeysKeepTheirSecrets", func(t *testing.T) {
		testOrphanedKeysKeepTheirSecrets(ctx, t, env)
	})

	t.Run("DeletingExamplesDeletesOnlyTheKeysTheProviderMade", func(t *testing.T) {
		statuses := map[string]localenv.KeyStatus{}
		all, err := localenv.KeyStatuses(ctx, env.Client)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range all {
			statuses[statusName(s)] = s
		}
		keys := append(append([]*unstructured.Unstructured{}, managed...), imports...)
		deleteAndWait(ctx, t, env.Client, keys)
		for _, o := range managed {
			s := statuses[name(o)]
			if _, ok := simKey(env.Sim, o, s.KeyID); ok {
				t.Errorf("%s: key %s is still in the simulator after the resource was deleted", name(o), s.KeyID)
			}
			// kube-controller-manager's garbage collector deletes the Secret
			// with its owner.
			eventually(t, "connection Secret of "+name(o)+" garbage collected", func() string {
				err := env.Client.Get(ctx, types.NamespacedName{Namespace: s.Secret.Namespace, Name: s.Secret.Name}, &corev1.Secret{})
				if kerrors.IsNotFound(err) {
					return ""
				}
				return fmt.Sprintf("Secret %s/%s still exists (%v)", s.Secret.Namespace, s.Secret.Name, err)
			})
		}
		for _, o := range imports {
			s := statuses[name(o)]
			if _, ok := env.Sim.Key(localenv.ExampleProjectID, s.KeyID); !ok {
				t.Errorf("%s: the imported key %s was deleted from Ory, but Observe-only resources must leave it", name(o), s.KeyID)
			}
		}
		if got, want := len(env.Sim.Keys(localenv.ExampleProjectID)), len(seeded); got != want {
			t.Errorf("the simulator's project holds %d keys after the examples were deleted, want the %d imported", got, want)
		}
		// The keys replaced inside their overlap went with their resources.
		if got := env.Sim.WorkspaceKeys(localenv.ExampleWorkspaceID); len(got) != 1 || got[0].ID != localenv.ExampleWorkspaceKeyID {
			t.Errorf("the simulator's workspace holds %d keys after the examples were deleted, want only the examples' credentials %s", len(got), localenv.ExampleWorkspaceKeyID)
		}

		// The rest, in reverse order, but not the namespaces:
		// examples/README.md says never to delete crossplane-system, and
		// deleting a namespace of keys is test/integration's
		// TestDeletingANamespace. A ProviderConfig goes only once its
		// usages, owned by the deleted keys, are garbage collected.
		var rest []*unstructured.Unstructured
		for _, o := range slices.Backward(objs) {
			if !localenv.IsKeyResource(o) && o.GetKind() != "Namespace" {
				rest = append(rest, o)
			}
		}
		deleteAndWait(ctx, t, env.Client, rest)
	})

	if v := env.Sim.Violations(); len(v) > 0 {
		for _, x := range v {
			t.Errorf("Ory API contract violation: %s", x)
		}
	}
	if !provider.Running() {
		t.Fatalf("the provider exited during the test: %v", provider.ExitError())
	}
	if rss, err := provider.PeakRSS(); err != nil {
		t.Errorf("PeakRSS: %v", err)
	} else {
		t.Logf("provider peak RSS: %.1f MiB", float64(rss)/(1<<20))
	}
	if err := provider.Stop(); err != nil {
		t.Errorf("the provider did not exit cleanly on SIGTERM: %v", err)
	}
}

// testOrphanedKeysKeepTheirSecrets deletes, with kube-controller-manager's
// garbage collector running, resources whose deletion leaves their key in
// Ory (management policies without Delete; deletionPolicy Orphan): their
// connection Secrets, the only copies of those live keys' values, must stay.
// A resource deleted with its key is the control: its Secret must go, which
// shows the collector was at work.
func testOrphanedKeysKeepTheirSecrets(ctx context.Context, t *testing.T, env *localenv.Env) {
	// A project of its own, so the examples' key counts stay as they are.
	p := env.Sim.AddProject(localenv.ExampleWorkspaceKey, "orphans")
	manifests := []string{`
apiVersion: ory.m.crossplane.io/v1alpha1
kind: ProjectAPIKey
metadata: {name: kept, namespace: team-a}
spec:
  managementPolicies: [Observe, Create, Update, LateInitialize]
  forProvider: {name: kept, projectID: ` + p.ID + `}
  writeConnectionSecretToRef: {name: kept-key}`, `
apiVersion: ory.crossplane.io/v1alpha1
kind: ProjectAPIKey
metadata: {name: kept-legacy}
spec:
  deletionPolicy: Orphan
  forProvider: {name: kept-legacy, projectID: ` + p.ID + `}
  writeConnectionSecretToRef: {name: kept-legacy-key, namespace: team-a}`, `
apiVersion: ory.m.crossplane.io/v1alpha1
kind: ProjectAPIKey
metadata: {name: gone, namespace: team-a}
spec:
  forProvider: {name: gone, projectID: ` + p.ID + `}
  writeConnectionSecretToRef: {name: gone-key}`}
	var objs []*unstructured.Unstructured
	for _, m := range manifests {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(m), &u.Object); err != nil {
			t.Fatal(err)
		}
		objs = append(objs, u)
	}
	if err := localenv.Apply(ctx, env.Client, objs...); err != nil {
		t.Fatal(err)
	}
	values := map[string]string{}
	eventually(t, "the three keys stored", func() string {
		all, err := localenv.KeyStatuses(ctx, env.Client)
		if err != nil {
			return err.Error()
		}
		for _, s := range all {
			if s.ParentID != p.ID {
				continue
			}
			if msg := s.Converged(env.Sim); msg != "" {
				return statusName(s) + ": " + msg
			}
			sec := &corev1.Secret{}
			if err := env.Client.Get(ctx, types.NamespacedName{Namespace: s.Secret.Namespace, Name: s.Secret.Name}, sec); err != nil {
				return err.Error()
			}
			values[s.Secret.Name] = string(sec.Data[common.ConnectionKeyValue])
		}
		if len(values) != 3 {
			return fmt.Sprintf("%d of 3 stored", len(values))
		}
		return ""
	})
	deleteAndWait(ctx, t, env.Client, objs)
	eventually(t, "the deleted key's Secret garbage collected", func() string {
		err := env.Client.Get(ctx, types.NamespacedName{Namespace: "team-a", Name: "gone-key"}, &corev1.Secret{})
		if kerrors.IsNotFound(err) {
			return ""
		}
		return fmt.Sprintf("Secret team-a/gone-key still exists (%v)", err)
	})
	for _, name := range []string{"kept-key", "kept-legacy-key"} {
		sec := &corev1.Secret{}
		if err := env.Client.Get(ctx, types.NamespacedName{Namespace: "team-a", Name: name}, sec); err != nil {
			t.Errorf("Secret team-a/%s of a key left in Ory is gone: %v", name, err)
			continue
		}
		if string(sec.Data[common.ConnectionKeyValue]) != values[name] || values[name] == "" {
			t.Errorf("Secret team-a/%s no longer holds the key's value", name)
		}
		if len(sec.GetOwnerReferences()) != 0 || sec.GetAnnotations()[common.AnnotationKeptFrom] == "" {
			t.Errorf("Secret team-a/%s: owners %v, annotations %v: want released and marked kept", name, sec.GetOwnerReferences(), sec.GetAnnotations())
		}
	}
	if got := len(env.Sim.Keys(p.ID)); got != 2 {
		t.Errorf("the project holds %d keys, want the 2 left in Ory", got)
	}
}

// providerBinary returns the provider binary and the version it must report:
// the Makefile's (E2E_PROVIDER_BIN, E2E_PROVIDER_VERSION), or one built here.
func providerBinary(t *testing.T, dir string) (string, string) {
	t.Helper()
	start := time.Now()
	bin, version, err := testkit.ProviderBinary(t.Context(), dir, selfBuiltVersion)
	switch {
	case err != nil:
		t.Fatal(err)
	case version == "":
		t.Fatal("E2E_PROVIDER_BIN is set but E2E_PROVIDER_VERSION, the version stamped into it, is not")
	case os.Getenv("E2E_PROVIDER_BIN") == "":
		t.Logf("built the provider in %s", time.Since(start).Round(time.Second))
	}
	return bin, version
}

// waitConverged waits until every example key resource converged (see
// localenv.KeyStatus.Converged) and returns them by name.
func waitConverged(t *testing.T, env *localenv.Env, objs []*unstructured.Unstructured) map[string]localenv.KeyStatus {
	t.Helper()
	out := map[string]localenv.KeyStatus{}
	eventually(t, "every example key converged", func() string {
		all, err := localenv.KeyStatuses(t.Context(), env.Client)
		if err != nil {
			return err.Error()
		}
		byName := map[string]localenv.KeyStatus{}
		for _, s := range all {
			byName[statusName(s)] = s
		}
		var problems []string
		for _, o := range objs {
			if !localenv.IsKeyResource(o) {
				continue
			}
			s, ok := byName[name(o)]
			if !ok {
				problems = append(problems, name(o)+": does not exist")
				continue
			}
			if m := s.Converged(env.Sim); m != "" {
				problems = append(problems, name(o)+": "+m)
			}
			out[name(o)] = s
		}
		return strings.Join(problems, "\n")
	})
	return out
}

// deleteAndWait deletes objs and waits until the API server no longer has
// them (finalizers done).
func deleteAndWait(ctx context.Context, t *testing.T, c client.Client, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, o := range objs {
		if err := c.Delete(ctx, o.DeepCopy()); err != nil && !kerrors.IsNotFound(err) {
			t.Fatalf("deleting %s: %v", name(o), err)
		}
	}
	for _, o := range objs {
		eventually(t, name(o)+" deleted", func() string {
			u := &unstructured.Unstructured{}
			u.SetGroupVersionKind(o.GroupVersionKind())
			err := c.Get(ctx, client.ObjectKeyFromObject(o), u)
			switch {
			case kerrors.IsNotFound(err):
				return ""
			case err != nil:
				return err.Error()
			}
			return fmt.Sprintf("still there, finalizers %v, conditions %v", u.GetFinalizers(), conditions(u))
		})
	}
}

// eventually polls check until it returns "" and fails the test with its
// last answer after wait.
func eventually(t *testing.T, what string, check func() string) {
	t.Helper()
	if d := testkit.Settle(t, wait, what, check); d > 2*time.Second {
		t.Logf("%s after %s", what, d.Round(100*time.Millisecond))
	}
}

func connectionSecret(ctx context.Context, t *testing.T, c client.Client, s localenv.KeyStatus) *corev1.Secret {
	t.Helper()
	secret := &corev1.Secret{}
	if err := c.Get(ctx, types.NamespacedName{Namespace: s.Secret.Namespace, Name: s.Secret.Name}, secret); err != nil {
		t.Fatalf("connection Secret of %s: %v", statusName(s), err)
	}
	return secret
}

// name is how the tests name an example object: Kind.group namespace/name.
func name(o *unstructured.Unstructured) string {
	gk := o.GroupVersionKind().GroupKind().String()
	if o.GetNamespace() == "" {
		return gk + " " + o.GetName()
	}
	return gk + " " + o.GetNamespace() + "/" + o.GetName()
}

func statusName(s localenv.KeyStatus) string {
	if s.Cluster {
		return s.Kind + ".ory.crossplane.io " + s.Name
	}
	return s.Kind + ".ory.m.crossplane.io " + s.Namespace + "/" + s.Name
}

// kindOf returns the catalogue's kind of the key resource o.
func kindOf(o *unstructured.Unstructured) config.Kind {
	for _, k := range config.Kinds() {
		if k.Name == o.GetKind() {
			return k
		}
	}
	panic("e2e: " + name(o) + " is not of a kind of the catalogue")
}

// exampleParent is the project or workspace every example key of o's kind
// is made in.
func exampleParent(o *unstructured.Unstructured) string {
	if o.GetKind() == config.WorkspaceAPIKey.Name {
		return localenv.ExampleWorkspaceID
	}
	return localenv.ExampleProjectID
}

// simKey returns the key id of example key resource o in the simulator.
func simKey(sim *orysim.Server, o *unstructured.Unstructured, id string) (orysim.Key, bool) {
	if o.GetKind() == config.WorkspaceAPIKey.Name {
		return sim.WorkspaceKey(localenv.ExampleWorkspaceID, id)
	}
	return sim.Key(localenv.ExampleProjectID, id)
}

// countKind counts the objects of a kind.
func countKind(objs []*unstructured.Unstructured, kind string) int {
	n := 0
	for _, o := range objs {
		if o.GetKind() == kind {
			n++
		}
	}
	return n
}

// createOps are the operations that make a key, of every kind.
var createOps = []string{orysim.OpCreateProjectAPIKey, orysim.OpCreateWorkspaceAPIKey}

// creates counts the requests that made keys, of every kind.
func creates(sim *orysim.Server) int {
	n := 0
	for _, op := range createOps {
		n += sim.Requests(op)
	}
	return n
}

// credentialsOfProviderConfigs returns the example key resources whose
// connection Secret is the credentials Secret of an example ProviderConfig
// (namespace/name): the WorkspaceAPIKeys that rotate the provider's own
// credentials.
func credentialsOfProviderConfigs(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	creds := map[string]bool{}
	for _, o := range objs {
		if !localenv.IsProviderConfig(o) {
			continue
		}
		n, _, _ := unstructured.NestedString(o.Object, "spec", "credentials", "secretRef", "name")
		ns, _, _ := unstructured.NestedString(o.Object, "spec", "credentials", "secretRef", "namespace")
		creds[secretID(ns, o, n)] = true
	}
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if !localenv.IsKeyResource(o) {
			continue
		}
		n, _, _ := unstructured.NestedString(o.Object, "spec", "writeConnectionSecretToRef", "name")
		ns, _, _ := unstructured.NestedString(o.Object, "spec", "writeConnectionSecretToRef", "namespace")
		if creds[secretID(ns, o, n)] {
			out = append(out, o)
		}
	}
	return out
}

// secretID is namespace/name of Secret name that o refers to: in ns, or
// in o's namespace when ns is empty.
func secretID(ns string, o *unstructured.Unstructured, name string) string {
	if ns == "" {
		ns = o.GetNamespace()
	}
	return ns + "/" + name
}

// waitSelfRotated waits, for each key resource that writes its own
// ProviderConfig's credentials, until Ory answered a request with success
// that presented the key it holds now: the provider works with the key it
// wrote.
func waitSelfRotated(t *testing.T, env *localenv.Env, keys []*unstructured.Unstructured) {
	t.Helper()
	for _, o := range keys {
		eventually(t, name(o)+": a request made with the key it holds", func() string {
			all, err := localenv.KeyStatuses(t.Context(), env.Client)
			if err != nil {
				return err.Error()
			}
			for _, s := range all {
				if statusName(s) != name(o) {
					continue
				}
				for _, e := range env.Sim.RequestLog() {
					if e.WorkspaceKeyID == s.KeyID && s.KeyID != "" && e.Status/100 == 2 {
						return ""
					}
				}
				return "no successful request with key " + s.KeyID + " yet"
			}
			return "does not exist"
		})
	}
}

// keyIDOf returns the key ID of an external name, "<key-id>" or
// "<parent-id>/<key-id>".
func keyIDOf(externalName string) string {
	return externalName[strings.LastIndexByte(externalName, '/')+1:]
}

func conditions(u *unstructured.Unstructured) []string {
	cs, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	var out []string
	for _, c := range cs {
		if m, ok := c.(map[string]any); ok {
			out = append(out, fmt.Sprintf("%v=%v(%v)", m["type"], m["status"], m["reason"]))
		}
	}
	return out
}

// testExamplesLiveTheirLife drives every shipped example that makes a key
// through what its users do with it, as applied, with its rotation and Secret
// metadata: a rename, a rotation trigger, and a provider restart. Each change
// must make exactly one key (the shipped namespaced example once made a new
// key every few seconds after a rename, because its Secret metadata carried
// the provider's record into the spec), the spec must stay as applied, and a
// restart must make none.
func testExamplesLiveTheirLife(ctx context.Context, t *testing.T, env *localenv.Env, provider *localenv.Provider, objs, managed, selfRotating []*unstructured.Unstructured) {
	specs := map[string]any{}
	for _, o := range managed {
		specs[name(o)] = currentSpec(ctx, t, env.Client, o)
	}
	steps := []struct {
		what   string
		patch  func(o *unstructured.Unstructured) string // a merge patch of the spec
		change func(spec map[string]any)                 // the same change, to the expected spec
	}{
		{
			what: "rename",
			patch: func(o *unstructured.Unstructured) string {
				n, _, _ := unstructured.NestedString(o.Object, "spec", "forProvider", "name")
				return `{"spec":{"forProvider":{"name":"` + n + `-renamed"}}}`
			},
			change: func(spec map[string]any) {
				n, _, _ := unstructured.NestedString(spec, "forProvider", "name")
				_ = unstructured.SetNestedField(spec, n+"-renamed", "forProvider", "name")
			},
		},
		{
			what: "rotation trigger",
			patch: func(*unstructured.Unstructured) string {
				return `{"spec":{"forProvider":{"rotation":{"trigger":"e2e-rotated"}}}}`
			},
			change: func(spec map[string]any) {
				_ = unstructured.SetNestedField(spec, "e2e-rotated", "forProvider", "rotation", "trigger")
			},
		},
	}
	for _, step := range steps {
		before := creates(env.Sim)
		for _, o := range managed {
			patch := step.patch(o)
			if err := env.Client.Patch(ctx, o.DeepCopy(), client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
				t.Fatalf("%s: %s: %v", step.what, name(o), err)
			}
			step.change(specs[name(o)].(map[string]any))
		}
		waitConverged(t, env, objs)
		// Two more polls: a loop would show as more creates.
		time.Sleep(25 * time.Second)
		waitConverged(t, env, objs)
		waitSelfRotated(t, env, selfRotating)
		if got, want := creates(env.Sim)-before, len(managed); got != want {
			t.Errorf("%s: %d keys created, want exactly one per example (%d)", step.what, got, want)
		}
		for _, o := range managed {
			if diff := cmp.Diff(specs[name(o)], currentSpec(ctx, t, env.Client, o)); diff != "" {
				t.Errorf("%s: %s: the spec is not as applied (-want +got): the provider must not write into it:\n%s", step.what, name(o), diff)
			}
		}
	}

	before := creates(env.Sim)
	if err := provider.Stop(); err != nil {
		t.Errorf("the provider did not stop cleanly: %v", err)
	}
	if err := provider.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(25 * time.Second)
	waitConverged(t, env, objs)
	waitSelfRotated(t, env, selfRotating)
	if got := creates(env.Sim) - before; got != 0 {
		t.Errorf("a restart made %d keys: it must make none (the values are in their Secrets)", got)
	}
}

// currentSpec returns o's spec as stored, without the fields the provider
// fills in by design (the late-initialized project or workspace).
func currentSpec(ctx context.Context, t *testing.T, c client.Client, o *unstructured.Unstructured) map[string]any {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(o.GroupVersionKind())
	if err := c.Get(ctx, client.ObjectKeyFromObject(o), u); err != nil {
		t.Fatal(err)
	}
	spec, _, _ := unstructured.NestedMap(u.Object, "spec")
	field := kindOf(o).Parent.Field
	if _, set, _ := unstructured.NestedString(o.Object, "spec", "forProvider", field); !set {
		unstructured.RemoveNestedField(spec, "forProvider", field)
	}
	return spec
}
