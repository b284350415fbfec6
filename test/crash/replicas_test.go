package crash

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane-contrib/provider-ory/internal/bootstrap"
	"github.com/crossplane-contrib/provider-ory/internal/localenv"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

var leaseFlag = flag.Duration("replicas-lease-duration", 15*time.Second,
	"--leader-election-lease-duration of the replicas in TestLeaderTakeover, with a renew deadline of two thirds of it (0: the provider's defaults, 60s and 50s; the test then takes about 80s)")

// replica is one of two provider processes that elect a leader, as a
// DeploymentRuntimeConfig with replicas: 2 runs them. Each serves its own
// metrics and health endpoints, as each pod would.
type replica struct {
	name    string
	p       *localenv.Provider
	metrics string // host:port of /metrics
	health  string // host:port of /healthz and /readyz
}

// leads reports whether the replica says it holds the Lease: controller-runtime's
// leader_election_master_status gauge is 1 (0 or absent on a standby).
func (r *replica) leads() (bool, error) {
	res, err := http.Get("http://" + r.metrics + "/metrics")
	if err != nil {
		return false, err
	}
	defer res.Body.Close() //nolint:errcheck // read only
	want := fmt.Sprintf("leader_election_master_status{name=%q} 1", bootstrap.LeaderElectionID)
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		if sc.Text() == want {
			return true, nil
		}
	}
	return false, sc.Err()
}

