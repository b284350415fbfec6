package reliability

import (
	"context"
	"fmt"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// The repair bounds. A resource that failed five times in a row waits about
// 16 s for its next retry under crossplane-runtime's backoff (1 s doubling:
// retries at about 1, 3, 7 and 15 s after the first failure, the next at 31
// s). Repaired then, it must be Ready within repairBound, well below that
// wait. Over repairWindow after the repair it reconciles for the repair
// (twice: a create is followed by a reconcile at once) and at each poll
// (every 2 s here): about 5; a reconcile per event it causes would show
// far more.
const (
	failuresBeforeRepair = 5
	repairBound          = 5 * time.Second
	repairWindow         = 6 * time.Second
	repairMaxReconciles  = 8
)

// TestRepairRequeuesAtOnce shows that repairing a ProjectAPIKey's
// credentials, in the Secret or in the ProviderConfig, requeues the key at
// once rather than after its backoff: the provider watches the
// ProviderConfig kinds and (their metadata only) the Secrets they name. It
// runs for every ProviderConfig kind a key can use.
func TestRepairRequeuesAtOnce(t *testing.T) {
	// Not parallel with the other tests: it measures how soon a requeued key
	// is reconciled, and the fault soak's hundreds of keys fill the
	// controllers' queues (at the reconcile rate limit) while it runs. Go
	// runs the tests that do not call t.Parallel first, one by one; its own
	// cases still run in parallel with each other.
	type broken int
	const (
		brokenSecret         broken = iota // the Secret lacks the key the config names
		brokenProviderConfig               // the config names a key the Secret lacks
	)
	cases := map[string]struct {
		reason string
		scope  testkit.Scope
		kind   string // the kind of ProviderConfig the key uses
		broken broken
	}{
		"SecretOfNamespacedProviderConfig": {
			reason: "A namespaced key's ProviderConfig of its own namespace: a repaired Secret requeues the key.",
			scope:  testkit.Namespaced, kind: "ProviderConfig", broken: brokenSecret,
		},
		"SecretOfClusterProviderConfig": {
			reason: "A namespaced key's ClusterProviderConfig, whose Secret is in another namespace than the key: a repaired Secret requeues the key.",
			scope:  testkit.Namespaced, kind: "ClusterProviderConfig", broken: brokenSecret,
		},
		"SecretOfClusterScopedProviderConfig": {
			reason: "A cluster-scoped key's ProviderConfig: a repaired Secret requeues the key.",
			scope:  testkit.Cluster, kind: "ProviderConfig", broken: brokenSecret,
		},
		"NamespacedProviderConfig": {
			reason: "A repaired ProviderConfig of the key's namespace requeues the key.",
			scope:  testkit.Namespaced, kind: "ProviderConfig", broken: brokenProviderConfig,
		},
		"ClusterProviderConfig": {
			reason: "A repaired ClusterProviderConfig requeues the namespaced keys that use it.",
			scope:  testkit.Namespaced, kind: "ClusterProviderConfig", broken: brokenProviderConfig,
		},
		"ClusterScopedProviderConfig": {
			reason: "A repaired cluster-scoped ProviderConfig requeues the cluster-scoped keys that use it.",
			scope:  testkit.Cluster, kind: "ProviderConfig", broken: brokenProviderConfig,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ns := h.NewNamespace(t, "repair")
			p := sim.AddProject(workspaceKey, "")
			secretKey, configKey := "token", "token"
			wantMsg := `has no key "token"`
			if tc.broken == brokenSecret {
				secretKey = "tokn"
			} else {
				configKey, wantMsg = "tokn", `has no key "tokn"`
			}
			creds := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "creds"}, StringData: map[string]string{secretKey: workspaceKey}}
			h.Create(t, creds)
			pc, setKey := repairableConfig(tc.scope, tc.kind, ns, p.ID, configKey)
			h.Create(t, pc)
			k := testkit.NewProjectKey(tc.scope, ns, "fix", common.KeyParameters{Name: ns + "-key"}, "")
			useConfig(k, tc.kind, pc.GetName())

			logStart := logs.Len()
			h.Create(t, k)
			h.Within(waitTimeout).WaitSyncError(t, k, wantMsg)
			h.Within(waitTimeout).Eventually(t, fmt.Sprintf("%d failed reconciles of %s", failuresBeforeRepair, k.GetName()), func() (bool, string) {
				n := len(reconcilesOf(logs.Since(logStart), k.GetNamespace(), k.GetName()))
				return n >= failuresBeforeRepair, fmt.Sprintf("%d reconciles", n)
			})

			// The fifth reconcile has begun: let it fail and finish, so the
			// repair does not race it (a reconcile that fails after the
			// repair adds its own backoff, a second or two, to the wait).
			time.Sleep(time.Second)

			repaired := time.Now()
			if tc.broken == brokenSecret {
				mutate(t, creds, func() { creds.StringData, creds.Data = nil, map[string][]byte{"token": []byte(workspaceKey)} })
			} else {
				mutate(t, pc, func() { setKey("token") })
			}
			h.Within(repairBound).Eventually(t, k.GetName()+" Ready after the repair ("+tc.reason+")", func() (bool, string) {
				if err := h.Refresh(k); err != nil {
					return false, err.Error()
				}
				return testkit.Ready(k)
			})
			took := time.Since(repaired)

			time.Sleep(time.Until(repaired.Add(repairWindow)))
			var after int
			for _, at := range reconcilesOf(logs.Since(logStart), k.GetNamespace(), k.GetName()) {
				if !at.Before(repaired) {
					after++
				}
			}
			t.Logf("repair %s: Ready %.1f s after the repair; %d reconciles in the %s after it", name, took.Seconds(), after, repairWindow)
			if after > repairMaxReconciles {
				t.Errorf("%s\n%d reconciles in the %s after the repair: want at most %d", tc.reason, after, repairWindow, repairMaxReconciles)
			}
			if n := keysNamed(p.ID, ns+"-key"); n != 1 {
				t.Errorf("%s\n%d keys named %s in the project: want 1", tc.reason, n, ns+"-key")
			}
		})
	}
}

