package engine

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/console"
	"github.com/crossplane-contrib/provider-ory/internal/keyview"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// TestRecoverInterruptedCreate puts a resource in the state a crash leaves
// behind mid-create (crossplane-runtime's create-pending annotation, newer
// than any result) and checks that the next reconcile resolves it without a
// person: adopting a key the Secret recorded, deleting a key Ory made whose
// value was never stored, or creating one when Ory made none.
func TestRecoverInterruptedCreate(t *testing.T) {
	cases := map[string]struct {
		reason string
		// crash leaves Ory and the cluster as a crash at some point would.
		crash        func(f *fixture, e *external)
		wantAdopted  bool // the key the crash left is the resource's now
		wantDeleted  int  // keys the recovery deletes
		wantKeptKeys int  // keys of other resources that must survive
	}{
		"BeforeOryWasAsked": {
			reason: "No key was made: the resource creates one.",
			crash:  func(*fixture, *external) {},
		},
		"AfterOryAnsweredBeforeTheValueWasStored": {
			reason: "Ory made a key whose value is lost: it is deleted, and a new key made.",
			crash: func(f *fixture, _ *external) {
				f.sim.SeedKey(f.project.ID, f.cr.KeyParameters().Name, nil, true)
			},
			wantDeleted: 1,
		},
		"AfterTheValueWasStored": {
			reason: "The Secret holds the new key's value and record: the resource adopts it.",
			crash: func(f *fixture, e *external) {
				if _, _, err := e.createStored(context.Background(), f.cr, common.Ref{}); err != nil {
					f.t.Fatal(err)
				}
			},
			wantAdopted: true,
		},
		"SameNameKeyOfAnotherResource": {
			reason: "A key with the same name that another ProjectAPIKey manages is not this create's: it must survive.",
			crash: func(f *fixture, _ *external) {
				k := f.sim.SeedKey(f.project.ID, f.cr.KeyParameters().Name, nil, true)
				other := &namespacedv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Namespace: "team-b", Name: "twin"}}
				meta.SetExternalName(other, k.ID)
				if err := f.kube.Create(context.Background(), other); err != nil {
					f.t.Fatal(err)
				}
			},
			wantKeptKeys: 1,
		},
		"SameNameKeyStoredButNotYetRecordedByAnotherResource": {
			reason: "Another resource with the same name may be between storing its new key and recording it: its Secret's record shows the key is not this create's.",
			crash: func(f *fixture, _ *external) {
				k := f.sim.SeedKey(f.project.ID, f.cr.KeyParameters().Name, nil, true)
				other := &namespacedv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Namespace: "team-b", Name: "twin", UID: "uid-twin"}}
				other.Spec.ForProvider.Name = f.cr.KeyParameters().Name
				other.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: "twin-key"}
				if err := f.kube.Create(context.Background(), other); err != nil {
					f.t.Fatal(err)
				}
				s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team-b", Name: "twin-key",
					Annotations:     map[string]string{common.AnnotationValueOf: f.project.ID + "/" + k.ID},
					OwnerReferences: []metav1.OwnerReference{{APIVersion: "ory.m.crossplane.io/v1alpha1", Kind: "ProjectAPIKey", Name: "twin", UID: "uid-twin", Controller: ptr(true)}}},
					Data: map[string][]byte{common.ConnectionKeyValue: []byte(k.Value)}}
				if err := f.kube.Create(context.Background(), s); err != nil {
					f.t.Fatal(err)
				}
			},
			wantKeptKeys: 1,
		},
	}
	for name, tc := range cases {
		for scope, newResource := range scopes {
			t.Run(name+"/"+scope, func(t *testing.T) {
				f := newFixture(t, newResource, "payments")
				e := f.external()
				if _, err := e.Observe(context.Background(), f.cr); err != nil {
					t.Fatal(err)
				}
				// What the runtime writes before it calls Create.
				meta.SetExternalCreatePending(f.cr, f.now.Add(-time.Second))
				if err := f.kube.Update(context.Background(), f.cr); err != nil {
					t.Fatal(err)
				}
				tc.crash(f, e)
				f.refresh()
				before := f.sim.Keys(f.project.ID)
				f.calls()

				r := &createRecovery{connect: func(context.Context, resource.Managed) (*external, error) { return f.external(), nil }}
				if err := r.Initialize(context.Background(), f.cr); err != nil {
					t.Fatalf("%s\n%v", tc.reason, err)
				}
				f.refresh()
				if meta.ExternalCreateIncomplete(f.cr) {
					t.Fatalf("%s\nthe create is still incomplete: the runtime would stop", tc.reason)
				}
				if got := f.sim.Requests(orysim.OpDeleteProjectAPIKey); got != tc.wantDeleted {
					t.Errorf("%s\n%d keys deleted, want %d", tc.reason, got, tc.wantDeleted)
				}
				if tc.wantAdopted && meta.GetExternalName(f.cr) != before[0].ID {
					t.Errorf("%s\nexternal name %q, want the stored key %q", tc.reason, meta.GetExternalName(f.cr), before[0].ID)
				}

				// The reconciles that follow end with exactly one key of this
				// resource, stored.
				for i := 0; i < 2; i++ {
					if _, err := f.reconcile(f.external()); err != nil {
						t.Fatalf("%s\nreconcile %d: %v", tc.reason, i, err)
					}
					f.refresh()
				}
				keys := f.sim.Keys(f.project.ID)
				if len(keys) != 1+tc.wantKeptKeys {
					t.Fatalf("%s\nOry holds %v, want this resource's key and %d other(s)", tc.reason, f.keyIDs(f.project), tc.wantKeptKeys)
				}
				for _, k := range keys {
					if k.ID == meta.GetExternalName(f.cr) {
						f.assertStored(k)
					}
				}
			})
		}
	}
}

