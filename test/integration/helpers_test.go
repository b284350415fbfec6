package integration

import (
	"context"
	"fmt"
	"math/rand/v2"
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

const waitTimeout = 30 * time.Second

// keyObject is a ProjectAPIKey of either scope.
type keyObject interface {
	resource.Managed
	Parameters() *common.ProjectAPIKeyParameters
	Observation() *common.ProjectAPIKeyObservation
}

// A scope makes the objects of one scope, so each scenario runs for both.
type scope struct {
	name string
	// key returns a ProjectAPIKey for the test namespace ns whose connection
	// Secret is <name>-key in ns.
	key func(ns, name string, p common.ProjectAPIKeyParameters) keyObject
	// orphan makes deleting the resource leave its key in Ory.
	orphan func(k keyObject)
	// observeOnly limits the resource to observing.
	observeOnly func(k keyObject)
	// useConfig points the resource at a named ProviderConfig of its scope.
	useConfig func(k keyObject, name string)
}

var scopes = []scope{
	{
		name: "Namespaced",
		key: func(ns, name string, p common.ProjectAPIKeyParameters) keyObject {
			k := &namespacedv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
			k.Spec.ForProvider = p
			k.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: name + "-key"}
			return k
		},
		orphan: func(k keyObject) {
			k.SetManagementPolicies(xpv2.ManagementPolicies{xpv2.ManagementActionObserve, xpv2.ManagementActionCreate, xpv2.ManagementActionUpdate, xpv2.ManagementActionLateInitialize})
		},
		observeOnly: func(k keyObject) { k.SetManagementPolicies(xpv2.ManagementPolicies{xpv2.ManagementActionObserve}) },
		useConfig: func(k keyObject, name string) {
			k.(*namespacedv1alpha1.ProjectAPIKey).Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: "ProviderConfig", Name: name}
		},
	},
	{
		name: "Cluster",
		key: func(ns, name string, p common.ProjectAPIKeyParameters) keyObject {
			// Cluster-scoped names are global: prefix with the test namespace.
			k := &clusterv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Name: ns + "-" + name}}
			k.Spec.ForProvider = p
			k.Spec.WriteConnectionSecretToReference = &xpv2.SecretReference{Namespace: ns, Name: name + "-key"}
			return k
		},
		orphan:      func(k keyObject) { k.(*clusterv1alpha1.ProjectAPIKey).SetDeletionPolicy(xpv2.DeletionOrphan) },
		observeOnly: func(k keyObject) { k.SetManagementPolicies(xpv2.ManagementPolicies{xpv2.ManagementActionObserve}) },
		useConfig: func(k keyObject, name string) {
			k.(*clusterv1alpha1.ProjectAPIKey).Spec.ProviderConfigReference = &xpv2.Reference{Name: name}
		},
	},
}

// forEachScope runs a scenario for both scopes, in parallel.
func forEachScope(t *testing.T, scenario func(t *testing.T, s scope, ns string)) {
	for _, s := range scopes {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			scenario(t, s, newNamespace(t))
		})
	}
}

// newNamespace creates a namespace of the test's own.
func newNamespace(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("t%d-%s", rand.IntN(1e6), strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())))
	if len(name) > 50 {
		name = strings.TrimRight(name[:50], "-")
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := kube.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return name
}

// uniqueName returns a key name nobody else in the shared simulator uses.
func uniqueName(ns, base string) string { return ns + "-" + base }

func create(t *testing.T, o client.Object) {
	t.Helper()
	if err := kube.Create(context.Background(), o); err != nil {
		t.Fatalf("cannot create %T %s: %v", o, o.GetName(), err)
	}
}

// eventually polls cond until it holds or the timeout passes; the last
// reason cond gave is the failure message.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	eventuallyWithin(t, waitTimeout, what, cond)
}

// eventuallyWithin is eventually with a timeout of its own.
func eventuallyWithin(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		ok, why := cond()
		if ok {
			return
		}
		last = why
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s: %s", what, last)
}

// refresh re-reads k.
func refresh(t *testing.T, k client.Object) error {
	t.Helper()
	return kube.Get(context.Background(), client.ObjectKeyFromObject(k), k)
}

func conditionOf(k keyObject, ct xpv2.ConditionType) xpv2.Condition { return k.GetCondition(ct) }

// waitReady waits until k is Ready and Synced, and returns it fresh.
func waitReady(t *testing.T, k keyObject) {
	t.Helper()
	eventually(t, k.GetName()+" Ready and Synced", func() (bool, string) {
		if err := refresh(t, k); err != nil {
			return false, err.Error()
		}
		r, s := conditionOf(k, xpv2.TypeReady), conditionOf(k, xpv2.TypeSynced)
		return r.Status == corev1.ConditionTrue && s.Status == corev1.ConditionTrue,
			fmt.Sprintf("Ready=%s(%s: %s) Synced=%s(%s: %s)", r.Status, r.Reason, r.Message, s.Status, s.Reason, s.Message)
	})
}

// waitSyncError waits until k reports a reconcile error containing msg.
func waitSyncError(t *testing.T, k keyObject, msg string) {
	t.Helper()
	eventually(t, k.GetName()+" to report "+msg, func() (bool, string) {
		if err := refresh(t, k); err != nil {
			return false, err.Error()
		}
		c := conditionOf(k, xpv2.TypeSynced)
		return c.Status == corev1.ConditionFalse && strings.Contains(c.Message, msg), fmt.Sprintf("Synced=%s: %s", c.Status, c.Message)
	})
}

