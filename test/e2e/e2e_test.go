// Package e2e runs the provider binary, as its own process, against a real
// kube-apiserver and etcd (with kube-controller-manager's garbage collector)
// and the Ory console simulator, with the shipped examples applied unchanged
// (only their ProviderConfigs' spec.consoleURL is patched to the simulator),
// so that the examples stay true. It checks the binary reports the version
// `make build` stamped into it, that every example converges with its value
// in its Secret (the Projects of examples/project with their project in
// Ory, and the keys that find them by reference in those projects; the
// OAuth2Clients of examples/oauth2client with a secret that works at Ory,
// made through the project key of a ProjectAPIKey's connection Secret, and
// a public client with none), that
// each lives its life (renamed, rotated, the provider restarted; a client
// changed in place and its secret rotated with the old one still working),
// and that deleting the examples deletes the clients and keys the provider
// made and leaves the imported ones, and purges the projects whose deletion
// protection is off.
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
	var managed, imports, projects, clients []*unstructured.Unstructured
	for _, o := range objs {
		if localenv.IsProject(o) {
			projects = append(projects, o)
			continue
		}
		if o.GetKind() == config.OAuth2Client.Name {
			clients = append(clients, o)
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
	// WorkspaceAPIKey that rotates its own ProviderConfig's credentials, and
	// (examples/oauth2client) a ProjectAPIKey whose Secret is the
	// projectCredentials of the ProviderConfig of an OAuth2Client; fewer
	// means an example went missing or stopped being what
	// examples/README.md says.
	want := map[string]int{"ProjectAPIKey": 6, "WorkspaceAPIKey": 3}
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
	// examples/oauth2client: a confidential client of each scope, and a
	// public one.
	if scopes, public := scopesOf(clients), countFunc(clients, isPublic); len(clients) != 3 || !scopes[true] || !scopes[false] || public != 1 {
		t.Fatalf("examples/oauth2client: want a confidential OAuth2Client of each scope and a public one, got %d (%d public): %v", len(clients), public, scopes)
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
	// stored are the example OAuth2Clients as first stored, by name(o).
	stored := map[string]storedClient{}
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
		for _, o := range clients {
			stored[name(o)] = checkClient(ctx, t, env, o, statuses[name(o)])
		}
		// Exactly one client per example: a second would be a client whose
		// secret nobody holds.
		if got, want := len(env.Sim.OAuth2Clients(localenv.ExampleProjectID)), len(clients); got != want {
			t.Errorf("the examples' project holds %d OAuth2 clients, want %d (one per OAuth2Client)", got, want)
		}
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
		testExamplesLiveTheirLife(ctx, t, env, provider, objs, managed, projects, clients, selfRotating, projectIDs, stored)
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
		// The OAuth2Clients first: their ProviderConfigs reach Ory with the
		// key of an example ProjectAPIKey, which must exist to delete them.
		deleteAndWait(ctx, t, env.Client, clients)
		for _, o := range clients {
			s := statuses[name(o)]
			if _, ok := env.Sim.OAuth2Client(localenv.ExampleProjectID, s.KeyID); ok {
				t.Errorf("%s: client %s is still in the simulator after the resource was deleted", name(o), s.KeyID)
			}
			waitSecretCollected(ctx, t, env.Client, o, s)
		}
		if got := env.Sim.OAuth2Clients(localenv.ExampleProjectID); len(got) != 0 {
			t.Errorf("the examples' project holds %d OAuth2 clients after the examples were deleted, want none", len(got))
		}
		// Then the keys, then their Projects, as README's "A Project
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
			waitSecretCollected(ctx, t, env.Client, o, s)
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

// waitSecretCollected waits until the connection Secret of s, the status of
// the deleted example o, is gone: kube-controller-manager's garbage
// collector deletes it with its owner.
func waitSecretCollected(ctx context.Context, t *testing.T, c client.Client, o *unstructured.Unstructured, s localenv.KeyStatus) {
	t.Helper()
	eventually(t, "connection Secret of "+name(o)+" garbage collected", func() string {
		err := c.Get(ctx, types.NamespacedName{Namespace: s.Secret.Namespace, Name: s.Secret.Name}, &corev1.Secret{})
		if kerrors.IsNotFound(err) {
			return ""
		}
		return fmt.Sprintf("Secret %s/%s still exists (%v)", s.Secret.Namespace, s.Secret.Name, err)
	})
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
	return countFunc(objs, func(o *unstructured.Unstructured) bool { return o.GetKind() == kind })
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
// credentials (spec.credentials), and the ProjectAPIKeys whose Secret is the
// spec.projectCredentials of the OAuth2Clients' ProviderConfigs.
func credentialsOfProviderConfigs(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	creds := map[string]bool{}
	for _, o := range objs {
		if !localenv.IsProviderConfig(o) {
			continue
		}
		for _, ref := range [][]string{{"spec", "credentials", "secretRef"}, {"spec", "projectCredentials", "connectionSecretRef"}} {
			if r, _, _ := unstructured.NestedStringMap(o.Object, ref...); r["name"] != "" {
				creds[secretID(r["namespace"], o, r["name"])] = true
			}
		}
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

// waitSelfRotated waits, for each key resource that writes a
// ProviderConfig's credentials, until Ory answered a request with success
// that presented the key it holds now (a workspace key to the console, a
// project key to the project's own API, at the apiURL the key's Secret
// gives): the provider works with the key it wrote, and picks up a new one
// after a rotation.
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
					if (e.WorkspaceKeyID == s.KeyID || e.ProjectKeyID == s.KeyID) && s.KeyID != "" && e.Status/100 == 2 {
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

// testExamplesLiveTheirLife drives every shipped example that makes a key,
// a client or a project through what its users do with it, as applied, with
// its rotation and Secret metadata: a rename, a rotation trigger (keys and
// clients), and a provider restart. Each change must make exactly one key
// per key example (the shipped namespaced example once made a new key every
// few seconds after a rename, because its Secret metadata carried the
// provider's record into the spec), no client and no project: a Project is
// renamed in place, keeping its ID (projectIDs), and so is an OAuth2Client,
// whose rotation gives the same client a new secret while the old one keeps
// working through the example's overlap of 24h (stored holds each client's
// ID and secret as last seen). The keys whose Secrets are the
// ProviderConfigs' credentials (selfRotating) are replaced too, and the
// provider must go on calling Ory with the new ones. The spec must stay as
// applied, and a restart must make and rotate nothing.
func testExamplesLiveTheirLife(ctx context.Context, t *testing.T, env *localenv.Env, provider *localenv.Provider, objs, managed, projects, clients, selfRotating []*unstructured.Unstructured, projectIDs map[string]string, stored map[string]storedClient) {
	changed := slices.Concat(managed, projects, clients)
	specs := map[string]any{}
	for _, o := range changed {
		specs[name(o)] = currentSpec(ctx, t, env.Client, o)
	}
	steps := []struct {
		what   string
		patch  func(o *unstructured.Unstructured) string               // a merge patch of the spec; "" leaves o as it is
		change func(o *unstructured.Unstructured, spec map[string]any) // the same change, to the expected spec
		// rotates says that the step gives each client a new secret.
		rotates bool
	}{
		{
			what: "rename",
			patch: func(o *unstructured.Unstructured) string {
				f := nameField(o)
				n, _, _ := unstructured.NestedString(o.Object, "spec", "forProvider", f)
				return `{"spec":{"forProvider":{"` + f + `":"` + n + `-renamed"}}}`
			},
			change: func(o *unstructured.Unstructured, spec map[string]any) {
				n, _, _ := unstructured.NestedString(spec, "forProvider", nameField(o))
				_ = unstructured.SetNestedField(spec, n+"-renamed", "forProvider", nameField(o))
			},
		},
		{
			what: "rotation trigger",
			patch: func(o *unstructured.Unstructured) string {
				if localenv.IsProject(o) || isPublic(o) {
					return "" // a project or a public client has no secret to rotate
				}
				return `{"spec":{"forProvider":{"rotation":{"trigger":"e2e-rotated"}}}}`
			},
			change: func(_ *unstructured.Unstructured, spec map[string]any) {
				_ = unstructured.SetNestedField(spec, "e2e-rotated", "forProvider", "rotation", "trigger")
			},
			rotates: true,
		},
	}
	// retired are the clients' secrets a rotation replaced, by name(o):
	// each must keep working through the overlap.
	retired := map[string]string{}
	for _, step := range steps {
		before, projectsBefore := creates(env.Sim), env.Sim.Requests(orysim.OpCreateProject)
		clientsBefore, rotationsBefore := env.Sim.Requests(orysim.OpCreateOAuth2Client), succeeded(env.Sim, orysim.OpRotateOAuth2ClientSecret)
		for _, o := range changed {
			patch := step.patch(o)
			if patch == "" {
				continue
			}
			if err := env.Client.Patch(ctx, o.DeepCopy(), client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
				t.Fatalf("%s: %s: %v", step.what, name(o), err)
			}
			step.change(o, specs[name(o)].(map[string]any))
		}
		waitConverged(t, env, objs)
		// Two more polls: a loop would show as more creates.
		time.Sleep(25 * time.Second)
		keyStatuses, statuses := waitConverged(t, env, objs)
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
		if got := env.Sim.Requests(orysim.OpCreateOAuth2Client) - clientsBefore; got != 0 {
			t.Errorf("%s: %d OAuth2 clients created, want none: a client changes in place, and a rotation keeps it", step.what, got)
		}
		wantRotations := 0
		if step.rotates {
			wantRotations = len(clients) - countFunc(clients, isPublic)
		}
		if got := succeeded(env.Sim, orysim.OpRotateOAuth2ClientSecret) - rotationsBefore; got != wantRotations {
			t.Errorf("%s: %d client secrets rotated, want %d", step.what, got, wantRotations)
		}
		for _, o := range clients {
			was, now := stored[name(o)], checkClient(ctx, t, env, o, keyStatuses[name(o)])
			stored[name(o)] = now
			if now.id != was.id {
				t.Errorf("%s: %s is client %s, want the same client %s as before: a client changes in place, never replaced", step.what, name(o), now.id, was.id)
				continue
			}
			if rotated, want := now.secret != was.secret, step.rotates && !isPublic(o); rotated != want {
				t.Errorf("%s: %s: a new secret stored: %v, want %v", step.what, name(o), rotated, want)
			}
			if step.rotates && !isPublic(o) {
				retired[name(o)] = was.secret
			}
		}
		for n, old := range retired {
			if !env.Sim.SecretWorks(localenv.ExampleProjectID, stored[n].id, old) {
				t.Errorf("%s: %s: the secret the rotation replaced no longer works at Ory, within the example's overlap of 24h", step.what, n)
			}
		}
		for _, o := range changed {
			if diff := cmp.Diff(specs[name(o)], currentSpec(ctx, t, env.Client, o)); diff != "" {
				t.Errorf("%s: %s: the spec is not as applied (-want +got): the provider must not write into it:\n%s", step.what, name(o), diff)
			}
		}
	}

	before, projectsBefore := creates(env.Sim), env.Sim.Requests(orysim.OpCreateProject)
	clientsBefore, rotationsBefore := env.Sim.Requests(orysim.OpCreateOAuth2Client), succeeded(env.Sim, orysim.OpRotateOAuth2ClientSecret)
	if err := provider.Stop(); err != nil {
		t.Errorf("the provider did not stop cleanly: %v", err)
	}
	if err := provider.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(25 * time.Second)
	keyStatuses, _ := waitConverged(t, env, objs)
	waitSelfRotated(t, env, selfRotating)
	if got := creates(env.Sim) - before; got != 0 {
		t.Errorf("a restart made %d keys: it must make none (the values are in their Secrets)", got)
	}
	if got := env.Sim.Requests(orysim.OpCreateProject) - projectsBefore; got != 0 {
		t.Errorf("a restart made %d projects: it must make none", got)
	}
	if got, rotated := env.Sim.Requests(orysim.OpCreateOAuth2Client)-clientsBefore, succeeded(env.Sim, orysim.OpRotateOAuth2ClientSecret)-rotationsBefore; got != 0 || rotated != 0 {
		t.Errorf("a restart made %d OAuth2 clients and rotated %d secrets: it must do neither (the secrets are in their Secrets)", got, rotated)
	}
	for _, o := range clients {
		if now := checkClient(ctx, t, env, o, keyStatuses[name(o)]); now != stored[name(o)] {
			t.Errorf("after a restart %s holds client %s and another secret (%v), want client %s and the same secret", name(o), now.id, now.secret != stored[name(o)].secret, stored[name(o)].id)
		}
		if old, ok := retired[name(o)]; ok && !env.Sim.SecretWorks(localenv.ExampleProjectID, stored[name(o)].id, old) {
			t.Errorf("after a restart the secret of %s the rotation replaced no longer works at Ory, within the example's overlap of 24h", name(o))
		}
	}
}

// isPublic reports whether example o is a public OAuth2 client, one
// without a secret (tokenEndpointAuthMethod none).
func isPublic(o *unstructured.Unstructured) bool {
	m, _, _ := unstructured.NestedString(o.Object, "spec", "forProvider", "tokenEndpointAuthMethod")
	return o.GetKind() == config.OAuth2Client.Name && m == "none"
}

// countFunc counts the objects for which f is true.
func countFunc(objs []*unstructured.Unstructured, f func(*unstructured.Unstructured) bool) int {
	n := 0
	for _, o := range objs {
		if f(o) {
			n++
		}
	}
	return n
}

// nameField is the field of spec.forProvider that names example o in Ory:
// clientName for an OAuth2Client, name for the rest.
func nameField(o *unstructured.Unstructured) string {
	if o.GetKind() == config.OAuth2Client.Name {
		return "clientName"
	}
	return "name"
}

// succeeded counts the requests of operation op the simulator answered
// with success.
func succeeded(sim *orysim.Server, op string) int {
	n := 0
	for _, e := range sim.RequestLog() {
		if e.Operation == op && e.Status/100 == 2 {
			n++
		}
	}
	return n
}

// storedClient is an example OAuth2Client as a check last saw it: its
// client ID and the secret its connection Secret held. Never print secret.
type storedClient struct{ id, secret string }

// checkClient checks the example OAuth2Client o, converged as s: Ory holds
// the client in the examples' project (the project of its ProviderConfig's
// projectCredentials) under its external name, with the spec's clientName;
// its connection Secret holds the client's ID, its current secret, which
// works at Ory, the project, and the URLs of the project's API as the
// simulator serves it (localenv points projectAPIURLTemplate there, so the
// ProjectAPIKey's Secret carries that apiURL); and the Secret is owned by the
// resource. It returns what the Secret holds.
func checkClient(ctx context.Context, t *testing.T, env *localenv.Env, o *unstructured.Unstructured, s localenv.KeyStatus) storedClient {
	t.Helper()
	secret := connectionSecret(ctx, t, env.Client, s)
	got := storedClient{id: string(secret.Data[common.ConnectionKeyClientID]), secret: string(secret.Data[common.ConnectionKeyClientSecret])}
	c, ok := env.Sim.OAuth2Client(localenv.ExampleProjectID, s.KeyID)
	if !ok {
		t.Errorf("%s: client %s is not in the examples' project", name(o), s.KeyID)
		return got
	}
	wantName, _, _ := unstructured.NestedString(currentSpec(ctx, t, env.Client, o), "forProvider", "clientName")
	if c.Doc["client_name"] != wantName {
		t.Errorf("%s: the client in Ory is named %v, want %q", name(o), c.Doc["client_name"], wantName)
	}
	if s.ExternalName != c.ID {
		t.Errorf("%s: external name %q, want the client's ID %s", name(o), s.ExternalName, c.ID)
	}
	p, _ := env.Sim.Project(localenv.ExampleProjectID)
	apiURL := orysim.ProjectAPIURL(env.SimURL, p.Slug)
	for k, want := range map[string]string{
		common.ConnectionKeyClientID:         c.ID,
		common.ConnectionKeyProjectID:        localenv.ExampleProjectID,
		common.ConnectionKeyIssuerURL:        apiURL,
		common.ConnectionKeyTokenURL:         apiURL + "/oauth2/token",
		common.ConnectionKeyAuthorizationURL: apiURL + "/oauth2/auth",
	} {
		if got := string(secret.Data[k]); got != want {
			t.Errorf("%s: connection Secret %s/%s key %q: want %q, got %q", name(o), secret.Namespace, secret.Name, k, want, got)
		}
	}
	// Never print a secret, not even a simulated one.
	switch {
	case isPublic(o):
		// A public client has no secret, in Ory or in its Secret, and
		// the provider says so.
		if got.secret != "" || c.Secret != "" || !s.NoSecret {
			t.Errorf("%s: a public client: its Secret holds a %s: %v, Ory holds a secret: %v, the provider reports NoSecret: %v; want no, no, yes", name(o), common.ConnectionKeyClientSecret, got.secret != "", c.Secret != "", s.NoSecret)
		}
	case got.secret == "":
		t.Errorf("%s: connection Secret %s/%s holds no %s", name(o), secret.Namespace, secret.Name, common.ConnectionKeyClientSecret)
	case got.secret != c.Secret:
		t.Errorf("%s: connection Secret %s/%s: %s is %s, want the client's current secret %s", name(o), secret.Namespace, secret.Name, common.ConnectionKeyClientSecret, localenv.Mask([]byte(got.secret)), localenv.Mask([]byte(c.Secret)))
	case !env.Sim.SecretWorks(localenv.ExampleProjectID, c.ID, got.secret):
		t.Errorf("%s: the stored secret does not work at Ory", name(o))
	}
	if ctl := metav1.GetControllerOf(secret); ctl == nil || ctl.Name != o.GetName() || ctl.Kind != o.GetKind() {
		t.Errorf("%s: connection Secret's controller is %v, want the %s (the garbage collector deletes the Secret with it)", name(o), ctl, o.GetKind())
	}
	return got
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
