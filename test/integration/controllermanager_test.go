package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// startNamespaceController runs kube-controller-manager (from assets, built
// by hack/controlplane) with only its namespace controller, so that
// deleting a namespace deletes what it holds as on a real cluster: envtest
// runs no controllers, and a namespace would otherwise stay Terminating
// with all its objects. The garbage collector is left out on purpose: the
// other tests here were written for a cluster without one. It returns a
// function that stops the process.
func startNamespaceController(env *envtest.Environment, assets string) (func(), error) {
	u, err := env.AddUser(envtest.User{Name: "system:kube-controller-manager", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return nil, err
	}
	kc, err := u.KubeConfig()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "provider-ory-integration-kcm-")
	if err != nil {
		return nil, err
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, kc, 0o600); err != nil {
		return nil, err
	}
	log, err := os.Create(filepath.Join(dir, "kube-controller-manager.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(assets, "kube-controller-manager"),
		"--controllers=namespace-controller",
		"--leader-elect=false",
		"--secure-port=0",
		"--kubeconfig="+kubeconfig)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// It has nothing to wait for; an immediate exit is a bad flag or binary.
	select {
	case err := <-exited:
		return nil, fmt.Errorf("kube-controller-manager exited at once (%v); see %s", err, log.Name())
	case <-time.After(500 * time.Millisecond):
	}
	return func() {
		_ = cmd.Process.Kill()
		<-exited
		_ = log.Close()
		_ = os.RemoveAll(dir)
	}, nil
}
