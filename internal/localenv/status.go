package localenv

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/config"
	"github.com/crossplane-contrib/provider-ory/internal/engine"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// KeyStatus is a key resource of any kind of the catalogue (config.Kinds),
// in either scope, as the API server has it, with its connection Secret.
type KeyStatus struct {
	// Kind is the catalogue's name of the kind: "ProjectAPIKey".
	Kind string
	// Cluster is true for the cluster-scoped kinds (ory.crossplane.io).
	Cluster bool
	// Namespace is empty for the cluster-scoped kinds.
	Namespace, Name string
	Ready, Synced   xpv2.Condition
	// ExternalName is the crossplane.io/external-name annotation.
	ExternalName string
	// Parent is what holds the kind's keys, in words (config.Parent.Noun):
	// "project" or "workspace".
	Parent string
	// KeyID and ParentID are status.atProvider's: the key's ID and its
	// project's or workspace's ID.
	KeyID, ParentID string
	// Import is true when managementPolicies are exactly [Observe]: the
	// provider watches the key but never creates, changes or deletes it.
	Import bool
	// ValueUnknown is true when the provider reports that the connection
	// Secret cannot hold the key's value, as for every import: Ory returns a
	// value only when it creates the key.
	ValueUnknown bool
	// NoSecret is true when the provider reports that the object has no
	// secret at all: a public OAuth2 client (token_endpoint_auth_method
	// none), whose connection Secret holds its ID and URLs only.
	NoSecret bool
	// Secret is the connection Secret; nil without writeConnectionSecretToRef.
	Secret *SecretStatus
	// Deleting is true once the resource has a deletion timestamp.
	Deleting bool
}

// SecretStatus is a connection Secret. Data holds the key's value (an
// OAuth2 client's secret): never print it, print Mask of it (see
// KeyStatus.ValueKey).
type SecretStatus struct {
	Namespace, Name string
	Found           bool
	Data            map[string][]byte
}

// ValueKey is the connection Secret's key of the resource's secret, as its
// kind declares it (config.Kind.ConnectionValueKey): "value" for API keys,
// "clientSecret" for OAuth2 clients.
func (k KeyStatus) ValueKey() string { return catalogueKind(k.Kind).ConnectionValueKey() }

// IDKey is the connection Secret's key of the resource's ID
// (config.Kind.ConnectionIDKey): "keyID" for API keys, "clientID" for OAuth2
// clients.
func (k KeyStatus) IDKey() string { return catalogueKind(k.Kind).ConnectionIDKey() }

// catalogueKind returns the kind of config.Kinds named name; the zero Kind
// (whose connection keys are the API keys') for a name it lacks.
func catalogueKind(name string) config.Kind {
	for _, k := range config.Kinds() {
		if k.Name == name {
			return k
		}
	}
	return config.Kind{}
}

// ID names the resource like kubectl does: namespace/name, or the name alone
// for the cluster-scoped kinds. Resources of different kinds may share an ID.
func (k KeyStatus) ID() string {
	if k.Cluster {
		return k.Name
	}
	return k.Namespace + "/" + k.Name
}

// KeyStatuses returns every resource of every kind of config.Kinds, in the
// catalogue's order; within a kind its namespaced scope first, each scope
// sorted by namespace and name.
func KeyStatuses(ctx context.Context, c client.Reader) ([]KeyStatus, error) {
	var out []KeyStatus
	for _, kind := range config.Kinds() {
		for _, gvk := range kind.Scopes {
			keys, err := listKeys(ctx, c, gvk)
			if err != nil {
				return nil, err
			}
			for _, k := range keys {
				out = append(out, keyStatus(kind, k))
			}
		}
	}
	for i := range out {
		sec := out[i].Secret
		if sec == nil {
			continue
		}
		s := &corev1.Secret{}
		err := c.Get(ctx, types.NamespacedName{Namespace: sec.Namespace, Name: sec.Name}, s)
		switch {
		case err == nil:
			sec.Found, sec.Data = true, s.Data
		case !kerrors.IsNotFound(err):
			return nil, err
		}
	}
	return out, nil
}

