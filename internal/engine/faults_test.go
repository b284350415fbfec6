package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// TestSpecMapsAreNeverShared creates and replaces a key whose spec asks for
// Secret metadata, and checks the spec afterwards. The spec's annotation map
// used to become the new Secret's own, so the record annotations landed in
// the spec (and were saved by the runtime), looping key creation.
func TestSpecMapsAreNeverShared(t *testing.T) {
	for scope, newResource := range scopes {
		t.Run(scope, func(t *testing.T) {
			f := newFixture(t, newResource, "payments")
			want := &common.SecretMetadata{Labels: map[string]common.LabelValue{"app": "payments"}, Annotations: map[string]common.AnnotationValue{"reloader.stakater.com/match": "true"}}
			setSecretMetadata(f.cr, want.DeepCopy())
			if err := f.kube.Update(context.Background(), f.cr); err != nil {
				t.Fatal(err)
			}
			e := f.external()
			if _, err := f.reconcile(e); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, secretMetadata(f.cr)); diff != "" {
				t.Errorf("after create, the in-memory spec changed (-want +got):\n%s", diff)
			}
			f.refresh()
			f.update(func(p *common.KeyParameters) { p.Name = "renamed" })
			if _, err := f.reconcile(f.external()); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, secretMetadata(f.cr)); diff != "" {
				t.Errorf("after a replacement, the in-memory spec changed (-want +got):\n%s", diff)
			}
			if got := f.secret().GetAnnotations()[common.AnnotationValueOf]; got == "" {
				t.Error("the Secret lost its record")
			}
		})
	}
}

