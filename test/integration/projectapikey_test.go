package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

func TestCreate(t *testing.T) {
	forEachScope(t, func(t *testing.T, s testkit.Scope, ns string) {
		k := testkit.NewProjectKey(s, ns, "payments", common.ProjectAPIKeyParameters{KeyParameters: common.KeyParameters{Name: uniqueName(ns, "payments")}})
		create(t, k)
		key := waitStored(t, k, project)
		if got := k.Parameters().ProjectID; got != project.ID {
			t.Errorf("spec.forProvider.projectID = %q, want the ProviderConfig's default %q recorded", got, project.ID)
		}
		if got := k.Observation(); got.ID != key.ID || got.ProjectID != project.ID || got.OwnerID != key.OwnerID || got.LastCharacters != key.LastCharacters || got.CreatedAt == nil {
			t.Errorf("status.atProvider = %+v, want the key as Ory reports it", got)
		}
		if c := k.GetCondition(common.TypeValue); c.Reason != common.ReasonValueStored {
			t.Errorf("KeyValue condition = %s/%s, want Stored", c.Status, c.Reason)
		}
		if s := h.ConnectionSecret(t, k); !metav1IsControlledBy(s, k) {
			t.Error("the connection Secret is not controlled by its ProjectAPIKey")
		}
	})
}

func TestImport(t *testing.T) {
	cases := map[string]struct {
		reason string
		name   func(p orysim.Project, k orysim.Key) string
	}{
		"KeyID": {
			reason: "The short form: the project comes from the ProviderConfig.",
			name:   func(_ orysim.Project, k orysim.Key) string { return k.ID },
		},
		"ProjectAndKeyID": {
			reason: "The long form names the project, here not the ProviderConfig's default.",
			name:   func(p orysim.Project, k orysim.Key) string { return p.ID + "/" + k.ID },
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			forEachScope(t, func(t *testing.T, s testkit.Scope, ns string) {
				p := project
				if name == "ProjectAndKeyID" {
					p = other
				}
				keyName := uniqueName(ns, "imported")
				seeded := sim.SeedKey(p.ID, keyName, nil, true)
				k := testkit.NewProjectKey(s, ns, "imported", common.ProjectAPIKeyParameters{KeyParameters: common.KeyParameters{Name: keyName}})
				testkit.ObserveOnly(k)
				meta.SetExternalName(k, tc.name(p, seeded))
				create(t, k)
				h.WaitReady(t, k)
				h.Eventually(t, "the unknown value surfaced", func() (bool, string) {
					if err := h.Refresh(k); err != nil {
						return false, err.Error()
					}
					c := k.GetCondition(common.TypeValue)
					return c.Status == corev1.ConditionFalse && c.Reason == common.ReasonValueUnknown, string(c.Reason)
				})
				if got := k.Observation(); got.ID != seeded.ID || got.ProjectID != p.ID {
					t.Errorf("%s\nstatus.atProvider = %+v, want key %s of project %s", tc.reason, got, seeded.ID, p.ID)
				}
				if n := len(keysNamed(p, keyName)); n != 1 {
					t.Errorf("%s\nproject holds %d keys named %q after an import, want the one", tc.reason, n, keyName)
				}
				if sec := h.ConnectionSecret(t, k); sec != nil && len(sec.Data[common.ConnectionKeyValue]) > 0 {
					t.Errorf("%s\nthe Secret has a value for an imported key, whose value nobody knows", tc.reason)
				}
				waitEvent(t, k, string(common.ReasonValueUnknown))
			})
		})
	}
}

