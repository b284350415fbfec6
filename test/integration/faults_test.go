package integration

import (
	"context"
	"encoding/base64"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// The field faults: each test here failed before its fix (see the note on
// each), on the real API server with the controllers running.

// secretMetadata is what the shipped namespaced example asks for.
func secretMetadata() *common.SecretMetadata {
	return &common.SecretMetadata{
		Labels:      map[string]common.LabelValue{"app": "payments"},
		Annotations: map[string]common.AnnotationValue{"reloader.stakater.com/match": "true"},
	}
}

func setSecretMetadata(k testkit.Key, m *common.SecretMetadata) {
	switch o := k.(type) {
	case *namespacedv1alpha1.ProjectAPIKey:
		o.Spec.ConnectionSecretMetadata = m
	case *clusterv1alpha1.ProjectAPIKey:
		o.Spec.ConnectionSecretMetadata = m
	case *namespacedv1alpha1.WorkspaceAPIKey:
		o.Spec.ConnectionSecretMetadata = m
	case *clusterv1alpha1.WorkspaceAPIKey:
		o.Spec.ConnectionSecretMetadata = m
	default:
		panic(fmt.Sprintf("setSecretMetadata: %T is not a key kind", k))
	}
}

func secretMetadataOf(k testkit.Key) *common.SecretMetadata {
	return k.(interface{ SecretMetadata() *common.SecretMetadata }).SecretMetadata()
}

// settled waits for one stored key other than previous and then checks,
// over a few polls, that it stays the only one: a loop of creates shows up as
// a new ID or a second key.
func settled(t *testing.T, k testkit.Key, parent, previous string) orysim.Key {
	t.Helper()
	h.Eventually(t, "a key other than "+previous, func() (bool, string) {
		if err := h.Refresh(k); err != nil {
			return false, err.Error()
		}
		return meta.GetExternalName(k) != previous && meta.GetExternalName(k) != "", meta.GetExternalName(k)
	})
	key := waitStored(t, k, parent)
	time.Sleep(3 * 2 * time.Second) // three polls
	if got := waitStored(t, k, parent); got.ID != key.ID {
		t.Fatalf("the key changed from %s to %s without a change of the spec: a create loop", key.ID, got.ID)
	}
	return key
}

// TestSpecMetadataStaysTheUsers drives a key with connection Secret metadata
// (as the shipped namespaced example has) through a rename and a rotation
// trigger. Before the fix the spec's annotation map became the Secret's, the
// record annotations were saved into the spec, and every change made a new
// key every few seconds without end.
func TestSpecMetadataStaysTheUsers(t *testing.T) {
	forEachKind(t, func(t *testing.T, kind testkit.Kind, s testkit.Scope, ns string) {
		parent := parentOf(kind)
		k := kind.New(s, ns, "meta", common.KeyParameters{Name: uniqueName(ns, "meta"), Rotation: &common.Rotation{Trigger: "a"}}, "")
		setSecretMetadata(k, secretMetadata())
		create(t, k)
		first := settled(t, k, parent, "")

		h.Update(t, k, func() { k.KeyParameters().Name = uniqueName(ns, "meta-renamed") })
		second := settled(t, k, parent, first.ID)
		h.Update(t, k, func() { k.KeyParameters().Rotation.Trigger = "b" })
		third := settled(t, k, parent, second.ID)
		if first.ID == second.ID || second.ID == third.ID {
			t.Errorf("keys %s, %s, %s: each change must make exactly one new key", first.ID, second.ID, third.ID)
		}
		if n := len(keysNamed(parent, uniqueName(ns, "meta"))) + len(keysNamed(parent, uniqueName(ns, "meta-renamed"))); n != 1 {
			t.Errorf("Ory holds %d keys of this resource, want 1", n)
		}
		if err := h.Refresh(k); err != nil {
			t.Fatal(err)
		}
		if got := secretMetadataOf(k); !reflect.DeepEqual(got, secretMetadata()) {
			t.Errorf("spec.connectionSecretMetadata = %+v, want it as applied: the provider must not write into the spec", got)
		}
		sec := h.ConnectionSecret(t, k)
		if sec.Labels["app"] != "payments" || sec.Annotations["reloader.stakater.com/match"] != "true" {
			t.Errorf("the Secret lacks the asked-for metadata: labels %v annotations %v", sec.Labels, sec.Annotations)
		}
	})
}

// TestDeleteDuringOverlap deletes a resource whose replaced key waits out a
// rotation overlap. Before the fix the keys were deleted in Ory but the
// record of the replaced one stayed, and the resource stayed Deleting.
func TestDeleteDuringOverlap(t *testing.T) {
	forEachKind(t, func(t *testing.T, kind testkit.Kind, s testkit.Scope, ns string) {
		parent := parentOf(kind)
		name := uniqueName(ns, "overlap")
		k := kind.New(s, ns, "overlap", common.KeyParameters{Name: name, Rotation: &common.Rotation{Trigger: "a", Overlap: common.NewDuration(time.Hour)}}, "")
		create(t, k)
		waitStored(t, k, parent)
		h.Update(t, k, func() { k.KeyParameters().Rotation.Trigger = "b" })
		h.Eventually(t, "two keys during the overlap", func() (bool, string) {
			n := len(keysNamed(parent, name))
			return n == 2, fmt.Sprintf("%d keys", n)
		})
		h.WaitReady(t, k)
		if err := kube.Delete(context.Background(), k); err != nil {
			t.Fatal(err)
		}
		h.Within(30*time.Second+waitTimeout).Eventually(t, "the resource gone", func() (bool, string) {
			err := h.Refresh(k)
			return kerrors.IsNotFound(err), fmt.Sprintf("annotations %v, conditions %+v, err %v", k.GetAnnotations(), k.GetCondition(xpv2.TypeSynced), err)
		})
		if n := len(keysNamed(parent, name)); n != 0 {
			t.Errorf("Ory holds %d keys of the deleted resource, want 0", n)
		}
	})
}

// TestConnectionSecretMoved changes writeConnectionSecretToRef on a live key.
// Before the fix the new Secret never got the value, the old one kept it, and
// the resource said the key was imported.
func TestConnectionSecretMoved(t *testing.T) {
	forEachKind(t, func(t *testing.T, kind testkit.Kind, s testkit.Scope, ns string) {
		parent := parentOf(kind)
		k := newKey(kind, s, ns, "moved")
		create(t, k)
		key := waitStored(t, k, parent)
		old := h.ConnectionSecret(t, k)
		h.Eventually(t, "the reference changed", func() (bool, string) {
			if err := h.Refresh(k); err != nil {
				return false, err.Error()
			}
			switch o := k.(type) {
			case resource.ModernManaged:
				o.GetWriteConnectionSecretToReference().Name = "moved-elsewhere"
			case resource.LegacyManaged:
				o.GetWriteConnectionSecretToReference().Name = "moved-elsewhere"
			}
			err := kube.Update(context.Background(), k)
			return err == nil, fmt.Sprint(err)
		})
		if got := waitStored(t, k, parent); got.ID != key.ID {
			t.Errorf("moving the Secret replaced the key (%s -> %s); the value must move instead", key.ID, got.ID)
		}
		h.Eventually(t, "the old copy gone", func() (bool, string) {
			err := kube.Get(context.Background(), client.ObjectKeyFromObject(old), &corev1.Secret{})
			return kerrors.IsNotFound(err), fmt.Sprint(err)
		})
		if c := k.GetCondition(common.TypeValue); c.Reason != common.ReasonValueStored {
			t.Errorf("KeyValue = %s/%s (%s), want Stored", c.Status, c.Reason, c.Message)
		}
	})
}

// TestConnectionSecretLost deletes the connection Secret, or removes its
// value, out of band. Before the fix nothing restored it and the resource
// stayed Ready with no value anywhere.
func TestConnectionSecretLost(t *testing.T) {
	cases := map[string]struct {
		reason string
		lose   func(t *testing.T, s *corev1.Secret)
	}{
		"SecretDeleted": {
			reason: "A person or a tool deleted the Secret: a new key is made and its value stored.",
			lose: func(t *testing.T, s *corev1.Secret) {
				if err := kube.Delete(context.Background(), s); err != nil {
					t.Fatal(err)
				}
			},
		},
		"ValueRemoved": {
			reason: "The Secret is there but its value was removed: the same as a lost Secret.",
			lose: func(t *testing.T, s *corev1.Secret) {
				p := []byte(`{"data":{"` + common.ConnectionKeyValue + `":null}}`)
				if err := kube.Patch(context.Background(), s, client.RawPatch(types.MergePatchType, p)); err != nil {
					t.Fatal(err)
				}
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			forEachKind(t, func(t *testing.T, kind testkit.Kind, s testkit.Scope, ns string) {
				parent := parentOf(kind)
				n := uniqueName(ns, "lost")
				k := newKey(kind, s, ns, "lost")
				create(t, k)
				key := waitStored(t, k, parent)
				tc.lose(t, h.ConnectionSecret(t, k))
				h.Eventually(t, "a new key stored", func() (bool, string) {
					keys := keysNamed(parent, n)
					if len(keys) != 1 || keys[0].ID == key.ID {
						return false, fmt.Sprintf("%d keys", len(keys))
					}
					sec := h.ConnectionSecret(t, k)
					return sec != nil && string(sec.Data[common.ConnectionKeyValue]) == keys[0].Value, "value not stored"
				})
				waitStored(t, k, parent)
				waitEvent(t, k, "ReplacedKey")
			})
		})
	}
}

// TestConnectionSecretEdited edits what the provider published in a
// connection Secret. The provider reads the Secret again only when its
// resourceVersion changed (and publishes only what differs), so this checks
// that an edit is still seen and repaired at the next poll, without a new key.
func TestConnectionSecretEdited(t *testing.T) {
	forEachKind(t, func(t *testing.T, kind testkit.Kind, s testkit.Scope, ns string) {
		parent := parentOf(kind)
		n := uniqueName(ns, "edited")
		k := newKey(kind, s, ns, "edited")
		create(t, k)
		key := waitStored(t, k, parent)
		p := []byte(`{"data":{"` + common.ConnectionKeyID + `":"` + base64.StdEncoding.EncodeToString([]byte("edited")) + `"}}`)
		if err := kube.Patch(context.Background(), h.ConnectionSecret(t, k), client.RawPatch(types.MergePatchType, p)); err != nil {
			t.Fatal(err)
		}
		h.Eventually(t, "the key's ID published again", func() (bool, string) {
			sec := h.ConnectionSecret(t, k)
			return sec != nil && string(sec.Data[common.ConnectionKeyID]) == key.ID, "id " + string(sec.Data[common.ConnectionKeyID])
		})
		if keys := keysNamed(parent, n); len(keys) != 1 || keys[0].ID != key.ID {
			t.Errorf("want the same single key %s after the edit, got %d keys", key.ID, len(keys))
		}
		if sec := h.ConnectionSecret(t, k); string(sec.Data[common.ConnectionKeyValue]) != key.Value {
			t.Error("the value changed after the edit of the id")
		}
	})
}

// TestDeletedOutOfBandSeenWithinOnePoll deletes a key in Ory behind the
// provider's back and measures how long the provider takes to notice (it
// makes a new key): at most one poll interval, as without the shared view.
// It takes about 40 s: the creation grace period must pass first.
// The provider polls a parent's keys at the parent's phase of the interval
// and the view lists again once its list is older than the staleness (1 s
// here, under the 2 s poll), so the next poll lists the parent anew.
func TestDeletedOutOfBandSeenWithinOnePoll(t *testing.T) {
	const poll = 2 * time.Second // the suite's PollInterval
	forEachKind(t, func(t *testing.T, kind testkit.Kind, s testkit.Scope, ns string) {
		parent := parentOf(kind)
		n := uniqueName(ns, "gone")
		k := newKey(kind, s, ns, "gone")
		create(t, k)
		key := waitStored(t, k, parent)
		// Past crossplane-runtime's creation grace period (30 s, during
		// which a key not found is not believed gone), and settled into its
		// parent's phase.
		time.Sleep(31 * time.Second)
		deleted := time.Now()
		deleteInOry(t, kind, parent, key.ID)
		var noticed time.Duration
		h.Eventually(t, "a new key made for the deleted one", func() (bool, string) {
			keys := keysNamed(parent, n)
			if len(keys) == 1 && keys[0].ID != key.ID {
				noticed = time.Since(deleted)
				return true, ""
			}
			return false, fmt.Sprintf("%d keys", len(keys))
		})
		// One poll interval and the hook's guard, plus a second for the
		// reconcile itself and this test's own polling on a loaded machine.
		if most := poll + poll/30 + time.Second; noticed > most {
			t.Errorf("the out-of-band deletion was noticed after %s, want at most %s (one poll)", noticed.Round(10*time.Millisecond), most)
		}
		t.Logf("noticed the out-of-band deletion after %s", noticed.Round(10*time.Millisecond))
	})
}

// TestOneKeyOneManager imports a key another resource manages. Before the
// fix it was accepted, and deleting either resource broke the other.
func TestOneKeyOneManager(t *testing.T) {
	forEachKind(t, func(t *testing.T, kind testkit.Kind, s testkit.Scope, ns string) {
		parent := parentOf(kind)
		a := newKey(kind, s, ns, "holder")
		create(t, a)
		key := waitStored(t, a, parent)

		b := kind.New(s, ns, "intruder", common.KeyParameters{Name: uniqueName(ns, "holder")}, "")
		meta.SetExternalName(b, key.ID)
		create(t, b)
		h.WaitSyncError(t, b, "is already managed by")
		if c := b.GetCondition(xpv2.TypeSynced); !strings.Contains(c.Message, a.GetName()) {
			t.Errorf("the refusal does not name the holder %s: %s", a.GetName(), c.Message)
		}
		if err := kube.Delete(context.Background(), b); err != nil {
			t.Fatal(err)
		}
		h.Eventually(t, "the second resource gone", func() (bool, string) {
			err := h.Refresh(b)
			return kerrors.IsNotFound(err), fmt.Sprint(err)
		})
		if _, ok := keyIn(kind, parent, key.ID); !ok {
			t.Fatal("deleting the refused resource deleted the holder's key")
		}
		waitStored(t, a, parent)
	})
}

// TestDeadImportIsNotReady deletes, in Ory, the key an Observe-only import
// names. Before the fix it stayed Ready for ever.
func TestDeadImportIsNotReady(t *testing.T) {
	forEachKind(t, func(t *testing.T, kind testkit.Kind, s testkit.Scope, ns string) {
		parent := parentOf(kind)
		seeded := seedKey(t, kind, parent, uniqueName(ns, "dead"))
		k := kind.New(s, ns, "dead", common.KeyParameters{Name: seeded.Name}, "")
		testkit.ObserveOnly(k)
		meta.SetExternalName(k, seeded.ID)
		create(t, k)
		h.WaitReady(t, k)
		deleteInOry(t, kind, parent, seeded.ID)
		h.Eventually(t, "Ready=False/KeyNotFound", func() (bool, string) {
			if err := h.Refresh(k); err != nil {
				return false, err.Error()
			}
			c := k.GetCondition(xpv2.TypeReady)
			return c.Status == corev1.ConditionFalse && c.Reason == common.ReasonKeyNotFound, fmt.Sprintf("Ready=%s/%s", c.Status, c.Reason)
		})
	})
}

// TestImportedValueMustLookLikeAKey names a Secret holding garbage that ends
// in the key's lastCharacters. Before the fix it was published.
func TestImportedValueMustLookLikeAKey(t *testing.T) {
	forEachKind(t, func(t *testing.T, kind testkit.Kind, s testkit.Scope, ns string) {
		seeded := seedKey(t, kind, parentOf(kind), uniqueName(ns, "garbage"))
		k := importWithValue(t, kind, s, ns, "garbage", seeded, "garbage"+seeded.LastCharacters)
		h.Eventually(t, "KeyValue=False/ImportedValueMalformed", func() (bool, string) {
			if err := h.Refresh(k); err != nil {
				return false, err.Error()
			}
			c := k.GetCondition(common.TypeValue)
			return c.Reason == common.ReasonImportedValueMalformed && strings.Contains(c.Message, kind.ValuePrefix), c.Message
		})
		if sec := h.ConnectionSecret(t, k); sec != nil && len(sec.Data[common.ConnectionKeyValue]) > 0 {
			t.Error("the garbage was published as the key's value")
		}
	})
}

// TestOrphanDuringOverlap deletes, with the key left in Ory, a resource whose
// replaced key waits out its overlap. Before the fix that replaced key stayed
// in Ory for good, its value in no Secret.
func TestOrphanDuringOverlap(t *testing.T) {
	cases := map[string]struct {
		reason      string
		narrow      func(s testkit.Scope, k testkit.Key)
		wantRetired bool // the replaced key is still in Ory after the deletion
	}{
		"Orphan": {
			reason: "Orphan leaves the key the resource manages; the replaced one was already to be deleted, and is, at once.",
			narrow: func(s testkit.Scope, k testkit.Key) { testkit.Orphan(k) },
		},
		"NarrowedToObserve": {
			reason:      "Observe-only never changes Ory: both keys stay, and a warning names the replaced one.",
			narrow:      func(s testkit.Scope, k testkit.Key) { testkit.ObserveOnly(k) },
			wantRetired: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			forEachKind(t, func(t *testing.T, kind testkit.Kind, s testkit.Scope, ns string) {
				parent := parentOf(kind)
				n := uniqueName(ns, "orphan")
				k := kind.New(s, ns, "orphan", common.KeyParameters{Name: n, Rotation: &common.Rotation{Trigger: "a", Overlap: common.NewDuration(time.Hour)}}, "")
				create(t, k)
				first := waitStored(t, k, parent)
				h.Update(t, k, func() { k.KeyParameters().Rotation.Trigger = "b" })
				h.Eventually(t, "the replacement recorded", func() (bool, string) {
					if err := h.Refresh(k); err != nil {
						return false, err.Error()
					}
					return meta.GetExternalName(k) != first.ID && k.GetAnnotations()[common.AnnotationRetiredKeys] != "", fmt.Sprint(k.GetAnnotations())
				})
				current := meta.GetExternalName(k)
				h.Eventually(t, "the policies narrowed", func() (bool, string) {
					if err := h.Refresh(k); err != nil {
						return false, err.Error()
					}
					tc.narrow(s, k)
					err := kube.Update(context.Background(), k)
					return err == nil, fmt.Sprint(err)
				})
				time.Sleep(time.Second)
				if err := kube.Delete(context.Background(), k); err != nil {
					t.Fatal(err)
				}
				h.Eventually(t, "the resource gone", func() (bool, string) {
					err := h.Refresh(k)
					return kerrors.IsNotFound(err), fmt.Sprint(err)
				})
				if _, ok := keyIn(kind, parent, current); !ok {
					t.Errorf("%s\nthe current key %s was deleted; it must stay", tc.reason, current)
				}
				if _, ok := keyIn(kind, parent, first.ID); ok != tc.wantRetired {
					t.Errorf("%s\nreplaced key %s in Ory: %v, want %v", tc.reason, first.ID, ok, tc.wantRetired)
				}
			})
		})
	}
}

