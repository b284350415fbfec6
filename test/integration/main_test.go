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
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/crossplane-contrib/provider-ory/apis"
	"github.com/crossplane-contrib/provider-ory/internal/console"
	oryctrl "github.com/crossplane-contrib/provider-ory/internal/controller"
	"github.com/crossplane-contrib/provider-ory/internal/keyview"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
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
	kube    client.Client
	sim     *orysim.Server
	simURL  string
	project orysim.Project // the default project of the shared configs
	other   orysim.Project // a second project of the same workspace
	foreign orysim.Project // a project of another workspace

	// deleteHooks run when the simulator finishes a request, so that a test
	// can look at the cluster at the moment a key is deleted.
	deleteHooks sync.Map // key ID -> func()
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		if os.Getenv("CI") != "" {
			fmt.Fprintln(os.Stderr, "KUBEBUILDER_ASSETS is not set: run the tests with `make test`, which builds the control plane")
			return 1
		}
		fmt.Fprintln(os.Stderr, "SKIP integration tests: KUBEBUILDER_ASSETS is not set (use `make test`)")
		return 0
	}

	var err error
	sim, err = orysim.New(orysim.WithRequestLogger(func(e orysim.LogEntry) {
		if e.Operation == orysim.OpDeleteProjectAPIKey {
			id := e.Path[strings.LastIndex(e.Path, "/")+1:]
			if h, ok := deleteHooks.Load(id); ok {
				h.(func())()
			}
		}
	}))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	inst, err := sim.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer inst.Close() //nolint:errcheck // best effort at exit
	simURL = inst.URL
	sim.AddWorkspace(workspaceKey)
	sim.AddWorkspace(otherWorkspaceKey)
	project = sim.AddProject(workspaceKey, "integration-main")
	other = sim.AddProject(workspaceKey, "integration-other")
	foreign = sim.AddProject(otherWorkspaceKey, "integration-foreign")

	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "package", "crds")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	cfg, err := env.Start()
	if err != nil {
		// A start that failed late (installing the CRDs) leaves etcd and
		// kube-apiserver running.
		_ = env.Stop()
		fmt.Fprintln(os.Stderr, "cannot start the control plane:", err)
		return 1
	}
	defer env.Stop() //nolint:errcheck // best effort at exit
	stopKCM, err := startNamespaceController(env, assets)
	if err != nil {
		return fail(err)
	}
	defer stopKCM()

	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return fail(err)
	}
	if err := apis.AddToScheme(s); err != nil {
		return fail(err)
	}
	kube, err = client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		return fail(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 s,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Client:                 client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}}}},
	})
	if err != nil {
		return fail(err)
	}
	zl := zap.New(zap.UseDevMode(true), zap.WriteTo(logSink()))
	ctrl.SetLogger(zl)
	o := controller.Options{
		Logger:                  logging.NewLogrLogger(zl),
		MaxConcurrentReconciles: 10,
		PollInterval:            2 * time.Second,
		GlobalRateLimiter:       ratelimiter.NewGlobal(100),
		Features:                &feature.Flags{},
	}
	o.Features.Enable(feature.EnableBetaManagementPolicies)
	// The shared view with a staleness window below the poll interval, as in
	// production. The rate limit is lifted: these tests run many resources at
	// a 2s poll against a simulator without limits, and the limiter has its
	// own tests (internal/console).
	ory := keyview.Options{Staleness: time.Second, RateLimit: console.RateLimit{RequestsPerMinute: 600000, Burst: 1000}}
	if err := oryctrl.Setup(mgr, o, ory); err != nil {
		return fail(err)
	}
	go func() {
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "manager stopped:", err)
		}
	}()

	if err := createSharedConfigs(ctx); err != nil {
		return fail(err)
	}

	code := m.Run()
	if v := sim.Violations(); len(v) > 0 {
		for _, x := range v {
			fmt.Fprintln(os.Stderr, "Ory API contract violation:", x)
		}
		fmt.Fprintf(os.Stderr, "FAIL: %d requests or responses were off Ory's OpenAPI contract\n", len(v))
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
// of both scopes, all pointed at the simulator.
func createSharedConfigs(ctx context.Context) error {
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: systemNS}},
		&corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: systemNS, Name: credsName},
			StringData: map[string]string{"key": workspaceKey + "\n"},
		},
		clusterProviderConfig("default", project.ID),
		legacyProviderConfig("default", project.ID),
	}
	for _, o := range objs {
		if err := kube.Create(ctx, o); err != nil {
			return fmt.Errorf("cannot create %T %s: %w", o, o.GetName(), err)
		}
	}
	return nil
}
