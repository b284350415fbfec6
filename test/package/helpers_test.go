package packagetest

import (
	"context"
	"fmt"
	"net/http"
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
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

func init() {
	// envtest logs through controller-runtime's logger, which otherwise
	// prints a stack trace to say that nobody set it.
	ctrllog.SetLogger(logr.Discard())
}

// wait bounds each wait for the provider; converging takes seconds.
const wait = 90 * time.Second

// providerBinary returns the binary `make build` made (E2E_PROVIDER_BIN),
// or builds one into dir.
func providerBinary(ctx context.Context, t *testing.T, dir string) string {
	t.Helper()
	b, _, err := testkit.ProviderBinary(ctx, dir, "v0.0.0-package-test")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// eventually polls cond every 200ms until it holds, and fails the test
// after timeout with cond's last reason, or at once when the provider
// process has exited.
func eventually(t *testing.T, p *localenv.Provider, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	poll := testkit.Poll{Timeout: timeout, Log: true}
	if p != nil {
		poll.Abort = func() string {
			if p.Running() {
				return ""
			}
			return fmt.Sprintf("the provider exited (%v)\n%s", p.ExitError(), testkit.Tail(p.LogPath(), 40))
		}
	}
	poll.Until(t, what, cond)
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
