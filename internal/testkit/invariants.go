package testkit

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// KeyIDOf returns the lower case key ID of an external name or a record
// (either form: <id> or <holder>/<id>); "" when it names none.
func KeyIDOf(ref string) string {
	r, err := common.ParseRef(ref)
	if err != nil {
		return ""
	}
	return strings.ToLower(r.ID)
}

// Retired returns the IDs of the replaced keys k still has to delete.
func Retired(k Key) []string {
	var out []string
	for _, r := range strings.Split(k.GetAnnotations()[common.AnnotationRetiredKeys], ",") {
		ref, _, _ := strings.Cut(strings.TrimSpace(r), "@")
		if id := KeyIDOf(ref); id != "" {
			out = append(out, id)
		}
	}
	return out
}

// A Snapshot is a test's world at one moment: its resources of every kind
// and scope by ID, the connection Secrets of its namespace by
// namespace/name, and its holders' keys in the simulator by lower case ID.
type Snapshot struct {
	Keys    map[string]Key
	Secrets map[string]*corev1.Secret
	Ory     map[string]orysim.Key
}

// Take reads the snapshot of the test namespace ns: the resources of every
// kind in Kinds that belong to it (see InNamespace), the Secrets in ns, and
// the keys of the holders (project or workspace IDs) in sim.
func Take(ctx context.Context, c client.Client, sim *orysim.Server, ns string, holders ...string) (Snapshot, error) {
	s := Snapshot{Keys: map[string]Key{}, Secrets: map[string]*corev1.Secret{}, Ory: map[string]orysim.Key{}}
	for _, kind := range Kinds {
		for _, scope := range Scopes {
			l := kind.List(scope)
			var opts []client.ListOption
			if scope == Namespaced {
				opts = append(opts, client.InNamespace(ns))
			}
			if err := c.List(ctx, l, opts...); err != nil {
				return s, err
			}
			items, err := Items(l)
			if err != nil {
				return s, err
			}
			for _, k := range items {
				if InNamespace(k, ns) {
					s.Keys[ID(k)] = k
				}
			}
		}
	}
	sl := &corev1.SecretList{}
	if err := c.List(ctx, sl, client.InNamespace(ns)); err != nil {
		return s, err
	}
	for i := range sl.Items {
		s.Secrets[ID(&sl.Items[i])] = &sl.Items[i]
	}
	for _, kind := range Kinds {
		for _, h := range holders {
			for _, k := range kind.KeysIn(sim, h) {
				s.Ory[strings.ToLower(k.ID)] = k
			}
		}
	}
	return s, nil
}

// Items returns the keys of a list of a key kind.
func Items(l client.ObjectList) ([]Key, error) {
	var ms []resource.Managed
	switch ml := l.(type) {
	case resource.ManagedList:
		ms = ml.GetItems()
	case resource.LegacyManagedList:
		for _, m := range ml.GetItems() {
			ms = append(ms, m)
		}
	default:
		return nil, fmt.Errorf("%T is not a list of managed resources", l)
	}
	out := make([]Key, 0, len(ms))
	for _, m := range ms {
		k, ok := m.(Key)
		if !ok {
			return nil, fmt.Errorf("%T is not an API key kind", m)
		}
		out = append(out, k)
	}
	return out, nil
}

// Secret returns k's connection Secret if it exists and k controls it.
func (s Snapshot) Secret(k Key) *corev1.Secret { return controlledSecret(s.Secrets, k) }

// controlledSecret returns, of secrets by namespace/name, m's connection
// Secret if it exists and m controls it.
func controlledSecret(secrets map[string]*corev1.Secret, m resource.Managed) *corev1.Secret {
	sec := secrets[SecretRef(m).String()]
	if sec == nil {
		return nil
	}
	if c := metav1.GetControllerOf(sec); c == nil || c.UID != m.GetUID() {
		return nil
	}
	return sec
}

