package localenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/crossplane-contrib/provider-ory/apis"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// ModulePath is the module FindRoot looks for.
const ModulePath = "github.com/crossplane-contrib/provider-ory"

// Binaries the control plane needs in Options.Assets.
var controlPlaneBinaries = []string{"etcd", "kube-apiserver", "kube-controller-manager"}

// Options configure Start. The zero value works from anywhere inside the
// repository with KUBEBUILDER_ASSETS set.
type Options struct {
	// Root is the repository root, which holds package/crds and examples/.
	// Empty means FindRoot.
	Root string
	// Assets is the folder holding etcd, kube-apiserver and
	// kube-controller-manager (what hack/controlplane/build.sh prints).
	// Empty means $KUBEBUILDER_ASSETS; see Assets to build them instead.
	Assets string
	// Dir is the work folder (kubeconfig, logs, etcd data). Empty means a
	// new temporary folder, removed by Close; a given Dir is kept.
	Dir string
	// Log receives one line per step, for people; nil discards them.
	Log io.Writer
	// CRDs are the CRD files, or folders of them, to install. Empty means
	// every CRD of package/crds; a subset is a cluster where only some kinds
	// are active, as Crossplane's safe-start makes it (see test/package).
	CRDs []string
	// SimOptions are passed to orysim.New, e.g. faults or
	// orysim.WithoutContractCheck() for a benchmark.
	SimOptions []orysim.Option
}

// Env is a running control plane and simulator. Its fields are read-only.
type Env struct {
	// Root is the repository root.
	Root string
	// Dir is the work folder.
	Dir string
	// Kubeconfig is the path of a kubeconfig file with admin rights on the
	// API server, for people (kubectl) and for the provider.
	Kubeconfig string
	// Config is the admin REST config of the API server.
	Config *rest.Config
	// Client is an admin client whose scheme knows client-go's and
	// provider-ory's types.
	Client client.Client
	// Sim is the simulator, seeded by SeedExamples.
	Sim *orysim.Server
	// SimURL is the simulator's base URL, the consoleURL to give
	// ProviderConfigs.
	SimURL string

	log        io.Writer
	removeDir  bool
	kids       *children
	envtest    *envtest.Environment
	sim        *orysim.Instance
	kcm        *process
	mu         sync.Mutex
	providers  []*Provider
	closeOnce  sync.Once
	closeError error
}

// Start starts the simulator and the control plane and installs the CRDs.
// On error everything started so far is stopped again.
func Start(ctx context.Context, o Options) (_ *Env, err error) {
	root := o.Root
	if root == "" {
		if root, err = FindRoot(); err != nil {
			return nil, err
		}
	}
	assets := o.Assets
	if assets == "" {
		assets = os.Getenv("KUBEBUILDER_ASSETS")
	}
	if err := checkAssets(assets); err != nil {
		return nil, err
	}
	e := &Env{Root: root, Dir: o.Dir, log: o.Log}
	if e.log == nil {
		e.log = io.Discard
	}
	if e.Dir == "" {
		if e.Dir, err = os.MkdirTemp("", "provider-ory-local-"); err != nil {
			return nil, err
		}
		e.removeDir = true
	} else if err := os.MkdirAll(e.Dir, 0o700); err != nil {
		return nil, err
	}
	if e.Dir, err = filepath.Abs(e.Dir); err != nil {
		return nil, err
	}
	removeDir := ""
	if e.removeDir {
		removeDir = e.Dir
	}
	if e.kids, err = startWatchdog(filepath.Join(e.Dir, "pids"), removeDir); err != nil {
		if e.removeDir {
			_ = os.RemoveAll(e.Dir)
		}
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = e.Close()
		}
	}()

	if err := e.startSimulator(o.SimOptions); err != nil {
		return nil, err
	}
	crds := o.CRDs
	if len(crds) == 0 {
		crds = []string{filepath.Join(root, "package", "crds")}
	}
	if err := e.startControlPlane(ctx, assets, crds); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *Env) logf(format string, args ...any) {
	fmt.Fprintf(e.log, format+"\n", args...)
}

