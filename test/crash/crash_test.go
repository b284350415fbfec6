package crash

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// crashKey is one resource of the crash run. Its key's names are unique:
// <ns>-<index>-v<version>; a rename bumps the version.
type crashKey struct {
	i       int
	k       testkit.Key
	version int
}

// crashKind is the kind of the crash run's resource i: a quarter are
// WorkspaceAPIKeys, four in sixteen, one of each scope with and one without
// the workspace in the spec (see the keys' layout in
// TestCrashDuringCreateAndReplace); the others are ProjectAPIKeys.
func crashKind(i int) testkit.Kind {
	if j := i % 16; j == 4 || j == 5 || j == 14 || j == 15 {
		return testkit.WorkspaceAPIKey
	}
	return testkit.ProjectAPIKey
}

func (c *crashKey) keyName(ns string) string { return fmt.Sprintf("%s-%03d-v%d", ns, c.i, c.version) }

// crashRun drives the kills of one test and keeps their figures.
type crashRun struct {
	t   *testing.T
	w   *world
	rng *rand.Rand

	kills   int
	byStage map[stage]int
	byPhase []string
	// The distinct interrupted operations the kills left for the recovery.
	createIncomplete, creating, unrecorded, unstored map[string]bool
	// lostAnswers are the keys Ory made whose answer the tap withheld
	// (answerLost kills): only the recovery can find and delete them.
	lostAnswers []kill
}

