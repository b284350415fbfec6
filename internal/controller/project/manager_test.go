package project

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// TestOneManager: a second Project resource, of the other scope, imports
// the project a first one manages. The second is refused, and deleting
// either one, with its protection off, never purges the project while the
// other still names it.
func TestOneManager(t *testing.T) {
	unprotected := common.ProjectParameters{Name: "payments", Environment: "prod", HomeRegion: "us-east", DeletionProtection: ptr(false)}
	cases := map[string]struct {
		reason string
		// deleteFirst deletes the resource that manages the project,
		// deleteSecond the one that imported it later.
		deleteFirst, deleteSecond bool
	}{
		"SecondRefused": {
			reason: "An import of a project another resource manages reads and changes nothing, and says which resource manages it and how to go on.",
		},
		"SecondDeleted": {
			reason:       "Deleting the import lets it go and leaves the project, which the first still manages, in Ory.",
			deleteSecond: true,
		},
		"FirstDeleted": {
			reason:      "Deleting the manager while another resource names the project lets the manager go without a purge; the other manages the project from then on.",
			deleteFirst: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			first := newFixture(t, scopes["Namespaced"](unprotected))
			first.mustConverge(first.external())
			first.pastGracePeriod()
			id := meta.GetExternalName(first.cr)

			// The second came later (the first, stored without a creation
			// time, is the older) and carries the finalizer, as a resource
			// a provider without this rule reconciled would.
			cr := scopes["Cluster"](unprotected)
			cr.SetName("importer")
			cr.SetCreationTimestamp(metav1.NewTime(time.Now()))
			cr.SetFinalizers([]string{"finalizer.managedresource.crossplane.io"})
			meta.SetExternalName(cr, id)
			if err := first.kube.Create(context.Background(), cr); err != nil {
				t.Fatal(err)
			}
			second := &fixture{t: t, sim: first.sim, url: first.url, ws: first.ws, kube: first.kube, events: &eventLog{}, cr: cr, cfg: first.cfg}
			second.refresh()
			first.sim.ResetRequests()

			_, err := second.reconcile(second.external())
			if err == nil || !strings.Contains(err.Error(), "already managed by Project.ory.m.crossplane.io team-a/payments") || !strings.Contains(err.Error(), "external-name") {
				t.Fatalf("%s\nthe import: %v, want a refusal naming team-a/payments and how to go on", tc.reason, err)
			}
			if n := first.requests(orysim.OpGetProject); n != 0 {
				t.Errorf("%s\nthe refused import read the project %d times, want none", tc.reason, n)
			}

			var gone, stays *fixture
			switch {
			case tc.deleteFirst:
				gone, stays = first, second
			case tc.deleteSecond:
				gone, stays = second, first
			}
			if gone != nil {
				gone.delete()
				for range 2 {
					if _, err := gone.reconcile(gone.external()); err != nil && !gone.gone() {
						t.Fatalf("%s\ndelete: %v", tc.reason, err)
					}
				}
				if !gone.gone() {
					t.Errorf("%s\nthe deleted resource stays", tc.reason)
				}
				if ev, ok := gone.events.find(string(reasonManagedElsewhere)); !ok || !strings.Contains(ev.Message, id) {
					t.Errorf("%s\nno %s event naming the project left in Ory", tc.reason, reasonManagedElsewhere)
				}
				stays.mustConverge(stays.external())
				if c := stays.cr.GetCondition(xpv2.TypeReady); c.Status != corev1.ConditionTrue {
					t.Errorf("%s\nthe resource left Ready = %s", tc.reason, c.Status)
				}
			}
			if n := first.requests(orysim.OpPurgeProject); n != 0 {
				t.Errorf("%s\n%d purges of a project another resource names, want none", tc.reason, n)
			}
			if p, ok := first.sim.Project(id); !ok || p.State != orysim.ProjectRunning {
				t.Errorf("%s\nproject %s is %q in Ory, want it running", tc.reason, id, p.State)
			}
		})
	}
}

func TestFirstOf(t *testing.T) {
	at := func(ns, name, uid string, created time.Time) metav1.Object {
		return &metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(uid), CreationTimestamp: metav1.NewTime(created)}
	}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		reason string
		a, b   metav1.Object
		want   bool
	}{
		"Older": {
			reason: "The resource made first manages the project.",
			a:      at("team-b", "z", "b", t0), b: at("team-a", "a", "a", t0.Add(time.Second)),
			want: true,
		},
		"Younger": {
			reason: "A later import does not take the project over.",
			a:      at("team-a", "a", "a", t0.Add(time.Second)), b: at("team-b", "z", "b", t0),
		},
		"SameSecondByUID": {
			reason: "Creation times have second precision: the UID decides, the same way every time.",
			a:      at("team-b", "z", "a", t0), b: at("team-a", "a", "b", t0),
			want: true,
		},
		"NoUIDByName": {
			reason: "Without creation times or UIDs (objects not from an API server), namespace and name decide; a cluster-scoped one has no namespace.",
			a:      at("", "payments", "", time.Time{}), b: at("team-a", "payments", "", time.Time{}),
			want: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := firstOf(tc.a, tc.b); got != tc.want {
				t.Errorf("%s\nfirstOf = %t, want %t", tc.reason, got, tc.want)
			}
			if tc.want && firstOf(tc.b, tc.a) {
				t.Errorf("%s\nfirstOf holds both ways", tc.reason)
			}
		})
	}
}
