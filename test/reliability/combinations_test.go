package reliability

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// TestOrphaningDuringAnOverlap stops managing a key, in every way a resource
// can, while a replaced key waits out its rotation overlap, and counts what
// is left in Ory that nothing knows of. Before the fix the replaced key was
// left for good: nothing would delete it and its value was in no Secret.
// Counts go into the reliability line (keys, leaked).
func TestOrphaningDuringAnOverlap(t *testing.T) {
	t.Parallel()
	ways := map[string]struct {
		reason string
		short  string // the resource's name
		scope  testkit.Scope
		stop   func(k testkit.ProjectKey)
	}{
		"DeletionPolicyOrphan": {
			reason: "deletionPolicy Orphan (cluster scope) keeps the current key only.",
			short:  "orphan",
			scope:  testkit.Cluster,
			stop:   func(k testkit.ProjectKey) { k.(*clusterv1alpha1.ProjectAPIKey).SetDeletionPolicy(xpv2.DeletionOrphan) },
		},
		"PoliciesWithoutDeleteNamespaced": {
			reason: "Management policies without Delete keep the current key only.",
			short:  "no-delete",
			scope:  testkit.Namespaced,
			stop: func(k testkit.ProjectKey) {
				k.SetManagementPolicies(xpv2.ManagementPolicies{xpv2.ManagementActionObserve, xpv2.ManagementActionCreate, xpv2.ManagementActionUpdate, xpv2.ManagementActionLateInitialize})
			},
		},
		"PoliciesWithoutDeleteCluster": {
			reason: "The same on the cluster scope.",
			short:  "no-delete-cluster",
			scope:  testkit.Cluster,
			stop: func(k testkit.ProjectKey) {
				k.SetManagementPolicies(xpv2.ManagementPolicies{xpv2.ManagementActionObserve, xpv2.ManagementActionCreate, xpv2.ManagementActionUpdate, xpv2.ManagementActionLateInitialize})
			},
		},
	}
	ns := h.NewNamespace(t, "orphan-overlap")
	for name, w := range ways {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			k := testkit.NewProjectKey(w.scope, ns, w.short, common.KeyParameters{
				Name:     ns + "-" + w.short,
				Rotation: &common.Rotation{Trigger: "a", Overlap: common.NewDuration(time.Hour)},
			}, "")
			h.Create(t, k)
			first := h.WaitStored(t, k, project.ID)
			h.Update(t, k, func() { p := k.KeyParameters(); p.Rotation.Trigger = "b" })
			h.Within(waitTimeout).Eventually(t, "the rotation recorded", func() (bool, string) {
				if err := h.Refresh(k); err != nil {
					return false, err.Error()
				}
				return testkit.KeyIDOf(meta.GetExternalName(k)) != first.ID && k.GetAnnotations()[common.AnnotationRetiredKeys] != "", fmt.Sprint(k.GetAnnotations())
			})
			current := testkit.KeyIDOf(meta.GetExternalName(k))
			h.Within(waitTimeout).Eventually(t, "the resource set to leave its key", func() (bool, string) {
				if err := h.Refresh(k); err != nil {
					return false, err.Error()
				}
				w.stop(k)
				err := kube.Update(context.Background(), k)
				return err == nil, fmt.Sprint(err)
			})
			time.Sleep(pollInterval)
			if err := kube.Delete(context.Background(), k); err != nil {
				t.Fatal(err)
			}
			h.Within(waitTimeout).WaitGone(t, k)
			leaked := 0
			if _, ok := sim.Key(project.ID, first.ID); ok {
				leaked++
				t.Errorf("%s\nthe replaced key %s is still in Ory, known to no manifest", w.reason, first.ID)
			}
			if _, ok := sim.Key(project.ID, current); !ok {
				t.Errorf("%s\nthe current key %s was deleted; orphaning must keep it", w.reason, current)
			}
			report.Add(testkit.Counters{Kind: testkit.ProjectAPIKey.Name, Keys: 1, Leaked: leaked})
		})
	}
}

// TestOneKeyOneManager imports, from each scope, a key another resource of
// either scope and the same kind manages, for every key kind. Before the fix
// the import was accepted: deleting either deleted the key, and the other
// silently made a new one. Each refused import counts as a rejected bad
// input in the reliability line; the holder losing its value counts as lost.
func TestOneKeyOneManager(t *testing.T) {
	t.Parallel()
	ns := h.NewNamespace(t, "one-manager")
	ws := sim.AddWorkspace(workspaceKey)
	for _, kind := range testkit.Kinds {
		// A project key takes the shared config's project; a workspace
		// key names the shared workspace.
		parent, inSpec := project.ID, ""
		if kind.Name == testkit.WorkspaceAPIKey.Name {
			parent, inSpec = ws.ID, ws.ID
		}
		for _, holderScope := range testkit.Scopes {
			for _, importScope := range testkit.Scopes {
				t.Run(kind.Name+"/"+string(holderScope)+"HoldsFor"+string(importScope), func(t *testing.T) {
					t.Parallel()
					base := strings.ToLower(kind.Name[:1] + string(holderScope)[:1] + string(importScope)[:1])
					holder := kind.New(holderScope, ns, "holder-"+base, common.KeyParameters{Name: ns + "-holder-" + base}, inSpec)
					h.Create(t, holder)
					key := h.WaitStored(t, holder, parent)

					intruder := kind.New(importScope, ns, "intruder-"+base, common.KeyParameters{Name: key.Name}, inSpec)
					meta.SetExternalName(intruder, key.ID)
					h.Create(t, intruder)
					h.Within(waitTimeout).WaitSyncError(t, intruder, "is already managed by", holder.GetName())
					rejected := 1
					if err := kube.Delete(context.Background(), intruder); err != nil {
						t.Fatal(err)
					}
					h.Within(waitTimeout).WaitGone(t, intruder)
					lost := 0
					if !slices.ContainsFunc(kind.KeysIn(sim, parent), func(k orysim.Key) bool { return k.ID == key.ID }) {
						lost = 1
						rejected = 0
						t.Errorf("deleting the refused import deleted the key %s of %s", key.ID, holder.GetName())
					} else if again := h.WaitStored(t, holder, parent); again.ID != key.ID {
						lost = 1
						t.Errorf("the holder's key changed from %s to %s", key.ID, again.ID)
					}
					report.Add(testkit.Counters{Kind: kind.Name, Keys: 2, Lost: lost, Rejected: rejected, Total: 1})
				})
			}
		}
	}
}
