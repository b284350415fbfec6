package crash

import (
	"context"
	"crypto/rand"
	"fmt"
	"maps"
	"math/big"
	"slices"
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

// keyObject is a ProjectAPIKey of either scope.
type keyObject interface {
	resource.Managed
	Parameters() *common.ProjectAPIKeyParameters
	Observation() *common.ProjectAPIKeyObservation
}

// world is one test's corner of the environment: a namespace, a workspace
// and project of its own in the simulator, and a ProviderConfig of each
// scope pointing at the tap, with the provider's own rate limit raised so
// that the run is paced by the kills.
type world struct {
	ns      string
	wk      string // the workspace API key, for acting as a person in the Ory console
	project orysim.Project
}

// The ProviderConfigs of a world: the namespaced one is <ns>/crash, the
// cluster-scoped one is named like the namespace.
const configName = "crash"

func newWorld(t *testing.T, base string) *world {
	t.Helper()
	w := &world{ns: strings.ToLower(base + "-" + randomAlphanumeric(6))}
	wk := "ory_wak_" + randomAlphanumeric(32)
	w.wk = wk
	env.Sim.AddWorkspace(wk)
	w.project = env.Sim.AddProject(wk, w.ns)
	rl := &common.RateLimit{RequestsPerMinute: 60000, Burst: 1000}

	npc := &namespacedv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: w.ns, Name: configName}}
	npc.Spec.Credentials = common.LocalCredentials{Source: xpv2.CredentialsSourceSecret,
		SecretRef: xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: "creds"}, Key: "token"}}
	npc.Spec.ProjectID, npc.Spec.ConsoleURL, npc.Spec.RateLimit = w.project.ID, tapURL, rl

	cpc := &clusterv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: w.ns}}
	cpc.Spec.Credentials = common.Credentials{Source: xpv2.CredentialsSourceSecret, CommonCredentialSelectors: xpv2.CommonCredentialSelectors{
		SecretRef: &xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: w.ns, Name: "creds"}, Key: "token"}}}
	cpc.Spec.ProjectID, cpc.Spec.ConsoleURL, cpc.Spec.RateLimit = w.project.ID, tapURL, rl

	for _, o := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: w.ns}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: w.ns, Name: "creds"}, StringData: map[string]string{"token": wk}},
		npc, cpc,
	} {
		if err := env.Client.Create(t.Context(), o); err != nil {
			t.Fatalf("cannot create %T %s: %v", o, o.GetName(), err)
		}
	}
	return w
}

// key returns a ProjectAPIKey of the world named name (the cluster-scoped
// kind: <ns>-<name>) for a key named keyName, whose connection Secret is
// <name>-key in the world's namespace. withProject names the project in the
// spec; without it the key takes the ProviderConfig's.
func (w *world) key(cluster bool, name, keyName string, withProject bool) keyObject {
	p := common.ProjectAPIKeyParameters{KeyParameters: common.KeyParameters{Name: keyName}}
	if withProject {
		p.ProjectID = w.project.ID
	}
	if cluster {
		k := &clusterv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Name: w.ns + "-" + name}}
		k.Spec.ForProvider = p
		k.Spec.WriteConnectionSecretToReference = &xpv2.SecretReference{Namespace: w.ns, Name: name + "-key"}
		k.Spec.ProviderConfigReference = &xpv2.Reference{Name: w.ns}
		return k
	}
	k := &namespacedv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Namespace: w.ns, Name: name}}
	k.Spec.ForProvider = p
	k.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: name + "-key"}
	k.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: "ProviderConfig", Name: configName}
	return k
}