// TestValueAfterStoring covers a stored value's life after it was stored:
// moved, lost, or left alone across reconciles (a restart is a fresh
// external client reading the same objects).
func TestValueAfterStoring(t *testing.T) {
	cases := map[string]struct {
		reason      string
		change      func(f *fixture)
		observeOnly bool
		wantNewKey  bool
		wantReason  xpv2.ConditionReason
		wantEvent   string
	}{
		"Untouched": {
			reason:     "A restart or a second poll must never replace a key whose value is in its Secret.",
			change:     func(*fixture) {},
			wantReason: common.ReasonValueStored,
		},
		"SecretDeleted": {
			reason: "A Secret deleted out of band: its value is lost, and a new key restores one.",
			change: func(f *fixture) {
				if err := f.kube.Delete(context.Background(), f.secret()); err != nil {
					f.t.Fatal(err)
				}
			},
			wantNewKey: true,
			wantReason: common.ReasonValueStored,
			wantEvent:  "ReplacedKey",
		},
		"ValueRemoved": {
			reason: "A Secret whose value was removed is a lost value too.",
			change: func(f *fixture) {
				s := f.secret()
				delete(s.Data, common.ConnectionKeyValue)
				if err := f.kube.Update(context.Background(), s); err != nil {
					f.t.Fatal(err)
				}
			},
			wantNewKey: true,
			wantReason: common.ReasonValueStored,
			wantEvent:  "ReplacedKey",
		},
		"SecretDeletedWithATrigger": {
			reason: "The lost Secret held the record of the rotation trigger: the event must name the loss, not a trigger change nobody made.",
			change: func(f *fixture) {
				f.update(func(p *common.KeyParameters) { p.Rotation = &common.Rotation{Trigger: "x"} })
				if _, err := f.reconcile(f.external()); err != nil {
					f.t.Fatal(err)
				}
				f.refresh()
				if err := f.kube.Delete(context.Background(), f.secret()); err != nil {
					f.t.Fatal(err)
				}
			},
			wantNewKey: true,
			wantReason: common.ReasonValueStored,
			wantEvent:  "ReplacedKey",
		},
		"SecretDeletedUnderObserveOnly": {
			reason: "Observe-only reports the loss and changes nothing in Ory.",
			change: func(f *fixture) {
				if err := f.kube.Delete(context.Background(), f.secret()); err != nil {
					f.t.Fatal(err)
				}
			},
			observeOnly: true,
			wantReason:  common.ReasonValueLost,
			wantEvent:   string(common.ReasonValueLost),
		},
		"SecretMoved": {
			reason: "A new writeConnectionSecretToRef moves the value; the key stays.",
			change: func(f *fixture) {
				switch o := f.cr.(type) {
				case *namespacedv1alpha1.ProjectAPIKey:
					o.Spec.WriteConnectionSecretToReference.Name = "elsewhere"
				case *clusterv1alpha1.ProjectAPIKey:
					o.Spec.WriteConnectionSecretToReference.Name = "elsewhere"
				}
				if err := f.kube.Update(context.Background(), f.cr); err != nil {
					f.t.Fatal(err)
				}
			},
			wantReason: common.ReasonValueStored,
			wantEvent:  "MovedConnectionSecret",
		},
	}
	for name, tc := range cases {
		for scope, newResource := range scopes {
			t.Run(name+"/"+scope, func(t *testing.T) {
				f := newFixture(t, newResource, "payments")
				first := f.mustCreate()
				oldSecret, _ := connectionSecret(f.cr)
				if tc.observeOnly {
					f.cr.SetManagementPolicies(xpv2.ManagementPolicies{xpv2.ManagementActionObserve})
					if err := f.kube.Update(context.Background(), f.cr); err != nil {
						t.Fatal(err)
					}
				}
				tc.change(f)
				f.events.events = nil
				var value xpv2.Condition // as the last Observe left it (the runtime persists it)
				for range 2 {
					e := f.external()
					e.policies = true
					o, err := e.Observe(context.Background(), f.cr)
					if err != nil {
						t.Fatalf("%s\n%v", tc.reason, err)
					}
					if !o.ResourceUpToDate && e.may(f.cr).update {
						if _, err := e.Update(context.Background(), f.cr); err != nil {
							t.Fatal(err)
						}
					}
					value = f.cr.GetCondition(common.TypeValue)
					f.refresh()
				}
				keys := f.sim.Keys(f.project.ID)
				newKey := meta.GetExternalName(f.cr) != first.ID
				if newKey != tc.wantNewKey {
					t.Errorf("%s\nreplaced: %v, want %v", tc.reason, newKey, tc.wantNewKey)
				}
				if tc.wantNewKey {
					for _, k := range keys {
						if k.ID == meta.GetExternalName(f.cr) {
							f.assertStored(k)
						}
					}
				} else if len(keys) != 1 {
					t.Errorf("%s\nOry holds %d keys, want 1", tc.reason, len(keys))
				}
				if got := value.Reason; got != tc.wantReason {
					t.Errorf("%s\nKeyValue reason %q, want %q", tc.reason, got, tc.wantReason)
				}
				if tc.wantEvent != "" && !strings.Contains(strings.Join(f.events.reasons(), ","), tc.wantEvent) {
					t.Errorf("%s\nevents %v, want %s", tc.reason, f.events.reasons(), tc.wantEvent)
				}
				if name == "SecretMoved" {
					f.assertStored(first)
					s := f.secret()
					s.Namespace, s.Name = oldSecret.Namespace, oldSecret.Name
					if err := f.kube.Get(context.Background(), oldSecret, s); err == nil {
						t.Errorf("%s\nthe old copy of the value lingers in %s", tc.reason, oldSecret)
					}
				}
			})
		}
	}
}

