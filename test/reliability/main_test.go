// Package reliability tests provider-ory's promises under stress: a soak of
// many ProjectAPIKeys while the Ory simulator injects faults, secret hygiene
// of everything the provider writes for people to read, bad input at run
// time, and the isolation of namespaces. It runs the provider's controllers
// in process against a real kube-apiserver and etcd (envtest, binaries from
// hack/controlplane) and the Ory console simulator, like test/integration,
// with the provider's debug log captured in memory so that it can be
// searched for secrets. docs/reliability.md says what each test guarantees
// and records the figures of the last run.
//
// After all tests, TestMain prints one line with the figures the tests
// collected (see report.go) and fails the run if any secret was found in
// the log, in an event, or in a resource of the provider's kinds.
package reliability

import (
	"context"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/crossplane-contrib/provider-ory/internal/bootstrap"
	"github.com/crossplane-contrib/provider-ory/internal/console"
	"github.com/crossplane-contrib/provider-ory/internal/keyview"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// Sizes of the soak. CI runs the default; a person runs a larger one with
// -soak-keys (or SOAK_KEYS), see docs/reliability.md.
var (
	soakKeys = flag.Int("soak-keys", 0, "ProjectAPIKeys in the fault soak (0: $SOAK_KEYS, else 200)")
	soakWait = flag.Duration("soak-converge-timeout", 0, "how long the soak's keys may take to converge once the faults stop (0: 3m per 200 keys, at least 3m)")
)

// The provider's settings in these tests: a short poll and a high reconcile
// rate, so that the soak is limited by faults and backoff, not by pacing.
const (
	pollInterval     = 2 * time.Second
	maxReconcileRate = 50
	// viewStaleness stays below the poll interval, as the provider requires.
	viewStaleness = time.Second
)

const (
	systemNS  = "crossplane-system"
	credsName = "ory-credentials"
)

var (
	kube    client.Client
	sim     *orysim.Server
	tap     *valueTap // in front of sim: records values, can lose answers
	simURL  string
	logs    syncBuffer // the provider's log: controllers, controller-runtime, client-go
	secrets = newSecretSet()
	h       testkit.Harness // kube, sim and simURL (the tap's), with the suite's wait
	report  testkit.Report  // printed by TestMain

	workspaceKey string         // the shared configs' workspace API key
	project      orysim.Project // the shared configs' default project
)

func TestMain(m *testing.M) {
	flag.Parse()
	// The parallel tests here mostly wait (the bad input cases watch one
	// resource for 20 s each): run them all at once rather than GOMAXPROCS
	// at a time, unless told otherwise.
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		_ = flag.Set("test.parallel", "32")
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	assets, code, ok := testkit.MainAssets("reliability")
	if !ok {
		return code
	}

	var err error
	if sim, err = orysim.New(); err != nil {
		return fail(err)
	}
	// Every value the simulator hands out is recorded before the provider
	// receives it, so the secret scans know all of them, including the
	// values of keys deleted since.
	tap = &valueTap{next: sim, secrets: secrets}
	srv := httptest.NewServer(tap)
	defer srv.Close()
	simURL = srv.URL
	workspaceKey = newWorkspaceKey("shared")
	project = sim.AddProject(workspaceKey, "reliability-main")

	env, cfg, err := testkit.StartControlPlane(assets)
	if env != nil {
		defer env.Stop() //nolint:errcheck // best effort at exit
	}
	if err != nil {
		return fail(err)
	}
	if kube, err = testkit.NewClient(cfg); err != nil {
		return fail(err)
	}
	h = testkit.Harness{Kube: kube, Sim: sim, ConsoleURL: simURL, Timeout: waitTimeout}

	// Everything the provider logs, at every verbosity, goes to one buffer:
	// its own debug log, controller-runtime's and client-go's (klog).
	zl := zap.New(zap.WriteTo(&logs), zap.JSONEncoder(), zap.Level(zapcore.DebugLevel))
	ctrl.SetLogger(zl)
	klog.SetLogger(zl)

	stop, err := testkit.StartProvider(cfg, bootstrap.Options{
		Log:                zl,
		PollInterval:       pollInterval,
		MaxReconcileRate:   maxReconcileRate,
		ManagementPolicies: true,
		MetricsAddress:     "0",
		HealthAddress:      "0",
		// The provider's own limit on console calls (60 a minute per
		// workspace key by default) is lifted: these tests measure how the
		// reconciler copes with faults and backs off on errors, and a
		// client-side limit would both slow the soak and hide a hot loop.
		Ory: keyview.Options{Staleness: viewStaleness, RateLimit: console.RateLimit{RequestsPerMinute: 60000, Burst: 1000}},
	}, os.Stderr)
	if err != nil {
		return fail(err)
	}
	ctx := context.Background()
	if err := createSharedConfigs(ctx); err != nil {
		stop()
		return fail(err)
	}

	code = m.Run()

	// The last word on secret hygiene: the whole run's log, every event
	// and every resource of the provider's kinds, against every value the
	// simulator ever issued and every workspace key, whatever test made them.
	findings, stats, err := scanWorld(ctx)
	stop()
	switch {
	case err != nil:
		fmt.Fprintln(os.Stderr, "FAIL: cannot scan for secrets:", err)
		code = 1
	case len(findings) > 0:
		for _, f := range findings {
			fmt.Fprintln(os.Stderr, "secret leaked:", f)
		}
		fmt.Fprintf(os.Stderr, "FAIL: %d secrets found in logs, events or status\n", len(findings))
		code = 1
	default:
		fmt.Printf("reliability: secret scan clean: %s\n", stats)
	}
	if testkit.ContractViolations(sim) != 0 {
		code = 1
	}
	report.Print()
	return code
}

func fail(err error) int {
	fmt.Fprintln(os.Stderr, err)
	return 1
}

// soakSize is the number of keys in the soak: the flag, else $SOAK_KEYS,
// else 200.
func soakSize() int {
	if *soakKeys > 0 {
		return *soakKeys
	}
	if n, err := strconv.Atoi(os.Getenv("SOAK_KEYS")); err == nil && n > 0 {
		return n
	}
	return 200
}

// soakConvergeTimeout is how long the soak's keys may take to converge once
// the faults stop: 3 minutes per 200 keys (at least 3 minutes), unless the
// flag says otherwise.
func soakConvergeTimeout(keys int) time.Duration {
	if *soakWait > 0 {
		return *soakWait
	}
	return max(3*time.Minute, time.Duration(keys)*3*time.Minute/200)
}

// newWorkspaceKey registers a workspace with a fresh random key, known to
// the secret scans.
func newWorkspaceKey(what string) string {
	k := "ory_wak_" + randomAlphanumeric(32)
	secrets.Add(k, "workspace key "+what)
	sim.AddWorkspace(k)
	return k
}

// createSharedConfigs creates the credentials Secret and the default configs
// of both scopes, all pointed at the simulator.
func createSharedConfigs(ctx context.Context) error {
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: systemNS}},
		&corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: systemNS, Name: credsName},
			StringData: map[string]string{"key": workspaceKey},
		},
		h.Config("default", testkit.Creds{Namespace: systemNS, Name: credsName, Key: "key"}, project.ID).ClusterProviderConfig(),
		h.Config("default", testkit.Creds{Namespace: systemNS, Name: credsName, Key: "key"}, project.ID).LegacyProviderConfig(),
	}
	for _, o := range objs {
		if err := kube.Create(ctx, o); err != nil {
			return fmt.Errorf("cannot create %T %s: %w", o, o.GetName(), err)
		}
	}
	return nil
}
