package localenv

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/config"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// ownerEnv makes the test binary act as a process that starts a watchdog and
// a child, then dies without cleaning up (see TestWatchdog).
const ownerEnv = "LOCALENV_TEST_OWNER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(ownerEnv); dir != "" {
		os.Exit(owner(dir))
	}
	os.Exit(m.Run())
}

// owner starts the watchdog and a long sleep, prints the sleep's PID and
// exits as abruptly as a SIGKILL would allow a test to simulate.
func owner(dir string) int {
	kids, err := startWatchdog(filepath.Join(dir, "pids"), dir)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	p, err := startProcess("sleep", "/bin/sleep", []string{"300"}, nil, filepath.Join(dir, "sleep.log"), kids)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	fmt.Println(p.cmd.Process.Pid)
	syscall.Exit(3) // no deferred functions, no Close
	return 3
}

func TestWatchdog(t *testing.T) {
	dir, err := os.MkdirTemp("", "localenv-watchdog-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), ownerEnv+"="+dir)
	out, _ := cmd.Output() // exits 3 on purpose
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("the owner process printed %q, want the PID of its child", out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) || exists(dir) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL) //nolint:errcheck // cleaning up after a failure
			t.Fatalf("10s after its owner died: child %d alive: %v, work folder %s exists: %v; want neither", pid, alive(pid), dir, exists(dir))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// alive reports whether pid runs (a zombie waiting to be reaped is dead).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, os.ErrNotExist)
}

func TestMask(t *testing.T) {
	cases := map[string]struct {
		in, want string
	}{
		"ProjectKey": {in: "ory_pat_" + strings.Repeat("x", 28) + "abcd", want: "ory_pat_****abcd (40 bytes)"},
		"NoPrefix":   {in: "0123456789abcdefwxyz", want: "****wxyz (20 bytes)"},
		"Short":      {in: "ory_pat_abc", want: "**** (11 bytes)"},
		"Empty":      {in: "", want: "(empty)"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := Mask([]byte(tc.in))
			if got != tc.want {
				t.Errorf("Mask(%q): want %q, got %q", tc.in, tc.want, got)
			}
			if len(tc.in) > 4 && strings.Contains(got, tc.in[:len(tc.in)-4]) {
				t.Errorf("Mask(%q) = %q reveals more than the last four characters", tc.in, got)
			}
		})
	}
}

func TestReadObjects(t *testing.T) {
	f := filepath.Join(t.TempDir(), "multi.yaml")
	doc := `# comment only
---
apiVersion: v1
kind: Namespace
metadata:
  name: a
---
---
apiVersion: v1
kind: Secret
metadata:
  name: s
  namespace: a
stringData:
  k: v
`
	if err := os.WriteFile(f, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	objs, err := ReadObjects(f)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.GetKind()+"/"+o.GetName())
	}
	if want := []string{"Namespace/a", "Secret/s"}; !slices.Equal(got, want) {
		t.Errorf("ReadObjects: want %v, got %v", want, got)
	}

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("metadata: {name: x}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadObjects(bad); err == nil {
		t.Error("ReadObjects of a document without apiVersion and kind: want an error")
	}
}

