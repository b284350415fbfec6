// Package testkit is the harness every test suite of provider-ory shares:
// the managed key kinds and their two scopes as data (Kind, Scope), builders
// of keys, ProviderConfigs and credential Secrets, polling helpers, the
// invariants a run must keep (no key leaked, no value lost, no duplicate, no
// create left pending) counted once over a Snapshot, and the report line of
// the reliability suites. It holds no state of its own: a suite passes in
// its client, simulator and console URL.
package testkit

import (
	"fmt"
	"reflect"

	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/config"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// A Key is a managed API key of any kind and either scope.
type Key interface {
	resource.Managed
}

// A ProjectKey is a ProjectAPIKey of either scope, for the tests of what
// only project keys have (importValueFrom, the project's API URL).
type ProjectKey interface {
	Key
	Parameters() *common.ProjectAPIKeyParameters
	Observation() *common.ProjectAPIKeyObservation
}

// Spec is what every key kind's spec.forProvider holds: the key's name in
// Ory, its expiry, its rotation and the ID of its holder (the project of a
// project key, the workspace of a workspace key; empty: the
// ProviderConfig's default).
type Spec struct {
	Name      string
	ExpiresAt *metav1.Time
	Rotation  *common.Rotation
	HolderID  string
}

// A Kind describes one managed key kind to the suites, so that a scenario
// written once runs for every kind: adding a kind is adding an entry to
// Kinds.
type Kind struct {
	// Kind is the kind's name, e.g. ProjectAPIKey.
	Kind string
	// HolderField is the spec.forProvider field that names the key's
	// holder, e.g. projectID.
	HolderField string
	// ConnectionKeys are the keys the connection Secret holds;
	// HolderConnectionKey is the one that names the holder.
	ConnectionKeys      []string
	HolderConnectionKey string
	// GVKs are the kind's group, version and kind in each scope.
	GVKs map[Scope]schema.GroupVersionKind

	// objects return an empty object and list of a scope.
	objects map[Scope]func() Key
	lists   map[Scope]func() client.ObjectList
	// spec reads the fields of Spec from a key of this kind; setSpec writes
	// them.
	spec    func(Key) Spec
	setSpec func(Key, Spec)
	// keys returns the keys a holder has in the simulator.
	keys func(sim *orysim.Server, holderID string) []orysim.Key
}

// ProjectAPIKey is the kind of an Ory project's API keys.
var ProjectAPIKey = Kind{
	Kind:                "ProjectAPIKey",
	HolderField:         "projectID",
	ConnectionKeys:      config.ProjectAPIKeyConnectionKeys,
	HolderConnectionKey: config.ConnectionKeyProjectID,
	GVKs: map[Scope]schema.GroupVersionKind{
		Namespaced: namespacedv1alpha1.ProjectAPIKeyGroupVersionKind,
		Cluster:    clusterv1alpha1.ProjectAPIKeyGroupVersionKind,
	},
	objects: map[Scope]func() Key{
		Namespaced: func() Key { return &namespacedv1alpha1.ProjectAPIKey{} },
		Cluster:    func() Key { return &clusterv1alpha1.ProjectAPIKey{} },
	},
	lists: map[Scope]func() client.ObjectList{
		Namespaced: func() client.ObjectList { return &namespacedv1alpha1.ProjectAPIKeyList{} },
		Cluster:    func() client.ObjectList { return &clusterv1alpha1.ProjectAPIKeyList{} },
	},
	spec: func(k Key) Spec {
		p := k.(ProjectKey).Parameters()
		return Spec{Name: p.Name, ExpiresAt: p.ExpiresAt, Rotation: p.Rotation, HolderID: p.ProjectID}
	},
	setSpec: func(k Key, s Spec) {
		p := k.(ProjectKey).Parameters()
		p.Name, p.ExpiresAt, p.Rotation, p.ProjectID = s.Name, s.ExpiresAt, s.Rotation, s.HolderID
	},
	keys: func(sim *orysim.Server, holderID string) []orysim.Key { return sim.Keys(holderID) },
}

// Kinds are the managed key kinds every suite runs over.
var Kinds = []Kind{ProjectAPIKey}

// New returns a key of scope s named name whose connection Secret is
// <name>-key in ns: in ns for the namespaced scope, named <ns>-<name> for
// the cluster scope (whose names are global).
func (k Kind) New(s Scope, ns, name string, spec Spec) Key {
	o := k.objects[s]()
	s.place(o, ns, name)
	k.setSpec(o, spec)
	return o
}

// List returns an empty list of the kind's objects of scope s.
func (k Kind) List(s Scope) client.ObjectList { return k.lists[s]() }

// Spec reads the fields every kind shares from a key of this kind.
func (k Kind) Spec(o Key) Spec { return k.spec(o) }

// SetSpec writes them.
func (k Kind) SetSpec(o Key, s Spec) { k.setSpec(o, s) }

// KeysIn returns the keys holder holds in the simulator.
func (k Kind) KeysIn(sim *orysim.Server, holderID string) []orysim.Key { return k.keys(sim, holderID) }

// Is reports whether o is of this kind (either scope).
func (k Kind) Is(o Key) bool {
	for _, s := range Scopes {
		if reflect.TypeOf(k.objects[s]()) == reflect.TypeOf(o) {
			return true
		}
	}
	return false
}

// KindOf returns the kind of o, from Kinds.
func KindOf(o Key) Kind {
	for _, k := range Kinds {
		if k.Is(o) {
			return k
		}
	}
	panic(fmt.Sprintf("testkit: %T is not a key kind of testkit.Kinds", o))
}

// SpecOf reads the fields every kind shares from a key of any kind.
func SpecOf(o Key) Spec { return KindOf(o).Spec(o) }

// ScopeOf returns the scope of a key: a namespaced object is of the
// namespaced scope.
func ScopeOf(o Key) Scope {
	if _, ok := o.(resource.ModernManaged); ok {
		return Namespaced
	}
	return Cluster
}
