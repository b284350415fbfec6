package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// newProject returns a Project of scope s for the test namespace ns,
// created and deleted at the end of the test (a cluster-scoped one outlives
// its test's namespace). It is Observe-only: it imports a project of the
// simulator (Harness.ObserveProject), and an Observe-only Project never
// creates or purges a project.
func newProject(t *testing.T, s testkit.Scope, ns, name string, labels map[string]string) testkit.Project {
	t.Helper()
	p := testkit.NewProject(s, ns, name, labels)
	testkit.ObserveOnly(p)
	create(t, p)
	t.Cleanup(func() { _ = kube.Delete(context.Background(), p) })
	return p
}

// TestProjectReference: a ProjectAPIKey finds its project through a Project
// resource, by name (projectIDRef) or by labels (projectIDSelector), in the
// same scope, with no UUID written in the key. Each Project is a project
// other than the ProviderConfig's default, so a key made there proves the
// reference was used.
func TestProjectReference(t *testing.T) {
	cases := map[string]struct {
		reason string
		point  func(k testkit.ProjectKey, s testkit.Scope, ns, project string, labels map[string]string)
	}{
		"ByName": {
			reason: "projectIDRef names the Project; the resolver records its UUID in projectID.",
			point: func(k testkit.ProjectKey, s testkit.Scope, ns, project string, _ map[string]string) {
				testkit.ReferProject(k, s.ObjectName(ns, project))
			},
		},
		"ByLabels": {
			reason: "projectIDSelector picks the Project by labels, and the resolver records the one it picked in projectIDRef.",
			point: func(k testkit.ProjectKey, _ testkit.Scope, _, _ string, labels map[string]string) {
				testkit.SelectProject(k, labels)
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			forEachScope(t, func(t *testing.T, s testkit.Scope, ns string) {
				target := sim.AddProject(workspaceKey, ns+"-target")
				// A Project of another label beside it: the selector must
				// pick by label, not take the first Project it lists.
				h.ObserveProject(t, newProject(t, s, ns, "a-decoy", map[string]string{"app": ns + "-decoy"}), other.ID)
				labels := map[string]string{"app": ns}
				p := newProject(t, s, ns, "target", labels)
				h.ObserveProject(t, p, target.ID)

				k := testkit.NewProjectKey(s, ns, "by-ref", common.KeyParameters{Name: uniqueName(ns, "by-ref")}, "")
				tc.point(k, s, ns, "target", labels)
				create(t, k)
				key := waitStored(t, k, target.ID)
				if got := *k.ParentID(); got != target.ID {
					t.Errorf("%s\nspec.forProvider.projectID = %q, want the referenced Project's UUID %q", tc.reason, got, target.ID)
				}
				if got, want := testkit.ReferencedProject(k), p.GetName(); got != want {
					t.Errorf("%s\nspec.forProvider.projectIDRef names %q, want %q", tc.reason, got, want)
				}
				if got := k.Observation(); got.ProjectID != target.ID || got.ID != key.ID {
					t.Errorf("%s\nstatus.atProvider: project %q, key %q; want %q, %q", tc.reason, got.ProjectID, got.ID, target.ID, key.ID)
				}
				for _, elsewhere := range []string{project.ID, other.ID} {
					if n := len(keysNamed(elsewhere, uniqueName(ns, "by-ref"))); n != 0 {
						t.Errorf("%s\n%d keys made in project %s, want none: the key belongs to the referenced project", tc.reason, n, elsewhere)
					}
				}
			})
		})
	}
}

