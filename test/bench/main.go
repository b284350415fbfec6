// Command bench measures provider-ory at scale: N ProjectAPIKeys across P
// Ory projects, created against a real kube-apiserver and etcd (envtest,
// binaries from hack/controlplane) and the Ory console simulator, with the
// provider binary running as its own process (internal/localenv). It
// measures the time until all keys are Ready, the Ory requests of the
// creation, the Ory list calls per poll interval in the steady state, the
// reconciles per second, and the provider's peak RSS and heap; then it
// restarts the provider with --no-shared-view (naive mode) against the same
// Ready keys and measures the same steady state as the baseline.
//
// Run it with `make bench` (N=1000 P=10 by default; `make bench N=200 P=4`),
// or `go run ./test/bench -help`. docs/performance.md says what each figure
// means, what bounds it, and records the latest figures. Progress goes to
// stderr; the report goes to stdout and ends with one line:
//
//	bench: n=<N> p=<P> projects=<Projects> ready_s=<s> lists_per_poll=<x> naive_lists_per_poll=<y> ratio=<y/x> rss_mib=<m> apiserver_requests_per_observe=<a> naive_apiserver_requests_per_observe=<b>
//
// where every figure but the naive ones is from the provider with its
// default flags (apart from --poll and --max-reconcile-rate) and
// rss_mib is the largest peak RSS of every provider process of the run.
// With -workspace-every=W, one resource in W is a WorkspaceAPIKey (of the
// one workspace) and the rest ProjectAPIKeys: the lists then include the
// workspace's. With -project-every=E, one resource in E is a Project,
// created in Ory, made Ready and polled (a getProject per poll) beside the
// keys, which stay in the P seeded projects.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/crossplane-contrib/provider-ory/internal/localenv"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// The targets of the benchmark (docs/performance.md); the ratio of naive to
// shared list calls is to be at least n/parents (100 at n=1000, p=10).
const (
	targetRateFor       = 100 // --max-reconcile-rate the Ready target holds for
	targetAPIPerObserve = 2   // API server requests per steady-state Observe
)

// targetReady is how long n resources may take to be Ready: 60 s up to
// 1,000 (the first target), 150 s beyond (issue 16's, for 10,000).
func targetReady(n int) time.Duration {
	if n <= 1000 {
		return 60 * time.Second
	}
	return 150 * time.Second
}

// targetRSSMiB is the provider's peak RSS allowed for n resources: 150 MiB
// up to 1,000, 200 MiB beyond.
func targetRSSMiB(n int) float64 {
	if n <= 1000 {
		return 150
	}
	return 200
}