// TestDeleteFinishesAfterAnOverlap deletes a resource whose replaced key
// waits out an overlap. Delete deleted the keys but kept their record, and
// Observe counted the resource as existing for ever.
func TestDeleteFinishesAfterAnOverlap(t *testing.T) {
	for scope, newResource := range scopes {
		t.Run(scope, func(t *testing.T) {
			f := newFixture(t, newResource, "payments")
			f.update(func(p *common.KeyParameters) {
				p.Rotation = &common.Rotation{Trigger: "a", Overlap: common.NewDuration(time.Hour)}
			})
			f.mustCreate()
			f.update(func(p *common.KeyParameters) { p.Rotation.Trigger = "b" })
			if _, err := f.reconcile(f.external()); err != nil {
				t.Fatal(err)
			}
			f.refresh()
			if len(retiredKeys(f.cr)) != 1 {
				t.Fatalf("want one retired key, got %v", retiredKeys(f.cr))
			}
			f.cr.SetFinalizers([]string{managed.FinalizerName})
			if err := f.kube.Update(context.Background(), f.cr); err != nil {
				t.Fatal(err)
			}
			if err := f.kube.Delete(context.Background(), f.cr); err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				f.refresh()
				e := f.external()
				o, err := e.Observe(context.Background(), f.cr)
				if err != nil {
					t.Fatal(err)
				}
				if !o.ResourceExists {
					if n := len(f.sim.Keys(f.project.ID)); n != 0 {
						t.Errorf("deletion finished with %d keys in Ory", n)
					}
					return
				}
				if _, err := e.Delete(context.Background(), f.cr); err != nil {
					t.Fatal(err)
				}
				if i == 2 {
					t.Fatal("the resource still exists after its keys were deleted: the deletion never finishes")
				}
			}
		})
	}
}

// TestOneKeyOneManagerUnit imports a key another resource manages.
func TestOneKeyOneManagerUnit(t *testing.T) {
	f := newFixture(t, scopes["Namespaced"], "payments")
	held := f.mustCreate()
	intruder := &namespacedv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Namespace: "team-b", Name: "intruder", UID: "uid-intruder",
		CreationTimestamp: metav1.NewTime(time.Now().Add(time.Hour))}}
	intruder.Spec.ForProvider.Name = "payments"
	intruder.Spec.ForProvider.ProjectID = f.project.ID
	intruder.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: "intruder-key"}
	meta.SetExternalName(intruder, held.ID)
	if err := f.kube.Create(context.Background(), intruder); err != nil {
		t.Fatal(err)
	}
	_, err := f.external().Observe(context.Background(), intruder)
	if err == nil || !strings.Contains(err.Error(), "already managed by ProjectAPIKey.ory.m.crossplane.io team-a/api") {
		t.Fatalf("importing a managed key: error %v, want one naming the holder", err)
	}
	// The holder, whose Secret holds the value, is not refused.
	if _, err := f.external().Observe(context.Background(), f.cr); err != nil {
		t.Fatalf("the holder is refused: %v", err)
	}
}

// TestImportedValueShape names Secrets holding values that end in the key's
// lastCharacters but are not keys.
func TestImportedValueShape(t *testing.T) {
	cases := map[string]struct {
		reason string
		value  func(last string) string
		want   string // "" for a value that is published
	}{
		"Garbage": {
			reason: "Anything ending in the last four characters passed the old check.",
			value:  func(last string) string { return "garbage" + last },
			want:   "does not start with ory_pat_",
		},
		"WorkspaceKey": {
			reason: "A workspace key is not a project key.",
			value:  func(last string) string { return "ory_wak_abcdefghijklmnopqrstuvwxyz01" + last },
			want:   "does not start with ory_pat_",
		},
		"Spaces": {
			reason: "A pasted value with a space inside is not a key.",
			value:  func(last string) string { return "ory_pat_abcdefgh ijklmnopqrst" + last },
			want:   "characters other than letters and digits",
		},
		"TooShort": {
			reason: "A prefix and the last characters alone are not a key.",
			value:  func(last string) string { return "ory_pat_" + last },
			want:   "shorter than any key",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := valueShapeProblem("ory_pat_", tc.value("ab12")); !strings.Contains(got, tc.want) || got == "" {
				t.Errorf("%s\nproblem %q, want %q", tc.reason, got, tc.want)
			}
		})
	}
	if got := valueShapeProblem("ory_pat_", "ory_pat_abcdefghijklmnopqrstuvwxyz012345"); got != "" {
		t.Errorf("a well-formed key is refused: %s", got)
	}
}

