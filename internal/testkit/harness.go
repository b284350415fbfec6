package testkit

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// A Harness binds the kit to one suite's world: the client of its API
// server, its Ory simulator, the console URL its ProviderConfigs name (the
// simulator's, or a tap in front of it), and how long a wait may take.
type Harness struct {
	Kube       client.Client
	Sim        *orysim.Server
	ConsoleURL string
	// Timeout bounds each wait; Interval is the pause between two checks
	// (zero: 200ms).
	Timeout, Interval time.Duration
}

// Within returns the harness with another wait bound.
func (h Harness) Within(timeout time.Duration) Harness {
	h.Timeout = timeout
	return h
}

// Eventually polls cond until it holds, and fails the test with cond's last
// reason after h.Timeout.
func (h Harness) Eventually(t testing.TB, what string, cond func() (bool, string)) time.Duration {
	t.Helper()
	return Poll{Timeout: h.Timeout, Interval: h.Interval}.Until(t, what, cond)
}

// Settle polls check, which says why a condition does not hold yet ("" once
// it does), and fails the test with its last answer after timeout. It
// returns how long the condition took to hold.
func Settle(t testing.TB, timeout time.Duration, what string, check func() string) time.Duration {
	t.Helper()
	return Eventually(t, timeout, what, func() (bool, string) {
		why := check()
		return why == "", why
	})
}

// Create creates o or fails the test.
func (h Harness) Create(t testing.TB, o client.Object) {
	t.Helper()
	Create(t, h.Kube, o)
}

// Refresh reads o again.
func (h Harness) Refresh(o client.Object) error {
	return h.Kube.Get(context.Background(), client.ObjectKeyFromObject(o), o)
}

// NewNamespace creates a namespace of the test's own, named after base
// (the test's name when empty) with a random suffix.
func (h Harness) NewNamespace(t testing.TB, base string) string {
	t.Helper()
	if base == "" {
		base = strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())
	}
	base = strings.ToLower(base)
	if len(base) > 43 {
		base = base[:43]
	}
	name := strings.TrimRight(base, "-") + "-" + RandomAlphanumeric(6)
	h.Create(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	return name
}

// Ready reports whether k (a key, a Project) is Ready and Synced, and why
// not.
func Ready(k resource.Managed) (bool, string) {
	r, s := k.GetCondition(xpv2.TypeReady), k.GetCondition(xpv2.TypeSynced)
	return r.Status == corev1.ConditionTrue && s.Status == corev1.ConditionTrue,
		fmt.Sprintf("Ready=%s(%s: %s) Synced=%s(%s: %s)", r.Status, r.Reason, r.Message, s.Status, s.Reason, s.Message)
}

// WaitReady waits until k is Ready and Synced, and leaves it fresh.
func (h Harness) WaitReady(t testing.TB, k resource.Managed) {
	t.Helper()
	h.Eventually(t, k.GetName()+" Ready and Synced", func() (bool, string) {
		if err := h.Refresh(k); err != nil {
			return false, err.Error()
		}
		return Ready(k)
	})
}

// WaitSyncError waits until k is not Synced with a message containing all
// of msgs, and returns that condition.
func (h Harness) WaitSyncError(t testing.TB, k resource.Managed, msgs ...string) xpv2.Condition {
	t.Helper()
	var c xpv2.Condition
	h.Eventually(t, k.GetName()+" to report "+strings.Join(msgs, " ... "), func() (bool, string) {
		if err := h.Refresh(k); err != nil {
			return false, err.Error()
		}
		c = k.GetCondition(xpv2.TypeSynced)
		if c.Status != corev1.ConditionFalse {
			return false, fmt.Sprintf("Synced=%s: %s", c.Status, c.Message)
		}
		for _, m := range msgs {
			if !strings.Contains(c.Message, m) {
				return false, fmt.Sprintf("Synced=%s: %s", c.Status, c.Message)
			}
		}
		return true, ""
	})
	return c
}

// WaitGone waits until k no longer exists.
func (h Harness) WaitGone(t testing.TB, k resource.Managed) {
	t.Helper()
	h.Eventually(t, k.GetName()+" gone", func() (bool, string) {
		err := h.Refresh(k)
		return kerrors.IsNotFound(err), fmt.Sprintf("finalizers %v, %+v, err %v", k.GetFinalizers(), k.GetCondition(xpv2.TypeSynced), err)
	})
}

// ConnectionSecret returns k's connection Secret, nil when there is none.
func (h Harness) ConnectionSecret(t testing.TB, k resource.Managed) *corev1.Secret {
	t.Helper()
	s := &corev1.Secret{}
	if err := h.Kube.Get(context.Background(), SecretRef(k), s); err != nil {
		if kerrors.IsNotFound(err) {
			return nil
		}
		t.Fatal(err)
	}
	return s
}

// ConnectionValue returns the value k's connection Secret holds ("" when
// there is none).
func (h Harness) ConnectionValue(k Key) (string, error) {
	s := &corev1.Secret{}
	if err := h.Kube.Get(context.Background(), SecretRef(k), s); err != nil {
		return "", client.IgnoreNotFound(err)
	}
	return string(s.Data[common.ConnectionKeyValue]), nil
}

