package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/providerconfig"
)

func duration(d time.Duration) *common.Duration { return common.NewDuration(d) }

// TestRotationSchedule walks a rotated key through its life on a controlled
// clock: expiry from the lifetime, renewAt in status, nothing before it is
// due, a new key (and an event) once it is.
func TestRotationSchedule(t *testing.T) {
	for scope, newResource := range scopes {
		t.Run(scope, func(t *testing.T) {
			f := newFixture(t, newResource, "rotating")
			f.update(func(p *common.KeyParameters) {
				p.Rotation = &common.Rotation{Lifetime: duration(3 * time.Hour), RenewBefore: duration(time.Hour)}
			})
			t0 := f.now
			old := f.mustCreate()
			if want := t0.Add(3 * time.Hour).Truncate(time.Second); old.ExpiresAt == nil || !old.ExpiresAt.Equal(want) {
				t.Fatalf("the key expires at %v, want created + lifetime %v", old.ExpiresAt, want)
			}

			f.now = t0.Add(90 * time.Minute)
			o, err := f.external().Observe(context.Background(), f.cr)
			if err != nil {
				t.Fatal(err)
			}
			if !o.ResourceUpToDate {
				t.Error("a key not yet due for rotation was called out of date")
			}
			if got, want := f.cr.Observation().RenewAt, old.ExpiresAt.Add(-time.Hour); got == nil || !got.Time.Equal(want) {
				t.Errorf("status.atProvider.renewAt = %v, want %v", got, want)
			}

			f.now = t0.Add(2*time.Hour + time.Second)
			if _, err := f.reconcile(f.external()); err != nil {
				t.Fatal(err)
			}
			f.refresh()
			keys := f.sim.Keys(f.project.ID)
			if len(keys) != 1 || keys[0].ID == old.ID {
				t.Fatalf("after the rotation Ory holds %v, want one new key", f.keyIDs(f.project))
			}
			if want := f.now.Add(3 * time.Hour).Truncate(time.Second); !keys[0].ExpiresAt.Equal(want) {
				t.Errorf("the new key expires at %v, want %v", keys[0].ExpiresAt, want)
			}
			f.assertStored(keys[0])
			if diff := cmp.Diff([]string{"RotatedKey"}, f.events.reasons()); diff != "" {
				t.Errorf("events: -want +got:\n%s", diff)
			}
			if o, err := f.external().Observe(context.Background(), f.cr); err != nil || !o.ResourceUpToDate {
				t.Errorf("after the rotation: upToDate=%v err=%v, want a settled key", o.ResourceUpToDate, err)
			}
		})
	}
}

// TestRotationOverlap shows the old key kept for the overlap window after its
// replacement is stored, and deleted once the window has passed.
func TestRotationOverlap(t *testing.T) {
	for scope, newResource := range scopes {
		t.Run(scope, func(t *testing.T) {
			f := newFixture(t, newResource, "rotating")
			f.update(func(p *common.KeyParameters) {
				p.Rotation = &common.Rotation{Lifetime: duration(3 * time.Hour), Overlap: duration(30 * time.Minute)}
			})
			old := f.mustCreate()
			f.now = f.now.Add(2*time.Hour + time.Second) // renewBefore defaults to a third of the lifetime
			if _, err := f.reconcile(f.external()); err != nil {
				t.Fatal(err)
			}
			f.refresh()
			if _, ok := f.sim.Key(old.ProjectID, old.ID); !ok {
				t.Fatal("the old key was deleted before the overlap window passed")
			}
			if got := f.cr.GetAnnotations()[common.AnnotationRetiredKeys]; !strings.Contains(got, old.ID+"@") {
				t.Errorf("retired keys %q do not record the old key with its deletion time", got)
			}
			if len(f.sim.Keys(f.project.ID)) != 2 {
				t.Fatalf("Ory holds %v, want the old and the new key during the overlap", f.keyIDs(f.project))
			}

			f.now = f.now.Add(10 * time.Minute)
			if o, err := f.reconcile(f.external()); err != nil || !o.ResourceUpToDate {
				t.Errorf("inside the overlap window: upToDate=%v err=%v, want nothing to do", o.ResourceUpToDate, err)
			}
			f.now = f.now.Add(21 * time.Minute)
			if _, err := f.reconcile(f.external()); err != nil {
				t.Fatal(err)
			}
			f.refresh()
			if _, ok := f.sim.Key(old.ProjectID, old.ID); ok {
				t.Error("the old key outlived the overlap window")
			}
			if got := f.cr.GetAnnotations()[common.AnnotationRetiredKeys]; got != "" {
				t.Errorf("retired keys %q left after the overlap", got)
			}
		})
	}
}

