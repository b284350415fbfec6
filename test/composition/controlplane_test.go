package composition

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/crossplane-contrib/provider-ory/internal/bootstrap"
	"github.com/crossplane-contrib/provider-ory/internal/keyview"
	"github.com/crossplane-contrib/provider-ory/internal/localenv"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

const (
	systemNS     = "crossplane-system"
	credsName    = "ory-credentials"
	workspaceKey = "ory_wak_composition_workspace_key"
	// testFunction is the name the test registers hack/crossplane/function
	// under; the shipped Compositions' function step is pointed at it.
	testFunction = "function-ory-test"
)

// A world is a real control plane (etcd, kube-apiserver and the garbage
// collector of kube-controller-manager), Crossplane core, the test
// composition function, provider-ory's controllers and the Ory simulator.
type world struct {
	kube    client.Client
	sim     *orysim.Server
	simURL  string
	project orysim.Project
	logs    string // one log file per process, kept when the test fails

	assets, kubeconfig string

	mu      sync.Mutex
	exited  []string // processes that stopped on their own
	timings []string
	// deletes are the deletions in Ory that succeeded (client, key,
	// project purge), in the order the simulator answered them.
	deletes []orysim.LogEntry
}

// deletions returns the deletions in Ory so far whose path contains part.
func (w *world) deletions(part string) []orysim.LogEntry {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []orysim.LogEntry
	for _, e := range w.deletes {
		if strings.Contains(e.Path, part) {
			out = append(out, e)
		}
	}
	return out
}

func (w *world) timing(format string, a ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.timings = append(w.timings, fmt.Sprintf(format, a...))
}

// crashed reports processes that stopped while the test still needs them,
// so that waits fail at once with a pointer to the log.
func (w *world) crashed() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.exited, "; ")
}

// binaries are where hack/controlplane/build.sh and hack/crossplane/build.sh
// put their output; both come from the environment so that `go test ./...`
// without them skips (and fails under CI).
type binaries struct {
	assets, crossplane, crds string
}

func requireBinaries(t *testing.T) binaries {
	t.Helper()
	b := binaries{assets: os.Getenv("KUBEBUILDER_ASSETS"), crossplane: os.Getenv("CROSSPLANE_BIN")}
	if b.assets == "" || b.crossplane == "" {
		msg := "KUBEBUILDER_ASSETS and CROSSPLANE_BIN must be set: run `make test`, or KUBEBUILDER_ASSETS=$(hack/controlplane/build.sh) CROSSPLANE_BIN=$(hack/crossplane/build.sh) go test ./test/composition"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	b.crds = os.Getenv("CROSSPLANE_CRDS")
	if b.crds == "" {
		b.crds = filepath.Join(b.crossplane, "..", "crds")
	}
	for _, f := range []string{
		filepath.Join(b.assets, "kube-controller-manager"),
		filepath.Join(b.crossplane, "crossplane"),
		filepath.Join(b.crossplane, testFunction),
		filepath.Join(b.crds, "apiextensions.crossplane.io_compositeresourcedefinitions.yaml"),
	} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("%v (run hack/controlplane/build.sh and hack/crossplane/build.sh)", err)
		}
	}
	return b
}