// TestCrashDuringCreateAndReplace kills the provider with SIGKILL at random
// moments while it creates a batch of keys (ProjectAPIKeys and, a quarter,
// WorkspaceAPIKeys; both scopes, half of them taking their project or
// workspace from the ProviderConfig) and then while about
// half of them are renamed, round after round, until enough kills are done;
// the provider is restarted after each kill. The kills strike in a create
// of a key (a replacement is a create too): before Ory acts, after Ory made
// the key but before its answer arrives, or a random moment after the
// answer arrived, while the provider stores the value and records the key.
// The simulator delays creates by 50-200 ms, so that several are in flight
// at each kill. The first kill of each phase always loses an answer, so the
// recovery has to act in every run.
//
// Once the provider settles (bounded), it checks leaked, lost, duplicates and
// incomplete are 0; that every key whose answer was withheld was deleted by
// the provider; that the runtime's guard never stopped a resource; and it
// reports how many interrupted operations the kills left and the recovery
// events. Last, it deletes every resource and checks no key is left.
func TestCrashDuringCreateAndReplace(t *testing.T) {
	start := time.Now()
	ctx := t.Context()
	n, target, sd := keyCount(), killTarget(), seed()
	perKind := map[string]int{}
	for i := range n {
		perKind[crashKind(i).Name]++
	}
	t.Logf("seed %d (-crash-seed=%d repeats this kill schedule), %d keys (%v), at least %d kills", sd, sd, n, perKind, target)
	t.Cleanup(func() { logProviderOnFailure(t) })
	r := &crashRun{
		t: t, rng: rand.New(rand.NewPCG(sd, sd^0x9e3779b97f4a7c15)), byStage: map[stage]int{},
		createIncomplete: map[string]bool{}, creating: map[string]bool{}, unrecorded: map[string]bool{}, unstored: map[string]bool{},
	}
	r.w = newWorld(t, "crash")
	w := r.w
	keys := make([]*crashKey, n)
	for i := range keys {
		ck := &crashKey{i: i, version: 1}
		ck.k = w.keyOf(crashKind(i), i%2 == 1, fmt.Sprintf("k%03d", i), ck.keyName(w.ns), (i/2)%2 == 1)
		keys[i] = ck
	}
	want := func() map[string]string {
		m := map[string]string{}
		for _, ck := range keys {
			m[testkit.ID(ck.k)] = ck.keyName(w.ns)
		}
		return m
	}
	inspectKills(t, w.inspect)
	t.Cleanup(func() { setCreateLatency(0) })

	// Creation.
	tp.arm(r.forcedPlan())
	for _, ck := range keys {
		if err := env.Client.Create(ctx, ck.k); err != nil {
			t.Fatalf("cannot create %s: %v", testkit.ID(ck.k), err)
		}
	}
	r.killWhile("create", max(1, target/2), want)

	// Renames of about half the resources, round after round, until the
	// kills are done.
	rounds, idle := 0, 0
	for r.kills < target {
		rounds++
		if idle >= 3 {
			t.Fatalf("only %d kills, want %d: %d rename rounds in a row finished before a kill struck", r.kills, target, idle)
		}
		before := r.kills
		r.settle(fmt.Sprintf("before rename round %d", rounds), want(), settleTimeout(n))
		tp.arm(r.forcedPlan())
		renamed := 0
		for _, i := range r.rng.Perm(n)[:n/2] {
			ck := keys[i]
			ck.version++
			patch := fmt.Sprintf(`{"spec":{"forProvider":{"name":%q}}}`, ck.keyName(w.ns))
			if err := env.Client.Patch(ctx, ck.k, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
				t.Fatalf("cannot rename %s: %v", testkit.ID(ck.k), err)
			}
			renamed++
		}
		r.killWhile(fmt.Sprintf("replace round %d (%d renamed)", rounds, renamed), target-r.kills, want)
		if r.kills == before {
			idle++
		} else {
			idle = 0
		}
	}
	setCreateLatency(0)
	killsDone := time.Now()

	// Settling after the last kill, and the invariants (counted and
	// reported even when the bound ran out).
	var pending []string
	settleStart := time.Now()
	ok, why := poll(settleTimeout(n), func() (bool, string) {
		s, err := w.snapshot(ctx)
		if err != nil {
			return false, err.Error()
		}
		pending = converged(s, want())
		return len(pending) == 0, fmt.Sprintf("%d of %d not converged:\n%s", len(pending), n, strings.Join(pending[:min(len(pending), 15)], "\n"))
	})
	settled := time.Since(settleStart)
	if !ok {
		t.Errorf("not settled within %s of the last kill: %s", settleTimeout(n), why)
	}
	s, err := w.snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	inv := s.Invariants(testkit.Rules{})
	events, err := w.recoveryEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The invariants were counted over both kinds at once; they go with the
	// project keys, and each kind's share of the keys under its name.
	report.Add(testkit.Counters{Kind: testkit.ProjectAPIKey.Name, Keys: perKind[testkit.ProjectAPIKey.Name], Kills: r.kills, Leaked: inv.Leaked, Lost: inv.Lost, Duplicates: inv.Duplicates, Incomplete: inv.Incomplete})
	report.Add(testkit.Counters{Kind: testkit.WorkspaceAPIKey.Name, Keys: perKind[testkit.WorkspaceAPIKey.Name]})

	summary := fmt.Sprintf("crash: keys=%d kills=%d (%s; %s), %d rename rounds, in %s; "+
		"left for the recovery: create-pending=%d creating=%d unrecorded=%d unstored=%d (answers withheld: %d); "+
		"recovery events: %s; runtime guard=%d; "+
		"settled=%v in %s (bound %s); leaked=%d lost=%d duplicates=%d incomplete=%d",
		n, r.kills, r.stages(), strings.Join(r.byPhase, ", "), rounds, killsDone.Sub(start).Round(time.Second),
		len(r.createIncomplete), len(r.creating), len(r.unrecorded), len(r.unstored), len(r.lostAnswers),
		eventCounts(events), events["guard"],
		ok, settled.Round(time.Second), settleTimeout(n), inv.Leaked, inv.Lost, inv.Duplicates, inv.Incomplete)
	t.Log(summary)

	for what, v := range map[string]int{"leaked keys": inv.Leaked, "lost values": inv.Lost, "duplicated keys": inv.Duplicates, "incomplete creates": inv.Incomplete} {
		if v != 0 {
			t.Errorf("%d %s after the provider settled:\n%s", v, what, strings.Join(inv.Problems[:min(len(inv.Problems), 20)], "\n"))
		}
	}
	if r.kills < target {
		t.Errorf("%d kills, want at least %d", r.kills, target)
	}
	if events["guard"] > 0 {
		t.Errorf("crossplane-runtime stopped resources %d times with \"cannot determine creation result\": the recovery left them to a person", events["guard"])
	}
	// The windows that need the recovery were hit, and it resolved them.
	if len(r.createIncomplete) == 0 || len(r.unstored) == 0 || len(r.lostAnswers) == 0 {
		t.Errorf("the kills left %d incomplete creates, %d keys whose value nobody has and withheld %d answers: want at least one of each (the first kill of each phase withholds an answer)",
			len(r.createIncomplete), len(r.unstored), len(r.lostAnswers))
	}
	if len(r.creating) == 0 {
		t.Error("no kill interrupted a marked create (the first kill of each phase should)")
	}
	deletedBy := deleteRequests()
	for _, k := range r.lostAnswers {
		if _, ok := s.Ory[strings.ToLower(k.keyID)]; ok {
			t.Errorf("key %s (%s), whose answer was withheld by the kill at %s, is still in Ory", k.keyID, k.keyName, k.at.Format(time.RFC3339Nano))
		} else if !deletedBy[strings.ToLower(k.keyID)] {
			t.Errorf("key %s (%s), whose answer was withheld, is gone but the provider never asked Ory to delete it", k.keyID, k.keyName)
		}
	}
	if t.Failed() {
		return
	}

	// Deleting everything deletes every key.
	del := time.Now()
	all := make([]testkit.Key, 0, n)
	for _, ck := range keys {
		all = append(all, ck.k)
	}
	w.deleteAll(t, all, 2*time.Minute)
	t.Logf("crash: all %d resources deleted and every key gone in %s; whole test %s", n, time.Since(del).Round(time.Second), time.Since(start).Round(time.Second))
}

