package reliability

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
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

const waitTimeout = 45 * time.Second

// keyObject is a ProjectAPIKey of either scope.
type keyObject interface {
	resource.Managed
	Parameters() *common.ProjectAPIKeyParameters
	Observation() *common.ProjectAPIKeyObservation
}

// A scope makes the objects of one scope, so that each scenario runs for
// both.
type scope struct {
	name string
	// key returns a ProjectAPIKey whose connection Secret is <name>-key in
	// ns: in ns for the namespaced scope, named <ns>-<name> for the
	// cluster scope (whose names are global).
	key func(ns, name string, p common.ProjectAPIKeyParameters) keyObject
	// useConfig points k at a ProviderConfig of its scope.
	useConfig func(k keyObject, name string)
	// list is an empty list of the scope's ProjectAPIKeys.
	list func() client.ObjectList
}

var (
	namespacedScope = scope{
		name: "Namespaced",
		key: func(ns, name string, p common.ProjectAPIKeyParameters) keyObject {
			k := &namespacedv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
			k.Spec.ForProvider = p
			k.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: name + "-key"}
			return k
		},
		useConfig: func(k keyObject, name string) {
			k.(*namespacedv1alpha1.ProjectAPIKey).Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: "ProviderConfig", Name: name}
		},
		list: func() client.ObjectList { return &namespacedv1alpha1.ProjectAPIKeyList{} },
	}
	clusterScope = scope{
		name: "Cluster",
		key: func(ns, name string, p common.ProjectAPIKeyParameters) keyObject {
			k := &clusterv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Name: ns + "-" + name}}
			k.Spec.ForProvider = p
			k.Spec.WriteConnectionSecretToReference = &xpv2.SecretReference{Namespace: ns, Name: name + "-key"}
			return k
		},
		useConfig: func(k keyObject, name string) {
			k.(*clusterv1alpha1.ProjectAPIKey).Spec.ProviderConfigReference = &xpv2.Reference{Name: name}
		},
		list: func() client.ObjectList { return &clusterv1alpha1.ProjectAPIKeyList{} },
	}
	scopes = []scope{namespacedScope, clusterScope}
)

// newNamespace creates a namespace of the test's own.
func newNamespace(t *testing.T, base string) string {
	t.Helper()
	name := strings.ToLower(base + "-" + randomAlphanumeric(6))
	create(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	return name
}

func create(t *testing.T, o client.Object) {
	t.Helper()
	if err := kube.Create(context.Background(), o); err != nil {
		t.Fatalf("cannot create %T %s: %v", o, o.GetName(), err)
	}
}

// eventually polls cond until it holds or timeout passes; the last reason
// cond gave is the failure message.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		ok, why := cond()
		if ok {
			return
		}
		last = why
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s: %s", timeout, what, last)
}

func refresh(k client.Object) error {
	return kube.Get(context.Background(), client.ObjectKeyFromObject(k), k)
}

// ready reports whether k is Ready and Synced, and why not.
func ready(k keyObject) (bool, string) {
	r, s := k.GetCondition(xpv2.TypeReady), k.GetCondition(xpv2.TypeSynced)
	return r.Status == corev1.ConditionTrue && s.Status == corev1.ConditionTrue,
		fmt.Sprintf("Ready=%s(%s: %s) Synced=%s(%s: %s)", r.Status, r.Reason, r.Message, s.Status, s.Reason, s.Message)
}

// secretRef is where k's connection Secret is.
func secretRef(k keyObject) types.NamespacedName {
	switch o := k.(type) {
	case *namespacedv1alpha1.ProjectAPIKey:
		return types.NamespacedName{Namespace: o.Namespace, Name: o.Spec.WriteConnectionSecretToReference.Name}
	case *clusterv1alpha1.ProjectAPIKey:
		return types.NamespacedName{Namespace: o.Spec.WriteConnectionSecretToReference.Namespace, Name: o.Spec.WriteConnectionSecretToReference.Name}
	}
	return types.NamespacedName{}
}

// connectionValue returns the value k's connection Secret holds ("" when
// there is none).
func connectionValue(k keyObject) (string, error) {
	s := &corev1.Secret{}
	if err := kube.Get(context.Background(), secretRef(k), s); err != nil {
		return "", client.IgnoreNotFound(err)
	}
	return string(s.Data[common.ConnectionKeyValue]), nil
}

// keyID is the ID of the key k manages (its external name, either form).
func keyID(k keyObject) string {
	ref, err := common.ParseRef(meta.GetExternalName(k))
	if err != nil {
		return ""
	}
	return ref.ID
}

// waitStored waits until k is Ready and Synced, manages a key named as its
// spec says in project p, and its Secret holds that key's value.
func waitStored(t *testing.T, k keyObject, p orysim.Project) orysim.Key {
	t.Helper()
	var key orysim.Key
	eventually(t, waitTimeout, k.GetName()+" stored", func() (bool, string) {
		if err := refresh(k); err != nil {
			return false, err.Error()
		}
		if ok, why := ready(k); !ok {
			return false, why
		}
		var ok bool
		if key, ok = sim.Key(p.ID, keyID(k)); !ok {
			return false, "no key " + meta.GetExternalName(k) + " in project " + p.Slug
		}
		if key.Name != k.Parameters().Name {
			return false, fmt.Sprintf("key named %q, spec says %q", key.Name, k.Parameters().Name)
		}
		v, err := connectionValue(k)
		if err != nil {
			return false, err.Error()
		}
		return v == key.Value, "the Secret does not hold the key's value"
	})
	return key
}

