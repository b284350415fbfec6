package testkit

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/crossplane-contrib/provider-ory/internal/bootstrap"
	"github.com/crossplane-contrib/provider-ory/internal/localenv"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// MainAssets returns $KUBEBUILDER_ASSETS (etcd and kube-apiserver, from
// hack/controlplane/build.sh) for the TestMain of suite test/<suite>.
// Without it, it says so on stderr and returns ok false with the exit code:
// 0, the suite is skipped, or 1 when CI is set, so that CI never passes by
// skipping.
func MainAssets(suite string) (assets string, code int, ok bool) {
	if assets = os.Getenv("KUBEBUILDER_ASSETS"); assets != "" {
		return assets, 0, true
	}
	if os.Getenv("CI") != "" {
		fmt.Fprintf(os.Stderr, "FAIL: KUBEBUILDER_ASSETS is not set: run KUBEBUILDER_ASSETS=$(hack/controlplane/build.sh) go test ./test/%s/ (or make test)\n", suite)
		return "", 1, false
	}
	fmt.Fprintf(os.Stderr, "SKIP %s tests: KUBEBUILDER_ASSETS is not set (use KUBEBUILDER_ASSETS=$(hack/controlplane/build.sh) or make test)\n", suite)
	return "", 0, false
}

// Required returns the environment variable name. Without it the test is
// skipped, or fails when CI is set, so that CI never passes by skipping;
// what says how to set it.
func Required(t testing.TB, name, what string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		msg := name + " is not set: " + what
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return v
}

// StartControlPlane starts etcd and kube-apiserver from assets with the
// provider's CRDs (package/crds) and those in crdDirs installed. Stop the
// environment when done, also after an error: a start that failed late
// (installing the CRDs) leaves the processes running.
func StartControlPlane(assets string, crdDirs ...string) (*envtest.Environment, *rest.Config, error) {
	root, err := localenv.FindRoot()
	if err != nil {
		return nil, nil, err
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     append(crdDirs, filepath.Join(root, "package", "crds")),
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	cfg, err := env.Start()
	if err != nil {
		return env, nil, fmt.Errorf("cannot start the control plane: %w", err)
	}
	return env, cfg, nil
}

// NewClient returns a client of the API server with the provider's scheme.
func NewClient(cfg *rest.Config) (client.Client, error) {
	s, err := bootstrap.Scheme()
	if err != nil {
		return nil, err
	}
	return client.New(cfg, client.Options{Scheme: s})
}

// StartProvider runs the provider's manager, as bootstrap builds it, in
// this process. stop stops it and waits until it has; a manager that stops
// on its own says why on errs.
func StartProvider(cfg *rest.Config, o bootstrap.Options, errs io.Writer) (stop func(), err error) {
	mgr, err := bootstrap.New(cfg, o)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(errs, "manager stopped:", err)
		}
	}()
	return func() { cancel(); <-stopped }, nil
}

// ContractViolations prints the requests and responses of sim that were off
// Ory's OpenAPI contract, and returns the exit code: 1 if there were any.
func ContractViolations(sim *orysim.Server) int {
	v := sim.Violations()
	if len(v) == 0 {
		return 0
	}
	for _, x := range v {
		fmt.Fprintln(os.Stderr, "Ory API contract violation:", x)
	}
	fmt.Fprintf(os.Stderr, "FAIL: %d requests or responses were off Ory's OpenAPI contract\n", len(v))
	return 1
}

// ProviderBinary returns the provider binary `make build` made
// ($E2E_PROVIDER_BIN) and the version stamped into it
// ($E2E_PROVIDER_VERSION, possibly empty), or builds one into dir, without
// -race, stamped with version.
func ProviderBinary(ctx context.Context, dir, version string) (bin, stamped string, err error) {
	if bin := os.Getenv("E2E_PROVIDER_BIN"); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			return "", "", fmt.Errorf("E2E_PROVIDER_BIN: %w (run `make build`)", err)
		}
		return bin, os.Getenv("E2E_PROVIDER_VERSION"), nil
	}
	root, err := localenv.FindRoot()
	if err != nil {
		return "", "", err
	}
	bin, err = localenv.BuildProvider(ctx, root, dir, version)
	return bin, version, err
}

// Create creates o or fails the test.
func Create(t testing.TB, c client.Client, o client.Object) {
	t.Helper()
	if err := c.Create(context.Background(), o); err != nil {
		t.Fatalf("cannot create %T %s: %v", o, o.GetName(), err)
	}
}

// Tail returns the last lines of a log file, for failure messages.
func Tail(path string, lines int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close() //nolint:errcheck // read only
	var all []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		all = append(all, sc.Text())
		if len(all) > lines {
			all = all[1:]
		}
	}
	return "last lines of " + path + ":\n" + strings.Join(all, "\n")
}

// TestLog is an io.Writer that sends lines (localenv's progress) to the
// test log.
type TestLog struct{ T testing.TB }

func (l TestLog) Write(p []byte) (int, error) {
	l.T.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// FreePort returns a loopback port nobody listens on.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close() //nolint:errcheck // only its port is needed
	return l.Addr().(*net.TCPAddr).Port
}

// FreeAddr returns a loopback address (127.0.0.1:<port>) nobody listens on.
func FreeAddr(t testing.TB) string {
	t.Helper()
	return fmt.Sprintf("127.0.0.1:%d", FreePort(t))
}

const lowerAlphanumeric = "abcdefghijklmnopqrstuvwxyz0123456789"

// RandomAlphanumeric returns n random lower case letters and digits, fit
// for Kubernetes names.
func RandomAlphanumeric(n int) string { return Random(n, lowerAlphanumeric) }

// Random returns n characters drawn from alphabet with crypto/rand: the
// suites make workspace keys and values with it that the secret scans must
// find nowhere else.
func Random(n int, alphabet string) string {
	b := make([]byte, n)
	for i := range b {
		j, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic(err) // crypto/rand does not fail on supported platforms
		}
		b[i] = alphabet[j.Int64()]
	}
	return string(b)
}
