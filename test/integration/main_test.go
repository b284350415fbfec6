// Package integration runs provider-ory's controllers in process against a
// real kube-apiserver and etcd (envtest, binaries from hack/controlplane) and
// the Ory console simulator, whose contract check validates every request
// the provider sends and every response it gets against Ory's OpenAPI
// document. Run it through `make test`, which builds the binaries.
package integration

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/crossplane-contrib/provider-ory/internal/bootstrap"
	"github.com/crossplane-contrib/provider-ory/internal/console"
	"github.com/crossplane-contrib/provider-ory/internal/keyview"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// The simulated Ory world every test shares. Tests isolate themselves by
// namespace and by key name, never by resetting it.
const (
	workspaceKey      = "ory_wak_integration_workspace_key"
	otherWorkspaceKey = "ory_wak_integration_other_workspace"
	systemNS          = "crossplane-system"
	credsName         = "ory-credentials"
)

var (
	kube      client.Client
	sim       *orysim.Server
	simURL    string
	h         testkit.Harness  // kube, sim and simURL, with the suite's wait
	workspace orysim.Workspace // the workspace of the shared configs' credentials
	project   orysim.Project   // the default project of the shared configs
	other     orysim.Project   // a second project of the same workspace
	foreign   orysim.Project   // a project of another workspace

	// sharedCreds is the credentials Secret of the shared configs.
	sharedCreds = testkit.Creds{Namespace: systemNS, Name: credsName, Key: "key"}

	// deleteHooks run when the simulator finishes a request, so that a test
	// can look at the cluster at the moment a key is deleted.
	deleteHooks sync.Map // key ID -> func()
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	assets, code, ok := testkit.MainAssets("integration")
	if !ok {
		return code
	}

	var err error
	sim, err = orysim.New(orysim.WithRequestLogger(func(e orysim.LogEntry) {
		if e.Operation == orysim.OpDeleteProjectAPIKey || e.Operation == orysim.OpDeleteWorkspaceAPIKey {
			id := e.Path[strings.LastIndex(e.Path, "/")+1:]
			if h, ok := deleteHooks.Load(id); ok {
				h.(func())()
			}
		}
	}))
	if err != nil {
		return fail(err)
	}
	inst, err := sim.Start()
	if err != nil {
		return fail(err)
	}
	defer inst.Close() //nolint:errcheck // best effort at exit
	simURL = inst.URL
	workspace = sim.AddWorkspace(workspaceKey)
	sim.AddWorkspace(otherWorkspaceKey)
	project = sim.AddProject(workspaceKey, "integration-main")
	other = sim.AddProject(workspaceKey, "integration-other")
	foreign = sim.AddProject(otherWorkspaceKey, "integration-foreign")

	env, cfg, err := testkit.StartControlPlane(assets)
	if env != nil {
		defer env.Stop() //nolint:errcheck // best effort at exit
	}
	if err != nil {
		return fail(err)
	}
	stopKCM, err := startNamespaceController(env, assets)
	if err != nil {
		return fail(err)
	}
	defer stopKCM()

	if kube, err = testkit.NewClient(cfg); err != nil {
		return fail(err)
	}
	h = testkit.Harness{Kube: kube, Sim: sim, ConsoleURL: simURL, Timeout: waitTimeout, Interval: 100 * time.Millisecond}

	zl := zap.New(zap.UseDevMode(true), zap.WriteTo(logSink()))
	ctrl.SetLogger(zl)
	stop, err := testkit.StartProvider(cfg, bootstrap.Options{
		Log:                     zl,
		PollInterval:            2 * time.Second,
		MaxReconcileRate:        100,
		MaxConcurrentReconciles: 10,
		ManagementPolicies:      true,
		MetricsAddress:          "0",
		HealthAddress:           "0",
		// The shared view with a staleness window below the poll
		// interval, as in production. The rate limit is lifted: these
		// tests run many resources at a 2s poll against a simulator
		// without limits, and the limiter has its own tests
		// (internal/console).
		Ory: keyview.Options{Staleness: time.Second, RateLimit: console.RateLimit{RequestsPerMinute: 600000, Burst: 1000}},
	}, os.Stderr)
	if err != nil {
		return fail(err)
	}
	defer stop()

	if err := createSharedConfigs(context.Background()); err != nil {
		return fail(err)
	}

	code = m.Run()
	if testkit.ContractViolations(sim) != 0 {
		code = 1
	}
	return code
}

func fail(err error) int {
	fmt.Fprintln(os.Stderr, err)
	return 1
}

// logSink is where the provider's debug log goes: a file beside the test
// binary's temp dir, kept small by default.
func logSink() *os.File {
	f, err := os.CreateTemp("", "provider-ory-integration-*.log")
	if err != nil {
		return os.Stderr
	}
	return f
}

// createSharedConfigs creates the credentials Secret and the default configs
// of both scopes, all pointed at the simulator, with the default project and
// the credentials' workspace.
func createSharedConfigs(ctx context.Context) error {
	c := h.Config("default", sharedCreds, project.ID)
	c.WorkspaceID = workspace.ID
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: systemNS}},
		sharedCreds.Secret(workspaceKey + "\n"),
		c.ClusterProviderConfig(),
		c.LegacyProviderConfig(),
	}
	for _, o := range objs {
		if err := kube.Create(ctx, o); err != nil {
			return fmt.Errorf("cannot create %T %s: %w", o, o.GetName(), err)
		}
	}
	return nil
}