// TestRotationTrigger shows that a changed trigger rotates once, and only
// once.
func TestRotationTrigger(t *testing.T) {
	for scope, newResource := range scopes {
		t.Run(scope, func(t *testing.T) {
			f := newFixture(t, newResource, "payments")
			old := f.mustCreate()
			f.update(func(p *common.KeyParameters) { p.Rotation = &common.Rotation{Trigger: "incident-4711"} })
			if _, err := f.reconcile(f.external()); err != nil {
				t.Fatal(err)
			}
			f.refresh()
			keys := f.sim.Keys(f.project.ID)
			if len(keys) != 1 || keys[0].ID == old.ID {
				t.Fatalf("after the trigger Ory holds %v, want one new key", f.keyIDs(f.project))
			}
			for i := 0; i < 2; i++ {
				if o, err := f.reconcile(f.external()); err != nil || !o.ResourceUpToDate {
					t.Fatalf("reconcile %d after the rotation: upToDate=%v err=%v, want the trigger satisfied", i, o.ResourceUpToDate, err)
				}
			}
			if n := f.sim.Requests(orysim.OpCreateProjectAPIKey); n != 1 {
				t.Errorf("%d keys created since the first, want exactly one rotation", n)
			}
		})
	}
}

func TestImportValueFrom(t *testing.T) {
	cases := map[string]struct {
		reason          string
		lastCharacters  bool
		value           func(k orysim.Key) string
		acceptUnchecked bool
		noSecret        bool
		wantReason      xpv2.ConditionReason
		wantPublished   bool
	}{
		"Matches": {
			reason:         "The value ends in the key's lastCharacters: it is this key's, and is published.",
			lastCharacters: true, value: func(k orysim.Key) string { return k.Value },
			wantReason: common.ReasonValueStored, wantPublished: true,
		},
		"Mismatch": {
			reason:         "A value of another key must never be published as this key's.",
			lastCharacters: true, value: func(orysim.Key) string { return "ory_pat_someotherkeysvalue0000zzzz" },
			wantReason: common.ReasonImportedValueMismatch,
		},
		"UncheckableRefused": {
			reason:     "A key that predates lastCharacters cannot be checked: refuse unless told otherwise.",
			value:      func(k orysim.Key) string { return k.Value },
			wantReason: common.ReasonImportedValueUnchecked,
		},
		"UncheckableAccepted": {
			reason: "acceptUnchecked publishes a value that cannot be checked.",
			value:  func(k orysim.Key) string { return k.Value }, acceptUnchecked: true,
			wantReason: common.ReasonValueStored, wantPublished: true,
		},
		"SecretMissing": {
			reason:         "A missing source Secret says which one.",
			lastCharacters: true, noSecret: true,
			wantReason: common.ReasonImportedValueUnavailable,
		},
	}
	for name, tc := range cases {
		for scope, newResource := range scopes {
			t.Run(name+"/"+scope, func(t *testing.T) {
				f := newFixture(t, newResource, "imported")
				seeded := f.sim.SeedKey(f.project.ID, "imported", nil, tc.lastCharacters)
				if !tc.noSecret {
					src := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "old-key"}, Data: map[string][]byte{"token": []byte(tc.value(seeded))}}
					if err := f.kube.Create(context.Background(), src); err != nil {
						t.Fatal(err)
					}
				}
				meta.SetExternalName(f.cr, seeded.ID)
				f.update(func(p *common.KeyParameters) {
					p.ImportValueFrom = &common.ValueSource{Name: "old-key", Namespace: "team-a", Key: "token", AcceptUnchecked: tc.acceptUnchecked}
				})
				if _, err := f.external().Observe(context.Background(), f.cr); err != nil {
					t.Fatalf("%s\n%v", tc.reason, err)
				}
				if got := f.cr.GetCondition(common.TypeValue).Reason; got != tc.wantReason {
					t.Errorf("%s\nKeyValue reason = %q, want %q (%s)", tc.reason, got, tc.wantReason, f.cr.GetCondition(common.TypeValue).Message)
				}
				s := f.secret()
				published := s != nil && len(s.Data[common.ConnectionKeyValue]) > 0
				if published != tc.wantPublished {
					t.Fatalf("%s\nvalue published: %v, want %v", tc.reason, published, tc.wantPublished)
				}
				if published && string(s.Data[common.ConnectionKeyValue]) != seeded.Value {
					t.Errorf("%s\nthe published value is not the key's", tc.reason)
				}
				if msg := f.cr.GetCondition(common.TypeValue).Message; strings.Contains(msg, seeded.Value) {
					t.Errorf("%s\nthe condition reveals the value", tc.reason)
				}
				if n := f.sim.Requests(orysim.OpCreateProjectAPIKey); n != 0 {
					t.Errorf("%s\n%d keys created for an import", tc.reason, n)
				}
			})
		}
	}
}

