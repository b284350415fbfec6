package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/console"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// newManagedProject returns a Project of scope s for the test namespace ns
// (testkit.NewProject: named <ns>-<name> in Ory, in the dev environment),
// with its connection Secret <name>-project in ns. The shared configs give
// it their workspace.
func newManagedProject(s testkit.Scope, ns, name string) testkit.Project {
	p := testkit.NewProject(s, ns, name, nil)
	testkit.WriteSecretTo(p, ns, name+"-project")
	return p
}

// projectsNamed returns the projects of the shared workspace with a name.
func projectsNamed(name string) []orysim.Project {
	var out []orysim.Project
	for _, p := range sim.Projects(workspace.ID) {
		if p.Name == name {
			out = append(out, p)
		}
	}
	return out
}

// TestProject is a Project's life in both scopes: created and Ready, with
// its status and connection Secret; renamed in place (the same project);
// deleted while protected, when it waits and says how to go on, nothing
// sent to Ory; then purged once deletionProtection is false, and gone.
func TestProject(t *testing.T) {
	forEachScope(t, func(t *testing.T, s testkit.Scope, ns string) {
		p := newManagedProject(s, ns, "app")
		create(t, p)
		h.WaitReady(t, p)

		id := meta.GetExternalName(p)
		made := projectsNamed(uniqueName(ns, "app"))
		if len(made) != 1 || made[0].ID != id {
			t.Fatalf("Ory holds %+v named %s, want exactly the project %s the resource names", made, uniqueName(ns, "app"), id)
		}
		sp := made[0]
		if sp.Environment != "dev" || sp.WorkspaceID != workspace.ID {
			t.Errorf("Ory made %+v, want environment dev in the ProviderConfig's workspace %s", sp, workspace.ID)
		}
		apiURL := console.ProjectAPIURL(common.DefaultProjectAPIURLTemplate, sp.Slug) // the CRD default: the test's ProviderConfig sets none
		want := common.ProjectObservation{ID: id, Slug: sp.Slug, Name: sp.Name, State: console.ProjectRunning, Environment: "dev",
			HomeRegion: sp.HomeRegion, WorkspaceID: workspace.ID, RevisionID: sp.RevisionID, APIURL: apiURL}
		h.Eventually(t, "status.atProvider and the workspace in the spec", func() (bool, string) {
			if err := h.Refresh(p); err != nil {
				return false, err.Error()
			}
			got := *p.Observation()
			return got == want && p.Parameters().WorkspaceID == workspace.ID, "status.atProvider " + strings.TrimSpace(got.ID+" "+got.State+" "+got.APIURL) + ", spec workspace " + p.Parameters().WorkspaceID
		})
		var sec *corev1.Secret
		h.Eventually(t, "the connection Secret", func() (bool, string) {
			sec = h.ConnectionSecret(t, p)
			return sec != nil && len(sec.Data) == 3, "no Secret with projectID, slug and apiURL yet"
		})
		for k, v := range map[string]string{common.ConnectionKeyProjectID: id, common.ConnectionKeySlug: sp.Slug, common.ConnectionKeyAPIURL: apiURL} {
			if got := string(sec.Data[k]); got != v {
				t.Errorf("connection Secret %s = %q, want %q", k, got, v)
			}
		}
		if !metav1IsControlledBy(sec, p) {
			t.Error("the connection Secret is not controlled by its Project")
		}

		renamed := uniqueName(ns, "app-v2")
		h.Update(t, p, func() { p.Parameters().Name = renamed })
		h.Eventually(t, "the project renamed in Ory and in status", func() (bool, string) {
			if err := h.Refresh(p); err != nil {
				return false, err.Error()
			}
			now, _ := sim.Project(id)
			return now.Name == renamed && p.Observation().Name == renamed && p.Observation().RevisionID == now.RevisionID,
				"Ory: " + now.Name + ", status: " + p.Observation().Name
		})
		if got := meta.GetExternalName(p); got != id {
			t.Errorf("external name %s after the rename, want the same project %s", got, id)
		}
		if n := len(projectsNamed(renamed)) + len(projectsNamed(uniqueName(ns, "app"))); n != 1 {
			t.Errorf("Ory holds %d projects under the old and new names, want the one renamed", n)
		}

		purges := sim.Requests(orysim.OpPurgeProject)
		if err := kube.Delete(context.Background(), p); err != nil {
			t.Fatal(err)
		}
		c := h.WaitSyncError(t, p, id, "deletionProtection to false")
		if s == testkit.Cluster && !strings.Contains(c.Message, "deletionPolicy to Orphan") {
			t.Errorf("Synced %q does not offer the cluster scope's deletionPolicy Orphan", c.Message)
		}
		if ev := h.WaitWarningReason(t, p, string(common.ReasonDeletionProtected)); !strings.Contains(ev.Message, "deletionProtection to false") {
			t.Errorf("event %s: %q, want the way to purge", ev.Reason, ev.Message)
		}
		if now, ok := sim.Project(id); !ok || now.State != console.ProjectRunning {
			t.Errorf("the protected project is %+v in Ory, want it running", now)
		}
		if err := h.Refresh(p); err != nil || p.GetDeletionTimestamp() == nil {
			t.Fatalf("the protected resource: %v, want it waiting with its finalizer", err)
		}

		h.Update(t, p, func() { p.Parameters().DeletionProtection = ptr(false) })
		h.WaitGone(t, p)
		if _, ok := sim.Project(id); ok {
			t.Errorf("project %s is still in Ory after its resource was deleted without protection", id)
		}
		if n := sim.Requests(orysim.OpPurgeProject) - purges; n < 1 {
			t.Errorf("%d purge requests, want the one", n)
		}
	})
}