// keyScheme knows every provider-ory type, so that listKeys can make the
// list type of any kind of the catalogue.
var keyScheme = sync.OnceValues(newScheme)

// listKeys lists every resource of gvk, a scope of a catalogue kind, sorted
// by namespace and name. It fails when the scheme lacks <Kind>List or its
// items are not engine.Resources: a catalogue entry without its API types.
func listKeys(ctx context.Context, c client.Reader, gvk schema.GroupVersionKind) ([]engine.Resource, error) {
	s, err := keyScheme()
	if err != nil {
		return nil, err
	}
	o, err := s.New(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
	if err != nil {
		return nil, err
	}
	list, ok := o.(client.ObjectList)
	if !ok {
		return nil, fmt.Errorf("%sList is not a list type", gvk.Kind)
	}
	if err := c.List(ctx, list); err != nil {
		return nil, err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, err
	}
	out := make([]engine.Resource, 0, len(items))
	for _, i := range items {
		r, ok := i.(engine.Resource)
		if !ok {
			return nil, fmt.Errorf("%s %T is not a key resource (engine.Resource)", gvk, i)
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b engine.Resource) int {
		return cmp.Or(cmp.Compare(a.GetNamespace(), b.GetNamespace()), cmp.Compare(a.GetName(), b.GetName()))
	})
	return out, nil
}

func keyStatus(kind config.Kind, r engine.Resource) KeyStatus {
	s := KeyStatus{
		Kind:         kind.Name,
		Cluster:      r.GetNamespace() == "",
		Namespace:    r.GetNamespace(),
		Name:         r.GetName(),
		Ready:        r.GetCondition(xpv2.TypeReady),
		Synced:       r.GetCondition(xpv2.TypeSynced),
		ExternalName: r.GetAnnotations()["crossplane.io/external-name"],
		Parent:       kind.Parent.Noun,
		KeyID:        r.KeyObservation().ID,
		ParentID:     *r.ObservedParentID(),
		Import:       slices.Equal(r.GetManagementPolicies(), xpv2.ManagementPolicies{xpv2.ManagementActionObserve}),
		ValueUnknown: r.GetCondition(common.TypeValue).Reason == common.ReasonValueUnknown,
		NoSecret:     r.GetCondition(common.TypeValue).Reason == common.ReasonNoSecret,
		Deleting:     r.GetDeletionTimestamp() != nil,
	}
	// A namespaced resource writes its Secret to its own namespace; a
	// cluster-scoped one names the namespace.
	switch w := r.(type) {
	case resource.LocalConnectionSecretWriterTo:
		if ref := w.GetWriteConnectionSecretToReference(); ref != nil {
			s.Secret = &SecretStatus{Namespace: r.GetNamespace(), Name: ref.Name}
		}
	case resource.ConnectionSecretWriterTo:
		if ref := w.GetWriteConnectionSecretToReference(); ref != nil {
			s.Secret = &SecretStatus{Namespace: ref.Namespace, Name: ref.Name}
		}
	}
	return s
}

// Converged returns "" when the resource is where the examples want it,
// otherwise what is missing. Converged means: Ready and Synced; for a key or
// client the provider made, a connection Secret whose ID (IDKey) is the
// resource's and whose secret (ValueKey) is the current secret of that key
// or client in sim's project or workspace (nil sim skips that comparison);
// for a public OAuth2 client (NoSecret), a connection Secret with its ID and
// no secret, and no secret in sim either; for an import, the provider
// reporting that its value is unknown, and the key existing in sim.
func (k KeyStatus) Converged(sim *orysim.Server) string {
	missing := notSettled(k.Deleting, k.Ready, k.Synced)
	if k.KeyID == "" {
		missing = append(missing, "no status.atProvider.id yet")
	}
	var simSecret string
	found := false
	if sim != nil && k.KeyID != "" {
		simSecret, found = SimulatorSecret(sim, k.Kind, k.ParentID, k.KeyID)
		if !found {
			missing = append(missing, fmt.Sprintf("%s %s is not in the simulator's %s %s", objectNoun(k.Kind), k.KeyID, k.Parent, k.ParentID))
		}
	}
	if k.Import && !k.ValueUnknown {
		missing = append(missing, "the provider does not (yet) report the import's value as unknown")
	}
	if s := k.Secret; s != nil {
		v := s.Data[k.ValueKey()]
		switch {
		case !s.Found:
			missing = append(missing, "connection Secret "+s.Namespace+"/"+s.Name+" does not exist yet")
		case string(s.Data[k.IDKey()]) != k.KeyID:
			missing = append(missing, fmt.Sprintf("connection Secret holds %s %q, the resource observes %q", k.IDKey(), s.Data[k.IDKey()], k.KeyID))
		case k.NoSecret && len(v) != 0:
			missing = append(missing, "connection Secret "+s.Namespace+"/"+s.Name+" holds a "+k.ValueKey()+", but the provider reports that the object has no secret")
		case k.NoSecret && found && simSecret != "":
			missing = append(missing, "the provider reports no secret, but "+k.KeyID+" has one in the simulator")
		case k.NoSecret:
		case len(v) == 0:
			missing = append(missing, "connection Secret "+s.Namespace+"/"+s.Name+" has no "+k.ValueKey()+" yet")
		case found && string(v) != simSecret:
			missing = append(missing, "the connection Secret's "+k.ValueKey()+" is not the simulator's current secret of "+k.KeyID)
		}
	}
	return strings.Join(missing, "; ")
}

// objectNoun names an object of kind in messages: "client" for an
// OAuth2Client, "key" for the API keys.
func objectNoun(kind string) string {
	if kind == config.OAuth2Client.Name {
		return "client"
	}
	return "key"
}

// SimulatorSecret returns the current secret of object id of kind (a
// config.Kind's Name) in the project or workspace parentID, as sim holds
// it: a ProjectAPIKey's value among the project's keys, a WorkspaceAPIKey's
// among the workspace's (the simulator keeps the two apart), an
// OAuth2Client's secret ("" for a public client) among the project's
// clients. found is false when sim has no such object.
func SimulatorSecret(sim *orysim.Server, kind, parentID, id string) (secret string, found bool) {
	switch kind {
	case config.ProjectAPIKey.Name:
		k, ok := sim.Key(parentID, id)
		return k.Value, ok
	case config.WorkspaceAPIKey.Name:
		k, ok := sim.WorkspaceKey(parentID, id)
		return k.Value, ok
	case config.OAuth2Client.Name:
		c, ok := sim.OAuth2Client(parentID, id)
		return c.Secret, ok
	}
	return "", false
}

// notSettled is what keeps any resource from having converged: being
// deleted, and each of Ready and Synced that is not True.
func notSettled(deleting bool, ready, synced xpv2.Condition) []string {
	var out []string
	if deleting {
		out = append(out, "being deleted")
	}
	for _, c := range []xpv2.Condition{ready, synced} {
		if c.Status != corev1.ConditionTrue {
			out = append(out, conditionText(c))
		}
	}
	return out
}

func conditionText(c xpv2.Condition) string {
	s := fmt.Sprintf("%s=%s", c.Type, c.Status)
	if c.Status == "" {
		s = fmt.Sprintf("%s=Unknown", c.Type)
	}
	if c.Reason != "" {
		s += " (" + string(c.Reason) + ")"
	}
	if c.Message != "" {
		s += ": " + c.Message
	}
	return s
}

// Mask shows a secret value without revealing it: its prefix up to the last
// underscore (ory_pat_), four asterisks, its last four characters and its
// length, as in "ory_pat_****abcd (40 bytes)". Values of 12 bytes or fewer
// show no characters at all.
func Mask(v []byte) string {
	n := len(v)
	if n == 0 {
		return "(empty)"
	}
	if n <= 12 {
		return fmt.Sprintf("**** (%d bytes)", n)
	}
	prefix := ""
	if i := strings.LastIndexByte(string(v[:min(n-8, 12)]), '_'); i >= 0 {
		prefix = string(v[:i+1])
	}
	return fmt.Sprintf("%s****%s (%d bytes)", prefix, v[n-4:], n)
}
