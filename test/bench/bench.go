package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/localenv"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// Fixed parts of the benchmark's world.
const (
	workspaceKey   = "ory_wak_bench"
	systemNS       = "crossplane-system"
	credsSecret    = "bench-workspace-key"
	providerConfig = "bench"
	roundLabel     = "bench.ory.crossplane.io/round"
	// The ProviderConfig's spec.rateLimit: the provider's own limiter
	// defaults to 60 requests a minute (burst 5) per workspace key, which
	// would hold the creation of N keys to one a second. These are the
	// largest values the CRD allows.
	rateLimitPerMinute = 60000
	rateLimitBurst     = 1000
)

// config is what a run measures; see the flags in main.go.
type config struct {
	N, P       int
	Namespaces int
	// WorkspaceEvery makes every WorkspaceEvery-th resource (keys 0, W,
	// 2W, ...) a WorkspaceAPIKey of the benchmark's workspace instead of a
	// ProjectAPIKey; 0 makes none.
	WorkspaceEvery int
	// ProjectEvery makes every ProjectEvery-th resource (keys W-1, 2W-1,
	// ...; a WorkspaceAPIKey where both fall on one) a Project, made in Ory
	// by the Project controller, Ready and polled like the keys; 0 makes
	// none. The keys stay in the P projects the benchmark seeds.
	ProjectEvery     int
	Poll             time.Duration
	Polls            int
	SkipPolls        int
	MaxReconcileRate int
	// CompareStaleness is the --view-staleness of a second creation, to
	// compare with the default's; 0, the default's value or one not
	// shorter than Poll skips it.
	CompareStaleness time.Duration
	Restart          bool
	Concurrency      int
	ReadyTimeout     time.Duration
	ContractCheck    bool
	// Profile serves the provider's pprof endpoints (--profile-address)
	// and keeps, per phase, the heap profile taken nearest its largest heap.
	Profile  bool
	Provider string // a built provider binary; empty builds one
	Version  string
	Dir      string
	Assets   string
	Log      io.Writer
}

