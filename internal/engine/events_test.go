package engine

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/console"
)

// TestKeyExpiredEvent shows that a key past its expiry is told in a Warning
// event KeyExpired once, when Observe first finds it expired, and not at
// every poll after; a replacement that expires in its turn is told again.
// Each step observes the resource as the reconciler would and stores its
// status, as the runtime does after Observe.
func TestKeyExpiredEvent(t *testing.T) {
	steps := []struct {
		reason string
		// act changes the world before the Observe.
		act  func(f *fixture)
		want int // KeyExpired events after the Observe, in all
	}{
		{reason: "A key that has not expired yet is not reported.", act: func(*fixture) {}, want: 0},
		{reason: "The first Observe past the expiry reports it.", act: func(f *fixture) { f.now = f.now.Add(2 * time.Hour) }, want: 1},
		{reason: "The next polls do not repeat it.", act: func(*fixture) {}, want: 1},
		{reason: "Nor does a poll a day later.", act: func(f *fixture) { f.now = f.now.Add(24 * time.Hour) }, want: 1},
		{reason: "A replacement with a later expiry is not expired.", act: func(f *fixture) {
			later := metav1.NewTime(f.now.Add(time.Hour).Truncate(time.Second))
			f.update(func(p *common.KeyParameters) { p.ExpiresAt = &later })
			if _, err := f.reconcile(f.external()); err != nil {
				f.t.Fatal(err)
			}
			f.storeStatus()
		}, want: 1},
		{reason: "When the replacement expires, that is a new key expiring: reported again.", act: func(f *fixture) { f.now = f.now.Add(2 * time.Hour) }, want: 2},
	}
	for name, newResource := range scopes {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, newResource, "payments")
			in := metav1.NewTime(f.now.Add(time.Hour).Truncate(time.Second))
			f.update(func(p *common.KeyParameters) { p.ExpiresAt = &in })
			f.mustCreate()
			for i, s := range steps {
				s.act(f)
				if _, err := f.external().Observe(context.Background(), f.cr); err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				f.storeStatus()
				if got := f.countEvents("KeyExpired"); got != s.want {
					t.Errorf("step %d: %s\n%d KeyExpired events, want %d (events: %v)", i, s.reason, got, s.want, f.events.reasons())
				}
			}
		})
	}
}

// TestDeleteEndsCreationGracePeriod shows that deleting a key created moments
// ago clears the runtime's creation annotations, so that the next reconcile
// does not wait out the 30 s creation grace period ("Waiting for external
// resource existence to be confirmed") before it removes the finalizer; and
// that a resource whose key Observe did not find keeps them.
func TestDeleteEndsCreationGracePeriod(t *testing.T) {
	cases := map[string]struct {
		reason string
		// goneBefore deletes the key in Ory before Observe.
		goneBefore bool
		// wantGrace: the runtime still sees a create within the grace period.
		wantGrace bool
	}{
		"KeyFoundAndDeleted": {
			reason: "Observe found the key and Delete deleted it: its existence was confirmed, so the grace period guards nothing.",
		},
		"KeyNotFound": {
			reason:     "Observe did not find a fresh key: an eventually consistent list may hide it, so the runtime's grace period stays.",
			goneBefore: true, wantGrace: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, scopes["Namespaced"], "payments")
			k := f.mustCreate()
			if !meta.ExternalCreateSucceededDuring(f.cr, creationGracePeriod) {
				t.Fatal("the create did not record its success")
			}
			if tc.goneBefore {
				c := console.New(f.url, workspaceKey, http.DefaultClient, "provider-ory-test")
				if err := c.DeleteProjectKey(context.Background(), k.ProjectID, k.ID); err != nil {
					t.Fatal(err)
				}
			}
			now := metav1.Now()
			f.cr.SetDeletionTimestamp(&now)
			e := f.external()
			o, err := e.Observe(context.Background(), f.cr)
			if err != nil {
				t.Fatal(err)
			}
			if o.ResourceExists {
				if _, err := e.Delete(context.Background(), f.cr); err != nil {
					t.Fatal(err)
				}
			}
			f.refresh()
			if got := meta.ExternalCreateSucceededDuring(f.cr, creationGracePeriod); got != tc.wantGrace {
				t.Errorf("%s\nwithin the creation grace period: %t, want %t", tc.reason, got, tc.wantGrace)
			}
			if meta.ExternalCreateIncomplete(f.cr) {
				t.Errorf("%s\nthe creation annotations read as an interrupted create: %v", tc.reason, f.cr.GetAnnotations())
			}
			if n := len(f.sim.Keys(f.project.ID)); n != 0 {
				t.Errorf("%s\n%d keys left in Ory", tc.reason, n)
			}
		})
	}
}

// storeStatus stores the resource's status, as the runtime does after
// Observe, and re-reads it.
func (f *fixture) storeStatus() {
	f.t.Helper()
	if err := f.kube.Status().Update(context.Background(), f.cr); err != nil {
		f.t.Fatal(err)
	}
	f.refresh()
}

// countEvents counts the recorded events with a reason.
func (f *fixture) countEvents(reason string) int {
	n := 0
	for _, r := range f.events.reasons() {
		if r == reason {
			n++
		}
	}
	return n
}