// repairableConfig returns a ProviderConfig of a kind a key of scope s can
// use, whose credentials are key configKey of Secret ns/creds, with a
// function that changes that key.
func repairableConfig(s testkit.Scope, kind, ns, projectID, configKey string) (client.Object, func(key string)) {
	switch {
	case s == testkit.Namespaced && kind == "ProviderConfig":
		pc := h.Config("cfg", testkit.Creds{Name: "creds", Key: configKey}, projectID).NamespacedProviderConfig(ns)
		return pc, func(key string) { pc.Spec.Credentials.SecretRef.Key = key }
	case s == testkit.Namespaced:
		pc := h.Config(ns+"-cfg", testkit.Creds{Namespace: ns, Name: "creds", Key: configKey}, projectID).ClusterProviderConfig()
		return pc, func(key string) { pc.Spec.Credentials.SecretRef.Key = key }
	default:
		pc := h.Config(ns+"-cfg", testkit.Creds{Namespace: ns, Name: "creds", Key: configKey}, projectID).LegacyProviderConfig()
		return pc, func(key string) { pc.Spec.Credentials.SecretRef.Key = key }
	}
}

// useConfig points k at the config of the kind and name.
func useConfig(k testkit.ProjectKey, kind, name string) {
	switch o := k.(type) {
	case *namespacedv1alpha1.ProjectAPIKey:
		o.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: kind, Name: name}
	case *clusterv1alpha1.ProjectAPIKey:
		o.Spec.ProviderConfigReference = &xpv2.Reference{Name: name}
	}
}

// mutate changes o as change says and stores it, re-reading it on conflicts
// with the provider's writes.
func mutate(t *testing.T, o client.Object, change func()) {
	t.Helper()
	h.Within(waitTimeout).Eventually(t, "an update of "+o.GetName(), func() (bool, string) {
		change()
		err := kube.Update(context.Background(), o)
		if err != nil {
			_ = h.Refresh(o)
		}
		return err == nil, fmt.Sprint(err)
	})
}

// freshDeleteBound is how long deleting a resource moments after its key
// was created may take: its key is deleted and its finalizer removed in two
// reconciles about a second apart. Without the provider ending
// crossplane-runtime's creation grace period, it took until 30 s after the
// create.
const freshDeleteBound = 10 * time.Second

// TestDeleteFreshResource shows that a resource deleted right after its key
// was created goes at once, without waiting out crossplane-runtime's 30 s
// creation grace period and its event "Waiting for external resource
// existence to be confirmed", and that its key is deleted in Ory.
func TestDeleteFreshResource(t *testing.T) {
	t.Parallel()
	for _, s := range testkit.Scopes {
		t.Run(string(s), func(t *testing.T) {
			t.Parallel()
			ns := h.NewNamespace(t, "fresh-delete")
			p := sim.AddProject(workspaceKey, "")
			k := testkit.NewProjectKey(s, ns, "fresh", common.KeyParameters{Name: ns + "-key"}, "")
			h.ConfigFor(t, k, ns, "cfg", map[string]string{"token": workspaceKey}, p.ID)
			h.Create(t, k)
			key := h.WaitStored(t, k, p.ID)

			deleted := time.Now()
			if err := kube.Delete(context.Background(), k); err != nil {
				t.Fatal(err)
			}
			h.Within(waitTimeout).WaitGone(t, k)
			took := time.Since(deleted)
			t.Logf("fresh delete %s: gone %.1f s after the delete", string(s), took.Seconds())
			if took > freshDeleteBound {
				t.Errorf("the resource was gone %.1f s after its delete: want at most %s", took.Seconds(), freshDeleteBound)
			}
			if _, ok := sim.Key(p.ID, key.ID); ok {
				t.Errorf("key %s is still in Ory", key.ID)
			}
			es, err := h.EventsAbout(k.GetNamespace(), k.GetName())
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range es {
				if e.Message == "Waiting for external resource existence to be confirmed" {
					t.Errorf("event %s %q: the deletion waited out the creation grace period", e.Reason, e.Message)
				}
			}
		})
	}
}