func (c *config) validate() error {
	switch {
	case c.N < 1 || c.P < 1 || c.P > c.N:
		return fmt.Errorf("want 1 <= p <= n, got n=%d p=%d", c.N, c.P)
	case c.Namespaces < 1:
		return errors.New("want at least one namespace")
	case c.WorkspaceEvery < 0 || c.ProjectEvery < 0:
		return errors.New("want workspace-every and project-every >= 0")
	case c.keys() < c.P:
		return fmt.Errorf("want at least p=%d keys, got %d of the n=%d resources", c.P, c.keys(), c.N)
	case c.Poll < time.Second:
		return errors.New("the poll interval must be at least 1s")
	case c.Polls < 1 || c.SkipPolls < 0:
		return errors.New("want polls >= 1 and skip >= 0")
	case c.MaxReconcileRate < 1 || c.Concurrency < 1:
		return errors.New("want max-reconcile-rate and concurrency >= 1")
	case c.CompareStaleness < 0:
		return errors.New("the staleness to compare must not be negative")
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return nil
}

// effectiveStaleness is the view staleness the provider uses for a flag
// value (0: the default, five sixths of the poll interval), as
// cmd/provider computes it.
func effectiveStaleness(flag, poll time.Duration) time.Duration {
	if flag == 0 {
		flag = poll * 5 / 6
	}
	if flag >= poll {
		return poll / 2
	}
	return flag
}

// result is everything a run measured.
type result struct {
	Config  config         `json:"-"`
	Started time.Time      `json:"started"`
	Phases  []*phaseResult `json:"phases"`
}

// phaseResult is one provider process: its flags, the creation of N keys
// (when it made them) and its steady state.
type phaseResult struct {
	Name string `json:"name"`
	// Args are the provider's flags beyond --poll, --max-reconcile-rate
	// and --metrics-bind-address.
	Args      []string        `json:"args"`
	Naive     bool            `json:"naive"`
	Staleness time.Duration   `json:"staleness"` // effective; 0 when naive
	Creation  *creationResult `json:"creation,omitempty"`
	// Settle is, after a restart, how long the burst of the first Observes
	// took; SettleObserves how many it had.
	Settle         time.Duration `json:"settle,omitempty"`
	SettleObserves float64       `json:"settleObserves,omitempty"`
	// Offset is how far past the skipped poll intervals the window starts.
	Offset  time.Duration `json:"offset"`
	Steady  steadyResult  `json:"steady"`
	PeakRSS uint64        `json:"peakRSSBytes"`
	MaxHeap float64       `json:"maxHeapAllocBytes"`
	// HeapProfile is the file of the heap profile taken nearest the
	// largest heap (go tool pprof reads it), taken at ProfiledHeap bytes.
	HeapProfile  string            `json:"heapProfile,omitempty"`
	ProfiledHeap float64           `json:"profiledHeapAllocBytes,omitempty"`
	LoadMean     float64           `json:"loadMean"`
	LoadPeak     float64           `json:"loadPeak"`
	Duration     time.Duration     `json:"duration"`
	Extra        map[string]string `json:"extra,omitempty"`
}

// creationResult is the creation of N keys, from the first create sent to
// the API server until all are Ready.
type creationResult struct {
	Submit time.Duration `json:"submit"` // until the API server had all N
	Ready  time.Duration `json:"ready"`  // until all N were Ready, or the timeout
	// ReadyCount is how many were Ready then: N unless the run timed out.
	ReadyCount int `json:"readyCount"`
	// FirstReady is when the first key was Ready; ProjectSpread is the
	// largest span between the first and the last Ready key of one project
	// (from lastTransitionTime, one second resolution).
	FirstReady    time.Duration  `json:"firstReady"`
	ProjectSpread time.Duration  `json:"projectSpread"`
	Requests      map[string]int `json:"requests"` // Ory requests by operation
	Failed        int            `json:"failed"`   // Ory answers other than 2xx
	Reconciles    float64        `json:"reconciles"`
	// ByResult are the reconciles by result: requeue_after (done, next
	// poll scheduled), requeue (done, again soon: after a create), error.
	ByResult    map[string]int `json:"reconcilesByResult"`
	ClientWaits float64        `json:"clientWaits"` // held back by spec.rateLimit
	KeysInOry   int            `json:"keysInOry"`
	// ProjectsInOry are the projects the round's Project resources made.
	ProjectsInOry int `json:"projectsInOry"`
	Secrets       int `json:"secretsWithValue"`
	// CPU is the CPU seconds each process used during the creation, and
	// the whole machine's busy time (Cores cores).
	CPU   cpuSnapshot `json:"cpuSeconds"`
	Cores int         `json:"cores"`
	// APIRequests are the API server's requests during the creation, the
	// benchmark's own (N creates, a list of the keys every half second)
	// included.
	APIRequests apiRequests `json:"apiRequests"`
}

// creates is the keys the creation asked Ory for, of both kinds.
func (c *creationResult) creates() int {
	return c.Requests[orysim.OpCreateProjectAPIKey] + c.Requests[orysim.OpCreateWorkspaceAPIKey]
}

// steadyResult is K poll intervals of a steady state.
type steadyResult struct {
	Window       time.Duration `json:"window"`
	Polls        float64       `json:"polls"` // window / poll interval
	Lists        int           `json:"lists"`
	ListsPerPoll float64       `json:"listsPerPoll"`
	// ListsPerRound is the lists per N Observes: per round of polls of
	// every key. A key's poll period is the poll interval plus its
	// reconcile's duration, so a window of K poll intervals holds a little
	// fewer than K rounds.
	ListsPerRound float64 `json:"listsPerRound"`
	// The fewest and the most lists per poll interval of one project.
	ProjectMin      float64 `json:"projectMinPerPoll"`
	ProjectMax      float64 `json:"projectMaxPerPoll"`
	ObservesPerPoll float64 `json:"observesPerPoll"`
	// ProjectPollsPerPoll are the Project resources' Observes (a
	// getProject each) per poll interval.
	ProjectPollsPerPoll float64 `json:"projectPollsPerPoll"`
	// Lookups of the shared view: answered from it, or listed for.
	Hits                float64        `json:"hits"`
	Misses              float64        `json:"misses"`
	Reconciles          float64        `json:"reconciles"`
	ReconcilesPerSecond float64        `json:"reconcilesPerSecond"`
	Other               map[string]int `json:"otherRequests,omitempty"`
	APIRequests         apiRequests    `json:"apiRequests"`
	// APIRequestsPerObserve is every API server request in the window
	// (the provider's, and the little the control plane makes itself:
	// leases, endpoints) per Observe, of a key or a Project.
	APIRequestsPerObserve float64     `json:"apiRequestsPerObserve"`
	CPU                   cpuSnapshot `json:"cpuSeconds"`
}

// bench is a run in progress.
type bench struct {
	cfg       config
	env       *localenv.Env
	kube      client.Client
	bin       string
	projects  []orysim.Project
	workspace orysim.Workspace
	current   *localenv.Provider
}

// workspaceKeys is how many of the N resources are WorkspaceAPIKeys.
func (c config) workspaceKeys() int {
	if c.WorkspaceEvery == 0 {
		return 0
	}
	return (c.N + c.WorkspaceEvery - 1) / c.WorkspaceEvery
}

// isWorkspaceKey reports whether resource i is a WorkspaceAPIKey.
func (c config) isWorkspaceKey(i int) bool {
	return c.WorkspaceEvery > 0 && i%c.WorkspaceEvery == 0
}

// isProject reports whether resource i is a Project.
func (c config) isProject(i int) bool {
	return c.ProjectEvery > 0 && i%c.ProjectEvery == c.ProjectEvery-1 && !c.isWorkspaceKey(i)
}

// projects is how many of the N resources are Projects.
func (c config) projects() int {
	n := 0
	for i := range c.N {
		if c.isProject(i) {
			n++
		}
	}
	return n
}

// keys is how many of the N resources are keys of either kind.
func (c config) keys() int { return c.N - c.projects() }

// parents is how many parents the keys are spread over: the P projects, and
// the workspace when some are WorkspaceAPIKeys. The steady state costs one
// list per parent and poll interval at best.
func (c config) parents() int {
	if c.workspaceKeys() > 0 {
		return c.P + 1
	}
	return c.P
}

// run starts the world, measures, and tears everything down.
func run(ctx context.Context, cfg config) (*result, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	res := &result{Config: cfg, Started: time.Now()}
	logf := func(format string, args ...any) {
		fmt.Fprintf(cfg.Log, "bench: %s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
	}

	var simOpts []orysim.Option
	if !cfg.ContractCheck {
		simOpts = append(simOpts, orysim.WithoutContractCheck())
	}
	env, err := localenv.Start(ctx, localenv.Options{Assets: cfg.Assets, Dir: cfg.Dir, Log: prefixed{cfg.Log, "localenv: "}, SimOptions: simOpts})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := env.Close(); err != nil {
			logf("closing the environment: %v", err)
		}
	}()
	b := &bench{cfg: cfg, env: env}

	b.bin = cfg.Provider
	if b.bin == "" {
		start := time.Now()
		if b.bin, err = localenv.BuildProvider(ctx, env.Root, env.Dir, cfg.Version); err != nil {
			return nil, err
		}
		logf("built the provider %s in %s", cfg.Version, time.Since(start).Round(time.Second))
	}
	if v, err := localenv.BinaryVersion(ctx, b.bin); err == nil {
		logf("provider binary %s reports version %s", b.bin, v)
	}

	// A client of its own, without client-go's default 5 requests a
	// second, so that the N creates are not held back by the benchmark.
	rc := rest.CopyConfig(env.Config)
	rc.QPS, rc.Burst = 1000, 2000
	if b.kube, err = client.New(rc, client.Options{Scheme: env.Client.Scheme()}); err != nil {
		return nil, err
	}
	if err := b.setup(ctx); err != nil {
		return nil, err
	}
	logf("%d projects in the simulator, ClusterProviderConfig %s with rateLimit %d/min burst %d, %d namespaces",
		cfg.P, providerConfig, rateLimitPerMinute, rateLimitBurst, cfg.Namespaces)

	// 1. Default flags: create N keys, then the steady state.
	ph, err := b.phase(ctx, logf, "shared", nil, 1)
	res.Phases = append(res.Phases, ph)
	if err != nil {
		return res, err
	}
	round := 1

	// 2. Another staleness (by default the former default, 10 s), on a new
	// creation of N keys: the spread of a creation is what the staleness
	// must cover.
	if s := cfg.CompareStaleness; s >= cfg.Poll {
		logf("not comparing --view-staleness=%s: it is not shorter than --poll=%s", s, cfg.Poll)
	} else if s > 0 && s != effectiveStaleness(0, cfg.Poll) {
		logf("deleting the %d keys of round %d, to create them again under --view-staleness=%s", cfg.N, round, s)
		if err := b.deleteRound(ctx, round); err != nil {
			return res, err
		}
		round++
		ph, err := b.phase(ctx, logf, "shared-"+s.String(), []string{"--view-staleness=" + s.String()}, round)
		res.Phases = append(res.Phases, ph)
		if err != nil {
			return res, err
		}
	}

	// 3. Default flags again, after a restart: every key is observed in
	// one burst, so the polls of a project are close together.
	if cfg.Restart {
		ph, err := b.phase(ctx, logf, "shared-restart", nil, 0)
		res.Phases = append(res.Phases, ph)
		if err != nil {
			return res, err
		}
	}

	// 4. The baseline: the same N Ready keys, without the shared view.
	ph, err = b.phase(ctx, logf, "naive", []string{"--no-shared-view"}, 0)
	res.Phases = append(res.Phases, ph)
	if err != nil {
		return res, err
	}
	b.stopCurrent(logf)
	return res, nil
}

// setup makes the simulator's workspace and projects, and the namespaces,
// the credentials Secret and the ClusterProviderConfig.
func (b *bench) setup(ctx context.Context) error {
	for i := range b.cfg.P {
		b.projects = append(b.projects, b.env.Sim.AddProject(workspaceKey, fmt.Sprintf("bench-%02d", i)))
	}
	b.workspace = b.env.Sim.AddWorkspace(workspaceKey)
	for _, ns := range append([]string{systemNS}, b.namespaces()...) {
		err := b.kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
		if err != nil && !kerrors.IsAlreadyExists(err) {
			return err
		}
	}
	if err := b.kube.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: systemNS, Name: credsSecret},
		StringData: map[string]string{"credentials": workspaceKey},
	}); err != nil {
		return err
	}
	pc := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": namespacedv1alpha1.ClusterProviderConfigGroupVersionKind.GroupVersion().String(),
		"kind":       namespacedv1alpha1.ClusterProviderConfigGroupVersionKind.Kind,
		"metadata":   map[string]any{"name": providerConfig},
		"spec": map[string]any{
			"credentials": map[string]any{
				"source":    "Secret",
				"secretRef": map[string]any{"namespace": systemNS, "name": credsSecret, "key": "credentials"},
			},
			"consoleURL": b.env.SimURL,
			"rateLimit":  map[string]any{"requestsPerMinute": int64(rateLimitPerMinute), "burst": int64(rateLimitBurst)},
		},
	}}
	return b.kube.Create(ctx, pc)
}