// eventCounts formats the recovery events, guard warnings left out.
func eventCounts(events map[string]int) string {
	var s []string
	for _, k := range slices.Sorted(maps.Keys(events)) {
		if k != "guard" {
			s = append(s, fmt.Sprintf("%s=%d", k, events[k]))
		}
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, " ")
}

// setCreateLatency delays the simulator's creates of keys of every kind.
func setCreateLatency(d time.Duration) {
	for _, k := range testkit.Kinds {
		env.Sim.SetLatency(k.CreateOp, d)
	}
}

// forcedPlan withholds the answer of the next create: Ory has made a key that
// only the recovery can find.
func (r *crashRun) forcedPlan() plan {
	setCreateLatency(time.Duration(50+r.rng.IntN(151)) * time.Millisecond)
	return plan{stage: answerLost, restartAfter: time.Duration(r.rng.IntN(500)) * time.Millisecond}
}

// randomPlan draws the next kill: its stage, how many creates go through
// first, the delay after an answer, and the simulator's latency for creates
// until then.
func (r *crashRun) randomPlan() plan {
	setCreateLatency(time.Duration(50+r.rng.IntN(151)) * time.Millisecond)
	p := plan{skip: r.rng.IntN(4), restartAfter: time.Duration(r.rng.IntN(500)) * time.Millisecond}
	switch x := r.rng.Float64(); {
	case x < 0.25:
		p.stage = beforeOry
	case x < 0.6:
		p.stage = answerLost
	default:
		p.stage = afterAnswer
		p.delay = time.Duration(r.rng.IntN(150)) * time.Millisecond
	}
	return p
}

