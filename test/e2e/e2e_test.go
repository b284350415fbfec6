// Package e2e runs the provider binary, as its own process, against a real
// kube-apiserver and etcd (with kube-controller-manager's garbage collector)
// and the Ory console simulator, with the shipped examples applied unchanged
// (only their ProviderConfigs' spec.consoleURL is patched to the simulator),
// so that the examples stay true. It checks the binary reports the version
// `make build` stamped into it, that every example converges with its value
// in its Secret (the Projects of examples/project with their project in
// Ory, and the keys that find them by reference in those projects), that
// each lives its life (renamed, rotated, the provider restarted), and that
// deleting the examples deletes the keys the provider made and leaves the
// imported ones, and purges the projects whose deletion protection is off.
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
	var managed, imports, projects []*unstructured.Unstructured
	for _, o := range objs {
		if localenv.IsProject(o) {
			projects = append(projects, o)
			continue
		}
		if !localenv.IsKeyResource(o) {
			continue
		}
		if policies, _, _ := unstructured.NestedStringSlice(o.Object, "spec", "managementPolicies"); slices.Equal(policies, []string{string(xpv2.ManagementActionObserve)}) {
			imports = append(imports, o)
		} else {
			managed = append(managed, o)
		}
	}
	// Both scopes ship a new ProjectAPIKey, a new WorkspaceAPIKey, an
	// import of a ProjectAPIKey, and a Project with a new ProjectAPIKey in
	// it by reference (examples/project), and the namespaced scope a
	// WorkspaceAPIKey that rotates its own ProviderConfig's credentials;
	// fewer means an example went missing or stopped being what
	// examples/README.md says.
	want := map[string]int{"ProjectAPIKey": 4, "WorkspaceAPIKey": 3}
	got := map[string]int{}
	for _, o := range managed {
		got[o.GetKind()]++
	}
	if !maps.Equal(got, want) || len(imports) != 2 {
		t.Fatalf("examples/: want new keys %v and 2 imports (of ProjectAPIKeys, one per scope), got %v and %d", want, got, len(imports))
	}
	if scopes := scopesOf(projects); len(projects) != 2 || !scopes[true] || !scopes[false] {
		t.Fatalf("examples/project: want a Project of each scope, got %d: %v", len(projects), scopes)
	}
	for _, o := range managed {
		if ref := referencedProject(o); ref != "" && !slices.ContainsFunc(projects, func(p *unstructured.Unstructured) bool { return name(p) == ref }) {
			t.Fatalf("%s references %s, which is not an example", name(o), ref)
		}
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

	// projectIDs are the example Projects' project IDs, by name(o).
	projectIDs := map[string]string{}
	t.Run("ExamplesConverge", func(t *testing.T) {
		statuses, projectStatuses := waitConverged(t, env, objs)
		for _, o := range projects {
			p := projectStatuses[name(o)]
			projectIDs[name(o)] = p.AtProvider.ID
			sp, ok := env.Sim.Project(p.AtProvider.ID)
			if !ok {
				t.Errorf("%s: project %s is not in the simulator", name(o), p.AtProvider.ID)
				continue
			}
			wantEnv, _, _ := unstructured.NestedString(o.Object, "spec", "forProvider", "environment")
			if diff := cmp.Diff(common.ProjectObservation{
				ID: sp.ID, Slug: sp.Slug, Name: sp.Name, State: orysim.ProjectRunning, Environment: wantEnv,
				HomeRegion: sp.HomeRegion, WorkspaceID: localenv.ExampleWorkspaceID, RevisionID: sp.RevisionID,
				APIURL: orysim.ProjectAPIURL(env.SimURL, sp.Slug), // ApplyExamples points projectAPIURLTemplate at the simulator
			}, p.AtProvider); diff != "" {
				t.Errorf("%s: status.atProvider is not the simulator's project (-want +got):\n%s", name(o), diff)
			}
		}
		// Exactly one project per Project example: a second would be a
		// project nobody manages, with users from its first minute.
		if got, want := len(env.Sim.Projects(localenv.ExampleWorkspaceID)), 1+len(projects); got != want {
			t.Errorf("the simulator's workspace holds %d projects, want %d (the examples' and one per Project)", got, want)
		}
		for _, o := range managed {
			s := statuses[name(o)]
			parent := exampleParent(o, projectIDs)
			key, ok := simKey(env.Sim, o, parent, s.KeyID)
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
			if ref := referencedProject(o); ref != "" {
				want := projectStatuses[ref].AtProvider.APIURL
				if got := string(secret.Data[common.ConnectionKeyAPIURL]); got != want || want == "" {
					t.Errorf("%s: connection Secret %s/%s key %q: want %q, the API URL of %s, got %q", name(o), secret.Namespace, secret.Name, common.ConnectionKeyAPIURL, want, ref, got)
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
		inExampleProject := 0
		for _, o := range managed {
			if o.GetKind() == config.ProjectAPIKey.Name && referencedProject(o) == "" {
				inExampleProject++
			}
		}
		if got, want := len(env.Sim.Keys(localenv.ExampleProjectID)), len(seeded)+inExampleProject; got != want {
			t.Errorf("the simulator's project holds %d keys, want %d (the %d imported and one per new ProjectAPIKey)", got, want, len(seeded))
		}
		for _, o := range projects {
			if got := len(env.Sim.Keys(projectIDs[name(o)])); got != 1 {
				t.Errorf("%s: its project holds %d keys, want the one of the example key that references it", name(o), got)
			}
		}
		if got, want := len(env.Sim.WorkspaceKeys(localenv.ExampleWorkspaceID)), 1+countKind(managed, "WorkspaceAPIKey"); got != want {
			t.Errorf("the simulator's workspace holds %d keys, want %d (the examples' credentials and one per new WorkspaceAPIKey)", got, want)
		}
	})
	if t.Failed() {
		t.FailNow()
	}

	t.Run("UsageExamplesValidAgainstCrossplanesCRDs", func(t *testing.T) {
		testUsagesValid(ctx, t, env)
	})

	t.Run("ExamplesLiveTheirLife", func(t *testing.T) {
		testExamplesLiveTheirLife(ctx, t, env, provider, objs, managed, projects, selfRotating, projectIDs)
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
		// The keys first, then their Projects, as README's "A Project
		// deleted while keys use it" says: a project purged first would take
		// its keys with it.
		keys := append(append([]*unstructured.Unstructured{}, managed...), imports...)
		deleteAndWait(ctx, t, env.Client, keys)
		for _, o := range managed {
			s := statuses[name(o)]
			parent := exampleParent(o, projectIDs)
			if _, ok := env.Sim.Project(parent); !ok && o.GetKind() == config.ProjectAPIKey.Name {
				t.Errorf("%s: its project %s is gone before its Project was deleted", name(o), parent)
			}
			if _, ok := simKey(env.Sim, o, parent, s.KeyID); ok {
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
		// The example Projects turn deletion protection off: deleting them
		// purges their projects.
		purges := env.Sim.Requests(orysim.OpPurgeProject)
		deleteAndWait(ctx, t, env.Client, projects)
		for _, o := range projects {
			if p, ok := env.Sim.Project(projectIDs[name(o)]); ok {
				t.Errorf("%s: project %s is still in the simulator (%s) after the resource was deleted with deletionProtection false", name(o), p.ID, p.State)
			}
		}
		if got := env.Sim.Requests(orysim.OpPurgeProject) - purges; got != len(projects) {
			t.Errorf("%d purges for %d Projects deleted, want one each", got, len(projects))
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
			if !localenv.IsKeyResource(o) && !localenv.IsProject(o) && o.GetKind() != "Namespace" {
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

// waitConverged waits until every example key resource and Project
// converged (see localenv.KeyStatus.Converged and
// localenv.ProjectStatus.Converged) and returns them by name.
func waitConverged(t *testing.T, env *localenv.Env, objs []*unstructured.Unstructured) (map[string]localenv.KeyStatus, map[string]localenv.ProjectStatus) {
	t.Helper()
	keys, projects := map[string]localenv.KeyStatus{}, map[string]localenv.ProjectStatus{}
	eventually(t, "every example converged", func() string {
		all, err := localenv.KeyStatuses(t.Context(), env.Client)
		if err != nil {
			return err.Error()
		}
		allProjects, err := localenv.ProjectStatuses(t.Context(), env.Client)
		if err != nil {
			return err.Error()
		}
		byName := map[string]interface{ Converged(*orysim.Server) string }{}
		for _, s := range all {
			byName[statusName(s)] = s
		}
		for _, p := range allProjects {
			byName[projectStatusName(p)] = p
		}
		var problems []string
		for _, o := range objs {
			if !localenv.IsKeyResource(o) && !localenv.IsProject(o) {
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
			switch s := s.(type) {
			case localenv.KeyStatus:
				keys[name(o)] = s
			case localenv.ProjectStatus:
				projects[name(o)] = s
			}
		}
		return strings.Join(problems, "\n")
	})
	return keys, projects
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

func projectStatusName(p localenv.ProjectStatus) string {
	if p.Cluster {
		return localenv.ProjectKind + ".ory.crossplane.io " + p.Name
	}
	return localenv.ProjectKind + ".ory.m.crossplane.io " + p.Namespace + "/" + p.Name
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

// exampleParent is the project or workspace example key o is made in: the
// project of the Project it references (projectIDs, by name), else the
// examples' project or workspace, by o's kind.
func exampleParent(o *unstructured.Unstructured, projectIDs map[string]string) string {
	if ref := referencedProject(o); ref != "" {
		return projectIDs[ref]
	}
	if o.GetKind() == config.WorkspaceAPIKey.Name {
		return localenv.ExampleWorkspaceID
	}
	return localenv.ExampleProjectID
}

// referencedProject names (as name does) the Project example key o finds
// its project by, through spec.forProvider.projectIDRef; "" for none. A
// namespaced key references Projects of its own namespace.
func referencedProject(o *unstructured.Unstructured) string {
	ref, _, _ := unstructured.NestedString(o.Object, "spec", "forProvider", "projectIDRef", "name")
	if ref == "" {
		return ""
	}
	p := &unstructured.Unstructured{}
	p.SetAPIVersion(o.GetAPIVersion())
	p.SetKind(localenv.ProjectKind)
	p.SetNamespace(o.GetNamespace())
	p.SetName(ref)
	return name(p)
}

// scopesOf says which scopes objs are of: true for cluster-scoped.
func scopesOf(objs []*unstructured.Unstructured) map[bool]bool {
	out := map[bool]bool{}
	for _, o := range objs {
		out[o.GetNamespace() == ""] = true
	}
	return out
}

// simKey returns key id of example key resource o in the simulator's
// project or workspace parent.
func simKey(sim *orysim.Server, o *unstructured.Unstructured, parent, id string) (orysim.Key, bool) {
	if o.GetKind() == config.WorkspaceAPIKey.Name {
		return sim.WorkspaceKey(parent, id)
	}
	return sim.Key(parent, id)
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
// or a project through what its users do with it, as applied, with its
// rotation and Secret metadata: a rename, a rotation trigger (keys only), and
// a provider restart. Each change must make exactly one key per key example
// (the shipped namespaced example once made a new key every few seconds
// after a rename, because its Secret metadata carried the provider's record
// into the spec) and no project: a Project is renamed in place, keeping its
// ID (projectIDs). The spec must stay as applied, and a restart must make
// nothing.
func testExamplesLiveTheirLife(ctx context.Context, t *testing.T, env *localenv.Env, provider *localenv.Provider, objs, managed, projects, selfRotating []*unstructured.Unstructured, projectIDs map[string]string) {
	changed := append(slices.Clone(managed), projects...)
	specs := map[string]any{}
	for _, o := range changed {
		specs[name(o)] = currentSpec(ctx, t, env.Client, o)
	}
	steps := []struct {
		what   string
		patch  func(o *unstructured.Unstructured) string // a merge patch of the spec; "" leaves o as it is
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
			patch: func(o *unstructured.Unstructured) string {
				if localenv.IsProject(o) {
					return "" // a project has no secret to rotate
				}
				return `{"spec":{"forProvider":{"rotation":{"trigger":"e2e-rotated"}}}}`
			},
			change: func(spec map[string]any) {
				_ = unstructured.SetNestedField(spec, "e2e-rotated", "forProvider", "rotation", "trigger")
			},
		},
	}
	for _, step := range steps {
		before, projectsBefore := creates(env.Sim), env.Sim.Requests(orysim.OpCreateProject)
		for _, o := range changed {
			patch := step.patch(o)
			if patch == "" {
				continue
			}
			if err := env.Client.Patch(ctx, o.DeepCopy(), client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
				t.Fatalf("%s: %s: %v", step.what, name(o), err)
			}
			step.change(specs[name(o)].(map[string]any))
		}
		waitConverged(t, env, objs)
		// Two more polls: a loop would show as more creates.
		time.Sleep(25 * time.Second)
		_, statuses := waitConverged(t, env, objs)
		waitSelfRotated(t, env, selfRotating)
		if got, want := creates(env.Sim)-before, len(managed); got != want {
			t.Errorf("%s: %d keys created, want exactly one per example (%d)", step.what, got, want)
		}
		if got := env.Sim.Requests(orysim.OpCreateProject) - projectsBefore; got != 0 {
			t.Errorf("%s: %d projects created, want none: a Project changes in place", step.what, got)
		}
		for _, o := range projects {
			if got, want := statuses[name(o)].AtProvider.ID, projectIDs[name(o)]; got != want {
				t.Errorf("%s: %s observes project %s, want the same project %s as before", step.what, name(o), got, want)
			}
		}
		for _, o := range changed {
			if diff := cmp.Diff(specs[name(o)], currentSpec(ctx, t, env.Client, o)); diff != "" {
				t.Errorf("%s: %s: the spec is not as applied (-want +got): the provider must not write into it:\n%s", step.what, name(o), diff)
			}
		}
	}

	before, projectsBefore := creates(env.Sim), env.Sim.Requests(orysim.OpCreateProject)
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
	if got := env.Sim.Requests(orysim.OpCreateProject) - projectsBefore; got != 0 {
		t.Errorf("a restart made %d projects: it must make none", got)
	}
}

// currentSpec returns o's spec as stored, without the fields the provider
// fills in by design (the late-initialized project or workspace; a
// referencing key's projectID is the reference resolver's).
func currentSpec(ctx context.Context, t *testing.T, c client.Client, o *unstructured.Unstructured) map[string]any {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(o.GroupVersionKind())
	if err := c.Get(ctx, client.ObjectKeyFromObject(o), u); err != nil {
		t.Fatal(err)
	}
	spec, _, _ := unstructured.NestedMap(u.Object, "spec")
	// A Project records its workspace, a key its project or workspace.
	field := "workspaceID"
	if !localenv.IsProject(o) {
		field = kindOf(o).Parent.Field
	}
	if _, set, _ := unstructured.NestedString(o.Object, "spec", "forProvider", field); !set {
		unstructured.RemoveNestedField(spec, "forProvider", field)
	}
	return spec
}