// TestKeptSecretOfAGoneKey re-applies a manifest whose Secret was kept for an
// orphaned key that was deleted in Ory since. Before the fix the Secret
// blocked it for ever, with a message about a key that no longer exists.
func TestKeptSecretOfAGoneKey(t *testing.T) {
	forEachKind(t, func(t *testing.T, kind testkit.Kind, s testkit.Scope, ns string) {
		parent := parentOf(kind)
		k := newKey(kind, s, ns, "kept")
		testkit.Orphan(k)
		create(t, k)
		key := waitStored(t, k, parent)
		if err := kube.Delete(context.Background(), k); err != nil {
			t.Fatal(err)
		}
		h.Eventually(t, "the resource gone", func() (bool, string) {
			err := h.Refresh(k)
			return kerrors.IsNotFound(err), fmt.Sprint(err)
		})
		deleteInOry(t, kind, parent, key.ID)
		again := newKey(kind, s, ns, "kept")
		create(t, again)
		waitStored(t, again, parent)
	})
}

// TestRefusedBeforeAnyKey makes the API server refuse the connection Secret
// (a ValidatingAdmissionPolicy, standing for any policy, quota or RBAC rule)
// or puts a Secret of that name in the way that is not the provider's.
// Before the fix the first made a key, failed to store it, deleted it and
// repeated; both must be refused before Ory is asked, with a message that
// says what to do.
func TestRefusedBeforeAnyKey(t *testing.T) {
	cases := map[string]struct {
		reason  string
		prepare func(t *testing.T, ns string)
		wantMsg string
	}{
		"AdmissionPolicyRefusesTheSecret": {
			reason:  "Whatever refuses the Secret write refuses its dry run.",
			prepare: denySecrets,
			wantMsg: "the API server would refuse connection Secret",
		},
		"ForeignSecretInTheWay": {
			reason: "A Secret of that name that is not the provider's is never overwritten.",
			prepare: func(t *testing.T, ns string) {
				create(t, &corev1.Secret{ObjectMeta: objectMeta(ns, "refused-key"), StringData: map[string]string{"x": "y"}})
			},
			wantMsg: "belongs to no resource",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			forEachScope(t, func(t *testing.T, s testkit.Scope, ns string) {
				tc.prepare(t, ns)
				// A project of the test's own, so that Ory's request log shows
				// whether this resource asked for a key.
				p := sim.AddProject(workspaceKey, "refused-"+ns)
				k := testkit.NewProjectKey(s, ns, "refused", common.KeyParameters{Name: "refused"}, p.ID)
				create(t, k)
				h.WaitSyncError(t, k, tc.wantMsg)
				if c := k.GetCondition(xpv2.TypeReady); c.Reason != common.ReasonCreateRefused {
					t.Errorf("%s\nReady = %s/%s, want CreateRefused", tc.reason, c.Status, c.Reason)
				}
				time.Sleep(3 * time.Second)
				for _, e := range sim.RequestLog() {
					if e.Operation == orysim.OpCreateProjectAPIKey && strings.Contains(e.Path, p.ID) {
						t.Fatalf("%s\nOry was asked for a key", tc.reason)
					}
				}
			})
		})
	}
}