// killWhile lets armed plans strike, re-arming after each kill, until budget
// kills are done or nothing is left to create: the resources converged and
// no kill came for a while.
func (r *crashRun) killWhile(phase string, budget int, want func() map[string]string) {
	t := r.t
	got := 0
	last := time.Now()
	down := time.Time{}
	for got < budget {
		select {
		case k := <-tp.kills:
			got++
			r.record(phase, k)
			last = time.Now()
			if got < budget {
				tp.arm(r.randomPlan())
			}
			continue
		case <-time.After(time.Second):
		}
		// Only the tap kills the provider, and it restarts it at once.
		if provider.Running() {
			down = time.Time{}
		} else if down.IsZero() {
			down = time.Now()
		} else if time.Since(down) > 30*time.Second {
			t.Fatalf("the provider has not been running for 30 s: %v", provider.ExitError())
		}
		if time.Since(last) < 5*time.Second {
			continue
		}
		s, err := r.w.snapshot(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if pending := converged(s, want()); len(pending) == 0 {
			break
		} else if time.Since(last) > time.Minute {
			t.Logf("%s: no kill for a minute and %d resources not converged (e.g. %s): going on", phase, len(pending), pending[0])
			break
		}
	}
	if got < budget && !tp.disarm() {
		// The last plan struck as it was being removed: wait for its kill.
		select {
		case k := <-tp.kills:
			got++
			r.record(phase, k)
		case <-time.After(time.Minute):
			t.Fatal("a kill struck but the provider was not started again within a minute")
		}
	}
	r.byPhase = append(r.byPhase, fmt.Sprintf("%s: %d", phase, got))
}

// record counts a kill and what it left for the recovery.
func (r *crashRun) record(phase string, k kill) {
	t := r.t
	r.kills++
	r.byStage[k.plan.stage]++
	if k.err != nil {
		t.Fatalf("kill %d: cannot start the provider again: %v", r.kills, k.err)
	}
	if k.state.err != nil {
		t.Fatalf("kill %d: cannot read what it left: %v", r.kills, k.state.err)
	}
	for _, x := range []struct {
		set  map[string]bool
		list []string
	}{{r.createIncomplete, k.state.createIncomplete}, {r.creating, k.state.creating}, {r.unrecorded, k.state.unrecorded}, {r.unstored, k.state.unstored}} {
		for _, e := range x.list {
			x.set[e] = true
		}
	}
	if k.plan.stage == answerLost {
		r.lostAnswers = append(r.lostAnswers, k)
	}
	key := ""
	if k.keyID != "" {
		key = " on key " + k.keyID + " (" + k.keyName + ")"
	}
	t.Logf("kill %d (%s) %s%s; it left create-pending=%d creating=%d unrecorded=%d unstored=%d",
		r.kills, phase, k.plan, key, len(k.state.createIncomplete), len(k.state.creating), len(k.state.unrecorded), len(k.state.unstored))
}

func (r *crashRun) stages() string {
	var s []string
	for _, st := range []stage{beforeOry, answerLost, afterAnswer} {
		s = append(s, fmt.Sprintf("%s=%d", st, r.byStage[st]))
	}
	return strings.Join(s, " ")
}

// settle waits until the resources converge and returns how long it took.
func (r *crashRun) settle(what string, want map[string]string, timeout time.Duration) time.Duration {
	t := r.t
	t.Helper()
	return testkit.Settle(t, timeout, "settled "+what, func() string {
		s, err := r.w.snapshot(t.Context())
		if err != nil {
			return err.Error()
		}
		pending := converged(s, want)
		if len(pending) == 0 {
			return ""
		}
		return fmt.Sprintf("%d of %d not converged:\n%s", len(pending), len(want), strings.Join(pending[:min(len(pending), 15)], "\n"))
	})
}

// deleteRequests returns the lower case IDs of the keys someone asked the
// simulator to delete.
func deleteRequests() map[string]bool {
	out := map[string]bool{}
	for _, e := range env.Sim.RequestLog() {
		if slices.ContainsFunc(testkit.Kinds, func(k testkit.Kind) bool { return e.Operation == k.DeleteOp }) {
			out[strings.ToLower(e.Path[strings.LastIndexByte(e.Path, '/')+1:])] = true
		}
	}
	return out
}

// logProviderOnFailure logs the end of the provider's log when the test
// failed.
func logProviderOnFailure(t *testing.T) {
	if !t.Failed() {
		return
	}
	b, err := os.ReadFile(provider.LogPath())
	if err != nil {
		t.Logf("cannot read the provider's log: %v", err)
		return
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	t.Logf("provider log %s (last 120 lines; CRASH_DIR=<folder> keeps it):\n%s", provider.LogPath(), strings.Join(lines[max(0, len(lines)-120):], "\n"))
}
