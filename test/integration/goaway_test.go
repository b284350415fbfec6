package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// namespaceGoneWithin bounds a namespace deletion: the keys' deletion is a
// few reconciles, and kube-controller-manager's namespace controller
// retries a namespace that still holds objects with a backoff of its own.
const namespaceGoneWithin = 90 * time.Second

// TestDeletingANamespace deletes a namespace that holds ProjectAPIKeys, the
// ProviderConfig they use and its credentials Secret, as kube-controller-
// manager's namespace controller does it: everything at once. The keys must
// be deleted in Ory, although the ProviderConfig and its Secret may go
// first and no ProviderConfigUsage can be recreated in a terminating
// namespace, and the namespace must go away.
func TestDeletingANamespace(t *testing.T) {
	t.Parallel()
	s := testkit.Namespaced // namespaced: the keys live in the namespace
	ns := h.NewNamespace(t, "")
	h.NewConfig(t, testkit.Namespaced, ns, "team", map[string]string{"token": workspaceKey}, project.ID)
	var names []string
	for i := range 3 {
		name := uniqueName(ns, fmt.Sprintf("key-%d", i))
		k := testkit.NewProjectKey(s, ns, fmt.Sprintf("key-%d", i), common.KeyParameters{Name: name}, "")
		testkit.UseConfig(k, "team")
		create(t, k)
		waitStored(t, k, project.ID)
		names = append(names, name)
	}

	start := time.Now()
	if err := kube.Delete(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	h.Within(namespaceGoneWithin).Eventually(t, "namespace "+ns+" to go away", func() (bool, string) {
		err := kube.Get(context.Background(), types.NamespacedName{Name: ns}, &corev1.Namespace{})
		if kerrors.IsNotFound(err) {
			return true, ""
		}
		return false, "still there: " + namespaceContent(ns)
	})
	t.Logf("namespace %s gone %s after its deletion", ns, time.Since(start).Round(100*time.Millisecond))
	for _, name := range names {
		if left := keysNamed(project.ID, name); len(left) > 0 {
			t.Errorf("Ory still holds key %s (%s) of the deleted namespace", left[0].ID, name)
		}
	}
}

// namespaceContent says what holds a namespace up, for failure messages.
func namespaceContent(ns string) string {
	l := &namespacedv1alpha1.ProjectAPIKeyList{}
	if err := kube.List(context.Background(), l, client.InNamespace(ns)); err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, k := range l.Items {
		c := k.GetCondition(xpv2.TypeSynced)
		fmt.Fprintf(&b, "ProjectAPIKey %s (Synced=%s: %s); ", k.GetName(), c.Status, c.Message)
	}
	return b.String()
}

// TestProjectDeletedInOry deletes a key's project in Ory (softly, as the
// console does): the resource must say so in Ready, and its deletion must
// finish although Ory refuses every key operation in that project.
func TestProjectDeletedInOry(t *testing.T) {
	forEachScope(t, func(t *testing.T, s testkit.Scope, ns string) {
		p := sim.AddProject(workspaceKey, "")
		k := testkit.NewProjectKey(s, ns, "doomed", common.KeyParameters{Name: uniqueName(ns, "doomed")}, p.ID)
		create(t, k)
		waitStored(t, k, p.ID)

		sim.DeleteProject(p.ID)
		h.Eventually(t, k.GetName()+" Ready=False "+string(common.ReasonProjectDeleted), func() (bool, string) {
			if err := h.Refresh(k); err != nil {
				return false, err.Error()
			}
			c := k.GetCondition(xpv2.TypeReady)
			return c.Status == corev1.ConditionFalse && c.Reason == common.ReasonProjectDeleted && strings.Contains(c.Message, p.ID),
				fmt.Sprintf("Ready=%s(%s: %s)", c.Status, c.Reason, c.Message)
		})

		if err := kube.Delete(context.Background(), k); err != nil {
			t.Fatal(err)
		}
		waitGone(t, k)
	})
}

// TestProjectOutOfReach takes a key's project out of reach of the
// workspace key while it still exists: Ory answers 403, as it would for a
// deleted project, yet the key lives on. Deleting the resource must not
// pretend the key is gone; once access is back it is deleted in Ory.
func TestProjectOutOfReach(t *testing.T) {
	forEachScope(t, func(t *testing.T, s testkit.Scope, ns string) {
		p := sim.AddProject(workspaceKey, "")
		k := testkit.NewProjectKey(s, ns, "kept", common.KeyParameters{Name: uniqueName(ns, "kept")}, p.ID)
		create(t, k)
		key := waitStored(t, k, p.ID)

		sim.MoveProject(p.ID, otherWorkspaceKey)
		if err := kube.Delete(context.Background(), k); err != nil {
			t.Fatal(err)
		}
		h.WaitSyncError(t, k, "403")
		// Several polls later it is still there, still saying why, and so is
		// its key in Ory.
		time.Sleep(3 * 2 * time.Second)
		if err := h.Refresh(k); err != nil {
			t.Fatalf("the resource went away while Ory only answered 403: %v", err)
		}
		if c := k.GetCondition(xpv2.TypeSynced); !strings.Contains(c.Message, "is kept until key") {
			t.Errorf("Synced message %q does not say why the resource is kept", c.Message)
		}
		if _, ok := sim.Key(p.ID, key.ID); !ok {
			t.Fatal("the key is gone from Ory although nobody deleted it")
		}

		sim.MoveProject(p.ID, workspaceKey)
		waitGone(t, k)
		if _, ok := sim.Key(p.ID, key.ID); ok {
			t.Error("the resource is gone but its key is still in Ory")
		}
	})
}

// waitGone waits until k no longer exists. crossplane-runtime trusts an
// absent key only once its creation grace period (30 s after a create) is
// over, so the wait is longer than the usual one.
func waitGone(t *testing.T, k testkit.ProjectKey) {
	t.Helper()
	h.Within(2*waitTimeout).Eventually(t, k.GetName()+" to be gone", func() (bool, string) {
		err := h.Refresh(k)
		if kerrors.IsNotFound(err) {
			return true, ""
		}
		if err != nil {
			return false, err.Error()
		}
		c := k.GetCondition(xpv2.TypeSynced)
		return false, fmt.Sprintf("still there: Synced=%s(%s: %s)", c.Status, c.Reason, c.Message)
	})
}