// id names a resource like kubectl does.
func id(k client.Object) string {
	if k.GetNamespace() == "" {
		return k.GetName()
	}
	return k.GetNamespace() + "/" + k.GetName()
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

// keyIDOf returns the key ID of an external name or record, either form.
func keyIDOf(ref string) string {
	r, err := common.ParseRef(ref)
	if err != nil {
		return ""
	}
	return strings.ToLower(r.ID)
}

// retired returns the IDs of the replaced keys k still has to delete.
func retired(k keyObject) []string {
	var out []string
	for _, r := range strings.Split(k.GetAnnotations()[common.AnnotationRetiredKeys], ",") {
		ref, _, _ := strings.Cut(strings.TrimSpace(r), "@")
		if id := keyIDOf(ref); id != "" {
			out = append(out, id)
		}
	}
	return out
}

// snapshot is the world at one moment: its resources of both scopes by id,
// their connection Secrets by namespace/name, and its project's keys in the
// simulator by lower case ID.
type snapshot struct {
	keys    map[string]keyObject
	secrets map[string]*corev1.Secret
	ory     map[string]orysim.Key
}

func (w *world) snapshot(ctx context.Context) (snapshot, error) {
	s := snapshot{keys: map[string]keyObject{}, secrets: map[string]*corev1.Secret{}, ory: map[string]orysim.Key{}}
	nl := &namespacedv1alpha1.ProjectAPIKeyList{}
	if err := env.Client.List(ctx, nl, client.InNamespace(w.ns)); err != nil {
		return s, err
	}
	for i := range nl.Items {
		s.keys[id(&nl.Items[i])] = &nl.Items[i]
	}
	cl := &clusterv1alpha1.ProjectAPIKeyList{}
	if err := env.Client.List(ctx, cl); err != nil {
		return s, err
	}
	for i := range cl.Items {
		if strings.HasPrefix(cl.Items[i].Name, w.ns+"-") {
			s.keys[id(&cl.Items[i])] = &cl.Items[i]
		}
	}
	sl := &corev1.SecretList{}
	if err := env.Client.List(ctx, sl, client.InNamespace(w.ns)); err != nil {
		return s, err
	}
	for i := range sl.Items {
		s.secrets[id(&sl.Items[i])] = &sl.Items[i]
	}
	for _, k := range env.Sim.Keys(w.project.ID) {
		s.ory[strings.ToLower(k.ID)] = k
	}
	return s, nil
}

// secret returns k's connection Secret if it exists and k controls it.
func (s snapshot) secret(k keyObject) *corev1.Secret {
	sec := s.secrets[secretRef(k).String()]
	if sec == nil {
		return nil
	}
	if c := metav1.GetControllerOf(sec); c == nil || c.UID != k.GetUID() {
		return nil
	}
	return sec
}

// crashState is what a kill left for the provider's recovery to resolve,
// read while the provider is dead. Each entry identifies one interrupted
// operation, so that the same one seen after two kills counts once.
type crashState struct {
	// createIncomplete: crossplane.io/external-create-pending newer than
	// the create's result (the runtime's guard would stop the resource).
	createIncomplete []string
	// creating: ory.crossplane.io/creating set, a create or replacement
	// interrupted between marking it and recording the new key.
	creating []string
	// unrecorded: the connection Secret holds the value of a key the
	// resource does not record (yet): the provider must adopt it.
	unrecorded []string
	// unstored: keys in Ory that no resource records and no connection
	// Secret holds: their values are lost, the provider must delete them.
	unstored []string
	err      error
}

// inspect reads what needs recovery. It knows nothing of the provider's
// code paths: only of the annotations the provider documents.
func (w *world) inspect(ctx context.Context) crashState {
	var st crashState
	s, err := w.snapshot(ctx)
	if err != nil {
		st.err = err
		return st
	}
	known := map[string]bool{}
	for _, k := range s.keys {
		a := k.GetAnnotations()
		if meta.ExternalCreateIncomplete(k) {
			st.createIncomplete = append(st.createIncomplete, id(k)+" pending since "+a[meta.AnnotationKeyExternalCreatePending])
		}
		if mark, ok := a[common.AnnotationCreating]; ok {
			st.creating = append(st.creating, id(k)+" creating "+mark)
		}
		current := keyIDOf(meta.GetExternalName(k))
		known[current] = true
		for _, r := range retired(k) {
			known[r] = true
		}
		if sec := s.secret(k); sec != nil {
			held := keyIDOf(sec.GetAnnotations()[common.AnnotationValueOf])
			known[held] = true
			if held != "" && held != current {
				st.unrecorded = append(st.unrecorded, fmt.Sprintf("%s records %q, its Secret holds the value of %s", id(k), current, held))
			}
		}
	}
	for kid, key := range s.ory {
		if !known[kid] {
			st.unstored = append(st.unstored, kid+" ("+key.Name+")")
		}
	}
	return st
}

// converged returns why the resources named in want are not yet where they
// should be: each exists, is Ready and Synced, is not in the create-pending
// state, manages a key of the name its spec says whose value its Secret
// holds, and has no replacement pending and no replaced key left to delete.
func (s snapshot) converged(want map[string]string) []string {
	var pending []string
	for rid, name := range want {
		k, ok := s.keys[rid]
		if !ok {
			pending = append(pending, rid+": does not exist")
			continue
		}
		r, sy := k.GetCondition(xpv2.TypeReady), k.GetCondition(xpv2.TypeSynced)
		key, found := s.ory[keyIDOf(meta.GetExternalName(k))]
		var value []byte
		if sec := s.secret(k); sec != nil {
			value = sec.Data[common.ConnectionKeyValue]
		}
		switch {
		case meta.ExternalCreateIncomplete(k):
			pending = append(pending, rid+": create pending since "+k.GetAnnotations()[meta.AnnotationKeyExternalCreatePending]+" ("+sy.Message+")")
		case r.Status != corev1.ConditionTrue || sy.Status != corev1.ConditionTrue:
			pending = append(pending, fmt.Sprintf("%s: Ready=%s Synced=%s %s", rid, r.Status, sy.Status, sy.Message))
		case k.Parameters().Name != name:
			pending = append(pending, fmt.Sprintf("%s: the spec names %q, want %q", rid, k.Parameters().Name, name))
		case !found:
			pending = append(pending, rid+": its key "+meta.GetExternalName(k)+" is not in Ory")
		case key.Name != name:
			pending = append(pending, fmt.Sprintf("%s: its key is named %q, want %q", rid, key.Name, name))
		case string(value) != key.Value:
			pending = append(pending, rid+": its Secret does not hold its key's value")
		case len(retired(k)) > 0:
			pending = append(pending, rid+": replaced keys to delete: "+k.GetAnnotations()[common.AnnotationRetiredKeys])
		case k.GetAnnotations()[common.AnnotationCreating] != "":
			pending = append(pending, rid+": creating "+k.GetAnnotations()[common.AnnotationCreating])
		}
	}
	slices.Sort(pending)
	return pending
}

// invariants are the counts of the reliability line.
type invariants struct {
	leaked, lost, duplicates, incomplete int
	problems                             []string
}

// invariants counts, over the world's live resources and its project's
// keys: leaked keys (referenced by no live resource, as its external name
// or as a replaced key still to delete), lost values (Ready resources whose
// Secret does not hold their key's value), duplicates (resources with more
// than one key carrying their spec's name, which is unique per resource) and
// incomplete creates (the runtime's create-pending state).
func (s snapshot) invariants() invariants {
	var inv invariants
	referenced := map[string]bool{}
	byName := map[string]int{}
	for _, key := range s.ory {
		byName[key.Name]++
	}
	for _, rid := range slices.Sorted(maps.Keys(s.keys)) {
		k := s.keys[rid]
		kid := keyIDOf(meta.GetExternalName(k))
		referenced[kid] = true
		for _, r := range retired(k) {
			referenced[r] = true
		}
		if meta.ExternalCreateIncomplete(k) {
			inv.incomplete++
			inv.problems = append(inv.problems, rid+" is stuck: create pending since "+k.GetAnnotations()[meta.AnnotationKeyExternalCreatePending]+": "+k.GetCondition(xpv2.TypeSynced).Message)
		}
		if n := byName[k.Parameters().Name]; n > 1 {
			inv.duplicates++
			inv.problems = append(inv.problems, fmt.Sprintf("%s: %d keys named %q", rid, n, k.Parameters().Name))
		}
		if k.GetCondition(xpv2.TypeReady).Status != corev1.ConditionTrue {
			continue
		}
		var value []byte
		if sec := s.secret(k); sec != nil {
			value = sec.Data[common.ConnectionKeyValue]
		}
		if key, ok := s.ory[kid]; !ok || string(value) != key.Value {
			inv.lost++
			inv.problems = append(inv.problems, rid+" is Ready but its Secret does not hold the value of its key "+kid)
		}
	}
	for _, kid := range slices.Sorted(maps.Keys(s.ory)) {
		if !referenced[kid] {
			key := s.ory[kid]
			inv.leaked++
			inv.problems = append(inv.problems, fmt.Sprintf("key %s (%q, created %s) is referenced by no live resource", kid, key.Name, key.CreatedAt.Format(time.RFC3339)))
		}
	}
	return inv
}

// recoveryEvents counts the Events the provider's recovery recorded about
// the world's resources, by reason and outcome (adopted: a key whose value
// was stored is taken over; deleted: keys whose value nobody has were
// deleted; none: the interrupted create had made no key), and the runtime's
// "cannot determine creation result" warnings ("guard"). Events the
// recorder repeated count with their count.
func (w *world) recoveryEvents(ctx context.Context) (map[string]int, error) {
	l := &corev1.EventList{}
	if err := env.Client.List(ctx, l); err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, e := range l.Items {
		if e.InvolvedObject.Kind != "ProjectAPIKey" || (e.InvolvedObject.Namespace != w.ns && !strings.HasPrefix(e.InvolvedObject.Name, w.ns+"-")) {
			continue
		}
		n := max(1, int(e.Count))
		switch e.Reason {
		case "RecoveredCreate", "RecoveredReplacement":
			outcome := "none"
			switch {
			case strings.Contains(e.Message, "adopted"):
				outcome = "adopted"
			case strings.Contains(e.Message, "deleted"):
				outcome = "deleted"
			}
			out[e.Reason+"/"+outcome] += n
		case "AdoptedRecordedKey":
			out[e.Reason] += n
		default:
			if strings.Contains(e.Message, "cannot determine creation result") {
				out["guard"] += n
			}
		}
	}
	return out, nil
}

// deleteAll deletes the resources and waits until they are gone and the
// world's project has no key left.
func (w *world) deleteAll(t *testing.T, keys []keyObject, timeout time.Duration) {
	t.Helper()
	ctx := t.Context()
	for _, k := range keys {
		if err := env.Client.Delete(ctx, k); err != nil && !kerrors.IsNotFound(err) {
			t.Errorf("cannot delete %s: %v", id(k), err)
		}
	}
	eventually(t, timeout, "every resource deleted and the project empty", func() string {
		s, err := w.snapshot(ctx)
		if err != nil {
			return err.Error()
		}
		if len(s.keys) == 0 && len(s.ory) == 0 {
			return ""
		}
		var left []string
		for rid, k := range s.keys {
			left = append(left, rid+" ("+k.GetCondition(xpv2.TypeSynced).Message+")")
		}
		slices.Sort(left)
		return fmt.Sprintf("%d resources left, e.g. %v; %d keys left in the project", len(s.keys), left[:min(len(left), 5)], len(s.ory))
	})
}

// eventually polls check until it returns "" and fails the test with its
// last answer after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, check func() string) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		why := check()
		if why == "" {
			return time.Since(start)
		}
		if time.Since(start) > timeout || t.Context().Err() != nil {
			t.Fatalf("not %s within %s: %s", what, timeout, why)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

const alphanumeric = "abcdefghijklmnopqrstuvwxyz0123456789"

func randomAlphanumeric(n int) string {
	b := make([]byte, n)
	for i := range b {
		j, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphanumeric))))
		if err != nil {
			panic(err)
		}
		b[i] = alphanumeric[j.Int64()]
	}
	return string(b)
}
