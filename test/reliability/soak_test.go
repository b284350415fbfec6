package reliability

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// The soak's faults: 20% of all requests, of every operation, fail. 5% of
// all requests lose their connection before the simulator acts; of the
// rest, enough answer 500, 502, 503 or 429 (in equal shares) to make up
// the other 15%.
const (
	soakFaultShare = 0.20
	soakDropShare  = 0.05
)

// soakKey is one resource of the soak.
type soakKey struct {
	i       int
	s       testkit.Scope
	kind    testkit.Kind
	k       testkit.Key
	parent  string // the project or workspace that holds its keys
	renamed bool   // its name is changed mid-soak: it must be replaced
	deleted bool   // it is deleted mid-soak: it and its keys must go
}

// soakWorkspaceKey says which of the soak's resources are
// WorkspaceAPIKeys (the rest are ProjectAPIKeys): the keys i with
// (i/4)%4 == 3, which cover both scopes, with and without the workspace in
// the spec, renamed and deleted ones.
func soakWorkspaceKey(i int) bool { return (i/4)%4 == 3 }

// prefix starts the names of all keys the resource ever has.
func (sk *soakKey) prefix(ns string) string { return fmt.Sprintf("%s-%04d-", ns, sk.i) }

// soakProject is one Project of the soak, in the soak's workspace, with its
// deletion protection off.
type soakProject struct {
	i       int
	p       testkit.Project
	renamed bool // renamed mid-soak: renamed in place, the same project
	deleted bool // deleted mid-soak: its project must be purged
}

// projectPrefix starts the names of every project of the soak.
func projectPrefix(ns string) string { return ns + "-p" }

// prefix starts every name the Project's project ever has.
func (sp *soakProject) prefix(ns string) string {
	return fmt.Sprintf("%s%02d-", projectPrefix(ns), sp.i)
}

// soakProjects is how many Projects a soak of n keys drives besides: one
// for every 25 keys, at least 4 (both scopes, renamed and deleted ones).
func soakProjects(n int) int { return max(4, n/25) }

// projectOps are the console operations on projects, whose faults the
// Projects meet.
var projectOps = []string{orysim.OpCreateProject, orysim.OpListProjects, orysim.OpGetProject, orysim.OpPatchProjectWithRevision, orysim.OpPurgeProject}