func (b *bench) namespaces() []string {
	out := make([]string, b.cfg.Namespaces)
	for i := range out {
		out[i] = fmt.Sprintf("bench-%d", i)
	}
	return out
}

// phase runs one provider process with the extra args: when round > 0 it
// creates the N keys of that round and measures their creation first;
// otherwise it waits until every existing key was observed once. Then it
// skips SkipPolls poll intervals and measures Polls of them.
func (b *bench) phase(ctx context.Context, logf func(string, ...any), name string, args []string, round int) (*phaseResult, error) {
	start := time.Now()
	ph := &phaseResult{Name: name, Args: args, Extra: map[string]string{}}
	naive := false
	staleness := time.Duration(0)
	for _, a := range args {
		if a == "--no-shared-view" {
			naive = true
		}
		if v, ok := strings.CutPrefix(a, "--view-staleness="); ok {
			d, err := time.ParseDuration(v)
			if err != nil {
				return ph, err
			}
			staleness = d
		}
	}
	ph.Naive = naive
	if !naive {
		ph.Staleness = effectiveStaleness(staleness, b.cfg.Poll)
	}

	b.stopCurrent(logf)
	port, err := freePort()
	if err != nil {
		return ph, err
	}
	metricsURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	all := []string{
		"--poll=" + b.cfg.Poll.String(),
		"--max-reconcile-rate=" + strconv.Itoa(b.cfg.MaxReconcileRate),
		fmt.Sprintf("--metrics-bind-address=127.0.0.1:%d", port),
	}
	profileURL := ""
	if b.cfg.Profile {
		pport, err := freePort()
		if err != nil {
			return ph, err
		}
		all = append(all, fmt.Sprintf("--profile-address=127.0.0.1:%d", pport))
		profileURL = fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/heap", pport)
		ph.HeapProfile = filepath.Join(b.env.Dir, "heap-"+name+".pb.gz")
	}
	all = append(all, args...)
	p := b.env.NewProvider(localenv.ProviderOptions{Binary: b.bin, Args: all, Log: filepath.Join(b.env.Dir, "provider-"+name+".log")})
	b.env.Sim.ResetRequests()
	started := time.Now()
	if err := p.Start(); err != nil {
		return ph, err
	}
	b.current = p
	logf("phase %s: provider pid %d started: %s", name, p.Pid(), strings.Join(all, " "))
	if err := waitMetrics(ctx, p, metricsURL); err != nil {
		return ph, err
	}
	smp := startSampler(ctx, metricsURL, profileURL, ph.HeapProfile, time.Second)
	defer func() {
		smp.Stop(ctx)
		ph.MaxHeap = smp.MaxHeap()
		if ph.ProfiledHeap = smp.ProfiledHeap(); ph.ProfiledHeap == 0 {
			ph.HeapProfile = ""
		}
		ph.LoadMean, ph.LoadPeak = smp.Load()
		ph.Duration = time.Since(start)
	}()

	// The keys' last reconciles before the steady state, so the phases of
	// their polls, lie between first and from: the Ready transitions of the
	// creation, or the burst of Observes after a restart.
	var first, from time.Time
	if round > 0 {
		c, firstReady, at, err := b.create(ctx, logf, p, metricsURL, round)
		ph.Creation = c
		if err != nil {
			return ph, err
		}
		first, from = firstReady, at
	} else {
		first = started
		observes, err := b.settle(ctx, p, metricsURL, naive)
		ph.SettleObserves = observes
		if err != nil {
			return ph, err
		}
		from = time.Now().Add(-settleQuiet)
		ph.Settle = from.Sub(started)
		logf("phase %s: %.0f Observes of the %d keys in the %s after the start", name, observes, b.cfg.keys(), ph.Settle.Round(100*time.Millisecond))
	}

	// Every key polls once per poll interval (plus its reconcile's
	// duration) at the phase of its last reconcile: the polls come in a
	// band of from-first seconds, then none until first plus a poll
	// interval. The window starts in the middle of that gap, so that each
	// key polls exactly Polls times in it, however its poll period drifts
	// by the duration of its reconciles. (A window starting at the edge of
	// the band would lose the keys whose polls drift past its end.)
	skip := time.Duration(b.cfg.SkipPolls) * b.cfg.Poll
	if band := from.Sub(first); band < b.cfg.Poll {
		ph.Offset = (b.cfg.Poll - band) / 2
	}
	window := time.Duration(b.cfg.Polls) * b.cfg.Poll
	logf("phase %s: skipping %s (%d poll intervals) and %s (half the gap between the polls' band and the next), then measuring %s (%d)",
		name, skip, b.cfg.SkipPolls, ph.Offset.Round(100*time.Millisecond), window, b.cfg.Polls)
	if err := sleepWhileRunning(ctx, p, time.Until(from.Add(skip+ph.Offset))); err != nil {
		return ph, err
	}
	ph.Steady, err = b.steady(ctx, p, metricsURL, window, naive)
	if err != nil {
		return ph, err
	}
	if ph.PeakRSS, err = p.PeakRSS(); err != nil {
		return ph, err
	}
	logf("phase %s: %.1f lists per poll interval (%d in %s), %.1f observes per poll, %.1f reconciles/s, peak RSS %.1f MiB",
		name, ph.Steady.ListsPerPoll, ph.Steady.Lists, ph.Steady.Window.Round(time.Second), ph.Steady.ObservesPerPoll,
		ph.Steady.ReconcilesPerSecond, mib(float64(ph.PeakRSS)))
	return ph, nil
}

