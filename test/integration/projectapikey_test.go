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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// TestCreate makes a key of every kind and scope with the ProviderConfig's
// default parent: its value and the kind's connection details are stored,
// the parent recorded in the spec, the key reported as Ory has it.
func TestCreate(t *testing.T) {
	forEachKind(t, func(t *testing.T, kind testkit.Kind, s testkit.Scope, ns string) {
		k := newKey(kind, s, ns, "payments")
		create(t, k)
		parent := parentOf(kind)
		key := waitStored(t, k, parent)
		if got := *k.ParentID(); got != parent {
			t.Errorf("spec.forProvider.%s = %q, want the ProviderConfig's default %q recorded", kind.Parent.Field, got, parent)
		}
		o := k.(observed)
		if got := o.KeyObservation(); got.ID != key.ID || got.OwnerID != key.OwnerID || got.LastCharacters != key.LastCharacters || got.CreatedAt == nil || *o.ObservedParentID() != parent {
			t.Errorf("status.atProvider = %+v (%s %q), want the key as Ory reports it", got, kind.Parent.Field, *o.ObservedParentID())
		}
		if !strings.HasPrefix(key.Value, kind.ValuePrefix) {
			t.Errorf("Ory made a key whose value does not start with %s", kind.ValuePrefix)
		}
		if c := k.GetCondition(common.TypeValue); c.Reason != common.ReasonValueStored {
			t.Errorf("KeyValue condition = %s/%s, want Stored", c.Status, c.Reason)
		}
		if s := h.ConnectionSecret(t, k); !metav1IsControlledBy(s, k) {
			t.Errorf("the connection Secret is not controlled by its %s", kind.Name)
		}
	})
}

func TestImport(t *testing.T) {
	cases := map[string]struct {
		reason string
		// parent is the holder of the imported key; other says to take
		// another than the ProviderConfig's default, where the kind has one.
		other bool
		name  func(parent string, k orysim.Key) string
	}{
		"KeyID": {
			reason: "The short form: the parent comes from the ProviderConfig.",
			name:   func(_ string, k orysim.Key) string { return k.ID },
		},
		"ParentAndKeyID": {
			reason: "The long form names the parent: for a project key not the ProviderConfig's default (a workspace key reaches only its own workspace).",
			other:  true,
			name:   func(parent string, k orysim.Key) string { return parent + "/" + k.ID },
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			forEachKind(t, func(t *testing.T, kind testkit.Kind, s testkit.Scope, ns string) {
				parent := parentOf(kind)
				if tc.other && kind.Name == testkit.ProjectAPIKey.Name {
					parent = other.ID
				}
				keyName := uniqueName(ns, "imported")
				seeded := seedKey(t, kind, parent, keyName)
				k := newKey(kind, s, ns, "imported")
				testkit.ObserveOnly(k)
				meta.SetExternalName(k, tc.name(parent, seeded))
				create(t, k)
				h.WaitReady(t, k)
				h.Eventually(t, "the unknown value surfaced", func() (bool, string) {
					if err := h.Refresh(k); err != nil {
						return false, err.Error()
					}
					c := k.GetCondition(common.TypeValue)
					return c.Status == corev1.ConditionFalse && c.Reason == common.ReasonValueUnknown, string(c.Reason)
				})
				o := k.(observed)
				if got := o.KeyObservation(); got.ID != seeded.ID || *o.ObservedParentID() != parent {
					t.Errorf("%s\nstatus.atProvider = %+v (%s %q), want key %s of %s", tc.reason, got, kind.Parent.Field, *o.ObservedParentID(), seeded.ID, parent)
				}
				if n := len(keysNamed(parent, keyName)); n != 1 {
					t.Errorf("%s\n%s holds %d keys named %q after an import, want the one", tc.reason, kind.Parent.Noun, n, keyName)
				}
				if sec := h.ConnectionSecret(t, k); sec != nil && len(sec.Data[common.ConnectionKeyValue]) > 0 {
					t.Errorf("%s\nthe Secret has a value for an imported key, whose value nobody knows", tc.reason)
				}
				waitEvent(t, k, string(common.ReasonValueUnknown))
			})
		})
	}
}