// TestFaultSoak reconciles many keys, in both scopes, while the simulator
// fails 20% of all requests (5xx, 429 and dropped connections, of project
// and workspace operations alike): ProjectAPIKeys in two projects, and a
// quarter WorkspaceAPIKeys in the soak's own workspace; and besides a few
// Projects (soakProjects), half of whose creates are answered and then
// lose their answer; and OAuth2Clients (soakClients) in a project of their
// own, on ProviderConfigs with projectCredentials, half of whose creates
// and a quarter of whose rotations have their answers cut half way.
// Mid-soak it renames a fifth of the keys (forcing replacements under the
// same faults) and deletes a tenth, renames and deletes a share of the
// Projects, and rotates half the clients' secrets and deletes a quarter of
// the clients. Once the faults stop, every resource must converge within a
// bound, and then:
//
//   - leaked: no key in the soak's projects or workspace that no live
//     resource references (by its external name, or as a replaced key
//     still to delete), the workspace's own API key aside; the keys of
//     deleted resources are gone;
//   - lost: no Ready resource whose connection Secret's value is not its
//     key's value;
//   - duplicates: no resource with more than one key of its names;
//   - incomplete: no resource stuck in the runtime's create-pending state;
//   - for Projects: no project of the soak that no live Project names
//     (leaked, the deleted ones' purged), none with two projects of its
//     names (duplicates), none create-pending (incomplete);
//   - for OAuth2Clients: no client of the soak that no live OAuth2Client
//     names (leaked, the deleted ones' gone), no Ready one whose Secret's
//     secret does not work at Ory (lost), none with two clients of its
//     name (duplicates), none create-pending (incomplete); and each holds
//     the secret of its spec's rotation trigger with no rotated secret
//     still working at Ory.
//
// Its size is -soak-keys (or $SOAK_KEYS), 200 by default.
func TestFaultSoak(t *testing.T) {
	ctx := context.Background()
	n := soakSize()
	bound := soakConvergeTimeout(n)
	faultTail := max(30*time.Second, time.Duration(n)*100*time.Millisecond)

	ns := h.NewNamespace(t, "soak")
	wk := newWorkspaceKey("soak")
	ws := sim.AddWorkspace(wk)
	projects := []orysim.Project{sim.AddProject(wk, ""), sim.AddProject(wk, "")}
	creds := testkit.Creds{Namespace: ns, Name: "creds", Key: "token"}
	h.Create(t, creds.Secret(wk))
	for _, c := range []testkit.Config{h.Config("soak", creds, projects[0].ID), h.Config(ns+"-soak", creds, projects[0].ID)} {
		c.WorkspaceID = ws.ID
		if c.Name == "soak" {
			h.Create(t, c.NamespacedProviderConfig(ns))
		} else {
			h.Create(t, c.LegacyProviderConfig())
		}
	}
	holders := []string{projects[0].ID, projects[1].ID, ws.ID}

	// Half the keys of each scope and kind in each of two parents. Keys of
	// the first leave projectID (workspaceID) out, the ProviderConfig's
	// default, which the provider then writes into the spec; the second's
	// name it. The project keys' parents are the two projects; the
	// workspace keys' the soak's workspace, both ways.
	keys := make([]*soakKey, n)
	for i := range keys {
		sk := &soakKey{i: i, s: testkit.Scopes[i%2], kind: testkit.ProjectAPIKey, parent: projects[(i/2)%2].ID, renamed: i%5 == 1, deleted: i%10 == 3}
		named := (i/2)%2 == 1
		if soakWorkspaceKey(i) {
			sk.kind, sk.parent = testkit.WorkspaceAPIKey, ws.ID
		}
		parentInSpec := ""
		if named {
			parentInSpec = sk.parent
		}
		sk.k = sk.kind.New(sk.s, ns, fmt.Sprintf("k%04d", i), common.KeyParameters{Name: sk.prefix(ns) + "v1"}, parentInSpec)
		cfg := "soak"
		if sk.s == testkit.Cluster {
			cfg = ns + "-soak"
		}
		testkit.UseConfig(sk.k, cfg)
		keys[i] = sk
	}

	projectResources := make([]*soakProject, soakProjects(n))
	for j := range projectResources {
		// Of every eight, one of each scope renamed and one of each deleted.
		sp := &soakProject{i: j, renamed: j%8 == 1 || j%8 == 2, deleted: j%8 == 3 || j%8 == 4}
		sp.p = testkit.NewProject(testkit.Scopes[j%2], ns, fmt.Sprintf("p%02d", j), nil)
		sp.p.Parameters().Name = sp.prefix(ns) + "v1"
		off := false
		sp.p.Parameters().DeletionProtection = &off
		cfg := "soak"
		if testkit.Scopes[j%2] == testkit.Cluster {
			cfg = ns + "-soak"
		}
		testkit.UseConfig(sp.p, cfg)
		projectResources[j] = sp
	}

	clientProject, clients := newSoakClients(t, ns, wk, soakClients(n))

	start := time.Now()
	// Half the Projects' creates: Ory makes the project, and the answer is
	// lost; the provider must find and adopt it, not make a second.
	sim.CutAnswers(orysim.OpCreateProject, "", len(projectResources)/2, orysim.CutBeforeHeaders)
	sim.SetDropRate(orysim.AllOperations, soakDropShare)
	sim.SetErrorRate(orysim.AllOperations, (soakFaultShare-soakDropShare)/(1-soakDropShare), 500, 502, 503, 429)
	t.Cleanup(sim.ClearFaults)
	// Half the clients' creates: Ory makes the client and the answer, its
	// secret's only appearance, is cut half way.
	sim.CutAnswers(orysim.OpCreateOAuth2Client, clientProject.Slug, len(clients)/2, orysim.CutMidBody)
	for _, sc := range clients {
		if err := kube.Create(ctx, sc.c); err != nil {
			t.Errorf("cannot create %s: %v", sc.c.GetName(), err)
		}
	}
	for _, sp := range projectResources {
		if err := kube.Create(ctx, sp.p); err != nil {
			t.Errorf("cannot create %s: %v", sp.p.GetName(), err)
		}
	}
	parallel(keys, 8, func(sk *soakKey) {
		if err := kube.Create(ctx, sk.k); err != nil {
			t.Errorf("cannot create %s: %v", sk.k.GetName(), err)
		}
	})
	wsKeys := 0
	for _, sk := range keys {
		if sk.kind.Name == testkit.WorkspaceAPIKey.Name {
			wsKeys++
		}
	}
	t.Logf("soak: %d keys (%d WorkspaceAPIKeys) created in %s with %.0f%% of requests failing", n, wsKeys, time.Since(start).Round(time.Second), soakFaultShare*100)

	// Mid-soak: once half of them have a key (or after a minute), rename
	// a fifth and delete a tenth, while the faults go on.
	half := time.Now().Add(time.Minute)
	for time.Now().Before(half) {
		if withKey(t, ns, keys) >= n/2 {
			break
		}
		time.Sleep(pollInterval)
	}
	mid := time.Now()
	renamed, deleted := 0, 0
	for _, sk := range keys {
		switch {
		case sk.renamed:
			renamed++
		case sk.deleted:
			deleted++
		}
	}
	parallel(keys, 8, func(sk *soakKey) {
		switch {
		case sk.renamed:
			patch := fmt.Sprintf(`{"spec":{"forProvider":{"name":%q}}}`, sk.prefix(ns)+"v2")
			if err := kube.Patch(ctx, sk.k, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
				t.Errorf("cannot rename %s: %v", sk.k.GetName(), err)
			}
		case sk.deleted:
			if err := kube.Delete(ctx, sk.k); err != nil && !kerrors.IsNotFound(err) {
				t.Errorf("cannot delete %s: %v", sk.k.GetName(), err)
			}
		}
	})
	projectsRenamed, projectsDeleted := 0, 0
	for _, sp := range projectResources {
		switch {
		case sp.renamed:
			projectsRenamed++
			patch := fmt.Sprintf(`{"spec":{"forProvider":{"name":%q}}}`, sp.prefix(ns)+"v2")
			if err := kube.Patch(ctx, sp.p, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
				t.Errorf("cannot rename %s: %v", sp.p.GetName(), err)
			}
		case sp.deleted:
			projectsDeleted++
			if err := kube.Delete(ctx, sp.p); err != nil && !kerrors.IsNotFound(err) {
				t.Errorf("cannot delete %s: %v", sp.p.GetName(), err)
			}
		}
	}
	// A quarter of the clients' rotations: Ory makes the new secret and
	// the answer is cut half way.
	sim.CutAnswers(orysim.OpRotateOAuth2ClientSecret, clientProject.Slug, len(clients)/4, orysim.CutMidBody)
	clientsRotated, clientsDeleted := changeSoakClients(t, clients)
	t.Logf("soak: at %s, with %d of %d holding a key, renamed %d and deleted %d; renamed %d and deleted %d of %d Projects", mid.Sub(start).Round(time.Second), withKey(t, ns, keys), n, renamed, deleted, projectsRenamed, projectsDeleted, len(projectResources))

	time.Sleep(time.Until(mid.Add(faultTail)))
	sim.ClearFaults()
	sim.CutAnswers(orysim.OpCreateProject, "", 0, orysim.CutBeforeHeaders)
	sim.CutAnswers(orysim.OpCreateOAuth2Client, clientProject.Slug, 0, orysim.CutMidBody)
	sim.CutAnswers(orysim.OpRotateOAuth2ClientSecret, clientProject.Slug, 0, orysim.CutMidBody)
	faultsOff := time.Now()
	clientRequests, clientFaults := clientFaultCounts(clientProject, start, faultsOff)
	requests, faults := faultCounts(holders, start, faultsOff)
	projectRequests, projectFaults := projectFaultCounts(ws.KeyID, holders, start, faultsOff)
	lostAnswers := 0
	for _, e := range sim.RequestLog() {
		if e.Operation == orysim.OpCreateProject && e.WorkspaceKeyID == ws.KeyID && e.Fault == orysim.FaultCutBeforeHeaders {
			lostAnswers++
		}
	}

	// Convergence.
	var st soakState
	var pst projectState
	var cst clientState
	for {
		st = evaluate(t, ns, holders, ws.KeyID, keys)
		pst = evaluateProjects(t, ns, ws.ID, projectResources)
		cst = evaluateClients(t, ns, clientProject, clients)
		if (st.converged() && pst.converged() && cst.converged()) || time.Since(faultsOff) > bound {
			break
		}
		time.Sleep(pollInterval)
	}
	converged := time.Since(faultsOff)

	total, kinds := faultSummary(faults)
	summary := fmt.Sprintf("soak: keys=%d (workspace keys %d) renamed=%d deleted=%d requests=%d faults=%d (%s) fault phase=%s converged=%v in %s (bound %s) leaked=%d lost=%d duplicates=%d incomplete=%d",
		n, wsKeys, renamed, deleted, requests, total, kinds, faultsOff.Sub(start).Round(time.Second),
		st.converged(), converged.Round(time.Second), bound, st.inv.Leaked, st.inv.Lost, st.inv.Duplicates, st.inv.Incomplete)
	t.Log(summary)
	projectTotal, projectKinds := faultSummary(projectFaults)
	t.Logf("soak: projects=%d renamed=%d deleted=%d requests=%d faults=%d (%s) answers lost after the create=%d converged=%v leaked=%d duplicates=%d incomplete=%d",
		len(projectResources), projectsRenamed, projectsDeleted, projectRequests, projectTotal, projectKinds, lostAnswers,
		pst.converged(), pst.inv.Leaked, pst.inv.Duplicates, pst.inv.Incomplete)
	// The figures go under the kind of each share; the key invariants were
	// counted over both key kinds at once, and go with the project keys.
	report.Add(testkit.Counters{Kind: testkit.ProjectAPIKey.Name, Keys: n - wsKeys, Faults: total, Leaked: st.inv.Leaked, Lost: st.inv.Lost, Duplicates: st.inv.Duplicates, Incomplete: st.inv.Incomplete})
	report.Add(testkit.Counters{Kind: testkit.WorkspaceAPIKey.Name, Keys: wsKeys})
	report.Add(testkit.Counters{Kind: "Project", Keys: len(projectResources), Faults: projectTotal + lostAnswers, Leaked: pst.inv.Leaked, Duplicates: pst.inv.Duplicates, Incomplete: pst.inv.Incomplete})
	clientTotal, clientKinds := faultSummary(clientFaults)
	t.Logf("soak: oauth2clients=%d rotated=%d deleted=%d requests=%d faults=%d (%s) converged=%v leaked=%d lost=%d duplicates=%d incomplete=%d",
		len(clients), clientsRotated, clientsDeleted, clientRequests, clientTotal, clientKinds,
		cst.converged(), cst.inv.Leaked, cst.inv.Lost, cst.inv.Duplicates, cst.inv.Incomplete)
	report.Add(testkit.Counters{Kind: "OAuth2Client", Keys: len(clients), Faults: clientTotal, Leaked: cst.inv.Leaked, Lost: cst.inv.Lost, Duplicates: cst.inv.Duplicates, Incomplete: cst.inv.Incomplete})

	if !st.converged() {
		t.Errorf("the soak did not converge within %s of the faults stopping: %d not converged, e.g.:\n%s",
			bound, len(st.pending), strings.Join(st.pending[:min(len(st.pending), 15)], "\n"))
	}
	for what, v := range map[string]int{"leaked keys": st.inv.Leaked, "lost values": st.inv.Lost, "duplicated keys": st.inv.Duplicates, "incomplete creates": st.inv.Incomplete} {
		if v != 0 {
			t.Errorf("%d %s: %s", v, what, strings.Join(st.inv.Problems[:min(len(st.inv.Problems), 15)], "\n"))
		}
	}
	if total == 0 {
		t.Error("no fault was injected")
	}
	if !pst.converged() {
		t.Errorf("the soak's Projects did not converge within %s of the faults stopping: %d not converged, e.g.:\n%s",
			bound, len(pst.pending), strings.Join(pst.pending[:min(len(pst.pending), 15)], "\n"))
	}
	for what, v := range map[string]int{"leaked projects": pst.inv.Leaked, "duplicated projects": pst.inv.Duplicates, "incomplete project creates": pst.inv.Incomplete} {
		if v != 0 {
			t.Errorf("%d %s: %s", v, what, strings.Join(pst.inv.Problems[:min(len(pst.inv.Problems), 15)], "\n"))
		}
	}
	if !cst.converged() {
		t.Errorf("the soak's OAuth2Clients did not converge within %s of the faults stopping: %d not converged, e.g.:\n%s",
			bound, len(cst.pending), strings.Join(cst.pending[:min(len(cst.pending), 15)], "\n"))
	}
	for what, v := range map[string]int{"leaked clients": cst.inv.Leaked, "lost client secrets": cst.inv.Lost, "duplicated clients": cst.inv.Duplicates, "incomplete client creates": cst.inv.Incomplete} {
		if v != 0 {
			t.Errorf("%d %s: %s", v, what, strings.Join(cst.inv.Problems[:min(len(cst.inv.Problems), 15)], "\n"))
		}
	}
	if clientFaults[orysim.FaultCutMidBody] == 0 || clientTotal == clientFaults[orysim.FaultCutMidBody] {
		t.Errorf("the OAuth2Clients met faults %v: want cut answers and others", clientFaults)
	}
	if projectTotal == 0 || lostAnswers == 0 {
		t.Errorf("the Projects met %d faults and %d lost create answers: want some of each", projectTotal, lostAnswers)
	}

	// Deleting all of them leaves the soak's projects empty, and its
	// workspace with its own API key only.
	parallel(keys, 8, func(sk *soakKey) {
		if err := kube.Delete(ctx, sk.k); err != nil && !kerrors.IsNotFound(err) {
			t.Errorf("cannot delete %s: %v", sk.k.GetName(), err)
		}
	})
	teardown := time.Now()
	h.Within(bound).Eventually(t, "every soak key deleted", func() (bool, string) {
		left := len(sim.WorkspaceKeys(ws.ID)) - 1
		for _, p := range projects {
			left += len(sim.Keys(p.ID))
		}
		live := withKey(t, ns, keys)
		return left == 0 && live == 0, fmt.Sprintf("%d keys left in the soak's projects and workspace, %d resources with a key left", left, live)
	})
	t.Logf("soak: all %d resources deleted, their keys gone, in %s", n-deleted, time.Since(teardown).Round(time.Second))

	deleteSoakClients(t, ns, clientProject, clients, bound)

	// Deleting the Projects purges their projects.
	for _, sp := range projectResources {
		if err := kube.Delete(ctx, sp.p); err != nil && !kerrors.IsNotFound(err) {
			t.Errorf("cannot delete %s: %v", sp.p.GetName(), err)
		}
	}
	h.Within(bound).Eventually(t, "every soak project purged", func() (bool, string) {
		left := 0
		for _, o := range sim.Projects(ws.ID) {
			if o.State != orysim.ProjectDeleted && strings.HasPrefix(o.Name, projectPrefix(ns)) {
				left++
			}
		}
		return left == 0, fmt.Sprintf("%d projects of the soak left in Ory", left)
	})
}

