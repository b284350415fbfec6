package localenv

import (
	"context"
	"fmt"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"slices"
	"strings"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
)

// KeyStatus is a ProjectAPIKey (either scope) as the API server has it, with
// its connection Secret.
type KeyStatus struct {
	// Cluster is true for the cluster-scoped kind (ory.crossplane.io).
	Cluster bool
	// Namespace is empty for the cluster-scoped kind.
	Namespace, Name string
	Ready, Synced   xpv2.Condition
	// ExternalName is the crossplane.io/external-name annotation.
	ExternalName string
	// KeyID and ProjectID are status.atProvider's.
	KeyID, ProjectID string
	// Import is true when managementPolicies are exactly [Observe]: the
	// provider watches the key but never creates, changes or deletes it.
	Import bool
	// ValueUnknown is true when the provider reports that the connection
	// Secret cannot hold the key's value, as for every import: Ory returns a
	// value only when it creates the key.
	ValueUnknown bool
	// Secret is the connection Secret; nil without writeConnectionSecretToRef.
	Secret *SecretStatus
	// Deleting is true once the resource has a deletion timestamp.
	Deleting bool
}

// SecretStatus is a connection Secret. Data holds the key's value: never
// print it, print Mask(Data["value"]).
type SecretStatus struct {
	Namespace, Name string
	Found           bool
	Data            map[string][]byte
}

// ID names the resource like kubectl does: namespace/name, or the name alone
// for the cluster-scoped kind.
func (k KeyStatus) ID() string {
	if k.Cluster {
		return k.Name
	}
	return k.Namespace + "/" + k.Name
}

// KeyStatuses returns every ProjectAPIKey of both scopes, namespaced ones
// first, each sorted by namespace and name.
func KeyStatuses(ctx context.Context, c client.Reader) ([]KeyStatus, error) {
	var out []KeyStatus
	ns := &namespacedv1alpha1.ProjectAPIKeyList{}
	if err := c.List(ctx, ns); err != nil {
		return nil, err
	}
	for i := range ns.Items {
		k := &ns.Items[i]
		s := keyStatus(k.GetName(), k.GetAnnotations(), k.GetDeletionTimestamp() != nil, k.GetManagementPolicies(), k.GetCondition, k.Status.AtProvider.ID, k.Status.AtProvider.ProjectID)
		s.Namespace = k.GetNamespace()
		if r := k.GetWriteConnectionSecretToReference(); r != nil {
			s.Secret = &SecretStatus{Namespace: k.GetNamespace(), Name: r.Name}
		}
		out = append(out, s)
	}
	cl := &clusterv1alpha1.ProjectAPIKeyList{}
	if err := c.List(ctx, cl); err != nil {
		return nil, err
	}
	for i := range cl.Items {
		k := &cl.Items[i]
		s := keyStatus(k.GetName(), k.GetAnnotations(), k.GetDeletionTimestamp() != nil, k.GetManagementPolicies(), k.GetCondition, k.Status.AtProvider.ID, k.Status.AtProvider.ProjectID)
		s.Cluster = true
		if r := k.GetWriteConnectionSecretToReference(); r != nil {
			s.Secret = &SecretStatus{Namespace: r.Namespace, Name: r.Name}
		}
		out = append(out, s)
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

func keyStatus(name string, annotations map[string]string, deleting bool, policies xpv2.ManagementPolicies,
	cond func(xpv2.ConditionType) xpv2.Condition, keyID, projectID string) KeyStatus {
	return KeyStatus{
		Name:         name,
		Ready:        cond(xpv2.TypeReady),
		Synced:       cond(xpv2.TypeSynced),
		ExternalName: annotations["crossplane.io/external-name"],
		KeyID:        keyID,
		ProjectID:    projectID,
		Import:       slices.Equal(policies, xpv2.ManagementPolicies{xpv2.ManagementActionObserve}),
		ValueUnknown: cond(common.TypeValue).Reason == common.ReasonValueUnknown,
		Deleting:     deleting,
	}
}

// Converged returns "" when the resource is where the examples want it,
// otherwise what is missing. Converged means: Ready and Synced; for a key the
// provider made, a connection Secret whose keyID is the key's and whose
// value is the key's value in sim (nil sim skips that comparison); for an
// import, the provider reporting that its value is unknown, and the key
// existing in sim.
func (k KeyStatus) Converged(sim *orysim.Server) string {
	var missing []string
	if k.Deleting {
		missing = append(missing, "being deleted")
	}
	for _, c := range []xpv2.Condition{k.Ready, k.Synced} {
		if c.Status != corev1.ConditionTrue {
			missing = append(missing, conditionText(c))
		}
	}
	if k.KeyID == "" {
		missing = append(missing, "no status.atProvider.id yet")
	}
	var simKey orysim.Key
	found := false
	if sim != nil && k.KeyID != "" {
		simKey, found = sim.Key(k.ProjectID, k.KeyID)
		if !found {
			missing = append(missing, fmt.Sprintf("key %s is not in the simulator's project %s", k.KeyID, k.ProjectID))
		}
	}
	if k.Import && !k.ValueUnknown {
		missing = append(missing, "the provider does not (yet) report the import's value as unknown")
	}
	if s := k.Secret; s != nil {
		v := s.Data[common.ConnectionKeyValue]
		switch {
		case !s.Found:
			missing = append(missing, "connection Secret "+s.Namespace+"/"+s.Name+" does not exist yet")
		case len(v) == 0:
			missing = append(missing, "connection Secret "+s.Namespace+"/"+s.Name+" has no value yet")
		case string(s.Data[common.ConnectionKeyID]) != k.KeyID:
			missing = append(missing, fmt.Sprintf("connection Secret holds keyID %q, the resource observes %q", s.Data[common.ConnectionKeyID], k.KeyID))
		case found && string(v) != simKey.Value:
			missing = append(missing, "the connection Secret's value is not the simulator's value of key "+k.KeyID)
		}
	}
	return strings.Join(missing, "; ")
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
