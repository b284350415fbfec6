// Package crash kills the provider binary with SIGKILL at random moments
// while it creates and replaces keys of every kind (and at each moment of a
// Project's create, TestCrashDuringProjectCreate, and of an OAuth2Client's
// create and secret rotation, TestCrashOAuth2Client), restarts it each time, and
// checks that once it settles no key is leaked, no value lost, no key
// duplicated and no resource left in crossplane-runtime's create-pending
// state ("cannot determine creation result"). It also forces, with a tap in
// front of the Ory simulator, the windows that need the provider's crash
// recovery (internal/engine/recover.go) and checks that the
// recovery resolved them, and it shows, with deterministic crashes, the
// situations the recovery does not resolve yet.
//
// The world is internal/localenv's: etcd, kube-apiserver and
// kube-controller-manager (garbage collector), the Ory simulator in process
// and the provider binary as its own process, which is what makes SIGKILL
// possible. The provider is built here without -race (or taken from
// E2E_PROVIDER_BIN, which `make test` sets); the test binary itself may run
// with -race.
//
// Run it with:
//
//	KUBEBUILDER_ASSETS=$(hack/controlplane/build.sh) go test -race -count=1 -v ./test/crash/
//
// Without KUBEBUILDER_ASSETS the package is skipped, and fails when CI is
// set. -crash-kills (CRASH_KILLS), -crash-keys (CRASH_KEYS) and -crash-seed
// (CRASH_SEED) size and repeat a run; CRASH_DIR keeps the work folder (the
// kubeconfig and the provider's log). docs/reliability.md ("Crash safety")
// says what is tested and what a person does when recovery cannot act.
//
// After all tests, TestMain prints the line of the reliability summary:
//
//	reliability: kinds=<n> keys=<n> faults=<f> kills=<k> leaked=<l> lost=<v> duplicates=<d> incomplete=<i> rejected=<r>/<total>
//
// and appends it to the file named by RELIABILITY_REPORT, if set.
package crash

import (
	"context"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/crossplane-contrib/provider-ory/internal/localenv"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// The size of the crash run. CI runs the defaults; a person runs a longer
// one with the flags or the environment variables.
var (
	killsFlag  = flag.Int("crash-kills", 0, "SIGKILLs of the provider in TestCrashDuringCreateAndReplace (0: $CRASH_KILLS, else 30)")
	keysFlag   = flag.Int("crash-keys", 0, "keys (a quarter WorkspaceAPIKeys) in TestCrashDuringCreateAndReplace (0: $CRASH_KEYS, else 40)")
	seedFlag   = flag.Uint64("crash-seed", 0, "seed of the kill schedule (0: $CRASH_SEED, else the clock)")
	settleFlag = flag.Duration("crash-settle-timeout", 0, "how long the resources may take to settle after the last kill (0: 2m, plus 1m per 100 keys above 40)")
)

// The provider's settings: a short poll so that the run is paced by the kills,
// not by the provider's timers. The reconcile rate is the production default.
const (
	pollInterval     = 2 * time.Second
	maxReconcileRate = 10
	// selfBuiltVersion is stamped into the provider this package builds.
	selfBuiltVersion = "v0.0.0-crash"
)

var (
	env      *localenv.Env
	provider *localenv.Provider
	// tp sits between the provider and the simulator: the ProviderConfigs of
	// these tests point at it. It forwards every request, and kills the
	// provider at the moments the tests arm it for.
	tp     *tap
	tapURL string
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	assets, code, ok := testkit.MainAssets("crash")
	if !ok {
		return code
	}
	ctx := context.Background()
	start := time.Now()
	var err error
	env, err = localenv.Start(ctx, localenv.Options{Assets: assets, Dir: os.Getenv("CRASH_DIR")})
	if err != nil {
		return fail(err)
	}
	defer func() {
		if err := env.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "closing the environment:", err)
		}
	}()
	bin, err := providerBinary(ctx)
	if err != nil {
		return fail(err)
	}
	fmt.Printf("crash: control plane, simulator and provider binary ready in %s (work folder %s)\n", time.Since(start).Round(time.Second), env.Dir)

	provider = env.NewProvider(localenv.ProviderOptions{Binary: bin, Args: []string{
		"--debug",
		"--poll=" + pollInterval.String(),
		"--max-reconcile-rate=" + strconv.Itoa(maxReconcileRate),
	}})
	tp = newTap(env.Sim, provider)
	srv := httptest.NewServer(tp)
	defer srv.Close()
	tapURL = srv.URL
	if err := provider.Start(); err != nil {
		return fail(err)
	}

	code = m.Run()
	if testkit.ContractViolations(env.Sim) != 0 {
		code = 1
	}
	report.Print()
	return code
}

// providerBinary returns the binary `make build` made (E2E_PROVIDER_BIN), or
// builds one into the work folder, without -race.
func providerBinary(ctx context.Context) (string, error) {
	start := time.Now()
	bin, stamped, err := testkit.ProviderBinary(ctx, env.Dir, selfBuiltVersion)
	if err == nil && stamped == selfBuiltVersion {
		fmt.Printf("crash: built the provider in %s\n", time.Since(start).Round(time.Second))
	}
	return bin, err
}

func fail(err error) int {
	fmt.Fprintln(os.Stderr, err)
	return 1
}

// report sums the figures of the tests, printed by TestMain: keys driven,
// faults injected by the simulator (none here: the tap only withholds
// answers from a provider it has just killed), kills, and the invariants
// once the provider settled.
var report testkit.Report

// killTarget is the number of kills of the crash run: the flag, else
// $CRASH_KILLS, else 30.
func killTarget() int { return sizeFrom(*killsFlag, "CRASH_KILLS", 30) }

// keyCount is the number of keys of the crash run: the flag, else
// $CRASH_KEYS, else 40.
func keyCount() int { return sizeFrom(*keysFlag, "CRASH_KEYS", 40) }

func sizeFrom(flagValue int, variable string, def int) int {
	if flagValue > 0 {
		return flagValue
	}
	if n, err := strconv.Atoi(os.Getenv(variable)); err == nil && n > 0 {
		return n
	}
	return def
}

// seed is the seed of the kill schedule: the flag, else $CRASH_SEED, else
// the clock. The test logs it, so a failing schedule can be run again
// (timing still varies from run to run).
func seed() uint64 {
	if *seedFlag != 0 {
		return *seedFlag
	}
	if n, err := strconv.ParseUint(os.Getenv("CRASH_SEED"), 10, 64); err == nil && n != 0 {
		return n
	}
	return uint64(time.Now().UnixNano())
}

// settleTimeout bounds how long the resources may take to settle after the
// last kill.
func settleTimeout(keys int) time.Duration {
	if *settleFlag > 0 {
		return *settleFlag
	}
	return 2*time.Minute + time.Duration(max(0, keys-40))*time.Minute/100
}