// faultSummary returns the total of faults by kind and status, and them
// as "<kind>=<n>" in order, for the soak's lines.
func faultSummary(faults map[string]int) (total int, kinds string) {
	var s []string
	for k, v := range faults {
		total += v
		s = append(s, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(s)
	return total, strings.Join(s, " ")
}

// projectState is the state of the soak's Projects at one moment.
type projectState struct {
	pending []string // why Projects have not converged
	inv     testkit.Invariants
}

func (s projectState) converged() bool {
	return len(s.pending) == 0 && s.inv.Leaked == 0 && s.inv.Duplicates == 0 && s.inv.Incomplete == 0
}

// evaluateProjects reads the soak's Projects and the projects of workspace
// ws, and counts what has not converged (not Ready, its project not in Ory
// under the spec's name, a deleted one still there) and what breaks an
// invariant. A Project's projects are those whose names start with its
// prefix (a renamed one is renamed in place: it has one).
func evaluateProjects(t *testing.T, ns, ws string, projects []*soakProject) projectState {
	t.Helper()
	snap, err := testkit.TakeProjects(context.Background(), kube, sim, ns, ws)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*soakProject{}
	for _, sp := range projects {
		byID[testkit.ID(sp.p)] = sp
	}
	st := projectState{inv: snap.Invariants(testkit.ProjectRules{
		Ours: func(o orysim.Project) bool { return strings.HasPrefix(o.Name, projectPrefix(ns)) },
		Mine: func(p testkit.Project, o orysim.Project) bool {
			sp := byID[testkit.ID(p)]
			return sp != nil && strings.HasPrefix(o.Name, sp.prefix(ns))
		},
	})}
	for _, sp := range projects {
		p, ok := snap.Projects[testkit.ID(sp.p)]
		if m, done := presence(sp.p, p, ok, sp.deleted); done {
			st.pending = append(st.pending, m...)
			continue
		}
		id := strings.ToLower(meta.GetExternalName(p))
		o, exists := snap.Ory[id]
		isReady, why := testkit.Ready(p)
		switch {
		case !isReady:
			st.pending = append(st.pending, p.GetName()+": "+why)
		case !exists:
			st.pending = append(st.pending, p.GetName()+": its project "+id+" is not in Ory")
		case o.Name != p.Parameters().Name:
			st.pending = append(st.pending, fmt.Sprintf("%s: its project is named %q, the spec says %q", p.GetName(), o.Name, p.Parameters().Name))
		}
	}
	return st
}

// projectFaultCounts returns how many requests the soak's workspace key
// (keyID) made to project operations in [from, to), those about the key
// holders aside (faultCounts counts them), and the faults injected into
// them by kind and status.
func projectFaultCounts(keyID string, holders []string, from, to time.Time) (int, map[string]int) {
	requests, faults := 0, map[string]int{}
	for _, e := range sim.RequestLog() {
		if e.WorkspaceKeyID != keyID || !slices.Contains(projectOps, e.Operation) || e.Time.Before(from) || !e.Time.Before(to) {
			continue
		}
		if slices.ContainsFunc(holders, func(h string) bool { return strings.Contains(e.Path, "/projects/"+h) }) {
			continue
		}
		requests++
		switch {
		case e.Fault == orysim.FaultDrop:
			faults["drop"]++
		case e.Fault != "" && e.Fault != orysim.FaultCutBeforeHeaders:
			faults[fmt.Sprint(e.Status)]++
		}
	}
	return requests, faults
}

// soakState is the soak's state at one moment.
type soakState struct {
	pending []string // why resources have not converged
	inv     testkit.Invariants
}

func (s soakState) converged() bool {
	return len(s.pending) == 0 && s.inv.Leaked == 0 && s.inv.Lost == 0 && s.inv.Duplicates == 0 && s.inv.Incomplete == 0
}

// evaluate reads the soak's resources, their connection Secrets and the
// simulator's keys of the holders (projects and workspace), and counts what
// has not converged and what breaks an invariant; credential is the
// workspace's own API key, which no resource manages. A resource's keys are
// those whose names start with its prefix (a renamed one has two names);
// one being replaced or deleted may hold more than one.
func evaluate(t *testing.T, ns string, holders []string, credential string, keys []*soakKey) soakState {
	t.Helper()
	snap, err := testkit.Take(context.Background(), kube, sim, ns, holders...)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*soakKey{}
	for _, sk := range keys {
		byID[testkit.ID(sk.k)] = sk
	}
	st := soakState{inv: snap.Invariants(testkit.Rules{Changing: true, Credentials: []string{credential}, Mine: func(k testkit.Key, key orysim.Key) bool {
		sk := byID[testkit.ID(k)]
		return sk != nil && strings.HasPrefix(key.Name, sk.prefix(ns))
	}})}
	for _, sk := range keys {
		o, ok := snap.Keys[testkit.ID(sk.k)]
		if m, done := presence(sk.k, o, ok, sk.deleted); done {
			st.pending = append(st.pending, m...)
			continue
		}
		k := o
		id := testkit.KeyIDOf(meta.GetExternalName(k))
		key, exists := snap.Ory[id]
		isReady, why := testkit.Ready(k)
		switch {
		case !isReady:
			st.pending = append(st.pending, k.GetName()+": "+why)
		case !exists:
			st.pending = append(st.pending, k.GetName()+": its key "+id+" is not in Ory")
		case key.Name != k.KeyParameters().Name:
			st.pending = append(st.pending, fmt.Sprintf("%s: its key is named %q, the spec says %q", k.GetName(), key.Name, k.KeyParameters().Name))
		case k.GetAnnotations()[common.AnnotationRetiredKeys] != "":
			st.pending = append(st.pending, k.GetName()+": replaced keys still to delete: "+k.GetAnnotations()[common.AnnotationRetiredKeys])
		}
	}
	return st
}

// withKey counts the soak's resources that exist and have a key.
func withKey(t *testing.T, ns string, keys []*soakKey) int {
	t.Helper()
	snap, err := testkit.Take(context.Background(), kube, sim, ns)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, sk := range keys {
		if k, ok := snap.Keys[testkit.ID(sk.k)]; ok && testkit.KeyIDOf(meta.GetExternalName(k)) != "" {
			n++
		}
	}
	return n
}

// faultCounts returns how many requests about the holders (projects or
// workspaces) arrived in [from, to), and the faults injected into them by
// kind and status.
func faultCounts(holders []string, from, to time.Time) (int, map[string]int) {
	requests, faults := 0, map[string]int{}
	for _, id := range holders {
		for _, e := range requestsTo(id, from, to) {
			requests++
			switch {
			case e.Fault == orysim.FaultDrop:
				faults["drop"]++
			case e.Fault != "":
				faults[fmt.Sprint(e.Status)]++
			}
		}
	}
	return requests, faults
}

// presence checks a soak resource's existence: created is the object the
// soak made, got the one read (found: whether it was), deleted whether the
// soak deleted it. done is true when nothing more is to check: the
// resource is deleted (gone, or still there: pending), or missing.
func presence(created, got resource.Managed, found, deleted bool) (pending []string, done bool) {
	switch {
	case deleted && found:
		return []string{got.GetName() + " still exists (" + syncMessage(got) + ")"}, true
	case deleted:
		return nil, true
	case !found:
		return []string{created.GetName() + " is missing"}, true
	}
	return nil, false
}

func syncMessage(k resource.Managed) string {
	c := k.GetCondition(xpv2.TypeSynced)
	return fmt.Sprintf("Synced=%s %s", c.Status, c.Message)
}

// parallel runs fn for every key on workers goroutines.
func parallel(keys []*soakKey, workers int, fn func(*soakKey)) {
	ch := make(chan *soakKey)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for sk := range ch {
				fn(sk)
			}
		}()
	}
	for _, sk := range keys {
		ch <- sk
	}
	close(ch)
	wg.Wait()
}
