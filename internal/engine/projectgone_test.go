package engine

import (
	"context"
	"net/http"
	"strings"
	"testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// TestKeysOfAGoneProject drives Observe and Delete against the simulator
// after the key's project went away, in the ways Ory shows it or does not.
func TestKeysOfAGoneProject(t *testing.T) {
	cases := map[string]struct {
		reason  string
		arrange func(f *fixture)
		// gone: Ory showed the project gone, so the key went with it.
		gone bool
	}{
		"Deleted": {
			reason:  "A project deleted in the console reads as state deleted: its key is gone.",
			arrange: func(f *fixture) { f.sim.DeleteProject(f.project.ID) },
			gone:    true,
		},
		"NotFound": {
			reason: "Should Ory answer 404 for the project, that is proof too.",
			arrange: func(f *fixture) {
				f.sim.PurgeProject(f.project.ID)
				f.sim.FailNext(orysim.OpGetProject, 10, http.StatusNotFound)
			},
			gone: true,
		},
		"Purged": {
			reason:  "A purged project answers 403 like one out of reach: the provider cannot tell, so it does not pretend the key is gone.",
			arrange: func(f *fixture) { f.sim.PurgeProject(f.project.ID) },
		},
		"OutOfReach": {
			reason:  "The workspace key lost access to a project that still exists: 403 everywhere, and the key is still in Ory.",
			arrange: func(f *fixture) { f.sim.MoveProject(f.project.ID, "ory_wak_someone_else") },
		},
	}
	for name, tc := range cases {
		for scope, newResource := range scopes {
			t.Run(name+"/"+scope, func(t *testing.T) {
				f := newFixture(t, newResource, "payments")
				f.mustCreate()
				ctx := context.Background()

				// Delete, after an Observe that still saw the key.
				e := f.external()
				if _, err := e.Observe(ctx, f.cr); err != nil {
					t.Fatal(err)
				}
				tc.arrange(f)
				_, err := e.Delete(ctx, f.cr)
				if diff := cmp.Diff(tc.gone, err == nil); diff != "" {
					t.Errorf("%s\nDelete finished (err %v): -want, +got:\n%s", tc.reason, err, diff)
				}

				// Observe of a resource that is not being deleted.
				o, err := f.external().Observe(ctx, f.cr)
				ready := f.cr.GetCondition(xpv2.TypeReady)
				if tc.gone {
					if err != nil {
						t.Fatalf("%s\nObserve: %v", tc.reason, err)
					}
					if !o.ResourceExists || !o.ResourceUpToDate {
						t.Errorf("%s\nObserve = %+v: nothing may be created or replaced in a gone project", tc.reason, o)
					}
					if ready.Status != corev1.ConditionFalse || ready.Reason != common.ReasonProjectDeleted || !strings.Contains(ready.Message, "Delete this resource") {
						t.Errorf("%s\nReady = %s/%s %q, want False/%s saying what to do", tc.reason, ready.Status, ready.Reason, ready.Message, common.ReasonProjectDeleted)
					}
					if diff := cmp.Diff([]string{string(common.ReasonProjectDeleted)}, f.events.reasons()); diff != "" {
						t.Errorf("%s\nevents: -want, +got:\n%s", tc.reason, diff)
					}
				} else {
					if err == nil || !strings.Contains(err.Error(), "403") {
						t.Errorf("%s\nObserve error = %v, want the 403", tc.reason, err)
					}
					if ready.Reason == common.ReasonProjectDeleted {
						t.Errorf("%s\nReady says %s without proof", tc.reason, common.ReasonProjectDeleted)
					}
				}

				// Observe of the resource being deleted.
				now := metav1.Now()
				f.cr.SetDeletionTimestamp(&now)
				o, err = f.external().Observe(ctx, f.cr)
				if tc.gone {
					if err != nil || o.ResourceExists {
						t.Errorf("%s\nObserve while deleting = %+v, %v: want the key absent, so the deletion finishes", tc.reason, o, err)
					}
				} else if err == nil || !strings.Contains(err.Error(), "is kept until key") {
					t.Errorf("%s\nObserve while deleting: error = %v, want one saying why the resource is kept", tc.reason, err)
				}
			})
		}
	}
}
