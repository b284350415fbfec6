package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
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

// uniqueName returns a key name nobody else in the shared simulator uses.
func uniqueName(ns, base string) string { return ns + "-" + base }

func create(t *testing.T, o client.Object) {
	t.Helper()
	h.Create(t, o)
}

// keysNamed returns the keys of a project with a name.
func keysNamed(p orysim.Project, name string) []orysim.Key { return h.KeysNamed(p.ID, name) }

// waitStored waits until k is Ready with exactly one key in Ory under its
// name, that key is k's external name, and k's Secret holds its value, ID,
// project ID and the project's API URL.
func waitStored(t *testing.T, k testkit.ProjectKey, p orysim.Project) orysim.Key {
	t.Helper()
	h.WaitReady(t, k)
	var key orysim.Key
	h.Eventually(t, "the key stored in "+k.GetName()+"'s Secret", func() (bool, string) {
		if err := h.Refresh(k); err != nil {
			return false, err.Error()
		}
		keys := keysNamed(p, k.Parameters().Name)
		if len(keys) != 1 {
			return false, fmt.Sprintf("project %s holds %d keys named %q", p.Slug, len(keys), k.Parameters().Name)
		}
		key = keys[0]
		if got := meta.GetExternalName(k); got != key.ID {
			return false, fmt.Sprintf("external name %q, key %q", got, key.ID)
		}
		s := h.ConnectionSecret(t, k)
		if s == nil {
			return false, "no connection Secret"
		}
		if string(s.Data[common.ConnectionKeyValue]) != key.Value {
			return false, "the Secret's value is not the key's"
		}
		if string(s.Data[common.ConnectionKeyID]) != key.ID || string(s.Data[common.ConnectionKeyProjectID]) != p.ID {
			return false, fmt.Sprintf("Secret keyID=%q projectID=%q", s.Data[common.ConnectionKeyID], s.Data[common.ConnectionKeyProjectID])
		}
		if want := "https://" + p.Slug + ".projects.oryapis.com"; string(s.Data[common.ConnectionKeyAPIURL]) != want {
			return false, fmt.Sprintf("Secret apiURL=%q, want %q", s.Data[common.ConnectionKeyAPIURL], want)
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