// TestExamples checks, without a control plane, what ApplyExamples and the
// simulator rely on: the order objects are applied in, and that every key
// the examples import is seeded.
func TestExamples(t *testing.T) {
	root, err := FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	files, err := ExampleFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := ReadObjects(files...)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortStableFunc(objs, func(a, b *unstructured.Unstructured) int { return applyRank(a) - applyRank(b) })
	seenKey, seenConfig := false, false
	for _, o := range objs {
		switch {
		case IsKeyResource(o):
			seenKey = true
		case IsProviderConfig(o):
			seenConfig = true
			if seenKey {
				t.Errorf("%s is applied after a key resource: the key could reach Ory Network before its config points at the simulator", describe(o))
			}
		case o.GetKind() == "Namespace" && (seenKey || seenConfig):
			t.Errorf("namespace %s is applied after objects that may live in it", o.GetName())
		}
	}
	if !seenKey || !seenConfig {
		t.Fatalf("the examples hold no key resource or no ProviderConfig (files: %v)", files)
	}
	kinds := map[string]bool{}
	for _, o := range objs {
		if IsKeyResource(o) {
			kinds[o.GetKind()] = true
		}
	}
	for _, k := range config.Kinds() {
		if !kinds[k.Name] {
			t.Errorf("the examples hold no %s: make run would show none", k.Name)
		}
	}
	// make run and e2e show a Project of each scope with a key in it.
	projects := map[bool]bool{}
	for _, o := range objs {
		if IsProject(o) {
			projects[o.GetNamespace() == ""] = true
		}
	}
	if !projects[false] || !projects[true] {
		t.Errorf("the examples hold Projects of the namespaced scope: %v, of the cluster scope: %v; want both (ProjectExampleFiles)", projects[false], projects[true])
	}

	sim, err := orysim.New(orysim.WithoutContractCheck())
	if err != nil {
		t.Fatal(err)
	}
	if err := SeedExamples(sim); err != nil {
		t.Fatal(err)
	}
	// Where an import's key must be seeded: the examples' project or
	// workspace, by what holds the kind's keys.
	parentOf := map[string]string{config.ProjectAPIKey.Parent.Noun: ExampleProjectID, config.WorkspaceAPIKey.Parent.Noun: ExampleWorkspaceID}
	for _, o := range objs {
		kind, ok := kindOf(o)
		if !ok {
			continue
		}
		name, ok := o.GetAnnotations()["crossplane.io/external-name"]
		if !ok {
			continue
		}
		id := name[strings.LastIndexByte(name, '/')+1:]
		// The examples import API keys only; SeedExamples seeds no client.
		lookup := sim.Key
		if kind.Name == config.WorkspaceAPIKey.Name {
			lookup = sim.WorkspaceKey
		}
		k, ok := lookup(parentOf[kind.Parent.Noun], id)
		if !ok {
			t.Errorf("%s imports %s, which SeedExamples does not seed in the examples' %s", describe(o), id, kind.Parent.Noun)
			continue
		}
		if want, _, _ := unstructured.NestedString(o.Object, "spec", "forProvider", "name"); k.Name != want {
			t.Errorf("%s: the seeded key is named %q, the example says %q", describe(o), k.Name, want)
		}
	}
}

func TestIsKeyResource(t *testing.T) {
	cases := map[string]struct {
		reason string
		gvk    schema.GroupVersionKind
		want   bool
	}{
		"NamespacedProjectAPIKey": {reason: "Every catalogue kind counts, in the namespaced scope...", gvk: namespacedv1alpha1.ProjectAPIKeyGroupVersionKind, want: true},
		"ClusterProjectAPIKey":    {reason: "...and in the cluster scope.", gvk: clusterv1alpha1.ProjectAPIKeyGroupVersionKind, want: true},
		"NamespacedWorkspaceAPIKey": {
			reason: "A WorkspaceAPIKey is a key resource like a ProjectAPIKey: make run waits for it too.",
			gvk:    namespacedv1alpha1.WorkspaceAPIKeyGroupVersionKind, want: true,
		},
		"ClusterWorkspaceAPIKey": {reason: "The cluster-scoped WorkspaceAPIKey too.", gvk: clusterv1alpha1.WorkspaceAPIKeyGroupVersionKind, want: true},
		"NamespacedOAuth2Client": {
			reason: "An OAuth2Client holds a secret Ory returns once, like a key: make run waits for it and shows its Secret.",
			gvk:    namespacedv1alpha1.OAuth2ClientGroupVersionKind, want: true,
		},
		"ClusterOAuth2Client": {reason: "The cluster-scoped OAuth2Client too.", gvk: clusterv1alpha1.OAuth2ClientGroupVersionKind, want: true},
		"OtherVersion": {
			reason: "The group and kind decide, as they do for the API server's conversions.",
			gvk:    schema.GroupVersionKind{Group: namespacedv1alpha1.Group, Version: "v1", Kind: "WorkspaceAPIKey"}, want: true,
		},
		"ProviderConfig": {reason: "A ProviderConfig holds no key.", gvk: namespacedv1alpha1.ProviderConfigGroupVersionKind},
		"Secret":         {reason: "Neither does a core object, even one holding a key's value.", gvk: corev1.SchemeGroupVersion.WithKind("Secret")},
		"OtherGroup": {
			reason: "A kind named like ours in another API group is someone else's.",
			gvk:    schema.GroupVersionKind{Group: "example.org", Version: "v1alpha1", Kind: "WorkspaceAPIKey"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			u := &unstructured.Unstructured{}
			u.SetGroupVersionKind(tc.gvk)
			if got := IsKeyResource(u); got != tc.want {
				t.Errorf("%s\nIsKeyResource(%s): want %v, got %v", tc.reason, tc.gvk, tc.want, got)
			}
		})
	}
}