// stopCurrent stops the provider of the previous phase, if any.
func (b *bench) stopCurrent(logf func(string, ...any)) {
	if b.current == nil {
		return
	}
	if err := b.current.Stop(); err != nil {
		logf("stopping the provider: %v", err)
	}
	b.current = nil
}

// create creates the N keys of a round and waits until all are Ready. It
// returns when they were.
func (b *bench) create(ctx context.Context, logf func(string, ...any), p *localenv.Provider, metricsURL string, round int) (_ *creationResult, first, ready time.Time, _ error) {
	c := &creationResult{}
	m0, err := scrape(ctx, metricsURL)
	if err != nil {
		return c, first, ready, err
	}
	b.env.Sim.ResetRequests()
	cpu0 := b.cpuTimes()
	api0, err := apiServerRequests(ctx, b.env.Config)
	if err != nil {
		return c, first, ready, err
	}
	t0 := time.Now()

	names := make(chan int)
	errs := make(chan error, b.cfg.Concurrency)
	var wg sync.WaitGroup
	for range b.cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range names {
				if err := b.createKey(ctx, round, i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var createErr error
send:
	for i := range b.cfg.N {
		select {
		case names <- i:
		case createErr = <-errs:
			break send
		}
	}
	close(names)
	wg.Wait()
	if createErr == nil && len(errs) > 0 {
		createErr = <-errs
	}
	if createErr != nil {
		return c, first, ready, createErr
	}
	c.Submit = time.Since(t0)
	logf("round %d: %d resources (%d of them WorkspaceAPIKeys, %d Projects) submitted in %s; waiting until all are Ready", round, b.cfg.N, b.cfg.workspaceKeys(), b.cfg.projects(), c.Submit.Round(10*time.Millisecond))

	deadline := time.Now().Add(b.cfg.ReadyTimeout)
	var timedOut error
	for {
		st, err := b.readiness(ctx, round)
		if err != nil && !transient(err) {
			return c, first, ready, err
		}
		if st.ready == b.cfg.N {
			ready = time.Now()
			// lastTransitionTime is truncated to the second.
			first = st.first.Add(500 * time.Millisecond)
			c.FirstReady = max(0, first.Sub(t0)).Round(100 * time.Millisecond)
			c.ProjectSpread = st.spread
			break
		}
		if time.Now().After(deadline) {
			// The figures of the creation so far are still measured: on a
			// loaded machine they say where the time went.
			timedOut = fmt.Errorf("round %d: only %d of %d resources Ready after %s; not Ready: %s (provider log: %s)",
				round, st.ready, b.cfg.N, b.cfg.ReadyTimeout, st.why, p.LogPath())
			ready, c.ReadyCount = time.Now(), st.ready
			break
		}
		if err := sleepWhileRunning(ctx, p, b.cfg.readinessEvery()); err != nil {
			return c, first, ready, err
		}
	}
	if timedOut == nil {
		c.ReadyCount = b.cfg.N
	}
	c.Ready = ready.Sub(t0)
	c.CPU, c.Cores = b.cpuTimes().since(cpu0), runtime.NumCPU()
	api1, err := apiServerRequests(ctx, b.env.Config)
	if err != nil {
		return c, first, ready, err
	}
	c.APIRequests = api1.since(api0)
	for _, op := range orysim.Operations() {
		if n := b.env.Sim.Requests(op); n > 0 {
			if c.Requests == nil {
				c.Requests = map[string]int{}
			}
			c.Requests[op] = n
		}
	}
	for _, e := range b.env.Sim.RequestLog() {
		if e.Status < 200 || e.Status > 299 {
			c.Failed++
		}
	}
	m1, err := scrape(ctx, metricsURL)
	if err != nil {
		return c, first, ready, err
	}
	c.Reconciles = m1.reconciles() - m0.reconciles()
	c.ByResult = map[string]int{}
	r0 := m0.reconcileResults()
	for k, v := range m1.reconcileResults() {
		if d := int(v - r0[k]); d > 0 {
			c.ByResult[k] = d
		}
	}
	c.ClientWaits = m1.clientWaits() - m0.clientWaits()
	if timedOut != nil {
		return c, first, ready, timedOut
	}
	c.KeysInOry = b.keysInOry()
	c.ProjectsInOry = b.projectsInOry(round)
	if c.Secrets, err = b.secretsWithValue(ctx, round); err != nil {
		return c, first, ready, err
	}
	logf("round %d: all %d Ready in %s (first after %s; one project's keys Ready within %s of each other); Ory requests %v, %.0f reconciles (%.1f/s)",
		round, b.cfg.N, c.Ready.Round(100*time.Millisecond), c.FirstReady, c.ProjectSpread, c.Requests, c.Reconciles, c.Reconciles/c.Ready.Seconds())
	if c.KeysInOry != b.cfg.keys() || c.Secrets != b.cfg.keys() || c.ProjectsInOry != b.cfg.projects() {
		return c, first, ready, fmt.Errorf("round %d: %d keys in Ory and %d connection Secrets with a value, want %d of each; %d projects in Ory, want %d",
			round, c.KeysInOry, c.Secrets, b.cfg.keys(), c.ProjectsInOry, b.cfg.projects())
	}
	return c, first, ready, nil
}

func keyName(round, i int) string { return fmt.Sprintf("r%d-key-%04d", round, i) }

// oryName is the name of resource i of a round in Ory.
func oryName(round, i int) string { return fmt.Sprintf("bench-r%d-%04d", round, i) }

// createKey creates resource i of a round, a key or a Project: round robin
// over the projects and the namespaces, so that every project's keys are
// created throughout the creation (as when many teams apply at once), not
// one project after the other.
func (b *bench) createKey(ctx context.Context, round, i int) error {
	name := keyName(round, i)
	gvk := namespacedv1alpha1.ProjectAPIKeyGroupVersionKind
	forProvider := map[string]any{"name": oryName(round, i), "projectID": b.projects[i%b.cfg.P].ID}
	spec := map[string]any{
		"providerConfigRef":          map[string]any{"kind": "ClusterProviderConfig", "name": providerConfig},
		"writeConnectionSecretToRef": map[string]any{"name": name},
	}
	switch {
	case b.cfg.isWorkspaceKey(i):
		gvk = namespacedv1alpha1.WorkspaceAPIKeyGroupVersionKind
		forProvider = map[string]any{"name": oryName(round, i), "workspaceID": b.workspace.ID}
	case b.cfg.isProject(i):
		// In the workspace of the ProviderConfig's key, the seeded
		// projects' own; no protection, so that a round can be deleted.
		gvk = namespacedv1alpha1.ProjectGroupVersionKind
		forProvider = map[string]any{"name": oryName(round, i), "environment": "dev", "deletionProtection": false}
		delete(spec, "writeConnectionSecretToRef")
	}
	spec["forProvider"] = forProvider
	k := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": gvk.GroupVersion().String(),
		"kind":       gvk.Kind,
		"metadata": map[string]any{
			"name":      name,
			"namespace": b.namespaces()[i%b.cfg.Namespaces],
			"labels":    map[string]any{roundLabel: strconv.Itoa(round)},
		},
		"spec": spec,
	}}
	var err error
	for attempt := range 5 {
		if err = b.kube.Create(ctx, k.DeepCopy()); err == nil || kerrors.IsAlreadyExists(err) {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
	}
	return fmt.Errorf("cannot create %s %s: %w", gvk.Kind, name, err)
}

type readiness struct {
	ready  int
	first  time.Time
	spread time.Duration // the largest per project, of Ready lastTransitionTimes
	why    string        // a few reasons keys are not Ready
}

func (b *bench) readiness(ctx context.Context, round int) (readiness, error) {
	var r readiness
	keys, err := b.roundKeys(ctx, round)
	if err != nil {
		return r, err
	}
	type span struct{ first, last time.Time }
	spans := map[string]*span{}
	reasons := map[string]int{}
	for _, k := range keys {
		c := k.GetCondition(xpv2.TypeReady)
		if c.Status != corev1.ConditionTrue {
			s := k.GetCondition(xpv2.TypeSynced)
			why := fmt.Sprintf("Ready=%s (%s)", orUnknown(c.Status), c.Reason)
			if s.Status == corev1.ConditionFalse {
				why += ", Synced=False: " + s.Message
			}
			reasons[why]++
			continue
		}
		r.ready++
		at := c.LastTransitionTime.Time
		if r.first.IsZero() || at.Before(r.first) {
			r.first = at
		}
		pk, ok := k.(interface{ ParentID() *string })
		if !ok {
			continue // a Project: its own parent
		}
		sp := spans[*pk.ParentID()]
		if sp == nil {
			sp = &span{at, at}
			spans[*pk.ParentID()] = sp
		}
		if at.Before(sp.first) {
			sp.first = at
		}
		if at.After(sp.last) {
			sp.last = at
		}
	}
	for _, sp := range spans {
		r.spread = max(r.spread, sp.last.Sub(sp.first))
	}
	if missing := b.cfg.N - len(keys); missing > 0 {
		reasons["not in the API server"] += missing
	}
	var whys []string
	for why, n := range reasons {
		whys = append(whys, fmt.Sprintf("%d× %s", n, why))
	}
	sort.Strings(whys)
	r.why = strings.Join(whys, "; ")
	return r, nil
}

func orUnknown(s corev1.ConditionStatus) corev1.ConditionStatus {
	if s == "" {
		return corev1.ConditionUnknown
	}
	return s
}

// secretsWithValue counts the round's connection Secrets that hold a value.
func (b *bench) secretsWithValue(ctx context.Context, round int) (int, error) {
	n := 0
	prefix := fmt.Sprintf("r%d-key-", round)
	for _, ns := range b.namespaces() {
		l := &corev1.SecretList{}
		if err := b.kube.List(ctx, l, client.InNamespace(ns)); err != nil {
			return 0, err
		}
		for _, s := range l.Items {
			if strings.HasPrefix(s.Name, prefix) && len(s.Data[common.ConnectionKeyValue]) > 0 {
				n++
			}
		}
	}
	return n, nil
}

// deleteRound deletes the round's keys and waits until they, and their keys
// in Ory, are gone.
func (b *bench) deleteRound(ctx context.Context, round int) error {
	for _, ns := range b.namespaces() {
		for _, o := range []client.Object{&namespacedv1alpha1.ProjectAPIKey{}, &namespacedv1alpha1.WorkspaceAPIKey{}, &namespacedv1alpha1.Project{}} {
			if err := b.kube.DeleteAllOf(ctx, o, client.InNamespace(ns), client.MatchingLabels{roundLabel: strconv.Itoa(round)}); err != nil {
				return err
			}
		}
	}
	deadline := time.Now().Add(b.cfg.ReadyTimeout)
	for {
		keys, err := b.roundKeys(ctx, round)
		if err != nil {
			return err
		}
		inOry, projects := b.keysInOry(), b.projectsInOry(round)
		if len(keys) == 0 && inOry == 0 && projects == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("round %d: %d resources, %d keys and %d projects in Ory left %s after deleting them", round, len(keys), inOry, projects, b.cfg.ReadyTimeout)
		}
		if err := sleepWhileRunning(ctx, b.current, time.Second); err != nil {
			return err
		}
	}
}

