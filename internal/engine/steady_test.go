package engine

import (
	"context"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/crossplane-contrib/provider-ory/apis"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/config"
)

const (
	steadyProjectID = "7d1f4a52-9c1e-4c8a-a0b3-2e5f6a7b8c9d"
	steadyKeyID     = "0b6b8b2e-4a4f-4b7e-9d0a-3f1c2d3e4f50"
	otherKeyID      = "5e4d3c2b-1a09-4f8e-8d7c-6b5a49382716"
)

// steadyWorld is a fake API server holding a namespaced ProjectAPIKey and its
// connection Secret (the key's value, identity and record), with counters of
// the requests that would reach the API server.
type steadyWorld struct {
	kube                 client.Client
	cr                   *namespacedv1alpha1.ProjectAPIKey
	secretReads, patches int
	statusUpdates        int
	lastRecords          *records // the records under test, for a case that changes them
}

func newSteadyWorld(t *testing.T) *steadyWorld {
	t.Helper()
	s := runtime.NewScheme()
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := corev1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	w := &steadyWorld{}
	w.cr = &namespacedv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "api", UID: "uid-ns",
		Annotations: map[string]string{"crossplane.io/external-name": steadyKeyID}}}
	w.cr.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: "api-key"}
	w.cr.Status.SetConditions(xpv2.Available())
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "api-key",
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "ory.m.crossplane.io/v1alpha1", Kind: "ProjectAPIKey", Name: "api", UID: "uid-ns", Controller: ptr(true)}},
			Annotations:     map[string]string{common.AnnotationValueOf: steadyProjectID + "/" + steadyKeyID}},
		Type: "connection.crossplane.io/v1alpha1",
		Data: map[string][]byte{common.ConnectionKeyValue: []byte("ory_pak_value"), common.ConnectionKeyID: []byte(steadyKeyID)},
	}
	w.kube = fake.NewClientBuilder().WithScheme(s).WithObjects(w.cr, secret).WithStatusSubresource(w.cr).WithInterceptorFuncs(interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if _, ok := obj.(*corev1.Secret); ok {
				w.secretReads++
			}
			return c.Get(ctx, key, obj, opts...)
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, p client.Patch, opts ...client.PatchOption) error {
			w.patches++
			return c.Patch(ctx, obj, p, opts...)
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			w.statusUpdates++
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
	}).Build()
	if err := w.kube.Get(context.Background(), client.ObjectKeyFromObject(w.cr), w.cr); err != nil {
		t.Fatal(err)
	}
	return w
}

// records returns the records of the world's kind, remembering what they
// read by the world's resourceVersions (the fake client is its own metadata
// cache).
func (w *steadyWorld) records() *records {
	return &records{reader: w.kube, kube: w.kube, typer: w.kube.Scheme(), keys: config.ProjectAPIKey.ConnectionKeys, metadata: w.kube}
}