// TestRecoverInterruptedReplacement leaves a replacement as a crash between
// Ory's answer and the Secret write would: the resource marked, a new key in
// Ory that nothing recorded. The next Observe deletes that key instead of
// leaving it for a second replacement to orphan.
func TestRecoverInterruptedReplacement(t *testing.T) {
	for scope, newResource := range scopes {
		t.Run(scope, func(t *testing.T) {
			f := newFixture(t, newResource, "payments")
			old := f.mustCreate()
			f.update(func(p *common.KeyParameters) { p.Name = "payments-v2" })
			mark := `{"since":"` + f.now.UTC().Format(time.RFC3339) + `","project":"` + f.project.ID + `","name":"payments-v2"}`
			if err := patchAnnotations(context.Background(), f.kube, f.cr, map[string]*string{common.AnnotationCreating: &mark}); err != nil {
				t.Fatal(err)
			}
			orphan := f.sim.SeedKey(f.project.ID, "payments-v2", nil, true)
			f.refresh()

			for i := 0; i < 2; i++ {
				if _, err := f.reconcile(f.external()); err != nil {
					t.Fatalf("reconcile %d: %v", i, err)
				}
				f.refresh()
			}
			if _, ok := f.sim.Key(f.project.ID, orphan.ID); ok {
				t.Error("the key the interrupted replacement made is still in Ory, known to nobody")
			}
			if _, ok := f.sim.Key(f.project.ID, old.ID); ok {
				t.Error("the replaced key is still in Ory")
			}
			keys := f.sim.Keys(f.project.ID)
			if len(keys) != 1 {
				t.Fatalf("Ory holds %v, want one key", f.keyIDs(f.project))
			}
			f.assertStored(keys[0])
			if _, marked := f.cr.GetAnnotations()[common.AnnotationCreating]; marked {
				t.Error("the replacement mark was left behind")
			}
		})
	}
}

// losingTransport loses the answer of the next n creates after Ory acted on
// them, as a connection cut at the wrong moment does.
type losingTransport struct {
	base http.RoundTripper
	n    int
}

func (l *losingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.base.RoundTrip(r)
	if err == nil && r.Method == http.MethodPost && l.n > 0 {
		l.n--
		_ = resp.Body.Close()
		return nil, io.ErrUnexpectedEOF
	}
	return resp, err
}

// TestCreateAnswerLost shows that a key Ory made for a create whose answer
// was lost is found and deleted at once, not left in Ory with a value nobody
// has, and that the resource then converges on one stored key.
func TestCreateAnswerLost(t *testing.T) {
	for _, replacement := range []bool{false, true} {
		for scope, newResource := range scopes {
			t.Run(fmt.Sprintf("%s/replacement=%v", scope, replacement), func(t *testing.T) {
				f := newFixture(t, newResource, "payments")
				if replacement {
					f.mustCreate()
					f.update(func(p *common.KeyParameters) { p.Name = "payments-v2" })
				}
				lose := &losingTransport{base: http.DefaultTransport, n: 1}
				e := f.external()
				c := console.New(f.url, workspaceKey, &http.Client{Transport: lose}, "provider-ory-test")
				e.conn = keyview.NewConnection(c, keyview.Options{})
				e.ory = mustKeys(e.kind, e.conn)
				_, err := f.reconcile(e)
				if err == nil || !strings.Contains(err.Error(), "deleted them") {
					t.Fatalf("error = %v, want one saying the key Ory made anyway was deleted", err)
				}
				for i := 0; i < 2; i++ {
					f.refresh()
					if _, err := f.reconcile(f.external()); err != nil {
						t.Fatalf("reconcile %d: %v", i, err)
					}
				}
				f.refresh()
				keys := f.sim.Keys(f.project.ID)
				if len(keys) != 1 {
					t.Fatalf("Ory holds %v, want exactly the resource's key", f.keyIDs(f.project))
				}
				f.assertStored(keys[0])
			})
		}
	}
}

// TestObserveChangesNothingInOry leaves an interrupted create's key in Ory
// and shows that Observe, as crossplane-runtime asks of it, only reports:
// the key is deleted by the repair stage (the initializer that runs before
// Observe in every reconcile), never by Observe.
func TestObserveChangesNothingInOry(t *testing.T) {
	for scope, newResource := range scopes {
		t.Run(scope, func(t *testing.T) {
			f := newFixture(t, newResource, "payments")
			mark := common.CreationMark{Since: f.now.UTC().Truncate(time.Second), Parent: f.project.ID, Name: "payments"}.String()
			if err := patchAnnotations(context.Background(), f.kube, f.cr, map[string]*string{common.AnnotationCreating: &mark}); err != nil {
				t.Fatal(err)
			}
			orphan := f.sim.SeedKey(f.project.ID, "payments", nil, true)
			f.refresh()
			e := f.external()
			if _, err := e.Observe(context.Background(), f.cr); err != nil {
				t.Fatal(err)
			}
			if _, ok := f.sim.Key(f.project.ID, orphan.ID); !ok {
				t.Fatal("Observe deleted a key in Ory; only the repair stage may")
			}
			repair := &createRecovery{connect: func(context.Context, resource.Managed) (*external, error) { return e, nil }}
			if err := repair.Initialize(context.Background(), f.cr); err != nil {
				t.Fatal(err)
			}
			if _, ok := f.sim.Key(f.project.ID, orphan.ID); ok {
				t.Error("the repair stage left the interrupted create's key in Ory, known to nobody")
			}
			if _, marked := f.cr.GetAnnotations()[common.AnnotationCreating]; marked {
				t.Error("the creation mark is still there after the repair")
			}
		})
	}
}