// roundKeys returns the resources of a round, of the three kinds. It lists
// in pages of listPage: one list of 10,000 resources, while the API server
// is busy with their creation, can take longer than the API server allows a
// request.
func (b *bench) roundKeys(ctx context.Context, round int) ([]keyResource, error) {
	sel := client.MatchingLabels{roundLabel: strconv.Itoa(round)}
	var out []keyResource
	if err := pages(ctx, b.kube, sel, func(l *namespacedv1alpha1.ProjectAPIKeyList) {
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	}); err != nil {
		return nil, err
	}
	if err := pages(ctx, b.kube, sel, func(l *namespacedv1alpha1.WorkspaceAPIKeyList) {
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	}); err != nil {
		return nil, err
	}
	if err := pages(ctx, b.kube, sel, func(l *namespacedv1alpha1.ProjectList) {
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	}); err != nil {
		return nil, err
	}
	return out, nil
}

// pages lists what sel selects in pages of listPage, handing each page to
// add.
func pages[T any, L interface {
	*T
	client.ObjectList
}](ctx context.Context, kube client.Client, sel client.ListOption, add func(L)) error {
	for cont := ""; ; {
		l := L(new(T))
		if err := kube.List(ctx, l, sel, client.Limit(listPage), client.Continue(cont)); err != nil {
			return err
		}
		add(l)
		if cont = l.GetContinue(); cont == "" {
			return nil
		}
	}
}

