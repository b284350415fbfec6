package testkit

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// A Process is a program a test runs beside it: etcd's and Crossplane's
// kind, whose output goes to a log file.
type Process struct {
	// Log is the file the process's stdout and stderr go to.
	Log string
	// Env is added to this process's environment.
	Env []string
	// OnExit, if set, is told when the process stops before the test
	// stops it, with cmd.Wait's error.
	OnExit func(err error)
}

// Start runs bin with args. The test's cleanup stops it: SIGTERM, and
// SIGKILL if it has not exited 10 seconds later.
func (p Process) Start(t testing.TB, bin string, args ...string) {
	t.Helper()
	f, err := os.Create(p.Log)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), p.Env...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("cannot start %s: %v", bin, err)
	}
	stopping := make(chan struct{})
	done := make(chan struct{})
	go func() {
		err := cmd.Wait()
		select {
		case <-stopping:
		default:
			if p.OnExit != nil {
				p.OnExit(err)
			}
		}
		close(done)
	}()
	t.Cleanup(func() {
		close(stopping)
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		_ = f.Close()
	})
}

// CrossplaneSystem is the namespace Crossplane core runs in.
const CrossplaneSystem = "crossplane-system"

// CrossplaneCoreInit runs `crossplane core init` (binary xp, with env) with
// the CRDs in crds and webhooks off: it makes the TLS CA and client
// certificate Secrets, the Lock and the default configs; its output goes
// to log. Its first attempt can fail with `no matches for kind "Lock"`
// until discovery catches up, so it is tried up to ten times.
func CrossplaneCoreInit(t testing.TB, xp string, env []string, crds, log string) {
	t.Helper()
	var out []byte
	var err error
	for range 10 {
		cmd := exec.Command(xp, "core", "init", "--cr-ds-path="+crds, "--enable-webhooks=false",
			"--tlsca-secret-name=crossplane-root-ca", "--tls-client-secret-name=crossplane-tls-client")
		cmd.Env = append(os.Environ(), env...)
		if out, err = cmd.CombinedOutput(); err == nil {
			_ = os.WriteFile(log, out, 0o600)
			return
		}
		time.Sleep(2 * time.Second)
	}
	t.Fatalf("crossplane core init: %v\n%s", err, out)
}

// SecretToDir writes the keys of a Secret of crossplane-system (made by
// crossplane core init) to files of dir: ca.crt, tls.crt and tls.key, each
// under its own name.
func SecretToDir(ctx context.Context, t testing.TB, kube client.Client, name, dir string) {
	t.Helper()
	s := &corev1.Secret{}
	if err := kube.Get(ctx, types.NamespacedName{Namespace: CrossplaneSystem, Name: name}, s); err != nil {
		t.Fatalf("Secret %s/%s (made by crossplane core init): %v", CrossplaneSystem, name, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"ca.crt", "tls.crt", "tls.key"} {
		if len(s.Data[f]) == 0 {
			t.Fatalf("Secret %s/%s has no %s", CrossplaneSystem, name, f)
		}
		if err := os.WriteFile(filepath.Join(dir, f), s.Data[f], 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