// TestProjectReferenceWaits: a key whose Project has no UUID yet (being
// created, or an import Ory has not confirmed) waits, with the runtime
// resolver's message in its Synced condition and a Warning event, and makes
// no key anywhere; once the Project has its UUID the key is made there
// (the key's next retry, under its backoff).
func TestProjectReferenceWaits(t *testing.T) {
	forEachScope(t, func(t *testing.T, s testkit.Scope, ns string) {
		target := sim.AddProject(workspaceKey, ns+"-later")
		p := newProject(t, s, ns, "later", nil)

		k := testkit.NewProjectKey(s, ns, "waiting", common.KeyParameters{Name: uniqueName(ns, "waiting")}, "")
		testkit.ReferProject(k, p.GetName())
		create(t, k)
		c := h.WaitSyncError(t, k, "referenced field was empty")
		t.Logf("Synced=False %s: %s", c.Reason, c.Message)
		for _, want := range []string{"cannot resolve references", "ProjectID", "may not yet be ready"} {
			if !strings.Contains(c.Message, want) {
				t.Errorf("the Synced message does not say %q: %s", want, c.Message)
			}
		}
		ev := h.WaitWarning(t, k, "referenced field was empty")
		if ev.Reason != "CannotResolveResourceReferences" {
			t.Errorf("Warning event reason %q, want CannotResolveResourceReferences", ev.Reason)
		}
		if r := k.GetCondition(xpv2.TypeReady); r.Status == corev1.ConditionTrue {
			t.Errorf("Ready=True while the project is unknown")
		}
		for _, parent := range []string{project.ID, target.ID} {
			if n := len(keysNamed(parent, uniqueName(ns, "waiting"))); n != 0 {
				t.Errorf("%d keys made in project %s before the Project had a UUID, want none", n, parent)
			}
		}
		if got := *k.ParentID(); got != "" {
			t.Errorf("spec.forProvider.projectID = %q while the Project has no UUID, want it empty", got)
		}

		start := time.Now()
		h.ObserveProject(t, p, target.ID)
		waitStored(t, k, target.ID)
		t.Logf("the key was Ready in project %s %s after its Project got its UUID", target.ID, time.Since(start).Round(100*time.Millisecond))
		if n := len(keysNamed(project.ID, uniqueName(ns, "waiting"))); n != 0 {
			t.Errorf("%d keys made in the ProviderConfig's default project, want none", n)
		}
	})
}

// TestProjectReferenceOwnNamespace: a namespaced key resolves Projects of
// its own namespace only (its reference may not name another namespace: the
// CRD refuses that, TestAdmission). A Project of the same name, or with the
// selected labels, in another namespace is not taken: the key reports that
// it found none and makes no key.
func TestProjectReferenceOwnNamespace(t *testing.T) {
	cases := map[string]struct {
		reason  string
		point   func(k testkit.ProjectKey, labels map[string]string)
		wantMsg string
	}{
		"ByName": {
			reason:  "projectIDRef names a Project that exists only in another namespace.",
			point:   func(k testkit.ProjectKey, _ map[string]string) { testkit.ReferProject(k, "shared") },
			wantMsg: `cannot get referenced resource: Project.ory.m.crossplane.io "shared" not found`,
		},
		"ByLabels": {
			reason:  "projectIDSelector matches a Project only in another namespace.",
			point:   func(k testkit.ProjectKey, labels map[string]string) { testkit.SelectProject(k, labels) },
			wantMsg: "no resources matched selector",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			mine, theirs := h.NewNamespace(t, ""), h.NewNamespace(t, "")
			target := sim.AddProject(workspaceKey, theirs+"-theirs")
			labels := map[string]string{"app": theirs}
			h.ObserveProject(t, newProject(t, testkit.Namespaced, theirs, "shared", labels), target.ID)

			k := testkit.NewProjectKey(testkit.Namespaced, mine, "borrower", common.KeyParameters{Name: uniqueName(mine, "borrower")}, "")
			tc.point(k, labels)
			create(t, k)
			c := h.WaitSyncError(t, k, tc.wantMsg)
			t.Logf("Synced=False %s: %s", c.Reason, c.Message)
			// Give a wrong resolution time to show: a key made in either
			// project would appear within a few reconciles.
			time.Sleep(3 * time.Second)
			for _, parent := range []string{project.ID, target.ID} {
				if n := len(keysNamed(parent, uniqueName(mine, "borrower"))); n != 0 {
					t.Errorf("%s\n%d keys made in project %s, want none", tc.reason, n, parent)
				}
			}
			if err := h.Refresh(k); err != nil {
				t.Fatal(err)
			}
			if got := *k.ParentID(); got != "" {
				t.Errorf("%s\nspec.forProvider.projectID = %q, want it empty", tc.reason, got)
			}
		})
	}
}
