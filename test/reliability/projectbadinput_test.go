package reliability

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	corev1 "k8s.io/api/core/v1"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// TestProjectBadInputAtRunTime is TestBadInputAtRunTime for the Project
// kind: what only Ory can refuse (a plan without a free project slot, a
// project the workspace key may not see), what the provider refuses (a
// create with a ProviderConfig limited to some projects, a lost create that
// several projects fit), and a deletion kept by deletion protection. Each:
// Synced=False with a message that says what and how to go on, a Warning
// event, no project made or purged, and retries with backoff over
// hotLoopWindow, not a hot loop. Each case and scope has a workspace (and
// workspace key) of its own, so that its Ory requests are told apart by
// the key that sent them. Not parallel with the other tests, for the
// reason TestBadInputAtRunTime gives.
func TestProjectBadInputAtRunTime(t *testing.T) {
	type arranged struct {
		// p is the Project, not created yet (created, Ready, for a
		// deletion case).
		p testkit.Project
		// deleteAfterReady: the case is the deletion of a Ready p.
		deleteAfterReady bool
	}
	type badProjectCase = struct {
		reason string
		// arrange prepares the workspace ws (its key: wsKey) and returns
		// the Project; allowed are the ProviderConfig's allowedProjectIDs.
		arrange func(t *testing.T, ws orysim.Workspace, p testkit.Project) arranged
		allowed []string
		wantMsg []string
		// wantEvent is the reason of a Warning event the provider records
		// besides the runtime's; "" for none.
		wantEvent string
		// wantProjects is how many projects the workspace holds at the end.
		wantProjects int
	}
	cases := map[string]badProjectCase{
		"PlanLimit": {
			reason: "No free project slot (Ory's 402): the plan's words and what to do; no project, retried with backoff.",
			arrange: func(t *testing.T, ws orysim.Workspace, p testkit.Project) arranged {
				sim.AddProject(ws.Key, "")
				sim.SetProjectLimit(ws.ID, 1)
				return arranged{p: p}
			},
			wantMsg:      []string{"402", "project slot"},
			wantProjects: 1,
		},
		"ImportForbidden": {
			reason: "An external name of a project the workspace key may not see (403): never a create over it, and what to check.",
			arrange: func(t *testing.T, _ orysim.Workspace, p testkit.Project) arranged {
				meta.SetExternalName(p, sim.AddProject(newWorkspaceKey("someone else's"), "").ID)
				return arranged{p: p}
			},
			wantMsg: []string{"403", "neither creates another project", "external name"},
		},
		"AllowedProjectIDs": {
			reason:  "A ProviderConfig limited to some projects creates none: refused before any call to Ory.",
			arrange: func(t *testing.T, _ orysim.Workspace, p testkit.Project) arranged { return arranged{p: p} },
			allowed: []string{"3f2c1f9e-5b0a-4f7e-9d38-2a6c1b7e8f01"},
			wantMsg: []string{"allowedProjectIDs", "without allowedProjectIDs"},
		},
		"AmbiguousCreate": {
			reason: "A lost create that two projects fit: no guess, no third project; both named, and how to pick one.",
			arrange: func(t *testing.T, ws orysim.Workspace, p testkit.Project) arranged {
				name := p.Parameters().Name
				for range 2 {
					if _, err := sim.CreateProject(orysim.ProjectSpec{WorkspaceKey: ws.Key, Name: name, Environment: p.Parameters().Environment}); err != nil {
						t.Fatal(err)
					}
				}
				m := common.CreationMark{Since: time.Now().Add(-time.Minute).UTC().Truncate(time.Second), Name: name}
				meta.AddAnnotations(p, map[string]string{common.AnnotationCreating: m.String()})
				return arranged{p: p}
			},
			wantMsg:      []string{"lost its answer", "crossplane.io/external-name"},
			wantEvent:    string(common.ReasonCreateAmbiguous),
			wantProjects: 2,
		},
		"DeletionProtected": {
			reason: "A deleted Project with deletion protection on: nothing sent to Ory but reads, the way to purge or keep in the message, retried with backoff.",
			arrange: func(t *testing.T, _ orysim.Workspace, p testkit.Project) arranged {
				return arranged{p: p, deleteAfterReady: true}
			},
			wantMsg:      []string{"deletionProtection to false", "managementPolicies without Delete"},
			wantEvent:    string(common.ReasonDeletionProtected),
			wantProjects: 1,
		},
	}
	tally := &badInputTally{}
	t.Cleanup(func() {
		report.Add(testkit.Counters{Kind: "Project", Rejected: tally.rejected, Total: tally.total})
		hotLoopFigures.Lock()
		defer hotLoopFigures.Unlock()
		for _, l := range hotLoopFigures.lines {
			if strings.HasPrefix(l, "hot-loop Project/") {
				t.Log(l)
			}
		}
	})
	forEachBadInput(t, cases, tally, func(t *testing.T, name string, tc badProjectCase, s testkit.Scope) bool {
		ns := h.NewNamespace(t, "bad-project-"+strings.ToLower(name[:min(len(name), 14)]))
		ws := sim.AddWorkspace(newWorkspaceKey("project bad input " + name))
		a := tc.arrange(t, ws, testkit.NewProject(s, ns, "bad", nil))
		p := a.p
		pc := h.NewConfig(t, s, ns, "cfg", map[string]string{"token": ws.Key}, "", tc.allowed...)
		testkit.UseConfig(p, pc)

		start, logStart := time.Now(), logs.Len()
		h.Create(t, p)
		if a.deleteAfterReady {
			h.WaitReady(t, p)
			start, logStart = time.Now(), logs.Len()
			if err := kube.Delete(context.Background(), p); err != nil {
				t.Fatal(err)
			}
		}
		purges := sim.Requests(orysim.OpPurgeProject)

		c := h.Within(hotLoopWindow).WaitSyncError(t, p, tc.wantMsg...)
		ev := h.WaitWarning(t, p, "")
		t.Logf("Synced=False %s: %s", c.Reason, c.Message)
		if tc.wantEvent != "" {
			ev = h.WaitWarningReason(t, p, tc.wantEvent)
		}
		t.Logf("Warning event %s: %s", ev.Reason, ev.Message)
		if !strings.Contains(ev.Message, tc.wantMsg[0]) {
			t.Errorf("%s\nthe Warning event does not say %q: %s", tc.reason, tc.wantMsg[0], ev.Message)
		}

		time.Sleep(time.Until(start.Add(hotLoopWindow)))
		end := time.Now()
		at := reconcilesOf(logs.Since(logStart), p.GetNamespace(), p.GetName())
		requests := requestsWith(ws.KeyID, start, end)
		line := fmt.Sprintf("hot-loop Project/%s/%s: %d reconciles (at %s s), %d Ory requests in %s",
			name, string(s), len(at), offsets(at, start), len(requests), end.Sub(start).Round(time.Second))
		t.Log(line)
		hotLoopFigures.Lock()
		hotLoopFigures.lines = append(hotLoopFigures.lines, line)
		hotLoopFigures.Unlock()

		if len(at) < hotLoopMinReconciles || len(at) > hotLoopMaxReconciles {
			t.Errorf("%s\n%d reconciles in %s: want between %d (retried) and %d (exponential backoff)", tc.reason, len(at), hotLoopWindow, hotLoopMinReconciles, hotLoopMaxReconciles)
		}
		if len(requests) > hotLoopMaxRequests {
			t.Errorf("%s\n%d Ory requests in %s (%s): want at most %d with exponential backoff", tc.reason, len(requests), hotLoopWindow, describe(requests), hotLoopMaxRequests)
		}
		if tc.allowed != nil && len(requests) > 0 {
			t.Errorf("%s\n%d Ory requests (%s): want none, the create is refused before any call", tc.reason, len(requests), describe(requests))
		}
		if n := sim.Requests(orysim.OpPurgeProject) - purges; n > 0 {
			t.Errorf("%s\n%d purges", tc.reason, n)
		}
		n := len(sim.Projects(ws.ID))
		if n != tc.wantProjects {
			t.Errorf("%s\nthe workspace holds %d projects, want %d", tc.reason, n, tc.wantProjects)
		}
		// Let the resource go without touching the workspace's
		// projects.
		h.Update(t, p, func() {
			testkit.ObserveOnly(p)
			p.Parameters().DeletionProtection = new(bool)
			meta.RemoveAnnotations(p, common.AnnotationCreating)
		})
		_ = kube.Delete(context.Background(), p)
		return n == tc.wantProjects && c.Status == corev1.ConditionFalse
	})
}

// requestsWith returns the simulator's requests sent with the workspace API
// key of ID keyID that arrived in [from, to).
func requestsWith(keyID string, from, to time.Time) []orysim.LogEntry {
	var out []orysim.LogEntry
	for _, e := range sim.RequestLog() {
		if e.WorkspaceKeyID == keyID && !e.Time.Before(from) && e.Time.Before(to) {
			out = append(out, e)
		}
	}
	return out
}