// TestImportValueFrom imports a key by external name with its value from a
// Secret (importValueFrom): the value is published only once it is checked
// against the key's lastCharacters in Ory, and a value of the kind's shape
// that ends otherwise is refused.
func TestImportValueFrom(t *testing.T) {
	cases := map[string]struct {
		reason     string
		value      func(key orysim.Key) string
		wantValue  bool
		wantReason xpv2.ConditionReason
	}{
		"Matches": {
			reason:    "The key's own value ends in its lastCharacters: published, and the key managed from then on.",
			value:     func(key orysim.Key) string { return key.Value },
			wantValue: true,
		},
		"OtherLastCharacters": {
			reason:     "A value of the kind's shape that ends otherwise is another key's, and is refused: it would be published as this key's.",
			value:      func(key orysim.Key) string { return otherEnding(key.Value) },
			wantReason: common.ReasonImportedValueMismatch,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			forEachKind(t, func(t *testing.T, kind testkit.Kind, s testkit.Scope, ns string) {
				parent := parentOf(kind)
				seeded := seedKey(t, kind, parent, uniqueName(ns, "valued"))
				k := importWithValue(t, kind, s, ns, "valued", seeded, tc.value(seeded))
				if !tc.wantValue {
					h.Eventually(t, "the value refused", func() (bool, string) {
						if err := h.Refresh(k); err != nil {
							return false, err.Error()
						}
						c := k.GetCondition(common.TypeValue)
						return c.Status == corev1.ConditionFalse && c.Reason == tc.wantReason, fmt.Sprintf("%s/%s: %s", c.Status, c.Reason, c.Message)
					})
					if sec := h.ConnectionSecret(t, k); sec != nil && len(sec.Data[common.ConnectionKeyValue]) > 0 {
						t.Errorf("%s\na value that is not the key's was published", tc.reason)
					}
					if _, ok := keyIn(kind, parent, seeded.ID); !ok {
						t.Errorf("%s\nthe imported key was deleted", tc.reason)
					}
					return
				}
				if got := waitStored(t, k, parent); got.ID != seeded.ID {
					t.Errorf("%s\nthe resource holds key %s, want the imported %s", tc.reason, got.ID, seeded.ID)
				}
				if c := k.GetCondition(common.TypeValue); c.Reason != common.ReasonValueStored {
					t.Errorf("%s\nKeyValue = %s/%s, want Stored", tc.reason, c.Status, c.Reason)
				}
			})
		})
	}
}

// otherEnding returns v with its last character changed.
func otherEnding(v string) string {
	last := "a"
	if strings.HasSuffix(v, last) {
		last = "b"
	}
	return v[:len(v)-1] + last
}