// KeyOf returns the key in Ory that k's external name names, among the keys
// of holder.
func (h Harness) KeyOf(k Key, holderID string) (orysim.Key, bool) {
	id := KeyIDOf(meta.GetExternalName(k))
	for _, key := range KindOf(k).KeysIn(h.Sim, holderID) {
		if id != "" && strings.ToLower(key.ID) == id {
			return key, true
		}
	}
	return orysim.Key{}, false
}

// KeysNamed returns the keys of a holder (of any kind) with a name.
func (h Harness) KeysNamed(holderID, name string) []orysim.Key {
	var out []orysim.Key
	for _, kind := range Kinds {
		for _, k := range kind.KeysIn(h.Sim, holderID) {
			if k.Name == name {
				out = append(out, k)
			}
		}
	}
	return out
}

// WaitStored waits until k is Ready and Synced, manages a key of holder
// named as its spec says, and its Secret holds that key's value; it returns
// the key.
func (h Harness) WaitStored(t testing.TB, k Key, holderID string) orysim.Key {
	t.Helper()
	var key orysim.Key
	h.Eventually(t, k.GetName()+" stored", func() (bool, string) {
		if err := h.Refresh(k); err != nil {
			return false, err.Error()
		}
		if ok, why := Ready(k); !ok {
			return false, why
		}
		var ok bool
		if key, ok = h.KeyOf(k, holderID); !ok {
			return false, "no key " + meta.GetExternalName(k) + " held by " + holderID
		}
		if name := k.KeyParameters().Name; key.Name != name {
			return false, fmt.Sprintf("key named %q, spec says %q", key.Name, name)
		}
		v, err := h.ConnectionValue(k)
		if err != nil {
			return false, err.Error()
		}
		return v == key.Value, "the Secret does not hold the key's value"
	})
	return key
}

// Update changes k with change and updates it, retrying on conflicts with
// the provider's writes.
func (h Harness) Update(t testing.TB, k resource.Managed, change func()) {
	t.Helper()
	h.Eventually(t, k.GetName()+" updated", func() (bool, string) {
		if err := h.Refresh(k); err != nil {
			return false, err.Error()
		}
		change()
		err := h.Kube.Update(context.Background(), k)
		return err == nil, fmt.Sprint(err)
	})
}

// EventsAbout returns the Events (core API) about the object named name in
// ns ("" for a cluster-scoped object, whose events are in default).
func (h Harness) EventsAbout(ns, name string) ([]corev1.Event, error) {
	if ns == "" {
		ns = "default"
	}
	l := &corev1.EventList{}
	if err := h.Kube.List(context.Background(), l, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	var out []corev1.Event
	for _, e := range l.Items {
		if e.InvolvedObject.Name == name {
			out = append(out, e)
		}
	}
	return out, nil
}

// WaitWarning waits for a Warning event about k whose message contains msg,
// and returns it.
func (h Harness) WaitWarning(t testing.TB, k resource.Managed, msg string) corev1.Event {
	t.Helper()
	return h.waitWarning(t, k, func(e corev1.Event) bool { return strings.Contains(e.Message, msg) })
}

// WaitWarningReason waits for a Warning event of a reason about k, and
// returns it.
func (h Harness) WaitWarningReason(t testing.TB, k resource.Managed, reason string) corev1.Event {
	t.Helper()
	return h.waitWarning(t, k, func(e corev1.Event) bool { return e.Reason == reason })
}

// waitWarning waits for a Warning event about k that match accepts.
func (h Harness) waitWarning(t testing.TB, k resource.Managed, match func(corev1.Event) bool) corev1.Event {
	t.Helper()
	var ev corev1.Event
	h.Eventually(t, "a Warning event about "+k.GetName(), func() (bool, string) {
		es, err := h.EventsAbout(k.GetNamespace(), k.GetName())
		if err != nil {
			return false, err.Error()
		}
		var seen []string
		for _, e := range es {
			seen = append(seen, e.Type+"/"+e.Reason)
			if e.Type == corev1.EventTypeWarning && match(e) {
				ev = e
				return true, ""
			}
		}
		return false, "events: " + strings.Join(seen, ", ")
	})
	return ev
}

// Config returns a ProviderConfig pointed at the harness's console URL.
func (h Harness) Config(name string, creds Creds, projectID string, allowed ...string) Config {
	return Config{Name: name, Creds: creds, ProjectID: projectID, ConsoleURL: h.ConsoleURL, AllowedProjectIDs: allowed}
}

// NewConfig makes a ProviderConfig of scope s for the test namespace ns
// (see Config.For) whose credentials are key "token" of Secret
// <name>-creds in ns, and returns the name a key refers to it by. creds is
// the Secret's data; nil creates no Secret.
func (h Harness) NewConfig(t testing.TB, s Scope, ns, name string, creds map[string]string, projectID string, allowed ...string) string {
	t.Helper()
	c := Creds{Namespace: ns, Name: name + "-creds", Key: "token"}
	if creds != nil {
		h.Create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: c.Name}, StringData: creds})
	}
	pc, ref := h.Config(name, c, projectID, allowed...).For(s, ns)
	h.Create(t, pc)
	return ref
}

// ConfigFor is NewConfig for k's scope, and points k at the config.
func (h Harness) ConfigFor(t testing.TB, k Key, ns, name string, creds map[string]string, projectID string, allowed ...string) {
	t.Helper()
	UseConfig(k, h.NewConfig(t, ScopeOf(k), ns, name, creds, projectID, allowed...))
}