// waitSyncError waits until k is not Synced with a message containing all
// of msgs.
func waitSyncError(t *testing.T, k keyObject, timeout time.Duration, msgs ...string) xpv2.Condition {
	t.Helper()
	var c xpv2.Condition
	eventually(t, timeout, k.GetName()+" to report "+strings.Join(msgs, " ... "), func() (bool, string) {
		if err := refresh(k); err != nil {
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

// waitGone waits until k no longer exists.
func waitGone(t *testing.T, k keyObject, timeout time.Duration) {
	t.Helper()
	eventually(t, timeout, k.GetName()+" gone", func() (bool, string) {
		err := refresh(k)
		return kerrors.IsNotFound(err), fmt.Sprintf("finalizers %v, %+v, err %v", k.GetFinalizers(), k.GetCondition(xpv2.TypeSynced), err)
	})
}

// eventsAbout returns the Events (core API) about the object named name.
func eventsAbout(ns, name string) ([]corev1.Event, error) {
	if ns == "" {
		ns = "default"
	}
	l := &corev1.EventList{}
	if err := kube.List(context.Background(), l, client.InNamespace(ns)); err != nil {
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

// waitWarning waits for a Warning event about k whose message contains msg,
// and returns it.
func waitWarning(t *testing.T, k keyObject, msg string) corev1.Event {
	t.Helper()
	var ev corev1.Event
	eventually(t, waitTimeout, "a Warning event about "+k.GetName(), func() (bool, string) {
		es, err := eventsAbout(k.GetNamespace(), k.GetName())
		if err != nil {
			return false, err.Error()
		}
		var seen []string
		for _, e := range es {
			seen = append(seen, e.Type+"/"+e.Reason)
			if e.Type == corev1.EventTypeWarning && strings.Contains(e.Message, msg) {
				ev = e
				return true, ""
			}
		}
		return false, "events: " + strings.Join(seen, ", ")
	})
	return ev
}

// updateSpec changes k's spec, retrying on conflicts with the provider's
// writes.
func updateSpec(t *testing.T, k keyObject, change func(p *common.ProjectAPIKeyParameters)) {
	t.Helper()
	eventually(t, waitTimeout, "the spec of "+k.GetName()+" updated", func() (bool, string) {
		if err := refresh(k); err != nil {
			return false, err.Error()
		}
		change(k.Parameters())
		err := kube.Update(context.Background(), k)
		return err == nil, fmt.Sprint(err)
	})
}

func credentials(namespace, name, key string) common.Credentials {
	return common.Credentials{Source: xpv2.CredentialsSourceSecret, CommonCredentialSelectors: xpv2.CommonCredentialSelectors{
		SecretRef: &xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: namespace, Name: name}, Key: key}}}
}

func clusterProviderConfig(name, credsNS, credsName, credsKey, projectID string, allowed ...string) *namespacedv1alpha1.ClusterProviderConfig {
	pc := &namespacedv1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: name}}
	pc.Spec.Credentials = credentials(credsNS, credsName, credsKey)
	pc.Spec.ProjectID, pc.Spec.ConsoleURL, pc.Spec.AllowedProjectIDs = projectID, simURL, allowed
	return pc
}

func legacyProviderConfig(name, credsNS, credsName, credsKey, projectID string, allowed ...string) *clusterv1alpha1.ProviderConfig {
	pc := &clusterv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: name}}
	pc.Spec.Credentials = credentials(credsNS, credsName, credsKey)
	pc.Spec.ProjectID, pc.Spec.ConsoleURL, pc.Spec.AllowedProjectIDs = projectID, simURL, allowed
	return pc
}

// configFor makes a ProviderConfig of k's scope named name (in ns for the
// namespaced scope, <ns>-<name> for the cluster scope) whose credentials
// are key "token" of Secret <name>-creds in ns, and points k at it. creds
// is the Secret's data; nil creates no Secret.
func configFor(t *testing.T, s scope, k keyObject, ns, name string, creds map[string]string, projectID string, allowed ...string) {
	t.Helper()
	if creds != nil {
		create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name + "-creds"}, StringData: creds})
	}
	if s.name == namespacedScope.name {
		pc := &namespacedv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		pc.Spec.Credentials = common.LocalCredentials{Source: xpv2.CredentialsSourceSecret,
			SecretRef: xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: name + "-creds"}, Key: "token"}}
		pc.Spec.ProjectID, pc.Spec.ConsoleURL, pc.Spec.AllowedProjectIDs = projectID, simURL, allowed
		create(t, pc)
	} else {
		name = ns + "-" + name
		create(t, legacyProviderConfig(name, ns, strings.TrimPrefix(name, ns+"-")+"-creds", "token", projectID, allowed...))
	}
	s.useConfig(k, name)
}

// requestsTo returns the simulator's requests about a project that arrived
// in [from, to).
func requestsTo(projectID string, from, to time.Time) []orysim.LogEntry {
	var out []orysim.LogEntry
	for _, e := range sim.RequestLog() {
		if strings.Contains(e.Path, "/projects/"+projectID) && !e.Time.Before(from) && e.Time.Before(to) {
			out = append(out, e)
		}
	}
	return out
}