// ready reports whether the replica's /readyz answers 200: a standby must
// pass its probes, or Kubernetes would restart it for ever.
func (r *replica) ready() bool {
	res, err := http.Get("http://" + r.health + "/readyz")
	if err != nil {
		return false
	}
	_ = res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// TestLeaderTakeover runs two replicas of the provider binary with
// --leader-election against the same control plane, creates a burst of
// ProjectAPIKeys (both scopes) and renames some of them, and SIGKILLs the
// leader while creates and replacements are in flight. The other replica
// must take the Lease within LeaseDuration + RenewDeadline (plus a margin),
// and finish the work: leaked, lost, duplicates and incomplete are 0 and the
// runtime's guard never fired. The killed replica then comes back (as its
// pod would) as the standby, the leader is stopped with SIGTERM, and the
// Lease must pass at once, not after a lease: the leader releases it.
// Last, every resource is deleted through the last leader.
//
// The replicas run with a 15s lease (-replicas-lease-duration) to keep the
// test short; the takeover is a lease plus up to a retry period whatever
// the lease, which -replicas-lease-duration=0 (the defaults) shows.
func TestLeaderTakeover(t *testing.T) {
	start := time.Now()
	ctx := t.Context()
	const n, renames = 30, 10
	lease, renew := *leaseFlag, *leaseFlag*2/3
	if lease == 0 {
		lease, renew = bootstrap.DefaultLeaseDuration, bootstrap.DefaultRenewDeadline
	}

	// The suite's provider runs without leader election: it would reconcile
	// this test's resources too. It is started again after the test, once
	// the replicas stopped (cleanups run last in, first out).
	tp.disarm()
	if err := provider.Stop(); err != nil {
		t.Logf("stopping the suite's provider: %v", err)
	}
	t.Cleanup(func() {
		if err := provider.Start(); err != nil {
			t.Errorf("cannot start the suite's provider again: %v", err)
		}
	})

	w := newWorld(t, "replicas")
	bin, _, err := testkit.ProviderBinary(ctx, env.Dir, selfBuiltVersion) // built once per process: the suite's binary
	if err != nil {
		t.Fatal(err)
	}
	var replicas [2]*replica
	for i := range replicas {
		r := &replica{name: fmt.Sprintf("replica-%d", i), metrics: freeAddress(t), health: freeAddress(t)}
		args := []string{
			"--debug",
			"--poll=" + pollInterval.String(),
			"--max-reconcile-rate=" + strconv.Itoa(maxReconcileRate),
			"--leader-election",
			"--leader-election-namespace=" + w.ns,
			"--metrics-bind-address=" + r.metrics,
			"--health-probe-bind-address=" + r.health,
		}
		if *leaseFlag != 0 {
			args = append(args, "--leader-election-lease-duration="+lease.String(), "--leader-election-renew-deadline="+renew.String())
		}
		r.p = env.NewProvider(localenv.ProviderOptions{Binary: bin, Args: args})
		replicas[i] = r
	}
	t.Cleanup(func() {
		for _, r := range replicas {
			if t.Failed() {
				t.Logf("%s log %s (last 60 lines):\n%s", r.name, r.p.LogPath(), testkit.Tail(r.p.LogPath(), 60))
			}
			if err := r.p.Stop(); err != nil {
				t.Logf("stopping %s: %v", r.name, err)
			}
		}
	})
	for _, r := range replicas {
		if err := r.p.Start(); err != nil {
			t.Fatal(err)
		}
	}
	// down are the replicas the test stopped or killed on purpose.
	down := map[*replica]bool{}
	alive := func() string {
		for _, r := range replicas {
			if !down[r] && !r.p.Running() {
				return fmt.Sprintf("%s exited: %v", r.name, r.p.ExitError())
			}
		}
		return ""
	}

	// One leader, one healthy standby.
	var leader, standby *replica
	var held *coordinationv1.Lease
	elected := testkit.Poll{Timeout: 30 * time.Second, Interval: 100 * time.Millisecond, Abort: alive}.Until(t, "one replica holding the Lease", func() (bool, string) {
		l, err := getLease(ctx, w.ns)
		if err != nil {
			return false, err.Error()
		}
		leading := leadersOf(replicas[:])
		if len(leading) != 1 || holder(l) == "" {
			return false, fmt.Sprintf("Lease holder %q, replicas that say they lead: %d", holder(l), len(leading))
		}
		leader, held = leading[0], l
		return true, ""
	})
	for _, r := range replicas {
		if r != leader {
			standby = r
		}
	}
	testkit.Eventually(t, 10*time.Second, "both replicas ready", func() (bool, string) {
		return leader.ready() && standby.ready(), "a replica's /readyz does not answer 200"
	})
	t.Logf("%s leads (Lease holder %s) %s after the start; %s stands by", leader.name, holder(held), elected.Round(time.Millisecond), standby.name)

	// The burst: 30 creates, slowed so that several are in flight, then
	// renames of resources whose key exists (replacements).
	env.Sim.SetLatency(orysim.OpCreateProjectAPIKey, 150*time.Millisecond)
	t.Cleanup(func() { env.Sim.SetLatency(orysim.OpCreateProjectAPIKey, 0) })
	keys := make([]*crashKey, n)
	want := func() map[string]string {
		m := map[string]string{}
		for _, ck := range keys {
			m[testkit.ID(ck.k)] = ck.keyName(w.ns)
		}
		return m
	}
	for i := range keys {
		ck := &crashKey{i: i, version: 1}
		ck.k = w.key(i%2 == 1, fmt.Sprintf("k%03d", i), ck.keyName(w.ns), (i/2)%2 == 1)
		keys[i] = ck
		create(t, ck.k)
	}
	testkit.Poll{Timeout: 30 * time.Second, Interval: 50 * time.Millisecond, Abort: alive}.Until(t, "a third of the keys made", func() (bool, string) {
		got := len(env.Sim.Keys(w.project.ID))
		return got >= n/3, fmt.Sprintf("%d keys in Ory", got)
	})
	s, err := w.snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	renamed := 0
	for _, ck := range keys {
		if renamed == renames {
			break
		}
		if meta.GetExternalName(s.Keys[testkit.ID(ck.k)]) == "" {
			continue
		}
		ck.version++
		patch := fmt.Sprintf(`{"spec":{"forProvider":{"name":%q}}}`, ck.keyName(w.ns))
		if err := env.Client.Patch(ctx, ck.k, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
			t.Fatalf("cannot rename %s: %v", testkit.ID(ck.k), err)
		}
		renamed++
	}
	if renamed == 0 {
		t.Fatal("no resource recorded its key yet: nothing to replace")
	}
	// Kill once the first replacement key exists: more creates and
	// replacements are in flight then.
	testkit.Poll{Timeout: 20 * time.Second, Interval: 20 * time.Millisecond, Abort: alive}.Until(t, "a replacement key made", func() (bool, string) {
		for _, key := range env.Sim.Keys(w.project.ID) {
			if strings.HasSuffix(key.Name, "-v2") {
				return true, ""
			}
		}
		return false, "no key of a new name yet"
	})
	before := held
	if l, err := getLease(ctx, w.ns); err == nil {
		before = l
	}
	down[leader] = true
	leader.p.Kill()
	killed := time.Now()
	left := w.inspect(ctx) // the standby does nothing until it takes over
	if left.err != nil {
		t.Fatal(left.err)
	}
	s, err = w.snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pendingAtKill := converged(s, want())
	t.Logf("SIGKILL of %s with %d of %d resources not converged (%d renamed); it left create-pending=%d creating=%d unrecorded=%d unstored=%d",
		leader.name, len(pendingAtKill), n, renamed, len(left.createIncomplete), len(left.creating), len(left.unrecorded), len(left.unstored))
	if len(pendingAtKill) == 0 {
		t.Fatal("every resource had converged before the kill: the kill struck no burst")
	}

	// Takeover.
	var taken *coordinationv1.Lease
	bound := lease + renew + 5*time.Second
	takeover := testkit.Poll{Timeout: bound, Interval: 100 * time.Millisecond}.Until(t, standby.name+" taking the Lease", func() (bool, string) {
		l, err := getLease(ctx, w.ns)
		if err != nil {
			return false, err.Error()
		}
		if h := holder(l); h == "" || h == holder(before) {
			return false, "Lease still held by " + h
		}
		if ok, err := standby.leads(); !ok {
			return false, fmt.Sprintf("the Lease changed hands to %s but %s does not say it leads (%v)", holder(l), standby.name, err)
		}
		taken = l
		return true, ""
	})
	var sinceRenew time.Duration
	if taken.Spec.AcquireTime != nil && before.Spec.RenewTime != nil {
		sinceRenew = taken.Spec.AcquireTime.Sub(before.Spec.RenewTime.Time)
	}
	converge := testkit.Poll{Timeout: time.Minute, Interval: 250 * time.Millisecond, Abort: alive}.Until(t, "every resource converged", func() (bool, string) {
		s, err := w.snapshot(ctx)
		if err != nil {
			return false, err.Error()
		}
		p := converged(s, want())
		return len(p) == 0, fmt.Sprintf("%d of %d not converged:\n%s", len(p), n, strings.Join(p[:min(len(p), 10)], "\n"))
	})
	convergedAfterKill := time.Since(killed)
	inv, events := w.settledFigures(t, n, 1, "after the takeover")

	// The killed replica comes back as the standby; a clean stop of the
	// leader hands the Lease over within a retry period or so.
	if err := leader.p.Start(); err != nil {
		t.Fatal(err)
	}
	down[leader] = false
	testkit.Poll{Timeout: 30 * time.Second, Abort: alive}.Until(t, leader.name+" back and ready as the standby", func() (bool, string) {
		leads, _ := leader.leads()
		return leader.ready() && !leads, "not ready yet, or it says it leads"
	})
	type exit struct {
		err  error
		took time.Duration
	}
	stopped := make(chan exit, 1)
	down[standby] = true
	go func() {
		termed := time.Now()
		err := standby.p.Stop()
		stopped <- exit{err, time.Since(termed)}
	}()
	// Well under a lease: the Lease was released, not left to expire.
	handoverBound := min(4*bootstrap.RetryPeriod, lease/2)
	handover := testkit.Poll{Timeout: handoverBound, Interval: 50 * time.Millisecond}.Until(t, leader.name+" taking the released Lease", func() (bool, string) {
		l, err := getLease(ctx, w.ns)
		if err != nil {
			return false, err.Error()
		}
		if h := holder(l); h == "" || h == holder(taken) {
			return false, fmt.Sprintf("Lease holder %q", h)
		}
		ok, err := leader.leads()
		return ok, fmt.Sprintf("%s does not say it leads (%v)", leader.name, err)
	})
	stop := <-stopped
	if stop.err != nil {
		t.Errorf("%s did not stop cleanly on SIGTERM: %v", standby.name, stop.err)
	}

	t.Logf("replicas: keys=%d (%d renamed), lease %s, renew deadline %s, retry period %s; SIGKILL of the leader with %d not converged; "+
		"takeover %s after the kill (%s after its last renewal; bound %s), all converged %s after the kill (%s after the takeover); "+
		"recovery events: %s; leaked=%d lost=%d duplicates=%d incomplete=%d; "+
		"SIGTERM handover %s (the old leader exited %s after the signal)",
		n, renamed, lease, renew, bootstrap.RetryPeriod, len(pendingAtKill),
		takeover.Round(time.Millisecond), sinceRenew.Round(time.Millisecond), bound, convergedAfterKill.Round(time.Millisecond), converge.Round(time.Millisecond),
		eventCounts(events), inv.Leaked, inv.Lost, inv.Duplicates, inv.Incomplete,
		handover.Round(time.Millisecond), stop.took.Round(time.Millisecond))
	if t.Failed() {
		return
	}

	// The last leader deletes everything.
	all := make([]testkit.Key, 0, n)
	for _, ck := range keys {
		all = append(all, ck.k)
	}
	w.deleteAll(t, all, time.Minute)
	t.Logf("replicas: every resource deleted through %s; whole test %s", leader.name, time.Since(start).Round(time.Second))
}

// settledFigures counts the invariants of the settled world and the
// recovery's events, adds them to the suite's report as n keys and kills
// kills, and fails the test, saying when (e.g. "after the takeover"), for
// each breach and for each stop by the runtime's guard. It is the crash
// run's end, for tests that settle after their last kill.
func (w *world) settledFigures(t *testing.T, n, kills int, when string) (testkit.Invariants, map[string]int) {
	t.Helper()
	s, err := w.snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	inv := s.Invariants(testkit.Rules{})
	events, err := w.recoveryEvents(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	c := inv.Counters()
	c.Kind, c.Keys, c.Kills = testkit.ProjectAPIKey.Name, n, kills
	report.Add(c)
	for what, v := range map[string]int{"leaked keys": inv.Leaked, "lost values": inv.Lost, "duplicated keys": inv.Duplicates, "incomplete creates": inv.Incomplete} {
		if v != 0 {
			t.Errorf("%d %s %s:\n%s", v, what, when, strings.Join(inv.Problems[:min(len(inv.Problems), 20)], "\n"))
		}
	}
	if events["guard"] > 0 {
		t.Errorf("crossplane-runtime stopped resources %d times with \"cannot determine creation result\"", events["guard"])
	}
	return inv, events
}

// getLease reads the provider's Lease in ns.
func getLease(ctx context.Context, ns string) (*coordinationv1.Lease, error) {
	l := &coordinationv1.Lease{}
	err := env.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: bootstrap.LeaderElectionID}, l)
	return l, err
}

// holder returns the Lease's holderIdentity, empty when none.
func holder(l *coordinationv1.Lease) string {
	if l == nil || l.Spec.HolderIdentity == nil {
		return ""
	}
	return *l.Spec.HolderIdentity
}

// leadersOf returns the running replicas that say they lead.
func leadersOf(rs []*replica) []*replica {
	var out []*replica
	for _, r := range rs {
		if ok, _ := r.leads(); ok && r.p.Running() {
			out = append(out, r)
		}
	}
	return out
}

// freeAddress returns a loopback address whose port was free a moment ago.
func freeAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close() //nolint:errcheck // only its port was wanted
	return l.Addr().String()
}