// connectionSecret returns k's connection Secret, or nil.
func connectionSecret(t *testing.T, k keyObject) *corev1.Secret {
	t.Helper()
	var nn types.NamespacedName
	switch o := k.(type) {
	case *namespacedv1alpha1.ProjectAPIKey:
		nn = types.NamespacedName{Namespace: o.Namespace, Name: o.Spec.WriteConnectionSecretToReference.Name}
	case *clusterv1alpha1.ProjectAPIKey:
		nn = types.NamespacedName{Namespace: o.Spec.WriteConnectionSecretToReference.Namespace, Name: o.Spec.WriteConnectionSecretToReference.Name}
	}
	s := &corev1.Secret{}
	if err := kube.Get(context.Background(), nn, s); err != nil {
		if kerrors.IsNotFound(err) {
			return nil
		}
		t.Fatal(err)
	}
	return s
}

// keysNamed returns the keys of a project with a name.
func keysNamed(p orysim.Project, name string) []orysim.Key {
	var out []orysim.Key
	for _, k := range sim.Keys(p.ID) {
		if k.Name == name {
			out = append(out, k)
		}
	}
	return out
}

// waitStored waits until k is Ready with exactly one key in Ory under its
// name, that key is k's external name, and k's Secret holds its value.
func waitStored(t *testing.T, k keyObject, p orysim.Project) orysim.Key {
	t.Helper()
	waitReady(t, k)
	var key orysim.Key
	eventually(t, "the key stored in "+k.GetName()+"'s Secret", func() (bool, string) {
		if err := refresh(t, k); err != nil {
			return false, err.Error()
		}
		keys := keysNamed(p, k.Parameters().Name)
		if len(keys) != 1 {
			return false, fmt.Sprintf("project %s holds %d keys named %q", p.Slug, len(keys), k.Parameters().Name)
		}
		key = keys[0]
		if got := meta.GetExternalName(k); got != key.ID {
			return false, fmt.Sprintf("external name %q, key %q", got, key.ID)
		}
		s := connectionSecret(t, k)
		if s == nil {
			return false, "no connection Secret"
		}
		if string(s.Data[common.ConnectionKeyValue]) != key.Value {
			return false, "the Secret's value is not the key's"
		}
		if string(s.Data[common.ConnectionKeyID]) != key.ID || string(s.Data[common.ConnectionKeyProjectID]) != p.ID {
			return false, fmt.Sprintf("Secret keyID=%q projectID=%q", s.Data[common.ConnectionKeyID], s.Data[common.ConnectionKeyProjectID])
		}
		if want := "https://" + p.Slug + ".projects.oryapis.com"; string(s.Data[common.ConnectionKeyAPIURL]) != want {
			return false, fmt.Sprintf("Secret apiURL=%q, want %q", s.Data[common.ConnectionKeyAPIURL], want)
		}
		return true, ""
	})
	return key
}

func clusterProviderConfig(name, projectID string, allowed ...string) *namespacedv1alpha1.ClusterProviderConfig {
	pc := &namespacedv1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: name}}
	pc.Spec.Credentials = common.Credentials{Source: xpv2.CredentialsSourceSecret, CommonCredentialSelectors: xpv2.CommonCredentialSelectors{
		SecretRef: &xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: systemNS, Name: credsName}, Key: "key"}}}
	pc.Spec.ProjectID, pc.Spec.ConsoleURL, pc.Spec.AllowedProjectIDs = projectID, simURL, allowed
	return pc
}

func legacyProviderConfig(name, projectID string, allowed ...string) *clusterv1alpha1.ProviderConfig {
	pc := &clusterv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: name}}
	pc.Spec.Credentials = common.Credentials{Source: xpv2.CredentialsSourceSecret, CommonCredentialSelectors: xpv2.CommonCredentialSelectors{
		SecretRef: &xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: systemNS, Name: credsName}, Key: "key"}}}
	pc.Spec.ProjectID, pc.Spec.ConsoleURL, pc.Spec.AllowedProjectIDs = projectID, simURL, allowed
	return pc
}

// namespacedProviderConfig makes a ProviderConfig in ns with its own
// credentials Secret holding token.
func namespacedProviderConfig(t *testing.T, ns, name, token string, allowed ...string) {
	t.Helper()
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name + "-creds"}, StringData: map[string]string{"token": token}})
	pc := &namespacedv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	pc.Spec.Credentials = common.LocalCredentials{Source: xpv2.CredentialsSourceSecret,
		SecretRef: xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: name + "-creds"}, Key: "token"}}
	pc.Spec.ProjectID, pc.Spec.ConsoleURL, pc.Spec.AllowedProjectIDs = project.ID, simURL, allowed
	create(t, pc)
}

// configFor makes a config of the key's scope named name, in ns for the
// namespaced scope, and points k at it.
func configFor(t *testing.T, s scope, k keyObject, ns, name, token string, allowed ...string) {
	t.Helper()
	if s.name == "Namespaced" {
		namespacedProviderConfig(t, ns, name, token, allowed...)
	} else {
		create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name + "-creds"}, StringData: map[string]string{"token": token}})
		pc := legacyProviderConfig(ns+"-"+name, project.ID, allowed...)
		pc.Spec.Credentials.SecretRef = &xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: ns, Name: name + "-creds"}, Key: "token"}
		create(t, pc)
		name = ns + "-" + name
	}
	s.useConfig(k, name)
}

func objectMeta(ns, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name}
}