// TestOrphanReleasesTheSecret shows that a resource whose deletion leaves its
// key in Ory gives up its connection Secret, so garbage collection keeps the
// only copy of the value, while a deleting resource keeps ownership.
func TestOrphanReleasesTheSecret(t *testing.T) {
	cases := map[string]struct {
		reason      string
		orphan      func(cr Resource)
		wantRelease bool
		clusterOnly bool
	}{
		"DeletionPolicyOrphan": {
			reason:      "The cluster scope's deletionPolicy Orphan leaves the key: its Secret must stay.",
			orphan:      func(cr Resource) { cr.(resource.Orphanable).SetDeletionPolicy(xpv2.DeletionOrphan) },
			wantRelease: true,
			clusterOnly: true,
		},
		"Delete": {
			reason: "The key is deleted with the resource: the Secret may go too.",
			orphan: func(Resource) {},
		},
		"ManagementPoliciesWithoutDelete": {
			reason:      "Policies without Delete leave the key: its Secret must stay.",
			orphan:      func(cr Resource) { cr.SetManagementPolicies(xpv2.ManagementPolicies{xpv2.ManagementActionObserve}) },
			wantRelease: true,
		},
	}
	for name, tc := range cases {
		for scope, newResource := range scopes {
			if tc.clusterOnly && scope != "Cluster" {
				continue
			}
			t.Run(name+"/"+scope, func(t *testing.T) {
				f := newFixture(t, newResource, "kept")
				f.mustCreate()
				tc.orphan(f.cr)
				// What the runtime does last when it deletes a resource,
				// whether or not it deleted the key.
				fin := finalizer{kube: f.kube, records: f.external().records, record: f.events, policies: true}
				if err := fin.AddFinalizer(context.Background(), f.cr); err != nil {
					t.Fatal(err)
				}
				if err := fin.RemoveFinalizer(context.Background(), f.cr); err != nil {
					t.Fatal(err)
				}
				s := f.secret()
				owned := len(s.GetOwnerReferences()) > 0
				if owned == tc.wantRelease {
					t.Errorf("%s\nSecret still owned: %v, want released: %v", tc.reason, owned, tc.wantRelease)
				}
				if _, kept := s.GetAnnotations()[common.AnnotationKeptFrom]; kept != tc.wantRelease {
					t.Errorf("%s\nkept-from annotation present: %v, want %v", tc.reason, kept, tc.wantRelease)
				}
			})
		}
	}
}

func TestConnectionSecretMetadata(t *testing.T) {
	for scope, newResource := range scopes {
		t.Run(scope, func(t *testing.T) {
			f := newFixture(t, newResource, "payments")
			want := &common.SecretMetadata{Labels: map[string]common.LabelValue{"app": "payments"}, Annotations: map[string]common.AnnotationValue{"reloader.stakater.com/match": "true"}}
			setSecretMetadata(f.cr, want)
			if err := f.kube.Update(context.Background(), f.cr); err != nil {
				t.Fatal(err)
			}
			f.mustCreate()
			s := f.secret()
			if s.Labels["app"] != "payments" || s.Annotations["reloader.stakater.com/match"] != "true" {
				t.Errorf("Secret metadata labels=%v annotations=%v, want the spec's", s.Labels, s.Annotations)
			}
		})
	}
}