// listPage is how many resources the benchmark lists per request.
const listPage = 500

// readinessEvery is how often the benchmark lists the keys while it waits
// until all are Ready: every half second, and less often for many keys
// (every 5 s for 10,000), so that its own lists cost the API server little
// beside the provider's work.
func (c config) readinessEvery() time.Duration {
	return max(500*time.Millisecond, time.Duration(c.N)*time.Second/2000)
}

// keyResource is what the benchmark reads of a resource of any kind; the
// keys also have a ParentID.
type keyResource interface {
	GetCondition(xpv2.ConditionType) xpv2.Condition
}

// keysInOry counts the benchmark's keys in Ory: in the projects, and the
// workspace keys it made (the workspace also holds the credential).
func (b *bench) keysInOry() int {
	n := 0
	for _, pr := range b.projects {
		n += len(b.env.Sim.Keys(pr.ID))
	}
	for _, k := range b.env.Sim.WorkspaceKeys(b.workspace.ID) {
		if strings.HasPrefix(k.Name, "bench-r") {
			n++
		}
	}
	return n
}

// projectsInOry counts the projects, not deleted, the Project resources of
// a round made (by their names).
func (b *bench) projectsInOry(round int) int {
	n := 0
	for _, p := range b.env.Sim.Projects(b.projects[0].WorkspaceID) {
		if strings.HasPrefix(p.Name, fmt.Sprintf("bench-r%d-", round)) && p.State != orysim.ProjectDeleted {
			n++
		}
	}
	return n
}

