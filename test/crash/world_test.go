package crash

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/testkit"
)

// world is one test's corner of the environment: a namespace, a workspace
// and project of its own in the simulator, and a ProviderConfig of each
// scope pointing at the tap, defaulting to both, with the provider's own
// rate limit raised so that the run is paced by the kills.
type world struct {
	ns        string
	wk        string // the workspace API key, for acting as a person in the Ory console
	workspace orysim.Workspace
	project   orysim.Project
}

// The ProviderConfigs of a world: the namespaced one is <ns>/crash, the
// cluster-scoped one is named like the namespace.
const configName = "crash"

func newWorld(t *testing.T, base string) *world {
	t.Helper()
	w := &world{ns: strings.ToLower(base + "-" + testkit.RandomAlphanumeric(6))}
	wk := "ory_wak_" + testkit.RandomAlphanumeric(32)
	w.wk = wk
	w.workspace = env.Sim.AddWorkspace(wk)
	w.project = env.Sim.AddProject(wk, w.ns)
	c := testkit.Config{Name: configName, Creds: testkit.Creds{Name: "creds", Key: "token"}, ProjectID: w.project.ID, WorkspaceID: w.workspace.ID,
		ConsoleURL: tapURL, RateLimit: &common.RateLimit{RequestsPerMinute: 60000, Burst: 1000}}
	objs := []client.Object{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: w.ns}}}
	for _, s := range testkit.Scopes {
		pc, _ := c.For(s, w.ns)
		objs = append(objs, pc)
	}
	objs = append(objs, testkit.Creds{Namespace: w.ns, Name: "creds", Key: "token"}.Secret(wk))
	for _, o := range objs {
		testkit.Create(t, env.Client, o)
	}
	return w
}

// key returns a ProjectAPIKey of the world named name (the cluster-scoped
// kind: <ns>-<name>) for a key named keyName, whose connection Secret is
// <name>-key in the world's namespace. withProject names the project in the
// spec; without it the key takes the ProviderConfig's.
func (w *world) key(cluster bool, name, keyName string, withProject bool) testkit.ProjectKey {
	return w.keyOf(testkit.ProjectAPIKey, cluster, name, keyName, withProject).(testkit.ProjectKey)
}

// keyOf returns a key of the kind, as key does: a ProjectAPIKey of the
// world's project or a WorkspaceAPIKey of its workspace; withParent names
// the project (workspace) in the spec, else the key takes the
// ProviderConfig's.
func (w *world) keyOf(kind testkit.Kind, cluster bool, name, keyName string, withParent bool) testkit.Key {
	parent := ""
	if withParent {
		parent = w.parentOf(kind)
	}
	s := testkit.Namespaced
	if cluster {
		s = testkit.Cluster
	}
	k := kind.New(s, w.ns, name, common.KeyParameters{Name: keyName}, parent)
	_, ref := testkit.Config{Name: configName}.For(s, w.ns)
	testkit.UseConfig(k, ref)
	return k
}

// parentOf is the ID of the world's project or workspace, for a kind.
func (w *world) parentOf(kind testkit.Kind) string {
	if kind.Name == testkit.WorkspaceAPIKey.Name {
		return w.workspace.ID
	}
	return w.project.ID
}