// Value returns the value k's connection Secret holds ("" without one).
func (s Snapshot) Value(k Key) string {
	if sec := s.Secret(k); sec != nil {
		return string(sec.Data[common.ConnectionKeyValue])
	}
	return ""
}

// Invariants are the counts of the reliability line, with a line for each
// breach.
type Invariants struct {
	Leaked, Lost, Duplicates, Incomplete int
	Problems                             []string
}

// Counters returns the invariants as the counters of the reliability line.
func (i Invariants) Counters() Counters {
	return Counters{Leaked: i.Leaked, Lost: i.Lost, Duplicates: i.Duplicates, Incomplete: i.Incomplete}
}

// Rules adapt the invariants to a test.
type Rules struct {
	// Mine reports whether key in Ory carries one of the names resource k
	// gave its keys. Nil: key carries the name k's spec says.
	Mine func(k Key, key orysim.Key) bool
	// Changing is for a world whose resources are renamed and deleted
	// while it runs: a resource with replaced keys still to delete, or
	// being deleted, may hold more than one key, and one being deleted has
	// no value to keep.
	Changing bool
	// Credentials are the IDs of keys in Ory that no resource manages by
	// design: a workspace's own API key, which the test's ProviderConfigs
	// authenticate with (orysim.Workspace.KeyID). They count as nothing.
	Credentials []string
}

// Invariants counts, over the snapshot's live resources and keys (but the
// rules' Credentials):
//   - leaked: keys in Ory that no live resource references, as its external
//     name or as a replaced key still to delete;
//   - lost: Ready resources whose Secret does not hold their key's value;
//   - duplicates: resources with more than one key of their names;
//   - incomplete: resources in crossplane-runtime's create-pending state.
func (s Snapshot) Invariants(r Rules) Invariants {
	mine := r.Mine
	if mine == nil {
		mine = func(k Key, key orysim.Key) bool { return key.Name == k.KeyParameters().Name }
	}
	var inv Invariants
	referenced := map[string]bool{}
	ory := maps.Clone(s.Ory)
	for _, id := range r.Credentials {
		delete(ory, strings.ToLower(id))
	}
	for _, rid := range slices.Sorted(maps.Keys(s.Keys)) {
		k := s.Keys[rid]
		kid := KeyIDOf(meta.GetExternalName(k))
		if kid != "" {
			referenced[kid] = true
		}
		retired := Retired(k)
		for _, id := range retired {
			referenced[id] = true
		}
		if meta.ExternalCreateIncomplete(k) {
			inv.Incomplete++
			inv.Problems = append(inv.Problems, rid+" is stuck: create pending since "+k.GetAnnotations()[meta.AnnotationKeyExternalCreatePending]+": "+k.GetCondition(xpv2.TypeSynced).Message)
		}
		n := 0
		for _, key := range ory {
			if mine(k, key) {
				n++
			}
		}
		if n > 1 && !(r.Changing && (len(retired) > 0 || meta.WasDeleted(k))) {
			inv.Duplicates++
			inv.Problems = append(inv.Problems, fmt.Sprintf("%s: %d keys of its names", rid, n))
		}
		if k.GetCondition(xpv2.TypeReady).Status != corev1.ConditionTrue || (r.Changing && meta.WasDeleted(k)) {
			continue
		}
		if key, ok := ory[kid]; !ok || s.Value(k) != key.Value {
			inv.Lost++
			inv.Problems = append(inv.Problems, rid+" is Ready but its Secret does not hold the value of its key "+kid)
		}
	}
	for _, kid := range slices.Sorted(maps.Keys(ory)) {
		if !referenced[kid] {
			key := ory[kid]
			inv.Leaked++
			inv.Problems = append(inv.Problems, fmt.Sprintf("key %s (%q, created %s) is referenced by no live resource", kid, key.Name, key.CreatedAt.Format(time.RFC3339)))
		}
	}
	return inv
}