// transient reports whether an API server error may pass: a busy API server
// (timeouts, throttling) while it takes thousands of creates.
func transient(err error) bool {
	return kerrors.IsTimeout(err) || kerrors.IsServerTimeout(err) || kerrors.IsTooManyRequests(err) || kerrors.IsServiceUnavailable(err)
}

// isList reports whether an Ory operation lists a parent's keys.
func isList(op string) bool {
	return op == orysim.OpListProjectAPIKeys || op == orysim.OpListWorkspaceAPIKeys
}

// settleQuiet is how long the observes must pause, once there were n of
// them, for the burst that follows a restart to count as over.
const settleQuiet = 3 * time.Second

// settle waits, after a restart, until the burst of Observes of every key
// is over: at least n Observes (the shared view counts a lookup per
// Observe, naive mode a list call), then none for settleQuiet, or the key
// controllers' work queues empty for a second (the provider polls a
// parent's keys at the parent's phase of the poll interval, so with many
// parents the polls may never pause for settleQuiet). Some keys may be
// observed twice in the burst, so the count alone could end it early. It
// returns the Observes of the burst.
func (b *bench) settle(ctx context.Context, p *localenv.Provider, metricsURL string, naive bool) (float64, error) {
	deadline := time.Now().Add(b.cfg.ReadyTimeout)
	last, lastChange := -1.0, time.Now()
	var emptySince time.Time
	for {
		m, err := scrape(ctx, metricsURL)
		if err != nil {
			return 0, err
		}
		observed := m.lookups("")
		if naive {
			observed = float64(b.env.Sim.Requests(orysim.OpListProjectAPIKeys) + b.env.Sim.Requests(orysim.OpListWorkspaceAPIKeys))
		}
		if observed != last {
			last, lastChange = observed, time.Now()
		}
		switch {
		case m.queued() > 0:
			emptySince = time.Time{}
		case emptySince.IsZero():
			emptySince = time.Now()
		}
		if observed >= float64(b.cfg.keys()) && (time.Since(lastChange) >= settleQuiet || (!emptySince.IsZero() && time.Since(emptySince) >= time.Second)) {
			return observed, nil
		}
		if time.Now().After(deadline) {
			return observed, fmt.Errorf("%.0f Observes of %d keys, not over %s after the provider started (log: %s)", observed, b.cfg.keys(), b.cfg.ReadyTimeout, p.LogPath())
		}
		if err := sleepWhileRunning(ctx, p, 250*time.Millisecond); err != nil {
			return observed, err
		}
	}
}