// snapshot reads the world's resources of every kind and both scopes, their
// connection Secrets and the keys of its project and workspace, but the
// workspace's own API key (the world's credentials, no resource's).
func (w *world) snapshot(ctx context.Context) (testkit.Snapshot, error) {
	s, err := testkit.Take(ctx, env.Client, env.Sim, w.ns, w.project.ID, w.workspace.ID)
	delete(s.Ory, strings.ToLower(w.workspace.KeyID))
	return s, err
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
	for _, k := range s.Keys {
		a := k.GetAnnotations()
		if meta.ExternalCreateIncomplete(k) {
			st.createIncomplete = append(st.createIncomplete, testkit.ID(k)+" pending since "+a[meta.AnnotationKeyExternalCreatePending])
		}
		if mark, ok := a[common.AnnotationCreating]; ok {
			st.creating = append(st.creating, testkit.ID(k)+" creating "+mark)
		}
		current := testkit.KeyIDOf(meta.GetExternalName(k))
		known[current] = true
		for _, r := range testkit.Retired(k) {
			known[r] = true
		}
		if sec := s.Secret(k); sec != nil {
			held := testkit.KeyIDOf(sec.GetAnnotations()[common.AnnotationValueOf])
			known[held] = true
			if held != "" && held != current {
				st.unrecorded = append(st.unrecorded, fmt.Sprintf("%s records %q, its Secret holds the value of %s", testkit.ID(k), current, held))
			}
		}
	}
	for kid, key := range s.Ory {
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
func converged(s testkit.Snapshot, want map[string]string) []string {
	var pending []string
	for rid, name := range want {
		k, ok := s.Keys[rid]
		if !ok {
			pending = append(pending, rid+": does not exist")
			continue
		}
		r, sy := k.GetCondition(xpv2.TypeReady), k.GetCondition(xpv2.TypeSynced)
		key, found := s.Ory[testkit.KeyIDOf(meta.GetExternalName(k))]
		var value []byte
		if sec := s.Secret(k); sec != nil {
			value = sec.Data[common.ConnectionKeyValue]
		}
		switch {
		case meta.ExternalCreateIncomplete(k):
			pending = append(pending, rid+": create pending since "+k.GetAnnotations()[meta.AnnotationKeyExternalCreatePending]+" ("+sy.Message+")")
		case r.Status != corev1.ConditionTrue || sy.Status != corev1.ConditionTrue:
			pending = append(pending, fmt.Sprintf("%s: Ready=%s Synced=%s %s", rid, r.Status, sy.Status, sy.Message))
		case k.KeyParameters().Name != name:
			pending = append(pending, fmt.Sprintf("%s: the spec names %q, want %q", rid, k.KeyParameters().Name, name))
		case !found:
			pending = append(pending, rid+": its key "+meta.GetExternalName(k)+" is not in Ory")
		case key.Name != name:
			pending = append(pending, fmt.Sprintf("%s: its key is named %q, want %q", rid, key.Name, name))
		case string(value) != key.Value:
			pending = append(pending, rid+": its Secret does not hold its key's value")
		case len(testkit.Retired(k)) > 0:
			pending = append(pending, rid+": replaced keys to delete: "+k.GetAnnotations()[common.AnnotationRetiredKeys])
		case k.GetAnnotations()[common.AnnotationCreating] != "":
			pending = append(pending, rid+": creating "+k.GetAnnotations()[common.AnnotationCreating])
		}
	}
	slices.Sort(pending)
	return pending
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
		if !slices.ContainsFunc(testkit.Kinds, func(k testkit.Kind) bool { return k.Name == e.InvolvedObject.Kind }) ||
			(e.InvolvedObject.Namespace != w.ns && !strings.HasPrefix(e.InvolvedObject.Name, w.ns+"-")) {
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
// world's project and workspace have no key left (but the workspace's own).
func (w *world) deleteAll(t *testing.T, keys []testkit.Key, timeout time.Duration) {
	t.Helper()
	ctx := t.Context()
	for _, k := range keys {
		if err := env.Client.Delete(ctx, k); err != nil && !kerrors.IsNotFound(err) {
			t.Errorf("cannot delete %s: %v", testkit.ID(k), err)
		}
	}
	testkit.Settle(t, timeout, "every resource deleted and the project and workspace empty", func() string {
		s, err := w.snapshot(ctx)
		if err != nil {
			return err.Error()
		}
		if len(s.Keys) == 0 && len(s.Ory) == 0 {
			return ""
		}
		var left []string
		for rid, k := range s.Keys {
			left = append(left, rid+" ("+k.GetCondition(xpv2.TypeSynced).Message+")")
		}
		slices.Sort(left)
		return fmt.Sprintf("%d resources left, e.g. %v; %d keys left in the project and workspace", len(s.Keys), left[:min(len(left), 5)], len(s.Ory))
	})
}
