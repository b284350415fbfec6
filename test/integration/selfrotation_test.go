package integration

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/console"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// TestSelfRotation rotates the provider's own credentials, as README's
// "Rotating the provider's own credentials" and
// examples/namespaced/rotate-provider-credentials.yaml have it: a
// WorkspaceAPIKey whose connection Secret is its own ProviderConfig's
// credentials Secret (of Crossplane's connection Secret type, key "value",
// seeded with a workspace key made by hand), with a rotation overlap, and a
// ProjectAPIKey on the same ProviderConfig. The provider must replace the
// key it authenticates with, go on working with each new key (the
// ProjectAPIKey still reconciles; Ory sees requests made with the new key),
// and delete each replaced key once the overlap has passed, after which it
// answers 401. Nothing may leak, and deleting the WorkspaceAPIKey deletes
// its key, the credentials it was deleted with, and finishes.
func TestSelfRotation(t *testing.T) {
	// Its waits are the overlaps: it runs beside the other parallel tests.
	t.Parallel()
	const overlap = 15 * time.Second
	forEachScope(t, func(t *testing.T, s testkit.Scope, ns string) {
		// A workspace of the test's own, so that the request log tells its
		// requests apart and revoking its first key touches nobody else.
		first := "ory_wak_" + testkit.Random(32, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
		ws := sim.AddWorkspace(first)
		p := sim.AddProject(first, "self-"+ns)
		// Probes of replaced keys go to a project the provider never asks
		// about, so that their 401s are not counted as the provider's.
		probed := sim.AddProject(first, "self-probe-"+ns)

		creds := testkit.Creds{Namespace: ns, Name: "provider-credentials", Key: common.ConnectionKeyValue}
		sec := creds.Secret(first)
		sec.Type = resource.SecretTypeConnection
		create(t, sec)
		c := h.Config("self", creds, p.ID)
		c.WorkspaceID = ws.ID
		pc, ref := c.For(s, ns)
		create(t, pc)

		wk := testkit.WorkspaceAPIKey.New(s, ns, "provider", common.KeyParameters{Name: uniqueName(ns, "provider"),
			Rotation: &common.Rotation{Trigger: "initial", Overlap: common.NewDuration(overlap)}}, "")
		testkit.UseConfig(wk, ref)
		testkit.WriteSecretTo(wk, ns, creds.Name)
		create(t, wk)
		app := testkit.ProjectAPIKey.New(s, ns, "app", common.KeyParameters{Name: uniqueName(ns, "app-0")}, "")
		testkit.UseConfig(app, ref)
		create(t, app)

		key := h.WaitStored(t, wk, ws.ID)
		if key.Value == first || !strings.HasPrefix(key.Value, "ory_wak_") {
			t.Fatalf("the credentials Secret does not hold a new workspace key (%s) the provider made", key.ID)
		}
		if *wk.ParentID() != ws.ID {
			t.Errorf("spec.forProvider.workspaceID = %q, want the ProviderConfig's %s recorded", *wk.ParentID(), ws.ID)
		}
		waitStored(t, app, p.ID)
		// The README's next step: the key made by hand is deleted in the
		// console. From here on only keys the provider made can work.
		sim.RevokeWorkspaceKey(first)
		waitPresented(t, ws, p, key.ID)

		for i, trigger := range []string{"second", "third"} {
			old := key
			h.Update(t, wk, func() { wk.KeyParameters().Rotation.Trigger = trigger })
			h.Eventually(t, "rotation "+trigger+" stored", func() (bool, string) {
				if err := h.Refresh(wk); err != nil {
					return false, err.Error()
				}
				v, err := h.ConnectionValue(wk)
				if err != nil {
					return false, err.Error()
				}
				return v != old.Value && meta.GetExternalName(wk) != old.ID, "the Secret holds the replaced key " + old.ID
			})
			key = h.WaitStored(t, wk, ws.ID)

			// The ProjectAPIKey on the same ProviderConfig still reconciles:
			// a rename makes its new key with the new credentials.
			appName := uniqueName(ns, fmt.Sprintf("app-%d", i+1))
			h.Update(t, app, func() { app.KeyParameters().Name = appName })
			waitStored(t, app, p.ID)
			waitPresented(t, ws, p, key.ID)

			waitDeletedAfterOverlap(t, testkit.WorkspaceAPIKey, ws.ID, old, key, overlap)
			_, err := console.New(simURL, old.Value, http.DefaultClient, "test").ListProjectKeys(context.Background(), probed.ID)
			if console.ReasonOf(err) != console.ReasonUnauthorized {
				t.Errorf("rotation %s: the replaced key still authenticates: %v", trigger, err)
			}
		}

		// No request of the provider was refused for its credentials: it
		// never presented a key after it was revoked or deleted.
		for _, e := range sim.RequestLog() {
			if (strings.Contains(e.Path, ws.ID) || strings.Contains(e.Path, p.ID)) && e.Status == http.StatusUnauthorized {
				t.Errorf("the provider presented revoked or deleted credentials: %s %s answered 401", e.Operation, e.Path)
			}
		}
		snap, err := testkit.Take(context.Background(), kube, sim, ns, ws.ID, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if inv := snap.Invariants(testkit.Rules{}); inv.Leaked+inv.Lost+inv.Duplicates+inv.Incomplete > 0 {
			t.Errorf("invariants broken: %+v", inv)
		}
		if n := len(sim.WorkspaceKeys(ws.ID)); n != 1 {
			t.Errorf("the workspace holds %d keys after the overlaps, want the provider's current one", n)
		}

		// The end of its life, as README says: deleting the ProjectAPIKey
		// and then the WorkspaceAPIKey deletes their keys, the last one
		// with itself as the credentials. The deletion must finish
		// whenever the provider looks again: Ory's 401 for the very key
		// the resource deleted says that key is gone.
		for _, k := range []testkit.Key{app, wk} {
			if err := kube.Delete(context.Background(), k); err != nil {
				t.Fatal(err)
			}
			h.Within(30*time.Second+waitTimeout).WaitGone(t, k)
		}
		if n := len(sim.WorkspaceKeys(ws.ID)) + len(sim.Keys(p.ID)); n != 0 {
			t.Errorf("Ory holds %d keys of the deleted resources, want none", n)
		}

	})
}

// waitPresented waits until Ory answered a request about workspace ws or
// project p with success that presented workspace key keyID: the provider
// authenticates with that key.
func waitPresented(t *testing.T, ws orysim.Workspace, p orysim.Project, keyID string) {
	t.Helper()
	h.Eventually(t, "a request made with key "+keyID, func() (bool, string) {
		for _, e := range sim.RequestLog() {
			if e.WorkspaceKeyID == keyID && e.Status/100 == 2 && (strings.Contains(e.Path, ws.ID) || strings.Contains(e.Path, p.ID)) {
				return true, ""
			}
		}
		return false, "none yet"
	})
}