// editSecret changes the connection Secret as someone else would, without
// the reads the counters count.
func (w *steadyWorld) editSecret(t *testing.T, change func(*corev1.Secret)) {
	t.Helper()
	reads := w.secretReads
	s := &corev1.Secret{}
	if err := w.kube.Get(context.Background(), client.ObjectKey{Namespace: "team-a", Name: "api-key"}, s); err != nil {
		t.Fatal(err)
	}
	change(s)
	if err := w.kube.Update(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	w.secretReads = reads
}

// TestRecordReadWhenChanged checks that the connection Secret's record is
// read from the API server once while the Secret is unchanged, and again as
// soon as anyone changes or deletes it: an edited or deleted connection
// Secret is seen at the next poll.
func TestRecordReadWhenChanged(t *testing.T) {
	cases := map[string]struct {
		reason string
		change func(t *testing.T, w *steadyWorld)
		// wantReads are the API server reads over three reads of the record;
		// the third read's record must have wantValue and wantValueOf.
		wantReads   int
		wantValue   bool
		wantValueOf string
	}{
		"Unchanged": {
			reason:      "A Secret at the resourceVersion it was read at is not read again.",
			wantReads:   1,
			wantValue:   true,
			wantValueOf: steadyKeyID,
		},
		"ValueEmptied": {
			reason: "Someone emptied the value: the Secret has a new resourceVersion, so it is read again and the loss seen.",
			change: func(t *testing.T, w *steadyWorld) {
				w.editSecret(t, func(s *corev1.Secret) { delete(s.Data, common.ConnectionKeyValue) })
			},
			wantReads:   2,
			wantValueOf: steadyKeyID,
		},
		"RecordEdited": {
			reason: "Someone changed the record annotation: read again.",
			change: func(t *testing.T, w *steadyWorld) {
				w.editSecret(t, func(s *corev1.Secret) { s.Annotations[common.AnnotationValueOf] = steadyProjectID + "/" + otherKeyID })
			},
			wantReads:   2,
			wantValue:   true,
			wantValueOf: otherKeyID,
		},
		"Deleted": {
			reason: "A deleted Secret is read again (and found missing), not answered from memory.",
			change: func(t *testing.T, w *steadyWorld) {
				if err := w.kube.Delete(context.Background(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "api-key"}}); err != nil {
					t.Fatal(err)
				}
			},
			wantReads: 2,
		},
		"WrittenByTheProvider": {
			reason: "The provider's own write forgets the record at once: the metadata cache may still show the old resourceVersion.",
			change: func(_ *testing.T, w *steadyWorld) {
				w.lastRecords.forget(client.ObjectKey{Namespace: "team-a", Name: "api-key"})
			},
			wantReads:   2,
			wantValue:   true,
			wantValueOf: steadyKeyID,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := newSteadyWorld(t)
			r := w.records()
			w.lastRecords = r
			for range 2 {
				if _, err := r.read(context.Background(), w.cr); err != nil {
					t.Fatal(err)
				}
			}
			if tc.change != nil {
				tc.change(t, w)
			}
			rec, err := r.read(context.Background(), w.cr)
			if err != nil {
				t.Fatal(err)
			}
			if w.secretReads != tc.wantReads {
				t.Errorf("%s\nAPI server reads: got %d, want %d", tc.reason, w.secretReads, tc.wantReads)
			}
			if rec.hasValue != tc.wantValue || rec.valueOf.ID != tc.wantValueOf {
				t.Errorf("%s\nrecord: got value %t of %q, want value %t of %q", tc.reason, rec.hasValue, rec.valueOf.ID, tc.wantValue, tc.wantValueOf)
			}
		})
	}
}

