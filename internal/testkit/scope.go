package testkit

import (
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// A Scope is one of the two scopes of a managed kind: Namespaced (group
// ory.m.crossplane.io, Crossplane v2 style) or Cluster (ory.crossplane.io,
// Crossplane v1 style).
type Scope string

// The two scopes, named as the subtests that run for each are.
const (
	Namespaced Scope = "Namespaced"
	Cluster    Scope = "Cluster"
)

// Scopes are both scopes, namespaced first.
var Scopes = []Scope{Namespaced, Cluster}

// ObjectName is the name a resource named name for the test namespace ns
// has in scope s: name itself in ns, or <ns>-<name> for the cluster scope,
// whose names are global.
func (s Scope) ObjectName(ns, name string) string {
	if s == Cluster {
		return ns + "-" + name
	}
	return name
}

// place names o for namespace ns and points its connection Secret at
// <name>-key in ns.
func (s Scope) place(o Key, ns, name string) {
	switch m := o.(type) {
	case resource.ModernManaged:
		m.SetNamespace(ns)
		m.SetName(name)
	case resource.LegacyManaged:
		m.SetName(s.ObjectName(ns, name))
	}
	WriteSecretTo(o, ns, name+"-key")
}

// WriteSecretTo points m's connection Secret at Secret name of namespace ns
// (a namespaced resource's own namespace, which must be ns).
func WriteSecretTo(m resource.Managed, ns, name string) {
	switch m := m.(type) {
	case resource.ModernManaged:
		m.SetWriteConnectionSecretToReference(&xpv2.LocalSecretReference{Name: name})
	case resource.LegacyManaged:
		m.SetWriteConnectionSecretToReference(&xpv2.SecretReference{Namespace: ns, Name: name})
	}
}

// SecretRef is where k's connection Secret is (empty when it names none).
func SecretRef(k resource.Managed) types.NamespacedName {
	switch m := k.(type) {
	case resource.ModernManaged:
		if r := m.GetWriteConnectionSecretToReference(); r != nil {
			return types.NamespacedName{Namespace: m.GetNamespace(), Name: r.Name}
		}
	case resource.LegacyManaged:
		if r := m.GetWriteConnectionSecretToReference(); r != nil {
			return types.NamespacedName{Namespace: r.Namespace, Name: r.Name}
		}
	}
	return types.NamespacedName{}
}

// UseConfig points k at the ProviderConfig of its scope named name: the
// namespaced kind ProviderConfig in k's namespace, or the cluster-scoped
// ProviderConfig.
func UseConfig(k resource.Managed, name string) {
	switch m := k.(type) {
	case resource.ModernManaged:
		m.SetProviderConfigReference(&xpv2.ProviderConfigReference{Kind: "ProviderConfig", Name: name})
	case resource.LegacyManaged:
		m.SetProviderConfigReference(&xpv2.Reference{Name: name})
	}
}

// Orphan makes deleting k leave its key in Ory: management policies
// without Delete for the namespaced scope (which has no deletion policy),
// deletionPolicy Orphan for the cluster scope.
func Orphan(k Key) {
	switch m := k.(type) {
	case resource.ModernManaged:
		m.SetManagementPolicies(xpv2.ManagementPolicies{xpv2.ManagementActionObserve, xpv2.ManagementActionCreate, xpv2.ManagementActionUpdate, xpv2.ManagementActionLateInitialize})
	case resource.LegacyManaged:
		m.SetDeletionPolicy(xpv2.DeletionOrphan)
	}
}

// ObserveOnly limits m (a key, a Project) to observing.
func ObserveOnly(m resource.Managed) {
	m.SetManagementPolicies(xpv2.ManagementPolicies{xpv2.ManagementActionObserve})
}

// ID names a resource like kubectl does: <namespace>/<name>, or <name>.
func ID(o client.Object) string {
	if o.GetNamespace() == "" {
		return o.GetName()
	}
	return o.GetNamespace() + "/" + o.GetName()
}

// InNamespace reports whether o belongs to the test namespace ns: it is in
// ns, or cluster-scoped and named <ns>-...
func InNamespace(o client.Object, ns string) bool {
	return o.GetNamespace() == ns || (o.GetNamespace() == "" && len(o.GetName()) > len(ns) && o.GetName()[:len(ns)+1] == ns+"-")
}