// steady measures a window of the steady state: the list calls the
// simulator received in it, by project, and the provider's reconciles and
// view lookups.
func (b *bench) steady(ctx context.Context, p *localenv.Provider, metricsURL string, window time.Duration, naive bool) (steadyResult, error) {
	var s steadyResult
	m0, err := scrape(ctx, metricsURL)
	if err != nil {
		return s, err
	}
	cpu0 := b.cpuTimes()
	api0, err := apiServerRequests(ctx, b.env.Config)
	if err != nil {
		return s, err
	}
	from := time.Now()
	if err := sleepWhileRunning(ctx, p, window); err != nil {
		return s, err
	}
	m1, err := scrape(ctx, metricsURL)
	if err != nil {
		return s, err
	}
	to := time.Now()
	s.CPU = b.cpuTimes().since(cpu0)
	api1, err := apiServerRequests(ctx, b.env.Config)
	if err != nil {
		return s, err
	}
	s.APIRequests = api1.since(api0)
	s.Window = to.Sub(from)
	s.Polls = s.Window.Seconds() / b.cfg.Poll.Seconds()

	perProject := map[string]int{}
	for _, pr := range b.projects {
		perProject[strings.ToLower(pr.ID)] = 0
	}
	if b.cfg.workspaceKeys() > 0 {
		perProject[strings.ToLower(b.workspace.ID)] = 0
	}
	for _, e := range b.env.Sim.RequestLog() {
		if e.Time.Before(from) || !e.Time.Before(to) {
			continue
		}
		if !isList(e.Operation) {
			if s.Other == nil {
				s.Other = map[string]int{}
			}
			s.Other[e.Operation]++
			continue
		}
		s.Lists++
		if seg := strings.Split(strings.Trim(e.Path, "/"), "/"); len(seg) > 1 {
			perProject[strings.ToLower(seg[1])]++
		}
	}
	s.ListsPerPoll = float64(s.Lists) / s.Polls
	first := true
	for _, n := range perProject {
		v := float64(n) / s.Polls
		if first || v < s.ProjectMin {
			s.ProjectMin = v
		}
		if first || v > s.ProjectMax {
			s.ProjectMax = v
		}
		first = false
	}
	s.Hits = m1.lookups("hit") - m0.lookups("hit")
	s.Misses = m1.lookups("miss") - m0.lookups("miss")
	if naive {
		s.ObservesPerPoll = s.ListsPerPoll
	} else {
		s.ObservesPerPoll = (s.Hits + s.Misses) / s.Polls
	}
	if s.ObservesPerPoll > 0 {
		s.ListsPerRound = float64(s.Lists) / (s.ObservesPerPoll * s.Polls / float64(b.cfg.keys()))
	}
	s.Reconciles = m1.reconciles() - m0.reconciles()
	s.ReconcilesPerSecond = s.Reconciles / s.Window.Seconds()
	s.ProjectPollsPerPoll = float64(s.Other[orysim.OpGetProject]) / s.Polls
	if obs := (s.ObservesPerPoll + s.ProjectPollsPerPoll) * s.Polls; obs > 0 {
		s.APIRequestsPerObserve = s.APIRequests.total() / obs
	}
	return s, nil
}

// waitMetrics waits until the provider serves its metrics, i.e. its
// manager started.
func waitMetrics(ctx context.Context, p *localenv.Provider, url string) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := scrape(ctx, url); err == nil {
			return nil
		} else if time.Now().After(deadline) {
			return fmt.Errorf("the provider serves no metrics at %s after 2m: %w (log: %s)", url, err, p.LogPath())
		}
		if err := sleepWhileRunning(ctx, p, 200*time.Millisecond); err != nil {
			return err
		}
	}
}

// sleepWhileRunning sleeps for d, failing early when ctx ends or the
// provider exits.
func sleepWhileRunning(ctx context.Context, p *localenv.Provider, d time.Duration) error {
	if d <= 0 {
		d = 0
	}
	t := time.NewTimer(d)
	defer t.Stop()
	var exited <-chan struct{}
	if p != nil {
		exited = p.Exited()
	}
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-exited:
		return fmt.Errorf("the provider exited: %v (log: %s)", p.ExitError(), p.LogPath())
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// loadAverage returns the 1, 5 and 15 minute load averages.
func loadAverage() ([3]float64, error) {
	var l [3]float64
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return l, err
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return l, fmt.Errorf("unexpected /proc/loadavg %q", b)
	}
	for i := range l {
		if l[i], err = strconv.ParseFloat(f[i], 64); err != nil {
			return l, err
		}
	}
	return l, nil
}

func mib(bytes float64) float64 { return bytes / (1 << 20) }

// prefixed writes each line with a prefix.
type prefixed struct {
	w      io.Writer
	prefix string
}

func (p prefixed) Write(b []byte) (int, error) {
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if line == "" {
			continue
		}
		if _, err := io.WriteString(p.w, p.prefix+line); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}