func TestReplaceOnNameChange(t *testing.T) {
	forEachScope(t, func(t *testing.T, s testkit.Scope, ns string) {
		k := testkit.NewProjectKey(s, ns, "rotating", common.ProjectAPIKeyParameters{KeyParameters: common.KeyParameters{Name: uniqueName(ns, "v1")}})
		create(t, k)
		old := waitStored(t, k, project)

		// At the moment Ory deletes the old key, the Secret must already
		// hold the new key's value.
		checked := make(chan string, 1)
		deleteHooks.Store(old.ID, func() {
			sec := h.ConnectionSecret(t, k)
			v := string(sec.Data[common.ConnectionKeyValue])
			switch {
			case v == old.Value:
				checked <- "the Secret still held the old value when the old key was deleted"
			case len(keysNamed(project, uniqueName(ns, "v2"))) != 1 || keysNamed(project, uniqueName(ns, "v2"))[0].Value != v:
				checked <- "the Secret did not hold the new key's value when the old key was deleted"
			default:
				checked <- ""
			}
		})
		t.Cleanup(func() { deleteHooks.Delete(old.ID) })

		h.Update(t, k, func() { p := k.Parameters(); p.Name = uniqueName(ns, "v2") })
		key := waitStored(t, k, project)
		if key.ID == old.ID {
			t.Fatal("the key was not replaced")
		}
		select {
		case msg := <-checked:
			if msg != "" {
				t.Error(msg)
			}
		case <-time.After(waitTimeout):
			t.Fatal("the old key was never deleted")
		}
		if _, ok := sim.Key(project.ID, old.ID); ok {
			t.Error("the old key still exists")
		}
		if n := len(keysNamed(project, uniqueName(ns, "v1"))) + len(keysNamed(project, uniqueName(ns, "v2"))); n != 1 {
			t.Errorf("Ory holds %d keys of this resource, want exactly one", n)
		}
		h.Eventually(t, "the retired keys cleared", func() (bool, string) {
			if err := h.Refresh(k); err != nil {
				return false, err.Error()
			}
			got := k.GetAnnotations()[common.AnnotationRetiredKeys]
			return got == "", "retired keys: " + got
		})
	})
}

func TestDelete(t *testing.T) {
	cases := map[string]struct {
		reason   string
		orphan   bool
		wantKept bool
	}{
		"Delete": {reason: "Deleting the resource deletes its key and then the finalizer."},
		"Orphan": {reason: "Without Delete in the management policies (or with deletionPolicy Orphan) the key stays in Ory.", orphan: true, wantKept: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			forEachScope(t, func(t *testing.T, s testkit.Scope, ns string) {
				k := testkit.NewProjectKey(s, ns, "doomed", common.ProjectAPIKeyParameters{KeyParameters: common.KeyParameters{Name: uniqueName(ns, "doomed")}})
				if tc.orphan {
					testkit.Orphan(k)
				}
				create(t, k)
				key := waitStored(t, k, project)
				if err := kube.Delete(context.Background(), k); err != nil {
					t.Fatal(err)
				}
				// The runtime trusts a key's absence only 30 s after its
				// creation (its creation grace period), so finalizing waits.
				h.Within(30*time.Second+waitTimeout).Eventually(t, "the resource gone", func() (bool, string) {
					err := h.Refresh(k)
					return kerrors.IsNotFound(err), fmt.Sprintf("finalizers %v, conditions %+v, err %v", k.GetFinalizers(), k.GetCondition(xpv2.TypeSynced), err)
				})
				_, kept := sim.Key(project.ID, key.ID)
				if kept != tc.wantKept {
					t.Errorf("%s\nkey kept in Ory: %v, want %v", tc.reason, kept, tc.wantKept)
				}
			})
		})
	}
}

func TestGuardrails(t *testing.T) {
	cases := map[string]struct {
		reason  string
		setup   func(t *testing.T, s testkit.Scope, k testkit.ProjectKey, ns string)
		wantMsg string
	}{
		"ProjectNotAllowed": {
			reason: "allowedProjectIDs refuses a key for any other project, before any call to Ory.",
			setup: func(t *testing.T, s testkit.Scope, k testkit.ProjectKey, ns string) {
				configFor(t, k, ns, "restricted", workspaceKey, other.ID)
			},
			wantMsg: "is not in the allowedProjectIDs",
		},
		"UnknownWorkspaceKey": {
			reason: "A wrong workspace key is reported as such.",
			setup: func(t *testing.T, s testkit.Scope, k testkit.ProjectKey, ns string) {
				configFor(t, k, ns, "badkey", "ory_wak_unknown")
			},
			wantMsg: "workspace API key is invalid or revoked",
		},
		"ProjectKeyInsteadOfWorkspaceKey": {
			reason: "A project key where a workspace key is needed gets its own explanation.",
			setup: func(t *testing.T, s testkit.Scope, k testkit.ProjectKey, ns string) {
				configFor(t, k, ns, "patkey", "ory_pat_not_a_workspace_key")
			},
			wantMsg: "workspace key (ory_wak_) is needed",
		},
		"MissingConfig": {
			reason: "A ProviderConfig that does not exist is named.",
			setup: func(t *testing.T, s testkit.Scope, k testkit.ProjectKey, ns string) {
				testkit.UseConfig(k, "does-not-exist")
			},
			wantMsg: "does-not-exist does not exist",
		},
		"MissingCredentials": {
			reason: "A ProviderConfig whose credentials Secret is missing says which Secret to create.",
			setup: func(t *testing.T, s testkit.Scope, k testkit.ProjectKey, ns string) {
				configFor(t, k, ns, "nocreds", workspaceKey)
				if err := kube.Delete(context.Background(), &corev1.Secret{ObjectMeta: objectMeta(ns, "nocreds-creds")}); err != nil {
					t.Fatal(err)
				}
			},
			wantMsg: "nocreds-creds does not exist",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			forEachScope(t, func(t *testing.T, s testkit.Scope, ns string) {
				keyName := uniqueName(ns, "guarded")
				k := testkit.NewProjectKey(s, ns, "guarded", common.ProjectAPIKeyParameters{KeyParameters: common.KeyParameters{Name: keyName}})
				tc.setup(t, s, k, ns)
				create(t, k)
				h.WaitSyncError(t, k, tc.wantMsg)
				waitEvent(t, k, "")
				if n := len(keysNamed(project, keyName)) + len(keysNamed(other, keyName)); n != 0 {
					t.Errorf("%s\n%d keys created", tc.reason, n)
				}
			})
		})
	}
}