func (e *Env) startSimulator(opts []orysim.Option) error {
	sim, err := orysim.New(opts...)
	if err != nil {
		return err
	}
	if err := SeedExamples(sim); err != nil {
		return err
	}
	inst, err := sim.Start()
	if err != nil {
		return err
	}
	e.Sim, e.sim, e.SimURL = sim, inst, inst.URL
	e.logf("Ory simulator at %s (workspace key %s, workspace %s, project %s)", e.SimURL, ExampleWorkspaceKey, ExampleWorkspaceID, ExampleProjectID)
	return nil
}

func (e *Env) startControlPlane(ctx context.Context, assets string, crds []string) error {
	start := time.Now()
	noExisting := false
	e.envtest = &envtest.Environment{
		ControlPlane: envtest.ControlPlane{
			// Inside the work folder, so the watchdog's removal covers them,
			// and so their command lines identify them (see childrenOf).
			Etcd:      &envtest.Etcd{DataDir: filepath.Join(e.Dir, "etcd")},
			APIServer: &envtest.APIServer{CertDir: filepath.Join(e.Dir, "kube-apiserver")},
		},
		CRDDirectoryPaths:     crds,
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
		UseExistingCluster:    &noExisting,
		// Two cores running other test packages at the same time can take
		// longer than envtest's default of 20s.
		ControlPlaneStartTimeout: 90 * time.Second,
	}
	for _, d := range []string{e.envtest.ControlPlane.Etcd.DataDir, e.envtest.ControlPlane.APIServer.CertDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	cfg, err := e.envtest.Start()
	// Track etcd and kube-apiserver even when Start failed half way.
	for _, pid := range e.controlPlanePIDs() {
		e.kids.add(pid)
	}
	if err != nil {
		return fmt.Errorf("cannot start the control plane: %w", err)
	}
	e.Config = cfg
	// envtest made webhook serving certificates in a temporary folder of its
	// own; with no webhooks nothing uses them, and removing them now means
	// nothing is left behind outside the work folder should the caller die.
	if d := e.envtest.WebhookInstallOptions.LocalServingCertDir; d != "" {
		_ = os.RemoveAll(d)
		e.envtest.WebhookInstallOptions.LocalServingCertDir = ""
	}
	e.Kubeconfig = filepath.Join(e.Dir, "kubeconfig")
	if err := os.WriteFile(e.Kubeconfig, e.envtest.KubeConfig, 0o600); err != nil {
		return err
	}
	s, err := newScheme()
	if err != nil {
		return err
	}
	if e.Client, err = client.New(cfg, client.Options{Scheme: s}); err != nil {
		return err
	}
	e.logf("control plane up in %s: etcd, kube-apiserver %s, CRDs from %s", time.Since(start).Round(100*time.Millisecond), cfg.Host, strings.Join(crds, ", "))

	// kube-controller-manager gets its own user, so its requests are told
	// apart from the provider's and people's in the API server's eyes.
	kcmUser, err := e.envtest.AddUser(envtest.User{Name: "system:kube-controller-manager", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return err
	}
	kc, err := kcmUser.KubeConfig()
	if err != nil {
		return err
	}
	kcmKubeconfig := filepath.Join(e.Dir, "kube-controller-manager.kubeconfig")
	if err := os.WriteFile(kcmKubeconfig, kc, 0o600); err != nil {
		return err
	}
	e.kcm, err = startProcess("kube-controller-manager", filepath.Join(assets, "kube-controller-manager"), []string{
		// The garbage collector deletes what a deleted resource owns (its
		// connection Secret); the namespace controller empties and removes
		// a deleted namespace, as on a real cluster.
		"--controllers=garbage-collector-controller,namespace-controller",
		"--leader-elect=false",
		"--secure-port=0",
		"--kubeconfig=" + kcmKubeconfig,
	}, nil, filepath.Join(e.Dir, "kube-controller-manager.log"), e.kids)
	if err != nil {
		return err
	}
	// It has nothing to wait for; an immediate exit is a bad flag or binary.
	select {
	case <-e.kcm.done:
		return fmt.Errorf("kube-controller-manager exited at once (%v); see %s", e.kcm.exitError(), e.kcm.log.Name())
	case <-time.After(500 * time.Millisecond):
	case <-ctx.Done():
		return ctx.Err()
	}
	e.logf("kube-controller-manager (garbage collector, namespace controller) running, pid %d", e.kcm.cmd.Process.Pid)
	return nil
}

// controlPlanePIDs returns the PIDs of the etcd and kube-apiserver
// processes of this Env.
func (e *Env) controlPlanePIDs() []int {
	return childrenOf(e.envtest.ControlPlane.Etcd.DataDir, e.envtest.ControlPlane.APIServer.CertDir)
}

// KubeControllerManagerLog is the path of kube-controller-manager's log.
func (e *Env) KubeControllerManagerLog() string {
	return filepath.Join(e.Dir, "kube-controller-manager.log")
}

// Close stops every provider process, kube-controller-manager, the control
// plane and the simulator, and removes the work folder unless Options.Dir
// named it. It is safe to call more than once and returns the first error.
func (e *Env) Close() error {
	e.closeOnce.Do(func() {
		var errs []error
		e.mu.Lock()
		providers := e.providers
		e.mu.Unlock()
		for _, p := range providers {
			if err := p.Stop(); err != nil {
				errs = append(errs, err)
			}
		}
		if e.kcm != nil {
			_ = e.kcm.stop(10 * time.Second) // killed is fine, it keeps no state
		}
		if e.envtest != nil {
			if err := e.envtest.Stop(); err != nil && e.Config != nil {
				errs = append(errs, fmt.Errorf("cannot stop the control plane: %w", err))
			}
			// Whatever a failed or stuck start or stop left running.
			for _, pid := range e.controlPlanePIDs() {
				_ = syscallKill(pid)
			}
		}
		if e.sim != nil {
			if err := e.sim.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		if e.kids != nil {
			e.kids.stop()
		}
		if e.removeDir {
			if err := os.RemoveAll(e.Dir); err != nil {
				errs = append(errs, err)
			}
		}
		e.closeError = errors.Join(errs...)
	})
	return e.closeError
}

// FindRoot returns the repository root: the nearest folder at or above the
// working directory whose go.mod declares ModulePath.
func FindRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(bytes.TrimSpace(b), []byte("module "+ModulePath+"\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find the provider-ory repository (a go.mod of " + ModulePath + ") at or above the working directory")
		}
		dir = parent
	}
}

// Assets returns the folder of the control plane binaries: $KUBEBUILDER_ASSETS
// if set, otherwise what hack/controlplane/build.sh prints after building
// them (the first build takes minutes; its progress goes to progress).
func Assets(ctx context.Context, root string, progress io.Writer) (string, error) {
	if a := os.Getenv("KUBEBUILDER_ASSETS"); a != "" {
		return a, checkAssets(a)
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, filepath.Join(root, "hack", "controlplane", "build.sh"))
	cmd.Dir, cmd.Stdout, cmd.Stderr = root, &out, progress
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("hack/controlplane/build.sh: %w", err)
	}
	a := strings.TrimSpace(out.String())
	return a, checkAssets(a)
}

func checkAssets(dir string) error {
	if dir == "" {
		return errors.New("no control plane binaries: set KUBEBUILDER_ASSETS=$(hack/controlplane/build.sh), or use `make run` / `make test`")
	}
	for _, b := range controlPlaneBinaries {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return fmt.Errorf("control plane binary %s missing in %s (build them with hack/controlplane/build.sh): %w", b, dir, err)
		}
	}
	return nil
}

// newScheme returns a scheme that knows client-go's types and every
// provider-ory API type.
func newScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, err
	}
	if err := apis.AddToScheme(s); err != nil {
		return nil, err
	}
	return s, nil
}