// startWorld brings everything up; t.Cleanup takes it down.
func startWorld(t *testing.T, b binaries) *world {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	w := &world{}
	var err error
	if w.logs, err = os.MkdirTemp("", "provider-ory-composition-"); err != nil {
		t.Fatal(err)
	}
	// Registered first, so it runs after every process has stopped.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs of every process kept in %s", w.logs)
			return
		}
		_ = os.RemoveAll(w.logs)
	})

	begin := time.Now()
	env, cfg, err := testkit.StartControlPlane(b.assets, b.crds)
	// Stopped even when the start fails late (installing the CRDs), which
	// leaves etcd and kube-apiserver running.
	if env != nil {
		t.Cleanup(func() { _ = env.Stop() })
	}
	if err != nil {
		t.Fatal(err)
	}
	w.timing("control plane (etcd, kube-apiserver, all CRDs): %s", time.Since(begin).Round(time.Millisecond))

	// Crossplane and kube-controller-manager run as processes: they get a
	// kubeconfig of a cluster admin.
	admin, err := env.AddUser(envtest.User{Name: "composition-test-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := admin.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	w.assets, w.kubeconfig = b.assets, filepath.Join(w.logs, "kubeconfig")
	kubeconfig := w.kubeconfig
	if err := os.WriteFile(kubeconfig, kc, 0o600); err != nil {
		t.Fatal(err)
	}

	if w.kube, err = testkit.NewClient(cfg); err != nil {
		t.Fatal(err)
	}
	if err := w.kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: systemNS}}); err != nil {
		t.Fatal(err)
	}

	xp := filepath.Join(b.crossplane, "crossplane")
	xpEnv := []string{"KUBECONFIG=" + kubeconfig, "POD_NAMESPACE=" + systemNS}
	begin = time.Now()
	testkit.CrossplaneCoreInit(t, xp, xpEnv, b.crds, filepath.Join(w.logs, "crossplane-init.log"))
	w.timing("crossplane core init: %s", time.Since(begin).Round(time.Millisecond))

	clientCerts := filepath.Join(w.logs, "crossplane-client-certs")
	testkit.SecretToDir(ctx, t, w.kube, "crossplane-tls-client", clientCerts)
	health := testkit.FreePort(t)
	begin = time.Now()
	w.start(t, "crossplane", xpEnv, xp, "core", "start", "--debug",
		"--enable-webhooks=false", "--package-runtime=External",
		"--tls-client-certs-dir="+clientCerts,
		"--xpkg-cache-dir="+filepath.Join(w.logs, "xpkg-cache"),
		"--xfn-cache-dir="+filepath.Join(w.logs, "xfn-cache"),
		fmt.Sprintf("--metrics-port=%d", testkit.FreePort(t)), fmt.Sprintf("--health-probe-port=%d", health))
	w.waitFor(t, 60*time.Second, "Crossplane core ready", func() (bool, string) {
		r, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", health))
		if err != nil {
			return false, err.Error()
		}
		_ = r.Body.Close()
		return r.StatusCode == http.StatusOK, r.Status
	})
	w.timing("crossplane core start to ready: %s", time.Since(begin).Round(time.Millisecond))

	w.startFunction(ctx, t, filepath.Join(b.crossplane, testFunction))
	w.startProvider(t, cfg)
	return w
}

// startGarbageCollector runs the garbage collector of kube-controller-manager:
// envtest has none, and Crossplane v2 leaves deleting composed resources
// (and connection Secrets) to it. It discovers new kinds, such as the XR
// kinds an XRD makes, only every 30 seconds, so it is started once the XRDs
// are established, as in a cluster where they were installed a while ago.
func (w *world) startGarbageCollector(t *testing.T) {
	t.Helper()
	w.start(t, "kube-controller-manager", nil, filepath.Join(w.assets, "kube-controller-manager"),
		"--kubeconfig="+w.kubeconfig, "--controllers=garbage-collector-controller",
		"--leader-elect=false", "--secure-port=0")
}

// startFunction serves hack/crossplane/function over mutual TLS and
// registers it the way the package manager would: Crossplane cannot pull
// packages here, so a FunctionRevision is made by hand, with the endpoint
// in its status.
func (w *world) startFunction(ctx context.Context, t *testing.T, bin string) {
	t.Helper()
	certs := filepath.Join(w.logs, "function-certs")
	serverCertificate(ctx, t, w.kube, certs)
	port := testkit.FreePort(t)
	w.start(t, testFunction, nil, bin, fmt.Sprintf("--address=127.0.0.1:%d", port), "--tls-certs-dir="+certs)

	rev := object(map[string]any{
		"apiVersion": "pkg.crossplane.io/v1",
		"kind":       "FunctionRevision",
		"metadata": map[string]any{
			"name":   testFunction,
			"labels": map[string]any{"pkg.crossplane.io/package": testFunction},
			// Paused: the package manager would only try, and fail, to
			// pull the image. The function runner reads the revision
			// anyway.
			"annotations": map[string]any{"crossplane.io/paused": "true"},
		},
		"spec": map[string]any{"desiredState": "Active", "image": "localhost/" + testFunction + ":v0.0.0", "revision": int64(1)},
	})
	if err := w.kube.Create(ctx, rev); err != nil {
		t.Fatal(err)
	}
	// Crossplane always dials functions at dns:///<host>:<port> with TLS;
	// the server certificate has SAN localhost for that.
	_ = unstructured.SetNestedField(rev.Object, fmt.Sprintf("dns:///localhost:%d", port), "status", "endpoint")
	_ = unstructured.SetNestedStringSlice(rev.Object, []string{"composition"}, "status", "capabilities")
	if err := w.kube.Status().Update(ctx, rev); err != nil {
		t.Fatal(err)
	}
}

