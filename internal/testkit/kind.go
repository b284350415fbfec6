// Package testkit is the harness every test suite of provider-ory shares:
// the managed key kinds and their two scopes as data (Kind, Scope), builders
// of keys, ProviderConfigs and credential Secrets, polling helpers, the
// invariants a run must keep (no key leaked, no value lost, no duplicate, no
// create left pending) counted once over a Snapshot, and the report line of
// the reliability suites. It holds no state of its own: a suite passes in
// its client, simulator and console URL (Harness).
package testkit

import (
	"fmt"

	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane-contrib/provider-ory/apis"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/config"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// A Key is a managed API key of any kind and either scope: the settings
// every kind shares (name, expiry, rotation, imported value) and the ID of
// its parent, the project or workspace that holds it.
type Key interface {
	resource.Managed
	KeyParameters() *common.KeyParameters
	ParentID() *string
}

// A ProjectKey is a ProjectAPIKey of either scope, for the tests of what
// only project keys have (the project's API URL, project gone).
type ProjectKey interface {
	Key
	Observation() *common.ProjectAPIKeyObservation
}

// A Kind describes one managed key kind to the suites, so that a scenario
// written once runs for every kind: its catalogue entry (the kind's name,
// its GroupVersionKind per scope, its parent's field, its connection keys)
// and how the simulator holds its keys. Adding a kind is adding an entry to
// Kinds.
type Kind struct {
	config.Kind
	// KeysIn returns the keys a parent (project or workspace ID) holds in
	// the simulator, values included.
	KeysIn func(sim *orysim.Server, parentID string) []orysim.Key
	// Holders is the first segment of the console API paths of the kind's
	// keys: /<Holders>/<parent>/tokens ("projects" or "workspaces").
	Holders string
	// CreateOp, ListOp and DeleteOp are the operationIds of creating,
	// listing and deleting the kind's keys, for the simulator's faults and
	// request log.
	CreateOp, ListOp, DeleteOp string
}

// TokensPath is the console API path of the keys of parent:
// /<Holders>/<parent>/tokens.
func (k Kind) TokensPath(parentID string) string {
	return "/" + k.Holders + "/" + parentID + "/tokens"
}

// ProjectAPIKey is the kind of an Ory project's API keys.
var ProjectAPIKey = Kind{
	Kind:     config.ProjectAPIKey,
	KeysIn:   func(sim *orysim.Server, parentID string) []orysim.Key { return sim.Keys(parentID) },
	Holders:  "projects",
	CreateOp: orysim.OpCreateProjectAPIKey, ListOp: orysim.OpListProjectAPIKeys, DeleteOp: orysim.OpDeleteProjectAPIKey,
}

// WorkspaceAPIKey is the kind of an Ory workspace's API keys.
var WorkspaceAPIKey = Kind{
	Kind:     config.WorkspaceAPIKey,
	KeysIn:   func(sim *orysim.Server, parentID string) []orysim.Key { return sim.WorkspaceKeys(parentID) },
	Holders:  "workspaces",
	CreateOp: orysim.OpCreateWorkspaceAPIKey, ListOp: orysim.OpListWorkspaceAPIKeys, DeleteOp: orysim.OpDeleteWorkspaceAPIKey,
}

// Kinds are the managed key kinds every suite runs over.
var Kinds = []Kind{ProjectAPIKey, WorkspaceAPIKey}

// scheme knows every kind of apis, to make objects from their
// GroupVersionKinds.
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := apis.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}()

// GVK is the kind's group, version and kind in scope s.
func (k Kind) GVK(s Scope) schema.GroupVersionKind {
	if s == Cluster {
		return k.Scopes[1]
	}
	return k.Scopes[0]
}

// Object returns an empty object of the kind in scope s.
func (k Kind) Object(s Scope) Key {
	o, err := scheme.New(k.GVK(s))
	if err != nil {
		panic(fmt.Sprintf("testkit: %s: %v", k.GVK(s), err))
	}
	return o.(Key)
}

// List returns an empty list of the kind's objects in scope s.
func (k Kind) List(s Scope) client.ObjectList {
	gvk := k.GVK(s)
	gvk.Kind += "List"
	o, err := scheme.New(gvk)
	if err != nil {
		panic(fmt.Sprintf("testkit: %s: %v", gvk, err))
	}
	return o.(client.ObjectList)
}

// New returns a key of scope s named name whose connection Secret is
// <name>-key in ns: in ns for the namespaced scope, named <ns>-<name> for
// the cluster scope (whose names are global). p and parentID are its
// forProvider settings; an empty parentID takes the ProviderConfig's.
func (k Kind) New(s Scope, ns, name string, p common.KeyParameters, parentID string) Key {
	o := k.Object(s)
	s.place(o, ns, name)
	*o.KeyParameters() = p
	*o.ParentID() = parentID
	return o
}

// Is reports whether o is of this kind (either scope).
func (k Kind) Is(o Key) bool {
	gvks, _, err := scheme.ObjectKinds(o)
	if err != nil {
		return false
	}
	for _, g := range gvks {
		for _, s := range k.Scopes {
			if g == s {
				return true
			}
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

// ScopeOf returns the scope of a key: a namespaced object is of the
// namespaced scope.
func ScopeOf(o Key) Scope {
	if _, ok := o.(resource.ModernManaged); ok {
		return Namespaced
	}
	return Cluster
}

// NewProjectKey returns a ProjectAPIKey of scope s, as Kind.New makes it:
// settings p in project projectID (empty: the ProviderConfig's).
func NewProjectKey(s Scope, ns, name string, p common.KeyParameters, projectID string) ProjectKey {
	return ProjectAPIKey.New(s, ns, name, p, projectID).(ProjectKey)
}