func main() {
	cfg := config{}
	flag.IntVar(&cfg.N, "n", 1000, "ProjectAPIKeys to create")
	flag.IntVar(&cfg.P, "p", 10, "Ory projects the keys are spread over (round robin)")
	flag.IntVar(&cfg.Namespaces, "namespaces", 4, "namespaces the keys are spread over (round robin)")
	flag.IntVar(&cfg.WorkspaceEvery, "workspace-every", 20, "make one resource in this many a WorkspaceAPIKey (0: only ProjectAPIKeys)")
	flag.IntVar(&cfg.ProjectEvery, "project-every", 50, "make one resource in this many a Project, made in Ory and polled like the keys (0: none)")
	flag.DurationVar(&cfg.Poll, "poll", time.Minute, "the provider's --poll")
	flag.IntVar(&cfg.Polls, "polls", 2, "poll intervals measured in each steady state (K)")
	flag.IntVar(&cfg.SkipPolls, "skip", 1, "poll intervals skipped after the creation or restart before measuring")
	flag.IntVar(&cfg.MaxReconcileRate, "max-reconcile-rate", 100, "the provider's --max-reconcile-rate")
	flag.DurationVar(&cfg.CompareStaleness, "compare-staleness", 10*time.Second, "also create the N keys again under this --view-staleness, to compare with the default (five sixths of -poll); 0 skips it")
	flag.BoolVar(&cfg.Restart, "restart", true, "also measure the default flags after a restart of the provider")
	flag.IntVar(&cfg.Concurrency, "concurrency", 32, "concurrent creates sent to the API server")
	flag.DurationVar(&cfg.ReadyTimeout, "ready-timeout", 10*time.Minute, "how long the keys may take to be Ready (and to be deleted)")
	flag.BoolVar(&cfg.ContractCheck, "contract-check", false, "validate the simulator's traffic against Ory's OpenAPI document (slower; the tests check the contract)")
	flag.BoolVar(&cfg.Profile, "profile", true, "serve the provider's pprof endpoints (--profile-address) and keep each phase's heap profile taken nearest its largest heap, in the work folder (see -dir); off for a provider binary without that flag")
	flag.StringVar(&cfg.Provider, "provider", "", "a provider binary to run (default: build ./cmd/provider stamped with -version)")
	flag.StringVar(&cfg.Version, "version", "v0.0.0-bench", "the version stamped into the provider it builds")
	flag.StringVar(&cfg.Dir, "dir", "", "keep the work folder (kubeconfig, provider logs) here")
	jsonOut := flag.String("json", "", "also write the results as JSON to this file")
	strict := flag.Bool("strict", false, "exit with status 2 when a target is missed")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := func() int {
		root, err := localenv.FindRoot()
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		if cfg.Assets, err = localenv.Assets(ctx, root, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		cfg.Log = os.Stderr
		res, err := run(ctx, cfg)
		if res != nil && len(res.Phases) > 0 {
			report(os.Stdout, res)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: FAILED:", err)
			return 1
		}
		if *jsonOut != "" {
			b, err := json.MarshalIndent(res, "", "  ")
			if err == nil {
				err = os.WriteFile(*jsonOut, append(b, '\n'), 0o644)
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "bench:", err)
				return 1
			}
		}
		fmt.Println(res.line())
		if *strict && len(res.missed()) > 0 {
			return 2
		}
		return 0
	}()
	stop()
	os.Exit(code)
}