func TestPeakRSS(t *testing.T) {
	rss, err := PeakRSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// The status file says the same in kB; a test binary needs a few MiB.
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() //nolint:errcheck // read only
	s := bufio.NewScanner(f)
	for s.Scan() {
		if strings.HasPrefix(s.Text(), "VmHWM:") {
			t.Logf("%s -> %d bytes", s.Text(), rss)
		}
	}
	if rss < 1<<20 {
		t.Errorf("PeakRSS of the test binary: %d bytes, want at least 1 MiB", rss)
	}
}

// TestProviderLifecycle drives Provider with a stand-in binary: start, kill
// as a crash would, start again, stop.
func TestProviderLifecycle(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "fake-provider")
	// Exits 0 on SIGTERM, like the provider; prints its arguments and
	// KUBECONFIG so the test can check what it was given.
	script := "#!/bin/sh\ntrap 'exit 0' TERM\necho \"args: $* KUBECONFIG=$KUBECONFIG\"\nwhile :; do sleep 0.1; done\n"
	if err := os.WriteFile(fake, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	kids, err := startWatchdog(filepath.Join(dir, "pids"), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kids.stop)
	e := &Env{Dir: dir, Kubeconfig: filepath.Join(dir, "kubeconfig"), kids: kids}
	p := e.NewProvider(ProviderOptions{Binary: fake, Args: []string{"--poll=5s"}})
	t.Cleanup(func() { _ = e.Close() })

	// Each run prints its arguments once its SIGTERM trap is set.
	want := "args: --poll=5s --metrics-bind-address=0 --health-probe-bind-address=0 KUBECONFIG=" + e.Kubeconfig
	// What `make run` prints as the provider's command line must be what it runs.
	if got := strings.Join(p.Args(), " "); !strings.Contains(want, "args: "+got+" ") {
		t.Errorf("Args() = %q, want the flags the process gets (%q)", got, want)
	}
	waitRuns := func(n int) {
		t.Helper()
		var log []byte
		for deadline := time.Now().Add(10 * time.Second); strings.Count(string(log), want) < n; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("provider log: want %q %d times (once per start), got:\n%s", want, n, log)
			}
			var err error
			if log, err = os.ReadFile(p.LogPath()); err != nil {
				t.Fatal(err)
			}
		}
	}

	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	waitRuns(1)
	first := p.Pid()
	if err := p.Start(); err == nil {
		t.Error("Start of a running provider: want an error")
	}
	if rss, err := p.PeakRSS(); err != nil || rss == 0 {
		t.Errorf("PeakRSS while running: %d, %v; want a size", rss, err)
	}
	p.Kill()
	if p.Running() {
		t.Fatal("running after Kill")
	}
	if p.ExitError() == nil {
		t.Error("ExitError after SIGKILL: want the signal")
	}
	if rss, err := p.PeakRSS(); err != nil || rss == 0 {
		t.Errorf("PeakRSS after exit: %d, %v; want the run's maxrss", rss, err)
	}
	if err := p.Start(); err != nil {
		t.Fatalf("Start after Kill: %v", err)
	}
	if p.Pid() == first || p.Starts() != 2 {
		t.Errorf("after a restart: pid %d (first %d), starts %d; want a new pid and 2 starts", p.Pid(), first, p.Starts())
	}
	waitRuns(2)
	if err := p.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
}