// TestQuietClient checks the two writes of the runtime's managed reconciler
// that the quiet client leaves out when they would change nothing, and only
// then: the status update, and the publishing of connection details.
func TestQuietClient(t *testing.T) {
	cases := map[string]struct {
		reason string
		// act does what the runtime does at the end of a reconcile, through
		// the quiet client c.
		act         func(t *testing.T, w *steadyWorld, c client.Client)
		wantPatches int
		wantUpdates int
		// wantReads counts the read that made the record.
		wantReads int
	}{
		"StatusUnchanged": {
			reason: "The status the cache holds, at the same resourceVersion, is not written again.",
			act: func(t *testing.T, w *steadyWorld, c client.Client) {
				w.cr.Status.SetConditions(xpv2.Available()) // the same condition: its transition time is kept
				mustNot(t, c.Status().Update(context.Background(), w.cr))
			},
			wantReads: 1,
		},
		"StatusChanged": {
			reason: "A changed condition is written.",
			act: func(t *testing.T, w *steadyWorld, c client.Client) {
				w.cr.Status.SetConditions(xpv2.Unavailable())
				mustNot(t, c.Status().Update(context.Background(), w.cr))
			},
			wantReads:   1,
			wantUpdates: 1,
		},
		"StatusObservationChanged": {
			reason: "A changed observed field is written.",
			act: func(t *testing.T, w *steadyWorld, c client.Client) {
				w.cr.Status.AtProvider.LastCharacters = "abcd"
				mustNot(t, c.Status().Update(context.Background(), w.cr))
			},
			wantReads:   1,
			wantUpdates: 1,
		},
		"ResourceChangedSinceRead": {
			reason: "Another resourceVersion in the cache means the object changed since it was read: the update goes to the API server (and may conflict there).",
			act: func(t *testing.T, w *steadyWorld, c client.Client) {
				w.cr.SetResourceVersion("1")
				_ = c.Status().Update(context.Background(), w.cr)
			},
			wantReads:   1,
			wantUpdates: 1,
		},
		"PublishUnchanged": {
			reason: "Details the Secret holds already (as its current record shows) are not published again: no read, no patch.",
			act: func(t *testing.T, w *steadyWorld, c client.Client) {
				_, err := managed.NewAPILocalSecretPublisher(c, w.kube.Scheme()).PublishConnection(context.Background(), w.cr, managed.ConnectionDetails{common.ConnectionKeyID: []byte(steadyKeyID)})
				mustNot(t, err)
			},
			wantReads: 1,
		},
		"PublishChanged": {
			reason: "A detail the Secret does not hold is published as before.",
			act: func(t *testing.T, w *steadyWorld, c client.Client) {
				_, err := managed.NewAPILocalSecretPublisher(c, w.kube.Scheme()).PublishConnection(context.Background(), w.cr, managed.ConnectionDetails{"apiURL": []byte("https://x.projects.oryapis.com")})
				mustNot(t, err)
			},
			wantReads:   2,
			wantPatches: 1,
		},
		"PublishNothing": {
			reason: "No details (an Observe that found no key, before a create) are not published: no read, and no empty Secret created or patched.",
			act: func(t *testing.T, w *steadyWorld, c client.Client) {
				for _, d := range []managed.ConnectionDetails{nil, {}} {
					published, err := managed.NewAPILocalSecretPublisher(c, w.kube.Scheme()).PublishConnection(context.Background(), w.cr, d)
					mustNot(t, err)
					if published {
						t.Errorf("published %v, want nothing published", d)
					}
				}
			},
			wantReads: 1,
		},
		"PublishAfterEdit": {
			reason: "Someone removed the id from the Secret: its new resourceVersion makes the record stale, and the id is published again.",
			act: func(t *testing.T, w *steadyWorld, c client.Client) {
				w.editSecret(t, func(s *corev1.Secret) { delete(s.Data, common.ConnectionKeyID) })
				_, err := managed.NewAPILocalSecretPublisher(c, w.kube.Scheme()).PublishConnection(context.Background(), w.cr, managed.ConnectionDetails{common.ConnectionKeyID: []byte(steadyKeyID)})
				mustNot(t, err)
			},
			wantReads:   2,
			wantPatches: 1,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := newSteadyWorld(t)
			r := w.records()
			// Observe reads the record first, as every reconcile does.
			if _, err := r.read(context.Background(), w.cr); err != nil {
				t.Fatal(err)
			}
			tc.act(t, w, quietClient{Client: w.kube, records: r})
			if w.patches != tc.wantPatches || w.statusUpdates != tc.wantUpdates || w.secretReads != tc.wantReads {
				t.Errorf("%s\npatches, status updates, Secret reads: got %d, %d, %d, want %d, %d, %d", tc.reason,
					w.patches, w.statusUpdates, w.secretReads, tc.wantPatches, tc.wantUpdates, tc.wantReads)
			}
		})
	}
}