// TestNamespacedIsolation shows that a namespaced resource can use neither a
// ProviderConfig nor, through its own ProviderConfig, a Secret of another
// namespace.
func TestNamespacedIsolation(t *testing.T) {
	nsA, nsB := h.NewNamespace(t, ""), h.NewNamespace(t, "")
	h.NewConfig(t, testkit.Namespaced, nsB, "team-b", map[string]string{"token": workspaceKey}, project.ID)

	k := testkit.NewProjectKey(testkit.Namespaced, nsA, "borrower", common.ProjectAPIKeyParameters{KeyParameters: common.KeyParameters{Name: uniqueName(nsA, "borrower")}})
	testkit.UseConfig(k, "team-b")
	create(t, k)
	h.WaitSyncError(t, k, "ProviderConfig "+nsA+"/team-b does not exist")

	// The namespaced ProviderConfig's credentials have no namespace field:
	// the API server prunes one, and the Secret is read from the config's
	// own namespace.
	pc := &namespacedv1alpha1.ProviderConfig{}
	if err := kube.Get(context.Background(), client.ObjectKey{Namespace: nsB, Name: "team-b"}, pc); err != nil {
		t.Fatal(err)
	}
	if n := len(keysNamed(project, uniqueName(nsA, "borrower"))); n != 0 {
		t.Errorf("%d keys created through another namespace's ProviderConfig", n)
	}
}

// TestProviderConfigUsage shows that the config controllers count the usages
// the ProjectAPIKey controllers write, so a config in use shows its users.
func TestProviderConfigUsage(t *testing.T) {
	forEachScope(t, func(t *testing.T, s testkit.Scope, ns string) {
		k := testkit.NewProjectKey(s, ns, "user", common.ProjectAPIKeyParameters{KeyParameters: common.KeyParameters{Name: uniqueName(ns, "user")}})
		configFor(t, k, ns, "counted", workspaceKey)
		create(t, k)
		waitStored(t, k, project)
		var pc interface {
			client.Object
			GetUsers() int64
		}
		if s == testkit.Namespaced {
			pc = &namespacedv1alpha1.ProviderConfig{}
			pc.SetNamespace(ns)
			pc.SetName("counted")
		} else {
			pc = &clusterv1alpha1.ProviderConfig{}
			pc.SetName(ns + "-counted")
		}
		h.Eventually(t, "the config to count its user", func() (bool, string) {
			if err := h.Refresh(pc); err != nil {
				return false, err.Error()
			}
			return pc.GetUsers() == 1, fmt.Sprintf("users = %d", pc.GetUsers())
		})
	})
}

// waitEvent waits for a Warning (reason "" = any) or Normal event with
// reason about k.
func waitEvent(t *testing.T, k testkit.ProjectKey, reason string) {
	t.Helper()
	h.Eventually(t, "an event "+reason+" about "+k.GetName(), func() (bool, string) {
		es, err := h.EventsAbout(k.GetNamespace(), k.GetName())
		if err != nil {
			return false, err.Error()
		}
		var seen []string
		for _, e := range es {
			seen = append(seen, e.Reason)
			if reason == "" && e.Type == corev1.EventTypeWarning || e.Reason == reason {
				return true, ""
			}
		}
		return false, "events: " + strings.Join(seen, ", ")
	})
}

func metav1IsControlledBy(s *corev1.Secret, k testkit.ProjectKey) bool {
	if s == nil {
		return false
	}
	for _, o := range s.OwnerReferences {
		if o.Controller != nil && *o.Controller && o.UID == k.GetUID() {
			return true
		}
	}
	return false
}
