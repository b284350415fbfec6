package packagetest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/crossplane-contrib/provider-ory/internal/localenv"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

func init() {
	// envtest logs through controller-runtime's logger, which otherwise
	// prints a stack trace to say that nobody set it.
	ctrllog.SetLogger(logr.Discard())
}

// wait bounds each wait for the provider; converging takes seconds.
const wait = 90 * time.Second

// required returns an environment variable the suite needs. Without it the
// test skips, unless CI is set: then it fails, so that CI never passes by
// skipping.
func required(t *testing.T, name, what string) string {
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

// providerBinary returns the binary `make build` made (E2E_PROVIDER_BIN),
// or builds one into dir.
func providerBinary(ctx context.Context, t *testing.T, root, dir string) string {
	t.Helper()
	if b := os.Getenv("E2E_PROVIDER_BIN"); b != "" {
		return b
	}
	b, err := localenv.BuildProvider(ctx, root, dir, "v0.0.0-package-test")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testLog sends localenv's progress lines to the test log.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// eventually polls cond every 200ms until it holds, and fails the test
// after timeout with cond's last reason, or at once when the provider
// process has exited.
func eventually(t *testing.T, p *localenv.Provider, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	begin := time.Now()
	var last string
	for time.Since(begin) < timeout {
		ok, why := cond()
		if ok {
			t.Logf("%s after %s", what, time.Since(begin).Round(100*time.Millisecond))
			return
		}
		last = why
		if p != nil && !p.Running() {
			t.Fatalf("waiting for %s: the provider exited (%v); last: %s\n%s", what, p.ExitError(), last, tail(p.LogPath(), 40))
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s: %s", timeout, what, last)
}

// readyWithValue reports whether the managed resource is Ready and its
// connection Secret holds the value of the key it names, as Ory has it.
func readyWithValue(ctx context.Context, kube client.Client, sim *orysim.Server, project string, mg client.Object, secret types.NamespacedName) (bool, string) {
	if err := kube.Get(ctx, client.ObjectKeyFromObject(mg), mg); err != nil {
		return false, err.Error()
	}
	c, ok := mg.(interface {
		GetCondition(xpv2.ConditionType) xpv2.Condition
	})
	if !ok {
		return false, fmt.Sprintf("%T has no conditions", mg)
	}
	if r := c.GetCondition(xpv2.TypeReady); r.Status != corev1.ConditionTrue {
		return false, fmt.Sprintf("Ready=%s %s; Synced: %s", r.Status, r.Message, c.GetCondition(xpv2.TypeSynced).Message)
	}
	s := &corev1.Secret{}
	if err := kube.Get(ctx, secret, s); err != nil {
		return false, "connection Secret: " + err.Error()
	}
	key, ok := sim.Key(project, string(s.Data["keyID"]))
	if !ok {
		return false, fmt.Sprintf("the Secret names key %q, which Ory does not have", s.Data["keyID"])
	}
	if len(s.Data["value"]) == 0 || string(s.Data["value"]) != key.Value {
		return false, "the Secret does not hold the key's value"
	}
	return true, ""
}

// healthy reports whether the provider's /healthz answers 200 on addr.
func healthy(addr string) (bool, string) {
	r, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		return false, err.Error()
	}
	_ = r.Body.Close()
	return r.StatusCode == http.StatusOK, r.Status
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close() //nolint:errcheck // only its port is needed
	return l.Addr().String()
}

// tail returns the last lines of a log file, for failure messages.
func tail(path string, lines int) string {
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
	}
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return "last lines of " + path + ":\n" + strings.Join(all, "\n")
}