func TestReplaceOnNameChange(t *testing.T) {
	forEachKind(t, func(t *testing.T, kind testkit.Kind, s testkit.Scope, ns string) {
		parent := parentOf(kind)
		k := kind.New(s, ns, "rotating", common.KeyParameters{Name: uniqueName(ns, "v1")}, "")
		create(t, k)
		old := waitStored(t, k, parent)

		// At the moment Ory deletes the old key, the Secret must already
		// hold the new key's value. The hook runs on the simulator's
		// goroutine, so it reads the Secret by a copy of its reference,
		// never through k, which this test's goroutine refreshes.
		checked := make(chan string, 1)
		ref := testkit.SecretRef(k)
		deleteHooks.Store(old.ID, func() {
			sec := &corev1.Secret{}
			if err := kube.Get(context.Background(), ref, sec); err != nil {
				checked <- "cannot read the Secret when the old key was deleted: " + err.Error()
				return
			}
			v := string(sec.Data[common.ConnectionKeyValue])
			switch {
			case v == old.Value:
				checked <- "the Secret still held the old value when the old key was deleted"
			case len(keysNamed(parent, uniqueName(ns, "v2"))) != 1 || keysNamed(parent, uniqueName(ns, "v2"))[0].Value != v:
				checked <- "the Secret did not hold the new key's value when the old key was deleted"
			default:
				checked <- ""
			}
		})
		t.Cleanup(func() { deleteHooks.Delete(old.ID) })

		h.Update(t, k, func() { k.KeyParameters().Name = uniqueName(ns, "v2") })
		key := waitStored(t, k, parent)
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
		if _, ok := keyIn(kind, parent, old.ID); ok {
			t.Error("the old key still exists")
		}
		if n := len(keysNamed(parent, uniqueName(ns, "v1"))) + len(keysNamed(parent, uniqueName(ns, "v2"))); n != 1 {
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

// TestRotationOverlap changes the rotation trigger of a key with an
// overlap: the new key is stored at once, the replaced one stays in Ory
// until the overlap has passed since then, and is deleted after it.
func TestRotationOverlap(t *testing.T) {
	const overlap = 6 * time.Second
	forEachKind(t, func(t *testing.T, kind testkit.Kind, s testkit.Scope, ns string) {
		parent := parentOf(kind)
		name := uniqueName(ns, "overlapping")
		k := kind.New(s, ns, "overlapping", common.KeyParameters{Name: name, Rotation: &common.Rotation{Trigger: "a", Overlap: common.NewDuration(overlap)}}, "")
		create(t, k)
		old := waitStored(t, k, parent)
		h.Update(t, k, func() { k.KeyParameters().Rotation.Trigger = "b" })
		h.Eventually(t, "the replacement recorded", func() (bool, string) {
			if err := h.Refresh(k); err != nil {
				return false, err.Error()
			}
			return meta.GetExternalName(k) != old.ID, "still " + old.ID
		})
		replacement := h.WaitStored(t, k, parent)
		waitDeletedAfterOverlap(t, kind, parent, old, replacement, overlap)
		waitStored(t, k, parent)
	})
}

// waitDeletedAfterOverlap waits until the replaced key old of kind in
// parent is deleted, and checks Ory deleted it no sooner than overlap after
// its replacement was made (the replacement's value is stored after that,
// so this is the earliest the overlap can end).
func waitDeletedAfterOverlap(t *testing.T, kind testkit.Kind, parent string, old, replacement orysim.Key, overlap time.Duration) {
	t.Helper()
	h.Within(overlap+waitTimeout).Eventually(t, "replaced key "+old.ID+" deleted after the overlap", func() (bool, string) {
		_, ok := keyIn(kind, parent, old.ID)
		return !ok, "still in Ory"
	})
	for _, e := range sim.RequestLog() {
		if (e.Operation == orysim.OpDeleteProjectAPIKey || e.Operation == orysim.OpDeleteWorkspaceAPIKey) && strings.HasSuffix(e.Path, "/"+old.ID) && e.Status/100 == 2 {
			if d := e.Time.Sub(replacement.CreatedAt); d < overlap {
				t.Errorf("replaced key %s deleted %s after its replacement %s was made, inside the overlap of %s", old.ID, d, replacement.ID, overlap)
			}
			return
		}
	}
	t.Errorf("replaced key %s is gone, but Ory's request log shows no deletion of it", old.ID)
}

func TestDelete(t *testing.T) {
	cases := map[string]struct {
		reason   string
		orphan   bool
		wantKept bool
	}{
		"Delete": {reason: "Deleting the resource deletes its key and then the finalizer."},
		"Orphan": {reason: "Without Delete in the management policies (or with deletionPolicy Orphan) the key stays in Ory, and its Secret, the only copy of its value, with it.", orphan: true, wantKept: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			forEachKind(t, func(t *testing.T, kind testkit.Kind, s testkit.Scope, ns string) {
				parent := parentOf(kind)
				k := newKey(kind, s, ns, "doomed")
				if tc.orphan {
					testkit.Orphan(k)
				}
				create(t, k)
				key := waitStored(t, k, parent)
				if err := kube.Delete(context.Background(), k); err != nil {
					t.Fatal(err)
				}
				// The runtime trusts a key's absence only 30 s after its
				// creation (its creation grace period), so finalizing waits.
				h.Within(30*time.Second+waitTimeout).Eventually(t, "the resource gone", func() (bool, string) {
					err := h.Refresh(k)
					return kerrors.IsNotFound(err), fmt.Sprintf("finalizers %v, conditions %+v, err %v", k.GetFinalizers(), k.GetCondition(xpv2.TypeSynced), err)
				})
				_, kept := keyIn(kind, parent, key.ID)
				if kept != tc.wantKept {
					t.Errorf("%s\nkey kept in Ory: %v, want %v", tc.reason, kept, tc.wantKept)
				}
				if !tc.wantKept {
					return
				}
				sec := h.ConnectionSecret(t, k)
				switch {
				case sec == nil:
					t.Errorf("%s\nthe Secret of a key left in Ory is gone", tc.reason)
				case string(sec.Data[common.ConnectionKeyValue]) != key.Value:
					t.Errorf("%s\nthe kept Secret no longer holds the key's value", tc.reason)
				case metav1.GetControllerOf(sec) != nil || sec.Annotations[common.AnnotationKeptFrom] == "":
					t.Errorf("%s\nkept Secret: controller %v, annotations %v: want released and marked kept", tc.reason, metav1.GetControllerOf(sec), sec.Annotations)
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
				k := testkit.NewProjectKey(s, ns, "guarded", common.KeyParameters{Name: keyName}, "")
				tc.setup(t, s, k, ns)
				create(t, k)
				h.WaitSyncError(t, k, tc.wantMsg)
				waitEvent(t, k, "")
				if n := len(keysNamed(project.ID, keyName)) + len(keysNamed(other.ID, keyName)); n != 0 {
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

	k := testkit.NewProjectKey(testkit.Namespaced, nsA, "borrower", common.KeyParameters{Name: uniqueName(nsA, "borrower")}, "")
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
	if n := len(keysNamed(project.ID, uniqueName(nsA, "borrower"))); n != 0 {
		t.Errorf("%d keys created through another namespace's ProviderConfig", n)
	}
}

// TestProviderConfigUsage shows that the config controllers count the usages
// the ProjectAPIKey controllers write, so a config in use shows its users.
func TestProviderConfigUsage(t *testing.T) {
	forEachScope(t, func(t *testing.T, s testkit.Scope, ns string) {
		k := testkit.NewProjectKey(s, ns, "user", common.KeyParameters{Name: uniqueName(ns, "user")}, "")
		configFor(t, k, ns, "counted", workspaceKey)
		create(t, k)
		waitStored(t, k, project.ID)
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
func waitEvent(t *testing.T, k testkit.Key, reason string) {
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

func metav1IsControlledBy(s *corev1.Secret, k client.Object) bool {
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