func TestAPIURL(t *testing.T) {
	f := newFixture(t, scopes["Namespaced"], "payments")
	custom := "https://auth.example.com"
	e := f.external(func(c *providerconfig.Config) { c.ProjectAPIURLs = map[string]string{f.project.ID: custom} })
	if _, err := f.reconcile(e); err != nil {
		t.Fatal(err)
	}
	if got := string(f.secret().Data[common.ConnectionKeyAPIURL]); got != custom {
		t.Errorf("apiURL = %q, want the ProviderConfig's override %q", got, custom)
	}
	if n := f.sim.Requests(orysim.OpGetProject); n != 0 {
		t.Errorf("%d project look-ups although the URL was overridden", n)
	}
}

// TestFinalizerKeepsTheObservedStatus shows that adding the finalizer, which
// the runtime does right after the first Observe, keeps what Observe set in
// memory: a full Update would replace it with the server's empty status, and
// an imported key would show nothing until the next poll.
func TestFinalizerKeepsTheObservedStatus(t *testing.T) {
	for scope, newResource := range scopes {
		t.Run(scope, func(t *testing.T) {
			f := newFixture(t, newResource, "imported")
			seeded := f.sim.SeedKey(f.project.ID, "imported", nil, true)
			meta.SetExternalName(f.cr, seeded.ID)
			if err := f.kube.Update(context.Background(), f.cr); err != nil {
				t.Fatal(err)
			}
			if _, err := f.external().Observe(context.Background(), f.cr); err != nil {
				t.Fatal(err)
			}
			fin := finalizer{kube: f.kube, records: f.external().records, record: f.events, policies: true}
			if err := fin.AddFinalizer(context.Background(), f.cr); err != nil {
				t.Fatal(err)
			}
			if got := f.cr.Observation().ID; got != seeded.ID {
				t.Errorf("after AddFinalizer status.atProvider.id = %q, want the observed %q", got, seeded.ID)
			}
			if got := f.cr.GetCondition(xpv2.TypeReady).Reason; got != xpv2.ReasonAvailable {
				t.Errorf("after AddFinalizer Ready reason = %q, want the observed Available", got)
			}
			f.refresh()
			if !meta.FinalizerExists(f.cr, "finalizer.managedresource.crossplane.io") {
				t.Error("the finalizer was not stored")
			}
			if err := fin.RemoveFinalizer(context.Background(), f.cr); err != nil {
				t.Fatal(err)
			}
			f.refresh()
			if len(f.cr.GetFinalizers()) != 0 {
				t.Errorf("finalizers %v left after RemoveFinalizer", f.cr.GetFinalizers())
			}
		})
	}
}