// TestOrphaningDeletesReplacedKeys runs the finalizer of a resource whose
// deletion leaves its key in Ory while a replaced key waits out an overlap.
func TestOrphaningDeletesReplacedKeys(t *testing.T) {
	cases := map[string]struct {
		reason       string
		policies     xpv2.ManagementPolicies
		wantReplaced bool // the replaced key is still in Ory afterwards
		wantEvent    string
	}{
		"WithoutDelete": {
			reason:    "Orphaning keeps the current key; the replaced one was already to be deleted.",
			policies:  xpv2.ManagementPolicies{xpv2.ManagementActionObserve, xpv2.ManagementActionCreate, xpv2.ManagementActionUpdate},
			wantEvent: "DeletedReplacedKeys",
		},
		"ObserveOnly": {
			reason:       "Observe-only never changes Ory: the replaced key stays and a warning names it.",
			policies:     xpv2.ManagementPolicies{xpv2.ManagementActionObserve},
			wantReplaced: true,
			wantEvent:    "LeftReplacedKeys",
		},
	}
	for name, tc := range cases {
		for scope, newResource := range scopes {
			t.Run(name+"/"+scope, func(t *testing.T) {
				f := newFixture(t, newResource, "payments")
				f.update(func(p *common.KeyParameters) {
					p.Rotation = &common.Rotation{Trigger: "a", Overlap: common.NewDuration(time.Hour)}
				})
				first := f.mustCreate()
				f.update(func(p *common.KeyParameters) { p.Rotation.Trigger = "b" })
				if _, err := f.reconcile(f.external()); err != nil {
					t.Fatal(err)
				}
				f.refresh()
				f.cr.SetManagementPolicies(tc.policies)
				f.events.events = nil
				e := f.external()
				e.policies = true
				fin := finalizer{kube: f.kube, records: e.records, record: f.events, policies: true,
					connect: func(context.Context, resource.Managed) (*external, error) { return e, nil }}
				if err := fin.AddFinalizer(context.Background(), f.cr); err != nil {
					t.Fatal(err)
				}
				if err := fin.RemoveFinalizer(context.Background(), f.cr); err != nil {
					t.Fatal(err)
				}
				if _, ok := f.sim.Key(f.project.ID, first.ID); ok != tc.wantReplaced {
					t.Errorf("%s\nreplaced key in Ory: %v, want %v", tc.reason, ok, tc.wantReplaced)
				}
				if _, ok := f.sim.Key(f.project.ID, meta.GetExternalName(f.cr)); !ok {
					t.Errorf("%s\nthe current key was deleted", tc.reason)
				}
				if diff := cmp.Diff([]string{tc.wantEvent, "KeptConnectionSecret"}, f.events.reasons()); diff != "" {
					t.Errorf("%s\nevents (-want +got):\n%s", tc.reason, diff)
				}
			})
		}
	}
}

// TestObserveOnlyRecoveryDeletesNothing gives an Observe-only resource the
// mark of an interrupted create whose key Ory made: recovery must not delete
// it.
func TestObserveOnlyRecoveryDeletesNothing(t *testing.T) {
	f := newFixture(t, scopes["Namespaced"], "payments")
	f.cr.SetManagementPolicies(xpv2.ManagementPolicies{xpv2.ManagementActionObserve})
	*f.cr.ParentID() = f.project.ID
	meta.SetExternalCreatePending(f.cr, time.Now().Add(-time.Minute))
	if err := f.kube.Update(context.Background(), f.cr); err != nil {
		t.Fatal(err)
	}
	leftover := f.sim.SeedKey(f.project.ID, "payments", nil, true)
	e := f.external()
	e.policies = true
	r := &createRecovery{connect: func(context.Context, resource.Managed) (*external, error) { return e, nil }}
	if err := r.Initialize(context.Background(), f.cr); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.sim.Key(f.project.ID, leftover.ID); !ok {
		t.Error("an Observe-only resource's recovery deleted a key in Ory")
	}
	if got := f.sim.Requests(orysim.OpDeleteProjectAPIKey); got != 0 {
		t.Errorf("%d deletes, want none", got)
	}
}