// TestProjectEnvironmentImmutable: the API server refuses a change of a
// Project's environment, in both scopes: a project cannot be replaced
// without losing its users.
func TestProjectEnvironmentImmutable(t *testing.T) {
	forEachScope(t, func(t *testing.T, s testkit.Scope, ns string) {
		p := newManagedProject(s, ns, "fixed")
		testkit.ObserveOnly(p)
		create(t, p)
		p.Parameters().Environment = "prod"
		err := kube.Update(context.Background(), p)
		if !kerrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.forProvider.environment cannot be changed") {
			t.Errorf("changing the environment: %v, want the API server's refusal", err)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// TestProjectPurgedAfterItsKeys: a Project and a key made in it by
// reference, deleted at once (as deleting a composite deletes both), in both
// scopes. The project is purged only after the key resource is gone, so the
// key is deleted in Ory while its project still answers; had the project
// gone first, Ory's 403 for the key would not prove the project gone and
// the key resource would wait for a person.
func TestProjectPurgedAfterItsKeys(t *testing.T) {
	forEachScope(t, func(t *testing.T, s testkit.Scope, ns string) {
		p := newManagedProject(s, ns, "with-key")
		p.Parameters().DeletionProtection = ptr(false)
		create(t, p)
		h.WaitReady(t, p)
		id := meta.GetExternalName(p)

		k := testkit.NewProjectKey(s, ns, "in-project", common.KeyParameters{Name: uniqueName(ns, "in-project")}, "")
		testkit.ReferProject(k, p.GetName())
		testkit.WriteSecretTo(k, ns, "in-project-key")
		create(t, k)
		key := waitStored(t, k, id)

		purges := sim.Requests(orysim.OpPurgeProject)
		for _, o := range []client.Object{p, k} {
			if err := kube.Delete(context.Background(), o); err != nil {
				t.Fatal(err)
			}
		}
		// The Project says why it waits, while the key is still there.
		h.WaitGone(t, k)
		if _, ok := sim.Key(id, key.ID); ok {
			t.Errorf("key %s is still in Ory after its resource was deleted", key.ID)
		}
		h.WaitGone(t, p)
		if _, ok := sim.Project(id); ok {
			t.Errorf("project %s is still in Ory after its resource was deleted without protection", id)
		}
		if n := sim.Requests(orysim.OpPurgeProject) - purges; n < 1 {
			t.Errorf("%d purge requests, want the one", n)
		}
	})
}

// TestProjectWaitsForItsKeys: a Project deleted while a key resource still
// names it waits, saying which key and what to do, and is purged once the
// key resource is deleted.
func TestProjectWaitsForItsKeys(t *testing.T) {
	forEachScope(t, func(t *testing.T, s testkit.Scope, ns string) {
		p := newManagedProject(s, ns, "kept-by-key")
		p.Parameters().DeletionProtection = ptr(false)
		create(t, p)
		h.WaitReady(t, p)
		id := meta.GetExternalName(p)

		k := testkit.NewProjectKey(s, ns, "user", common.KeyParameters{Name: uniqueName(ns, "user")}, "")
		testkit.ReferProject(k, p.GetName())
		testkit.WriteSecretTo(k, ns, "user-key")
		create(t, k)
		waitStored(t, k, id)

		if err := kube.Delete(context.Background(), p); err != nil {
			t.Fatal(err)
		}
		c := h.WaitSyncError(t, p, "still do", k.GetName())
		t.Logf("Synced=False: %s", c.Message)
		if _, ok := sim.Project(id); !ok {
			t.Fatalf("project %s was purged while key resource %s still names it", id, k.GetName())
		}
		// Let the refusals grow the Project's backoff (1, 2, 4, 8 s...):
		// its next retry is then some 6 s after the key goes, and only the
		// watch of the key kinds brings it sooner.
		time.Sleep(backoffGrown)
		if err := kube.Delete(context.Background(), k); err != nil {
			t.Fatal(err)
		}
		h.WaitGone(t, k)
		keyGone := time.Now()
		h.WaitGone(t, p)
		waited := time.Since(keyGone)
		t.Logf("the Project went %s after its last key", waited.Round(10*time.Millisecond))
		if waited > requeuedAtOnce {
			t.Errorf("the Project went %s after its last key, want within %s: the key's deletion requeues it at once, not through its backoff", waited, requeuedAtOnce)
		}
		if _, ok := sim.Project(id); ok {
			t.Errorf("project %s is still in Ory after its keys and its resource were deleted", id)
		}
	})
}

// backoffGrown is how long TestProjectWaitsForItsKeys keeps a Project
// waiting for its key: refused at about 0, 1, 3 and 7 s, it would retry at
// about 15 s. requeuedAtOnce bounds the time from the key's going to the
// Project's (a purge and a confirming read, on a shared machine).
const (
	backoffGrown   = 9 * time.Second
	requeuedAtOnce = 3 * time.Second
)

// TestProjectKeptOnDelete: the ways a protected Project's deletion offers
// to keep the project (DeletionProtected, deletionRefusal) do let the
// resource go and leave the project running in Ory, in each scope that
// offers them.
func TestProjectKeptOnDelete(t *testing.T) {
	ways := []struct {
		name string
		// clusterOnly: a way only the cluster scope has.
		clusterOnly bool
		keep        func(p testkit.Project)
	}{
		{name: "management-policies", keep: func(p testkit.Project) {
			p.SetManagementPolicies(xpv2.ManagementPolicies{xpv2.ManagementActionObserve, xpv2.ManagementActionCreate,
				xpv2.ManagementActionUpdate, xpv2.ManagementActionLateInitialize})
		}},
		{name: "orphan", clusterOnly: true, keep: func(p testkit.Project) {
			p.(resource.LegacyManaged).SetDeletionPolicy(xpv2.DeletionOrphan)
		}},
	}
	forEachScope(t, func(t *testing.T, s testkit.Scope, ns string) {
		for _, w := range ways {
			if w.clusterOnly && s != testkit.Cluster {
				continue
			}
			t.Run(w.name, func(t *testing.T) {
				t.Parallel()
				p := newManagedProject(s, ns, "kept-"+w.name)
				create(t, p)
				h.WaitReady(t, p)
				id := meta.GetExternalName(p)
				if err := kube.Delete(context.Background(), p); err != nil {
					t.Fatal(err)
				}
				h.WaitSyncError(t, p, id, "deletionProtection to false")

				h.Update(t, p, func() { w.keep(p) })
				h.WaitGone(t, p)
				if now, ok := sim.Project(id); !ok || now.State != console.ProjectRunning {
					t.Errorf("project %s is %+v in Ory after its resource let it go, want it running", id, now)
				}
			})
		}
	})
}