// TestForeignConnectionSecret shows that a connection Secret the resource
// does not own is never taken over where that could lose a value: one that
// another object controls, and one kept for a key left in Ory when its
// resource was deleted, unless the resource manages that very key.
func TestForeignConnectionSecret(t *testing.T) {
	cases := map[string]struct {
		reason    string
		secret    func(f *fixture, kept orysim.Key) *corev1.Secret
		importKey bool
		// marked leaves an interrupted create's mark on the resource.
		marked  bool
		wantErr string
	}{
		"ControlledByAnotherObject": {
			reason: "Another object's Secret is named in the error, before any call to Ory.",
			secret: func(_ *fixture, _ orysim.Key) *corev1.Secret {
				return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{OwnerReferences: []metav1.OwnerReference{
					{APIVersion: "v1", Kind: "ConfigMap", Name: "someone-else", UID: "uid-other", Controller: ptr(true)}}}}
			},
			wantErr: "belongs to ConfigMap someone-else",
		},
		"KeptForAnOrphanedKey": {
			reason: "A kept Secret holds the only copy of a live key's value: a new key must not overwrite it.",
			secret: func(f *fixture, kept orysim.Key) *corev1.Secret {
				return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{
					common.AnnotationKeptFrom: "ProjectAPIKey.ory.m.crossplane.io team-a/old", common.AnnotationValueOf: f.project.ID + "/" + kept.ID}},
					Data: map[string][]byte{common.ConnectionKeyValue: []byte(kept.Value)}}
			},
			wantErr: "kept when ProjectAPIKey.ory.m.crossplane.io team-a/old was deleted",
		},
		"KeptForAnOrphanedKeyDuringARepair": {
			reason: "A resource with an interrupted create whose Secret is a kept one: the repair counts the kept key as known (it is not deleted) and does not fail on the Secret, and Observe then refuses the Secret as for any create.",
			secret: func(f *fixture, kept orysim.Key) *corev1.Secret {
				return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{
					common.AnnotationKeptFrom: "ProjectAPIKey.ory.m.crossplane.io team-a/old", common.AnnotationValueOf: f.project.ID + "/" + kept.ID}},
					Data: map[string][]byte{common.ConnectionKeyValue: []byte(kept.Value)}}
			},
			marked:  true,
			wantErr: "kept when ProjectAPIKey.ory.m.crossplane.io team-a/old was deleted",
		},
		"KeptFromAnotherKind": {
			reason: "A Secret kept for a key of another kind is not taken over, whatever its record says: this kind's API could never find that key.",
			secret: func(f *fixture, kept orysim.Key) *corev1.Secret {
				return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{
					common.AnnotationKeptFrom: "WorkspaceAPIKey.ory.m.crossplane.io team-a/old", common.AnnotationValueOf: f.project.ID + "/" + kept.ID}},
					Data: map[string][]byte{common.ConnectionKeyValue: []byte(kept.Value)}}
			},
			importKey: true,
			wantErr:   "a key of another kind, kept from WorkspaceAPIKey",
		},
		"KeptSecretReimported": {
			reason: "Importing the kept key takes its Secret back, with the value.",
			secret: func(f *fixture, kept orysim.Key) *corev1.Secret {
				return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{
					common.AnnotationKeptFrom: "ProjectAPIKey.ory.m.crossplane.io team-a/old", common.AnnotationValueOf: f.project.ID + "/" + kept.ID}},
					Data: map[string][]byte{common.ConnectionKeyValue: []byte(kept.Value)}}
			},
			importKey: true,
		},
	}
	for name, tc := range cases {
		for scope, newResource := range scopes {
			t.Run(name+"/"+scope, func(t *testing.T) {
				f := newFixture(t, newResource, "payments")
				kept := f.sim.SeedKey(f.project.ID, "payments", nil, true)
				s := tc.secret(f, kept)
				nn, _ := connectionSecret(f.cr)
				s.Namespace, s.Name = nn.Namespace, nn.Name
				if err := f.kube.Create(context.Background(), s); err != nil {
					t.Fatal(err)
				}
				if tc.importKey {
					meta.SetExternalName(f.cr, kept.ID)
					if err := f.kube.Update(context.Background(), f.cr); err != nil {
						t.Fatal(err)
					}
				}
				if tc.marked {
					mark := common.CreationMark{Since: f.now.UTC().Truncate(time.Second), Parent: f.project.ID, Name: "payments"}.String()
					if err := patchAnnotations(context.Background(), f.kube, f.cr, map[string]*string{common.AnnotationCreating: &mark}); err != nil {
						t.Fatal(err)
					}
				}
				f.calls()
				_, err := f.reconcile(f.external())
				switch {
				case tc.wantErr == "" && err != nil:
					t.Fatalf("%s\n%v", tc.reason, err)
				case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
					t.Fatalf("%s\nerror = %v, want one containing %q", tc.reason, err, tc.wantErr)
				}
				if tc.marked {
					f.refresh()
					if _, marked := f.cr.GetAnnotations()[common.AnnotationCreating]; marked {
						t.Errorf("%s\nthe repair stage did not finish: the creation mark is still there", tc.reason)
					}
					if _, ok := f.sim.Key(f.project.ID, kept.ID); !ok {
						t.Errorf("%s\nthe repair deleted the kept key, whose value its Secret holds", tc.reason)
					}
				}
				if tc.wantErr != "" {
					// Reading is allowed (a kept Secret is taken over only once
					// Ory shows its key gone); creating or deleting is not.
					for _, c := range f.calls() {
						if c != orysim.OpListProjectAPIKeys {
							t.Errorf("%s\nOry call %s, want no change in Ory", tc.reason, c)
						}
					}
					if got := string(f.secret().Data[common.ConnectionKeyValue]); tc.secret(f, kept).Data != nil && got != kept.Value {
						t.Errorf("%s\nthe kept value was overwritten", tc.reason)
					}
					return
				}
				if got := f.cr.GetCondition(common.TypeValue).Reason; got != common.ReasonValueStored {
					t.Errorf("%s\nKeyValue reason = %q, want Stored", tc.reason, got)
				}
			})
		}
	}
}