// phase returns the first phase of that name, or nil.
func (r *result) phase(name string) *phaseResult {
	for _, p := range r.Phases {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// peakRSS is the largest peak RSS of every provider process of the run.
func (r *result) peakRSS() uint64 {
	var peak uint64
	for _, p := range r.Phases {
		peak = max(peak, p.PeakRSS)
	}
	return peak
}

func ratio(naive, shared float64) float64 {
	if shared == 0 {
		return math.Inf(1)
	}
	return naive / shared
}

// line is the last line of the report.
func (r *result) line() string {
	s, n := r.phase("shared"), r.phase("naive")
	if s == nil || s.Creation == nil || n == nil {
		return "bench: incomplete run"
	}
	return fmt.Sprintf("bench: n=%d p=%d projects=%d ready_s=%.1f lists_per_poll=%.1f naive_lists_per_poll=%.1f ratio=%.1f rss_mib=%.1f apiserver_requests_per_observe=%.2f naive_apiserver_requests_per_observe=%.2f",
		r.Config.N, r.Config.P, r.Config.projects(), s.Creation.Ready.Seconds(), s.Steady.ListsPerPoll, n.Steady.ListsPerPoll,
		ratio(n.Steady.ListsPerPoll, s.Steady.ListsPerPoll), mib(float64(r.peakRSS())),
		s.Steady.APIRequestsPerObserve, n.Steady.APIRequestsPerObserve)
}

// targets returns each target with whether the run met it.
func (r *result) targets() []string {
	c := r.Config
	var out []string
	mark := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	s, n := r.phase("shared"), r.phase("naive")
	if s == nil || n == nil || s.Creation == nil {
		return nil
	}
	for _, p := range r.Phases {
		if p.Naive {
			continue
		}
		// Compared as printed, to one decimal.
		r := math.Round(ratio(n.Steady.ListsPerPoll, p.Steady.ListsPerPoll)*10) / 10
		parents := c.parents()
		out = append(out, fmt.Sprintf("lists per poll <= parents (%d), %s (staleness %s): %.1f, %s; ratio to naive >= keys/parents (%.0f): %.1f, %s",
			parents, p.Name, p.Staleness, p.Steady.ListsPerPoll, mark(p.Steady.ListsPerPoll <= float64(parents)),
			float64(c.keys())/float64(parents), r, mark(r >= math.Floor(float64(c.keys())/float64(parents)))))
		out = append(out, fmt.Sprintf("API server requests per steady Observe <= %d, %s: %.2f, %s", targetAPIPerObserve, p.Name,
			p.Steady.APIRequestsPerObserve, mark(p.Steady.APIRequestsPerObserve <= targetAPIPerObserve)))
	}
	out = append(out, fmt.Sprintf("naive lists per poll ~ keys (%d): %.1f", c.keys(), n.Steady.ListsPerPoll))
	for _, p := range r.Phases {
		if p.Creation == nil {
			continue
		}
		note := ""
		if c.MaxReconcileRate != targetRateFor {
			note = fmt.Sprintf(" (the target is for --max-reconcile-rate=%d)", targetRateFor)
		}
		out = append(out, fmt.Sprintf("all Ready within %s, %s: %.1f s, %s%s", targetReady(c.N), p.Name, p.Creation.Ready.Seconds(), mark(p.Creation.Ready <= targetReady(c.N)), note))
		creates := p.Creation.creates()
		lists := p.Creation.Requests[orysim.OpListProjectAPIKeys] + p.Creation.Requests[orysim.OpListWorkspaceAPIKeys]
		projects := p.Creation.Requests[orysim.OpCreateProject]
		out = append(out, fmt.Sprintf("Ory requests during the creation, %s: one create per resource (%d keys, %d projects): %d, %d, %s; at most one list per parent (%d): %d, %s",
			p.Name, c.keys(), c.projects(), creates, projects, mark(creates == c.keys() && projects == c.projects()), c.parents(), lists, mark(lists <= c.parents())))
	}
	rss := mib(float64(r.peakRSS()))
	out = append(out, fmt.Sprintf("peak RSS <= %.0f MiB: %.1f MiB, %s", targetRSSMiB(c.N), rss, mark(rss <= targetRSSMiB(c.N))))
	return out
}

// missed returns the targets the default flags missed.
func (r *result) missed() []string {
	var out []string
	for _, t := range r.targets() {
		if strings.Contains(t, "MISSED") && !strings.Contains(t, "shared-") {
			out = append(out, t)
		}
	}
	return out
}

// report prints what the run measured.
func report(w io.Writer, r *result) {
	c := r.Config
	fmt.Fprintf(w, "\nprovider-ory benchmark: n=%d resources (%d Projects, %d WorkspaceAPIKeys, the rest ProjectAPIKeys) across p=%d projects in %d namespaces; --poll=%s --max-reconcile-rate=%d; contract check %s\n",
		c.N, c.projects(), c.workspaceKeys(), c.P, c.Namespaces, c.Poll, c.MaxReconcileRate, onOff(c.ContractCheck))
	fmt.Fprintf(w, "steady state: %d poll interval(s) skipped after the creation or restart, then %d measured\n\n", c.SkipPolls, c.Polls)
	for _, p := range r.Phases {
		flags := strings.Join(p.Args, " ")
		if flags == "" {
			flags = "(defaults)"
		}
		view := "naive (no shared view)"
		if !p.Naive {
			view = fmt.Sprintf("shared view, staleness %s", p.Staleness)
		}
		fmt.Fprintf(w, "phase %s: %s; %s; %s, load average %.1f (peak %.1f)\n", p.Name, flags, view, p.Duration.Round(time.Second), p.LoadMean, p.LoadPeak)
		if cr := p.Creation; cr != nil {
			fmt.Fprintf(w, "  creation: %d resources submitted in %.1f s, %d Ready in %.1f s (first after %s; one project's keys became Ready within %s)\n",
				c.N, cr.Submit.Seconds(), cr.ReadyCount, cr.Ready.Seconds(), cr.FirstReady, cr.ProjectSpread)
			fmt.Fprintf(w, "  creation: Ory requests %s (%d not 2xx); %d keys and %d projects in Ory, %d connection Secrets with a value; held back by spec.rateLimit: %.0f\n",
				formatCounts(cr.Requests), cr.Failed, cr.KeysInOry, cr.ProjectsInOry, cr.Secrets, cr.ClientWaits)
			// Keys already Ready are polled during a long creation: one list
			// per parent and poll interval is the steady state's cost.
			lists := cr.Requests[orysim.OpListProjectAPIKeys] + cr.Requests[orysim.OpListWorkspaceAPIKeys]
			fmt.Fprintf(w, "  creation: %d lists over %.1f poll intervals: %.2f per parent and poll interval\n",
				lists, cr.Ready.Seconds()/c.Poll.Seconds(), float64(lists)/float64(c.parents())/max(1, cr.Ready.Seconds()/c.Poll.Seconds()))
			fmt.Fprintf(w, "  creation: %.0f reconciles (%s), %.1f/s\n", cr.Reconciles, formatCounts(cr.ByResult), cr.Reconciles/cr.Ready.Seconds())
			fmt.Fprintf(w, "  creation: CPU seconds: %s (of %.0f core-seconds)\n", cr.CPU.format(), float64(cr.Cores)*cr.Ready.Seconds())
			fmt.Fprintf(w, "  creation: %.0f API server requests, per resource: %s\n", cr.APIRequests.total(), cr.APIRequests.top(12, float64(c.N)))
		}
		if p.Settle > 0 {
			fmt.Fprintf(w, "  restart: %.0f Observes of the %d keys in the first %.1f s after the start\n", p.SettleObserves, c.keys(), p.Settle.Seconds())
		}
		st := p.Steady
		fmt.Fprintf(w, "  steady: window from %.1f s past the skipped interval(s): %d list calls in %.1f s = %.1f per poll interval (per project %.1f-%.1f; %.1f per %d Observes); %.0f Observes per poll",
			p.Offset.Seconds(), st.Lists, st.Window.Seconds(), st.ListsPerPoll, st.ProjectMin, st.ProjectMax, st.ListsPerRound, c.keys(), st.ObservesPerPoll)
		if !p.Naive {
			fmt.Fprintf(w, " (view hits %.0f, misses %.0f)", st.Hits, st.Misses)
		}
		fmt.Fprintf(w, "; %.0f Project polls per poll; %.1f reconciles/s", st.ProjectPollsPerPoll, st.ReconcilesPerSecond)
		if len(st.Other) > 0 {
			fmt.Fprintf(w, "; other Ory requests %s", formatCounts(st.Other))
		}
		fmt.Fprintf(w, "\n  steady: CPU seconds per poll interval: %s\n", st.CPU.perPoll(st.Polls).format())
		if obs := (st.ObservesPerPoll + st.ProjectPollsPerPoll) * st.Polls; obs > 0 {
			fmt.Fprintf(w, "  steady: %.0f API server requests per poll interval, per Observe: %s\n", st.APIRequests.total()/st.Polls, st.APIRequests.top(6, obs))
		}
		fmt.Fprintf(w, "  memory: peak RSS %.1f MiB, largest heap sampled %.1f MiB", mib(float64(p.PeakRSS)), mib(p.MaxHeap))
		if p.HeapProfile != "" {
			fmt.Fprintf(w, "; heap profile at %.1f MiB: %s", mib(p.ProfiledHeap), p.HeapProfile)
		}
		fmt.Fprint(w, "\n\n")
	}
	if t := r.targets(); len(t) > 0 {
		fmt.Fprintln(w, "targets:")
		for _, s := range t {
			fmt.Fprintln(w, "  "+s)
		}
		fmt.Fprintln(w)
	}
}

func formatCounts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s=%d", k, v))
	}
	slices.Sort(parts) // so that reports compare line by line
	return strings.Join(parts, " ")
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
