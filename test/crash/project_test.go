package crash

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// projectTimeout bounds the settling of TestCrashDuringProjectCreate's
// Projects after the last kill, and their deletion: a create killed before
// it reached Ory is made again only once its settle window (the console
// client's 30 s timeout plus 15 s) has passed, since a look that finds
// nothing within it proves nothing.
const projectTimeout = 90 * time.Second

// TestCrashDuringProjectCreate kills the provider with SIGKILL once in each
// moment of a Project's create, in both scopes: before Ory acts, after Ory
// made the project but before its answer arrives, and at once after the
// answer arrived (before, or while, the provider records the project's ID).
// Each case creates a Project (deletionProtection false) with the kill
// armed; the tap kills at the next create of a project, which is that
// Project's or the re-create of an earlier one, and the provider is started
// again at once.
//
// Once the Projects settle, no Project may be in the create-pending state,
// none may have two projects of its name, and no project of the test may be
// one no Project names (leaked). Every project Ory made through the tap
// must be the one its Project names: a project whose answer was lost is
// adopted, never purged and made again (a project may hold users from its
// first minute; see internal/controller/project/recover.go). Last, deleting
// the Projects purges every project of the test.
func TestCrashDuringProjectCreate(t *testing.T) {
	start := time.Now()
	ctx := t.Context()
	t.Cleanup(func() { logProviderOnFailure(t) })
	w := newWorld(t, "projcrash")
	prefix := w.ns + "-"
	ours := func(o orysim.Project) bool { return strings.HasPrefix(o.Name, prefix) }
	inspectKills(t, w.inspectProjects)

	cases := []struct {
		scope testkit.Scope
		stage stage
		// why the case exists.
		why string
	}{
		{testkit.Namespaced, beforeOry, "Ory made nothing: the recovery finds no project, clears the mark, and the create runs again"},
		{testkit.Cluster, beforeOry, "the same for the cluster scope, whose Projects the recovery lists as well"},
		{testkit.Namespaced, answerLost, "Ory made the project and nobody got its ID: the recovery must adopt it, not make another"},
		{testkit.Cluster, answerLost, "the same for the cluster scope"},
		{testkit.Namespaced, afterAnswer, "the answer arrived, its ID is not (or only just) recorded: the mark leads the recovery to it"},
		{testkit.Cluster, afterAnswer, "the same for the cluster scope"},
	}
	projects := make([]testkit.Project, 0, len(cases))
	var kills []kill
	for i, c := range cases {
		p := testkit.NewProject(c.scope, w.ns, fmt.Sprintf("p%d", i), nil)
		off := false
		p.Parameters().DeletionProtection = &off
		_, ref := testkit.Config{Name: configName}.For(c.scope, w.ns)
		testkit.UseConfig(p, ref)
		projects = append(projects, p)
		tp.arm(plan{stage: c.stage})
		create(t, p)
		k := waitKill(t)
		if k.state.err != nil {
			t.Fatalf("kill %d: cannot read what it left: %v", i+1, k.state.err)
		}
		kills = append(kills, k)
		hit := "no project (Ory made none)"
		if k.keyID != "" {
			// The mark names the project being created: while it is on
			// the resource, the project's ID is not recorded.
			recorded := "its ID recorded"
			if slices.ContainsFunc(k.state.creating, func(e string) bool { return strings.Contains(e, fmt.Sprintf("%q", k.keyName)) }) {
				recorded = "its ID not recorded"
			}
			hit = fmt.Sprintf("project %s (%s), %s", k.keyID, k.keyName, recorded)
		}
		t.Logf("kill %d, %s, armed as %s was created (%s): struck the create of %s; it left create-pending=%d creating=%d",
			i+1, c.stage, testkit.ID(p), c.why, hit, len(k.state.createIncomplete), len(k.state.creating))
	}
	killsDone := time.Now()

	// Settling, and the invariants.
	var s testkit.ProjectSnapshot
	ok, why := poll(projectTimeout, func() (bool, string) {
		var err error
		if s, err = testkit.TakeProjects(ctx, env.Client, env.Sim, w.ns, w.workspace.ID); err != nil {
			return false, err.Error()
		}
		pending := projectsConverged(s, projects)
		return len(pending) == 0, fmt.Sprintf("%d of %d not converged:\n%s", len(pending), len(projects), strings.Join(pending, "\n"))
	})
	settled := time.Since(killsDone)
	if !ok {
		t.Errorf("not settled within %s of the last kill: %s", projectTimeout, why)
	}
	inv := s.Invariants(testkit.ProjectRules{Ours: ours})
	if inv.Leaked+inv.Duplicates+inv.Incomplete != 0 {
		t.Errorf("after the provider settled: %d leaked projects, %d Projects with duplicate projects, %d incomplete creates:\n%s",
			inv.Leaked, inv.Duplicates, inv.Incomplete, strings.Join(inv.Problems, "\n"))
	}

	// Every project Ory made through the tap is its Project's, the lost
	// answers' above all: adopted, not purged and made again.
	byName := map[string]testkit.Project{}
	for _, p := range s.Projects {
		byName[p.Parameters().Name] = p
	}
	purged := purgeRequests()
	lost, adopted := 0, 0
	for _, c := range tp.createdKeys() {
		if !strings.HasPrefix(c.name, prefix) {
			continue
		}
		answer := "whose answer arrived"
		if !c.delivered {
			answer = "whose answer was lost"
			lost++
		}
		p, found := byName[c.name]
		switch {
		case purged[strings.ToLower(c.id)]:
			t.Errorf("project %s (%q), %s, was purged: a lost create's project is adopted, never purged and made again", c.id, c.name, answer)
		case !found:
			t.Errorf("project %s (%q), %s, has no Project of its name", c.id, c.name, answer)
		case !strings.EqualFold(meta.GetExternalName(p), c.id):
			t.Errorf("project %s (%q), %s, is not the one %s names (%q): it was not adopted", c.id, c.name, answer, testkit.ID(p), meta.GetExternalName(p))
		case !c.delivered:
			adopted++
		}
	}
	for _, k := range kills {
		if k.plan.stage == answerLost && k.keyID == "" {
			t.Errorf("the %s kill at %s struck no create that made a project", k.plan.stage, k.at.Format(time.RFC3339Nano))
		}
	}
	events := projectRecoveryEvents(t, w)
	t.Logf("projcrash: projects=%d kills=%d in %s; answers lost=%d, adopted=%d; recovery events: %s; settled=%v in %s (bound %s); leaked=%d duplicates=%d incomplete=%d",
		len(projects), len(kills), killsDone.Sub(start).Round(time.Millisecond), lost, adopted, eventCounts(events),
		ok, settled.Round(time.Millisecond), projectTimeout, inv.Leaked, inv.Duplicates, inv.Incomplete)
	if events["guard"] > 0 {
		t.Errorf("crossplane-runtime stopped Projects %d times with \"cannot determine creation result\": the recovery left them to a person", events["guard"])
	}
	counters := testkit.Counters{Kind: "Project", Kills: len(kills), Leaked: inv.Leaked, Duplicates: inv.Duplicates, Incomplete: inv.Incomplete}
	defer func() { report.Add(counters) }()
	if t.Failed() {
		return
	}

	// Deleting the Projects purges every project of the test.
	del := time.Now()
	for _, p := range projects {
		if err := env.Client.Delete(ctx, p); err != nil && !kerrors.IsNotFound(err) {
			t.Errorf("cannot delete %s: %v", testkit.ID(p), err)
		}
	}
	testkit.Settle(t, projectTimeout, "every Project deleted and its project purged", func() string {
		s, err := testkit.TakeProjects(ctx, env.Client, env.Sim, w.ns, w.workspace.ID)
		if err != nil {
			return err.Error()
		}
		var left []string
		for id := range s.Projects {
			left = append(left, id)
		}
		for _, o := range s.Ory {
			if ours(o) {
				left = append(left, "project "+o.ID+" ("+o.Name+")")
			}
		}
		slices.Sort(left)
		return strings.Join(left, ", ")
	})
	s, err := testkit.TakeProjects(ctx, env.Client, env.Sim, w.ns, w.workspace.ID)
	if err != nil {
		t.Fatal(err)
	}
	after := s.Invariants(testkit.ProjectRules{Ours: ours})
	counters.Leaked = max(counters.Leaked, after.Leaked)
	if after.Leaked != 0 {
		t.Errorf("%d projects leaked after the Projects were deleted:\n%s", after.Leaked, strings.Join(after.Problems, "\n"))
	}
	t.Logf("projcrash: all %d Projects deleted and their projects purged in %s; whole test %s", len(projects), time.Since(del).Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}

// inspectProjects reads what a kill left of the world's Projects' creates:
// the Projects in crossplane-runtime's create-pending state, and those with
// the provider's creation mark (common.AnnotationCreating).
func (w *world) inspectProjects(ctx context.Context) crashState {
	var st crashState
	s, err := testkit.TakeProjects(ctx, env.Client, env.Sim, w.ns, w.workspace.ID)
	if err != nil {
		st.err = err
		return st
	}
	for id, p := range s.Projects {
		a := p.GetAnnotations()
		if meta.ExternalCreateIncomplete(p) {
			st.createIncomplete = append(st.createIncomplete, id+" pending since "+a[meta.AnnotationKeyExternalCreatePending])
		}
		if mark, ok := a[common.AnnotationCreating]; ok {
			st.creating = append(st.creating, id+" creating "+mark)
		}
	}
	return st
}

// projectsConverged returns why the Projects want are not yet where they
// should be: each exists, is Ready and Synced, has no create pending and no
// creation mark, and names a project in Ory of the name its spec says.
func projectsConverged(s testkit.ProjectSnapshot, want []testkit.Project) []string {
	var pending []string
	for _, w := range want {
		id := testkit.ID(w)
		p, ok := s.Projects[id]
		if !ok {
			pending = append(pending, id+": does not exist")
			continue
		}
		ready, why := testkit.Ready(p)
		o, found := s.Ory[strings.ToLower(meta.GetExternalName(p))]
		switch {
		case meta.ExternalCreateIncomplete(p):
			pending = append(pending, id+": create pending since "+p.GetAnnotations()[meta.AnnotationKeyExternalCreatePending])
		case p.GetAnnotations()[common.AnnotationCreating] != "":
			pending = append(pending, id+": creating "+p.GetAnnotations()[common.AnnotationCreating])
		case !ready:
			pending = append(pending, id+": "+why)
		case !found:
			pending = append(pending, id+": its project "+meta.GetExternalName(p)+" is not in Ory")
		case o.Name != p.Parameters().Name:
			pending = append(pending, fmt.Sprintf("%s: its project is named %q, want %q", id, o.Name, p.Parameters().Name))
		}
	}
	slices.Sort(pending)
	return pending
}

// purgeRequests returns the lower case IDs of the projects someone asked the
// simulator to purge.
func purgeRequests() map[string]bool {
	out := map[string]bool{}
	for _, e := range env.Sim.RequestLog() {
		if e.Operation == orysim.OpPurgeProject {
			out[strings.ToLower(e.Path[strings.LastIndexByte(e.Path, '/')+1:])] = true
		}
	}
	return out
}

// projectRecoveryEvents counts the RecoveredCreate Events of the world's
// Projects by outcome (adopted: Ory had made the project; none: it had
// not), and the runtime's "cannot determine creation result" warnings
// ("guard").
func projectRecoveryEvents(t *testing.T, w *world) map[string]int {
	t.Helper()
	l := &corev1.EventList{}
	if err := env.Client.List(t.Context(), l); err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, e := range l.Items {
		if e.InvolvedObject.Kind != "Project" || (e.InvolvedObject.Namespace != w.ns && !strings.HasPrefix(e.InvolvedObject.Name, w.ns+"-")) {
			continue
		}
		n := max(1, int(e.Count))
		switch {
		case e.Reason == "RecoveredCreate" && strings.Contains(e.Message, "adopted"):
			out["RecoveredCreate/adopted"] += n
		case e.Reason == "RecoveredCreate":
			out["RecoveredCreate/none"] += n
		case strings.Contains(e.Message, "cannot determine creation result"):
			out["guard"] += n
		}
	}
	return out
}