// denySecrets makes the API server refuse every Secret write in ns.
func denySecrets(t *testing.T, ns string) {
	t.Helper()
	fail := admissionv1.Fail
	create(t, &admissionv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "deny-secrets-" + ns},
		Spec: admissionv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: &fail,
			MatchConstraints: &admissionv1.MatchResources{ResourceRules: []admissionv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionv1.RuleWithOperations{
					Operations: []admissionv1.OperationType{admissionv1.Create, admissionv1.Update},
					Rule:       admissionv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"secrets"}},
				},
			}}},
			Validations: []admissionv1.Validation{{Expression: "false", Message: "no Secrets in this namespace"}},
		},
	})
	create(t, &admissionv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "deny-secrets-" + ns},
		Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        "deny-secrets-" + ns,
			ValidationActions: []admissionv1.ValidationAction{admissionv1.Deny},
			MatchResources: &admissionv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns}}},
		},
	})
	// The policy takes effect once the API server has loaded it.
	h.Eventually(t, "Secrets refused in "+ns, func() (bool, string) {
		err := kube.Create(context.Background(), &corev1.Secret{ObjectMeta: objectMeta(ns, "probe")}, client.DryRunAll)
		return err != nil, "still accepted"
	})
}

// TestExternalNameSetBack rotates a key twice while something keeps setting
// its external name back to the first key, as a composition that patches the
// external name from its composite does after every replacement. Before the
// fix the second rotation made a key over the record, and the previous key
// stayed in Ory with its value nowhere.
func TestExternalNameSetBack(t *testing.T) {
	forEachKind(t, func(t *testing.T, kind testkit.Kind, s testkit.Scope, ns string) {
		parent := parentOf(kind)
		n := uniqueName(ns, "setback")
		k := kind.New(s, ns, "setback", common.KeyParameters{Name: n, Rotation: &common.Rotation{Trigger: "a"}}, "")
		create(t, k)
		first := waitStored(t, k, parent)
		setBack := func() {
			h.Eventually(t, "the external name set back", func() (bool, string) {
				if err := h.Refresh(k); err != nil {
					return false, err.Error()
				}
				meta.SetExternalName(k, first.ID)
				err := kube.Update(context.Background(), k)
				return err == nil, fmt.Sprint(err)
			})
		}
		previous := first.ID
		for _, trigger := range []string{"b", "c"} {
			h.Update(t, k, func() { k.KeyParameters().Rotation.Trigger = trigger })
			h.Eventually(t, "the rotation to "+trigger, func() (bool, string) {
				if err := h.Refresh(k); err != nil {
					return false, err.Error()
				}
				id := meta.GetExternalName(k)
				return id != previous && id != first.ID, id
			})
			previous = meta.GetExternalName(k)
			setBack()
			time.Sleep(3 * 2 * time.Second) // three polls with the name set back
		}
		key := waitStored(t, k, parent)
		if key.ID != previous {
			t.Errorf("the resource holds key %s, want the last rotation's %s", key.ID, previous)
		}
		if keys := keysNamed(parent, n); len(keys) != 1 {
			t.Errorf("Ory holds %d keys of this resource after two rotations, want 1: no key may be left behind", len(keys))
		}
	})
}