func mustNot(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestAlignedPolls checks the poll interval hook: every key of a project is
// next polled at the same moment, the project's phase of the interval,
// whenever its last reconcile ended; no wait is longer than the interval
// and a little; a key whose project is not known yet waits the interval.
func TestAlignedPolls(t *testing.T) {
	const interval = time.Minute
	start := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	key := func(project string) *namespacedv1alpha1.ProjectAPIKey {
		k := &namespacedv1alpha1.ProjectAPIKey{}
		k.Status.AtProvider.ProjectID = project
		return k
	}
	cases := map[string]struct {
		reason string
		// ends are the offsets from start at which reconciles of keys of
		// projects end.
		ends     []time.Duration
		projects []string
		// same: all are next polled at one moment.
		same bool
	}{
		"OneProjectSpreadOut": {
			reason:   "Keys of one project whose reconciles ended all over the interval are next polled together.",
			ends:     []time.Duration{0, 7 * time.Second, 29 * time.Second, 58 * time.Second, 61 * time.Second},
			projects: []string{"p1", "p1", "p1", "p1", "p1"},
			same:     true,
		},
		"TwoProjects": {
			reason:   "Keys of different projects keep their own phases.",
			ends:     []time.Duration{0, 0},
			projects: []string{"p1", "p2"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			next := map[time.Time]bool{}
			for i, end := range tc.ends {
				now := start.Add(end)
				wait := alignedPolls(func() time.Time { return now })(key(tc.projects[i]), interval)
				if wait < interval/30 || wait > interval+interval/30 {
					t.Errorf("%s\nwait %s is outside [%s, %s]", tc.reason, wait, interval/30, interval+interval/30)
				}
				at := now.Add(wait)
				// Polls one interval apart are the same phase.
				next[at.Add(-time.Duration(at.Sub(start)/interval)*interval)] = true
			}
			if tc.same != (len(next) == 1) {
				t.Errorf("%s\nphases: got %d distinct, want same=%t", tc.reason, len(next), tc.same)
			}
		})
	}
	t.Run("UnknownProject", func(t *testing.T) {
		if got := alignedPolls(time.Now)(key(""), interval); got != interval {
			t.Errorf("a key whose project is not known yet: got wait %s, want the interval", got)
		}
	})
}

// TestStoreNewSecret checks the writes of a create whose Observe found no
// connection Secret: the Secret is created without reading it first, and
// what was written answers the next read without the API server; should
// the Secret exist after all, it is written as before (read, then patched).
func TestStoreNewSecret(t *testing.T) {
	cases := map[string]struct {
		reason string
		// exists: the Secret exists when the create writes it.
		exists               bool
		absent               bool
		wantReads, wantPatch int
	}{
		"Absent": {
			reason: "Observe found no Secret: create it at once, and remember what was written.",
			absent: true,
		},
		"AppearedMeanwhile": {
			reason:    "Observe found none, but it exists now: the create fails and the write reads and patches it, as without the shortcut.",
			exists:    true,
			absent:    true,
			wantReads: 1, // the applicator's; the patch's answer is remembered
			wantPatch: 1,
		},
		"NotKnownAbsent": {
			reason:    "Without Observe's word the write reads first.",
			exists:    true,
			wantReads: 1,
			wantPatch: 1,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := newSteadyWorld(t)
			if !tc.exists {
				if err := w.kube.Delete(context.Background(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "api-key"}}); err != nil {
					t.Fatal(err)
				}
			}
			r := w.records()
			details := map[string][]byte{common.ConnectionKeyValue: []byte("ory_pak_new"), common.ConnectionKeyID: []byte(otherKeyID)}
			ref := common.Ref{Parent: steadyProjectID, ID: otherKeyID}
			mustNot(t, r.store(context.Background(), w.cr, details, stored{valueOf: ref}, tc.absent))
			rec, err := r.read(context.Background(), w.cr)
			mustNot(t, err)
			if !rec.holds(ref) {
				t.Errorf("%s\nthe record read after the write does not hold the new key's value", tc.reason)
			}
			if w.secretReads != tc.wantReads || w.patches != tc.wantPatch {
				t.Errorf("%s\nSecret reads, patches: got %d, %d, want %d, %d", tc.reason, w.secretReads, w.patches, tc.wantReads, tc.wantPatch)
			}
		})
	}
}
