package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// TestSmoke runs the benchmark small (100 keys, 2 projects, a 5 s poll, one
// poll interval measured, no second creation or restart phase), to keep the benchmark
// working; its figures mean little. It takes about a minute; docs/performance.md
// has the figures of a full run (`make bench`). Like test/e2e, it skips
// without KUBEBUILDER_ASSETS unless CI is set, and runs the binary of `make
// build` when the Makefile passes it (E2E_PROVIDER_BIN, E2E_PROVIDER_VERSION).
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the benchmark's smoke test starts a control plane and the provider")
	}
	assets := testkit.Required(t, "KUBEBUILDER_ASSETS", "the control plane binaries; run `make test`")
	cfg := config{
		N: 100, P: 2, Namespaces: 2, WorkspaceEvery: 10, ProjectEvery: 25, Profile: true,
		Poll: 5 * time.Second, Polls: 1, SkipPolls: 1,
		MaxReconcileRate: 100,
		Concurrency:      16,
		ReadyTimeout:     3 * time.Minute,
		Provider:         os.Getenv("E2E_PROVIDER_BIN"),
		Version:          "v0.0.0-bench-smoke",
		Assets:           assets,
		Log:              testkit.TestLog{T: t},
	}
	start := time.Now()
	res, err := run(t.Context(), cfg)
	if res != nil && len(res.Phases) > 0 {
		var b strings.Builder
		report(&b, res)
		t.Log(b.String())
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s (in %s)", res.line(), time.Since(start).Round(time.Second))

	if !regexp.MustCompile(`^bench: n=100 p=2 projects=4 ready_s=[0-9.]+ lists_per_poll=[0-9.]+ naive_lists_per_poll=[0-9.]+ ratio=([0-9.]+|\+Inf) rss_mib=[0-9.]+ apiserver_requests_per_observe=[0-9.]+ naive_apiserver_requests_per_observe=[0-9.]+$`).MatchString(res.line()) {
		t.Errorf("the last line does not have the documented form: %q", res.line())
	}
	shared, naive := res.phase("shared"), res.phase("naive")
	if shared == nil || naive == nil || shared.Creation == nil {
		t.Fatalf("want the phases shared (with the creation) and naive, got %d phases", len(res.Phases))
	}
	// Exactly one create per key and per project; run already checked the
	// keys and projects in Ory and the connection Secrets.
	if got := shared.Creation.creates(); got != cfg.keys() {
		t.Errorf("creation: %d key creates sent to Ory, want %d", got, cfg.keys())
	}
	if got := shared.Creation.Requests[orysim.OpCreateProject]; got != cfg.projects() {
		t.Errorf("creation: %d project creates sent to Ory, want %d", got, cfg.projects())
	}
	// The heap profile the memory figures are traced with.
	if shared.HeapProfile == "" {
		t.Errorf("no heap profile of the provider was taken")
	}
	// The steady state of an unchanged key costs the API server nothing
	// but the control plane's own requests (leases, endpoints); 2 is
	// issue 16's bound.
	if got := shared.Steady.APIRequestsPerObserve; got > targetAPIPerObserve {
		t.Errorf("shared view: %.2f API server requests per steady Observe, want at most %d", got, targetAPIPerObserve)
	}
	// Loose bounds, for a loaded machine: a project costs at most about
	// poll/staleness + 1 lists per poll interval with the shared view
	// (staleness is half the 5 s poll here), and naive mode lists once per
	// key and poll.
	if got, most := shared.Steady.ListsPerPoll, float64(cfg.parents()*4); got > most {
		t.Errorf("shared view: %.1f lists per poll interval, want at most %.0f", got, most)
	}
	// A key's poll period is the poll interval plus its reconcile's
	// duration, which is long on a loaded machine.
	if got, least := naive.Steady.ListsPerPoll, 0.5*float64(cfg.N); got < least {
		t.Errorf("naive mode: %.1f lists per poll interval, want about n=%d (at least %.0f)", got, cfg.N, least)
	}
	if s, n := shared.Steady.ListsPerPoll, naive.Steady.ListsPerPoll; n < 5*s {
		t.Errorf("naive mode made %.1f lists per poll interval, the shared view %.1f: want at least 5 times fewer with the view", n, s)
	}
	if rss := mib(float64(res.peakRSS())); rss > targetRSSMiB(cfg.N) {
		t.Errorf("peak RSS %.1f MiB, want at most %.0f MiB", rss, targetRSSMiB(cfg.N))
	}
}

func TestParseMetrics(t *testing.T) {
	text := `# HELP controller_runtime_reconcile_total Total number of reconciliations per controller
# TYPE controller_runtime_reconcile_total counter
controller_runtime_reconcile_total{controller="managed/projectapikey.ory.m.crossplane.io",result="requeue_after"} 1200
controller_runtime_reconcile_total{controller="managed/projectapikey.ory.m.crossplane.io",result="success"} 3
controller_runtime_reconcile_total{controller="managed/workspaceapikey.ory.crossplane.io",result="requeue_after"} 100
controller_runtime_reconcile_total{controller="providerconfig/clusterproviderconfig.ory.m.crossplane.io",result="success"} 7
go_memstats_heap_alloc_bytes 2.5165824e+07
provider_ory_view_lookups_total{result="hit"} 990
provider_ory_view_lookups_total{result="miss"} 10
provider_ory_ratelimit_waits_total{source="client"} 4
provider_ory_ratelimit_waits_total{source="server"} 2
weird_metric{a="x\"y,z}",b="2"} 5 1700000000000
`
	m, err := parseMetrics(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct{ got, want float64 }{
		"reconciles of the key controllers": {m.reconciles(), 1303},
		"heap":                              {m.sum(metricHeapAlloc, nil), 25165824},
		"lookups":                           {m.lookups(""), 1000},
		"hits":                              {m.lookups("hit"), 990},
		"client limit waits":                {m.clientWaits(), 4},
		"escaped label, timestamp": {m.sum("weird_metric", func(l map[string]string) bool {
			return l["a"] == `x"y,z}` && l["b"] == "2"
		}), 5},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", name, c.got, c.want)
		}
	}
}
