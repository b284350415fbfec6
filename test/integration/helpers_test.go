package integration

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/console"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

const waitTimeout = 30 * time.Second

// forEachScope runs a scenario for both scopes, in parallel, each in a
// namespace of its own.
func forEachScope(t *testing.T, scenario func(t *testing.T, s testkit.Scope, ns string)) {
	for _, s := range testkit.Scopes {
		t.Run(string(s), func(t *testing.T) {
			t.Parallel()
			scenario(t, s, h.NewNamespace(t, ""))
		})
	}
}

// forEachKind runs a scenario for every key kind (testkit.Kinds) and both
// scopes, all in parallel, each in a namespace of its own: a promise of the
// engine holds for every kind.
func forEachKind(t *testing.T, scenario func(t *testing.T, kind testkit.Kind, s testkit.Scope, ns string)) {
	for _, kind := range testkit.Kinds {
		t.Run(kind.Name, func(t *testing.T) {
			t.Parallel()
			forEachScope(t, func(t *testing.T, s testkit.Scope, ns string) { scenario(t, kind, s, ns) })
		})
	}
}

// parentOf is the holder of the shared configs' keys of a kind: the default
// project, or the workspace of the shared credentials.
func parentOf(kind testkit.Kind) string {
	if kind.Name == testkit.WorkspaceAPIKey.Name {
		return workspace.ID
	}
	return project.ID
}

// newKey returns a key of kind and scope s for the test namespace ns, named
// name in Kubernetes and uniqueName(ns, name) in Ory, in the shared
// configs' project or workspace.
func newKey(kind testkit.Kind, s testkit.Scope, ns, name string) testkit.Key {
	return kind.New(s, ns, name, common.KeyParameters{Name: uniqueName(ns, name)}, "")
}

// keyIn returns the key id of a kind held by parent.
func keyIn(kind testkit.Kind, parent, id string) (orysim.Key, bool) {
	for _, k := range kind.KeysIn(sim, parent) {
		if k.ID == id {
			return k, true
		}
	}
	return orysim.Key{}, false
}

// seedKey stores a key of kind in parent as if made before the provider,
// with its lastCharacters recorded.
func seedKey(t *testing.T, kind testkit.Kind, parent, name string) orysim.Key {
	t.Helper()
	spec := orysim.KeySpec{Project: parent, Name: name}
	if kind.Name == testkit.WorkspaceAPIKey.Name {
		spec = orysim.KeySpec{Workspace: parent, Name: name}
	}
	k, err := sim.CreateKey(spec)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// deleteInOry deletes a key of kind behind the provider's back, through the
// console API with the shared workspace key.
func deleteInOry(t *testing.T, kind testkit.Kind, parent, id string) {
	t.Helper()
	c := console.New(simURL, workspaceKey, http.DefaultClient, "test")
	var err error
	if kind.Name == testkit.WorkspaceAPIKey.Name {
		err = c.DeleteWorkspaceKey(context.Background(), parent, id)
	} else {
		err = c.DeleteProjectKey(context.Background(), parent, id)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// importWithValue creates a key resource of kind and scope s named name
// that imports key seeded by its external name, with its value from Secret
// <name>-value in ns holding value (importValueFrom), and returns it.
func importWithValue(t *testing.T, kind testkit.Kind, s testkit.Scope, ns, name string, seeded orysim.Key, value string) testkit.Key {
	t.Helper()
	create(t, &corev1.Secret{ObjectMeta: objectMeta(ns, name+"-value"), StringData: map[string]string{"v": value}})
	src := &common.ValueSource{Name: name + "-value", Key: "v"}
	if s == testkit.Cluster {
		src.Namespace = ns
	}
	k := kind.New(s, ns, name, common.KeyParameters{Name: seeded.Name, ImportValueFrom: src}, "")
	meta.SetExternalName(k, seeded.ID)
	create(t, k)
	return k
}

// uniqueName returns a key name nobody else in the shared simulator uses.
func uniqueName(ns, base string) string { return ns + "-" + base }

func create(t *testing.T, o client.Object) {
	t.Helper()
	h.Create(t, o)
}

// keysNamed returns the keys of a project or workspace (by ID) with a name.
func keysNamed(parent, name string) []orysim.Key { return h.KeysNamed(parent, name) }

// observed is what every key kind reports of its key in status.atProvider.
type observed interface {
	KeyObservation() *common.KeyObservation
	ObservedParentID() *string
}

// waitStored waits until k is Ready with exactly one key in Ory under its
// name in parent (a project or workspace ID), that key is k's external
// name, and k's Secret holds exactly the kind's connection keys: the key's
// value, ID and parent ID, and for a project key the project's API URL.
func waitStored(t *testing.T, k testkit.Key, parent string) orysim.Key {
	t.Helper()
	h.WaitReady(t, k)
	kind := testkit.KindOf(k)
	var key orysim.Key
	h.Eventually(t, "the key stored in "+k.GetName()+"'s Secret", func() (bool, string) {
		if err := h.Refresh(k); err != nil {
			return false, err.Error()
		}
		keys := keysNamed(parent, k.KeyParameters().Name)
		if len(keys) != 1 {
			return false, fmt.Sprintf("%s %s holds %d keys named %q", kind.Parent.Noun, parent, len(keys), k.KeyParameters().Name)
		}
		key = keys[0]
		if got := meta.GetExternalName(k); got != key.ID {
			return false, fmt.Sprintf("external name %q, key %q", got, key.ID)
		}
		s := h.ConnectionSecret(t, k)
		if s == nil {
			return false, "no connection Secret"
		}
		want := map[string]string{
			common.ConnectionKeyValue: key.Value,
			common.ConnectionKeyID:    key.ID,
			kind.Parent.Field:         parent,
		}
		if kind.Name == testkit.ProjectAPIKey.Name {
			p, _ := sim.Project(parent)
			want[common.ConnectionKeyAPIURL] = "https://" + p.Slug + ".projects.oryapis.com"
		}
		var got []string
		for dk := range s.Data {
			got = append(got, dk)
		}
		slices.Sort(got)
		if !slices.Equal(got, slices.Sorted(slices.Values(kind.ConnectionKeys))) {
			return false, fmt.Sprintf("Secret keys %v, want the kind's %v", got, kind.ConnectionKeys)
		}
		for dk, v := range want {
			if string(s.Data[dk]) != v {
				if dk == common.ConnectionKeyValue {
					return false, "the Secret's value is not the key's"
				}
				return false, fmt.Sprintf("Secret %s=%q, want %q", dk, s.Data[dk], v)
			}
		}
		return true, ""
	})
	return key
}

// configFor makes a config of the key's scope named name, in ns for the
// namespaced scope, with credentials token, and points k at it.
func configFor(t *testing.T, k testkit.Key, ns, name, token string, allowed ...string) {
	t.Helper()
	h.ConfigFor(t, k, ns, name, map[string]string{"token": token}, project.ID, allowed...)
}

func objectMeta(ns, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name}
}