// TestExternalNameSetBack rotates a key twice while something (a composition
// patching the external name from its composite) sets the external name back
// to the first key after each rotation. Before, the second rotation's key was
// forgotten: the set-back name named a gone key, a new key was created over
// the record, and the second key stayed in Ory with its value nowhere.
func TestExternalNameSetBack(t *testing.T) {
	for scope, newResource := range scopes {
		t.Run(scope, func(t *testing.T) {
			f := newFixture(t, newResource, "payments")
			f.update(func(p *common.KeyParameters) { p.Rotation = &common.Rotation{Trigger: "a"} })
			first := f.mustCreate()
			setBack := func() {
				meta.SetExternalName(f.cr, first.ID)
				if err := f.kube.Update(context.Background(), f.cr); err != nil {
					t.Fatal(err)
				}
			}
			for _, trigger := range []string{"b", "c"} {
				f.update(func(p *common.KeyParameters) { p.Rotation.Trigger = trigger })
				for range 3 {
					if _, err := f.reconcile(f.external()); err != nil {
						t.Fatal(err)
					}
					f.refresh()
					setBack()
				}
			}
			if _, err := f.reconcile(f.external()); err != nil {
				t.Fatal(err)
			}
			f.refresh()
			keys := f.sim.Keys(f.project.ID)
			if len(keys) != 1 {
				t.Fatalf("Ory holds %d keys after two rotations, want 1 (no key left behind)", len(keys))
			}
			if got := meta.GetExternalName(f.cr); got != keys[0].ID {
				t.Errorf("external name %s, want the surviving key %s", got, keys[0].ID)
			}
			f.assertStored(keys[0])
		})
	}
}

// TestAdviceFitsThePolicies imports a key under Observe-only and under full
// management, and renames it: what the conditions advise must be something
// the policies let the provider do. The Observe-only message used to advise
// a rename, which under Observe-only does nothing and showed no drift.
func TestAdviceFitsThePolicies(t *testing.T) {
	cases := map[string]struct {
		reason       string
		policies     xpv2.ManagementPolicies
		wantValue    string
		wantUpToDate string
	}{
		"ObserveOnly": {
			reason:       "Under Observe-only the provider replaces nothing: the advice says so, and the rename shows as drift.",
			policies:     xpv2.ManagementPolicies{xpv2.ManagementActionObserve},
			wantValue:    "do not allow Update",
			wantUpToDate: "do not allow Update",
		},
		"FullManagement": {
			reason:       "With Update allowed, a trigger change gets a new key, and the drift is being fixed.",
			policies:     xpv2.ManagementPolicies{xpv2.ManagementActionAll},
			wantValue:    "rotation.trigger",
			wantUpToDate: "the provider replaces it",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, scopes["Namespaced"], "legacy")
			k := f.sim.SeedKey(f.project.ID, "legacy", nil, true)
			meta.SetExternalName(f.cr, k.ID)
			f.cr.SetManagementPolicies(tc.policies)
			f.cr.KeyParameters().Name = "renamed"
			if err := f.kube.Update(context.Background(), f.cr); err != nil {
				t.Fatal(err)
			}
			e := f.external()
			e.policies = true
			if _, err := e.Observe(context.Background(), f.cr); err != nil {
				t.Fatal(err)
			}
			if c := f.cr.GetCondition(common.TypeValue); !strings.Contains(c.Message, tc.wantValue) {
				t.Errorf("%s\nKeyValue message %q, want it to say %q", tc.reason, c.Message, tc.wantValue)
			}
			if c := f.cr.GetCondition(common.TypeUpToDate); c.Reason != common.ReasonDrifted || !strings.Contains(c.Message, tc.wantUpToDate) {
				t.Errorf("%s\nUpToDate %s/%s %q, want Drifted saying %q", tc.reason, c.Status, c.Reason, c.Message, tc.wantUpToDate)
			}
		})
	}
}