// startProvider runs provider-ory's controllers in this process, as
// cmd/provider builds them, against the Ory simulator, with a
// ClusterProviderConfig and a ProviderConfig (cluster scope) named default,
// the ones the shipped Compositions use.
func (w *world) startProvider(t *testing.T, cfg *rest.Config) {
	t.Helper()
	var err error
	if w.sim, err = orysim.New(orysim.WithRequestLogger(func(e orysim.LogEntry) {
		switch e.Operation {
		case orysim.OpDeleteOAuth2Client, orysim.OpDeleteProjectAPIKey, orysim.OpPurgeProject:
			if e.Status/100 == 2 {
				w.mu.Lock()
				w.deletes = append(w.deletes, e)
				w.mu.Unlock()
			}
		}
	})); err != nil {
		t.Fatal(err)
	}
	inst, err := w.sim.Start()
	if err != nil {
		t.Fatal(err)
	}
	w.simURL = inst.URL
	t.Cleanup(func() { _ = inst.Close() })
	w.sim.AddWorkspace(workspaceKey)
	w.project = w.sim.AddProject(workspaceKey, "composition")

	f, err := os.Create(filepath.Join(w.logs, "provider-ory.log"))
	if err != nil {
		t.Fatal(err)
	}
	zl := zap.New(zap.UseDevMode(true), zap.WriteTo(f))
	ctrl.SetLogger(zl)
	stop, err := testkit.StartProvider(cfg, bootstrap.Options{
		Log:                     zl,
		PollInterval:            2 * time.Second,
		MaxReconcileRate:        100,
		MaxConcurrentReconciles: 4,
		MetricsAddress:          "0",
		HealthAddress:           "0",
		Ory:                     keyview.Options{Staleness: time.Second},
	}, f)
	if err != nil {
		t.Fatal(err)
	}
	// Stopped before the API server is (cleanups run last in, first out).
	t.Cleanup(stop)

	creds := testkit.Creds{Namespace: systemNS, Name: credsName, Key: "key"}
	// Keys publish the simulator's project API as their apiURL, where a
	// ProviderConfig on a key's Secret (the OryOAuth2App) reaches it.
	c := testkit.Config{Name: "default", Creds: creds, ProjectID: w.project.ID, ConsoleURL: inst.URL, ProjectAPIURLTemplate: localenv.SimProjectAPIURLTemplate(inst.URL)}
	for _, o := range []client.Object{creds.Secret(workspaceKey), c.ClusterProviderConfig(), c.LegacyProviderConfig()} {
		testkit.Create(t, w.kube, o)
	}
}

// start runs a process whose output goes to <logs>/<name>.log; it is
// stopped when the test ends, and the world's waits fail at once if it
// stops before.
func (w *world) start(t *testing.T, name string, env []string, bin string, args ...string) {
	t.Helper()
	log := filepath.Join(w.logs, name+".log")
	testkit.Process{Log: log, Env: env, OnExit: func(err error) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.exited = append(w.exited, fmt.Sprintf("%s exited (%v), see %s", name, err, log))
	}}.Start(t, bin, args...)
}

// waitFor polls cond until it holds, failing after timeout or as soon as a
// process of the world stops; the last reason cond gave is the message.
func (w *world) waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	testkit.Poll{Timeout: timeout, Abort: w.crashed, Log: true, Explain: func() string {
		return testkit.Tail(filepath.Join(w.logs, "crossplane.log"), 40)
	}}.Until(t, what, cond)
}

// serverCertificate writes the function's certificate folder: a server
// certificate for localhost and 127.0.0.1 signed by the key of Crossplane's
// root CA (Secret crossplane-root-ca), and that CA, which also signed
// Crossplane's client certificate.
func serverCertificate(ctx context.Context, t *testing.T, kube client.Client, dir string) {
	t.Helper()
	s := &corev1.Secret{}
	if err := kube.Get(ctx, types.NamespacedName{Namespace: systemNS, Name: "crossplane-root-ca"}, s); err != nil {
		t.Fatal(err)
	}
	caCert, err := parsePEM(s.Data["tls.crt"], x509.ParseCertificate)
	if err != nil {
		t.Fatal(err)
	}
	caKey, err := parsePEM(s.Data["tls.key"], x509.ParsePKCS1PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: testFunction},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"tls.crt": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		"tls.key": pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
		"ca.crt":  s.Data["tls.crt"],
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func parsePEM[T any](data []byte, parse func([]byte) (T, error)) (T, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		var zero T
		return zero, errors.New("no PEM block")
	}
	return parse(b.Bytes)
}

func object(m map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: m}
}
