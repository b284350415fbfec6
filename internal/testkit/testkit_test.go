package testkit

import (
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// TestReportLine pins the line hack/reliability-line.sh parses and
// docs/reliability.md shows.
func TestReportLine(t *testing.T) {
	var r Report
	r.Add(Counters{Kind: "ProjectAPIKey", Keys: 3, Faults: 2, Leaked: 1})
	r.Add(Counters{Kind: "ProjectAPIKey", Keys: 1, Kills: 4, Rejected: 5, Total: 6})
	r.Add(Counters{Lost: 1, Duplicates: 2, Incomplete: 3})
	want := "reliability: kinds=1 keys=4 faults=2 kills=4 leaked=1 lost=1 duplicates=2 incomplete=3 rejected=5/6"
	if got := r.Line(); got != want {
		t.Errorf("Line():\ngot  %s\nwant %s", got, want)
	}
}

// TestNew shows where Kind.New puts a key of each scope, since every suite
// finds a key's Secret and ProviderConfig by these rules.
func TestNew(t *testing.T) {
	cases := map[string]struct {
		reason     string
		scope      Scope
		wantName   string
		wantNS     string
		wantSecret types.NamespacedName
	}{
		"Namespaced": {
			reason:     "A namespaced key lives in the test namespace, its Secret beside it.",
			scope:      Namespaced,
			wantName:   "k",
			wantNS:     "ns",
			wantSecret: types.NamespacedName{Namespace: "ns", Name: "k-key"},
		},
		"Cluster": {
			reason:     "A cluster-scoped name is global: it is prefixed with the test namespace, which holds its Secret.",
			scope:      Cluster,
			wantName:   "ns-k",
			wantSecret: types.NamespacedName{Namespace: "ns", Name: "k-key"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			for _, kind := range Kinds {
				k := kind.New(tc.scope, "ns", "k", common.KeyParameters{Name: "x"}, "parent")
				if k.GetName() != tc.wantName || k.GetNamespace() != tc.wantNS {
					t.Errorf("%s\n%s: %s/%s, want %s/%s", tc.reason, kind.Name, k.GetNamespace(), k.GetName(), tc.wantNS, tc.wantName)
				}
				if got := SecretRef(k); got != tc.wantSecret {
					t.Errorf("%s\n%s: Secret %s, want %s", tc.reason, kind.Name, got, tc.wantSecret)
				}
				if k.KeyParameters().Name != "x" || *k.ParentID() != "parent" {
					t.Errorf("%s\n%s: name %q, parent %q", tc.reason, kind.Name, k.KeyParameters().Name, *k.ParentID())
				}
				if !kind.Is(k) || ScopeOf(k) != tc.scope || KindOf(k).Name != kind.Name {
					t.Errorf("%s\n%s: not recognised as its kind and scope", tc.reason, kind.Name)
				}
			}
		})
	}
}

// TestInvariants shows what each count of the reliability line counts.
func TestInvariants(t *testing.T) {
	ready := xpv2.Condition{Type: xpv2.TypeReady, Status: corev1.ConditionTrue}
	key := func(name, extName string, mutate ...func(Key)) Key {
		k := ProjectAPIKey.New(Namespaced, "ns", name, common.KeyParameters{Name: "ns-" + name}, "")
		k.SetUID(types.UID(name))
		meta.SetExternalName(k, extName)
		k.SetConditions(ready)
		for _, m := range mutate {
			m(k)
		}
		return k
	}
	secret := func(owner Key, value string) *corev1.Secret {
		c := true
		return &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: owner.GetName() + "-key",
				OwnerReferences: []metav1.OwnerReference{{UID: owner.GetUID(), Controller: &c}}},
			Data: map[string][]byte{common.ConnectionKeyValue: []byte(value)},
		}
	}
	inOry := func(id, name, value string) orysim.Key { return orysim.Key{ID: id, Name: name, Value: value} }

	stored := key("a", "00000000-0000-4000-8000-00000000000a")
	retiring := key("b", "00000000-0000-4000-8000-0000000000b2", func(k Key) {
		meta.AddAnnotations(k, map[string]string{common.AnnotationRetiredKeys: "00000000-0000-4000-8000-0000000000b1"})
	})
	pending := key("c", "", func(k Key) {
		now := time.Now()
		meta.SetExternalCreatePending(k, now)
	})
	cases := map[string]struct {
		reason string
		snap   Snapshot
		rules  Rules
		want   Invariants
	}{
		"Clean": {
			reason: "A Ready resource whose Secret holds its key's value breaks nothing.",
			snap: Snapshot{
				Keys:    map[string]Key{"ns/a": stored},
				Secrets: map[string]*corev1.Secret{"ns/a-key": secret(stored, "v-a")},
				Ory:     map[string]orysim.Key{"00000000-0000-4000-8000-00000000000a": inOry("00000000-0000-4000-8000-00000000000a", "ns-a", "v-a")},
			},
		},
		"Leaked": {
			reason: "A key no resource references, neither as its external name nor as a key to retire, is leaked.",
			snap: Snapshot{
				Keys:    map[string]Key{"ns/a": stored},
				Secrets: map[string]*corev1.Secret{"ns/a-key": secret(stored, "v-a")},
				Ory:     map[string]orysim.Key{"00000000-0000-4000-8000-00000000000a": inOry("00000000-0000-4000-8000-00000000000a", "ns-a", "v-a"), "00000000-0000-4000-8000-0000000000ff": inOry("00000000-0000-4000-8000-0000000000ff", "other", "v-x")},
			},
			want: Invariants{Leaked: 1},
		},
		"CredentialNotLeaked": {
			reason: "A workspace's own API key, which the test's configs authenticate with, is managed by no resource by design: it is not leaked.",
			snap: Snapshot{
				Keys:    map[string]Key{"ns/a": stored},
				Secrets: map[string]*corev1.Secret{"ns/a-key": secret(stored, "v-a")},
				Ory:     map[string]orysim.Key{"00000000-0000-4000-8000-00000000000a": inOry("00000000-0000-4000-8000-00000000000a", "ns-a", "v-a"), "00000000-0000-4000-8000-0000000000ff": inOry("00000000-0000-4000-8000-0000000000ff", "ns-a", "v-x")},
			},
			rules: Rules{Credentials: []string{"00000000-0000-4000-8000-0000000000FF"}},
		},
		"Lost": {
			reason: "A Ready resource whose Secret holds another value has lost its key's.",
			snap: Snapshot{
				Keys:    map[string]Key{"ns/a": stored},
				Secrets: map[string]*corev1.Secret{"ns/a-key": secret(stored, "stale")},
				Ory:     map[string]orysim.Key{"00000000-0000-4000-8000-00000000000a": inOry("00000000-0000-4000-8000-00000000000a", "ns-a", "v-a")},
			},
			want: Invariants{Lost: 1},
		},
		"RetiringIsDuplicate": {
			reason: "At rest, two keys of a resource's name are a duplicate, even if one is to be retired.",
			snap: Snapshot{
				Keys:    map[string]Key{"ns/b": retiring},
				Secrets: map[string]*corev1.Secret{"ns/b-key": secret(retiring, "v-b2")},
				Ory:     map[string]orysim.Key{"00000000-0000-4000-8000-0000000000b1": inOry("00000000-0000-4000-8000-0000000000b1", "ns-b", "v-b1"), "00000000-0000-4000-8000-0000000000b2": inOry("00000000-0000-4000-8000-0000000000b2", "ns-b", "v-b2")},
			},
			want: Invariants{Duplicates: 1},
		},
		"RetiringWhileChanging": {
			reason: "While resources change, a resource with a key to retire may hold two.",
			snap: Snapshot{
				Keys:    map[string]Key{"ns/b": retiring},
				Secrets: map[string]*corev1.Secret{"ns/b-key": secret(retiring, "v-b2")},
				Ory:     map[string]orysim.Key{"00000000-0000-4000-8000-0000000000b1": inOry("00000000-0000-4000-8000-0000000000b1", "ns-b", "v-b1"), "00000000-0000-4000-8000-0000000000b2": inOry("00000000-0000-4000-8000-0000000000b2", "ns-b", "v-b2")},
			},
			rules: Rules{Changing: true},
		},
		"Incomplete": {
			reason: "A resource in the runtime's create-pending state is incomplete (and, Ready without a key, lost).",
			snap: Snapshot{
				Keys: map[string]Key{"ns/c": pending},
				Ory:  map[string]orysim.Key{},
			},
			want: Invariants{Incomplete: 1, Lost: 1},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := tc.snap.Invariants(tc.rules)
			got.Problems = nil
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nInvariants(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestProjectInvariants(t *testing.T) {
	const (
		idA     = "00000000-0000-4000-8000-00000000000a"
		idA2    = "00000000-0000-4000-8000-0000000000a2"
		idOther = "00000000-0000-4000-8000-0000000000ff"
	)
	project := func(name, extName string, mutate ...func(Project)) Project {
		p := NewProject(Namespaced, "ns", name, nil)
		meta.SetExternalName(p, extName)
		for _, m := range mutate {
			m(p)
		}
		return p
	}
	inOry := func(id, name string) orysim.Project {
		return orysim.Project{ID: id, Name: name, State: orysim.ProjectRunning}
	}
	a := project("a", idA)
	pending := project("c", "", func(p Project) { meta.SetExternalCreatePending(p, time.Now()) })
	cases := map[string]struct {
		reason string
		snap   ProjectSnapshot
		rules  ProjectRules
		want   Invariants
	}{
		"Clean": {
			reason: "A Project that names its one project breaks nothing.",
			snap:   ProjectSnapshot{Projects: map[string]Project{"ns/a": a}, Ory: map[string]orysim.Project{idA: inOry(idA, "ns-a")}},
		},
		"Leaked": {
			reason: "A project no live Project names (a lost create neither adopted nor found) is leaked.",
			snap:   ProjectSnapshot{Projects: map[string]Project{"ns/a": a}, Ory: map[string]orysim.Project{idA: inOry(idA, "ns-a"), idOther: inOry(idOther, "ns-gone")}},
			want:   Invariants{Leaked: 1},
		},
		"NotOurs": {
			reason: "A project the test does not account for (another test's, or the keys' own) is not leaked.",
			snap:   ProjectSnapshot{Projects: map[string]Project{"ns/a": a}, Ory: map[string]orysim.Project{idA: inOry(idA, "ns-a"), idOther: inOry(idOther, "keys")}},
			rules:  ProjectRules{Ours: func(o orysim.Project) bool { return strings.HasPrefix(o.Name, "ns-") }},
		},
		"Duplicate": {
			reason: "Two projects of a Project's name are a duplicate (and the one it does not name is leaked).",
			snap:   ProjectSnapshot{Projects: map[string]Project{"ns/a": a}, Ory: map[string]orysim.Project{idA: inOry(idA, "ns-a"), idA2: inOry(idA2, "ns-a")}},
			want:   Invariants{Duplicates: 1, Leaked: 1},
		},
		"Incomplete": {
			reason: "A Project in the runtime's create-pending state is incomplete.",
			snap:   ProjectSnapshot{Projects: map[string]Project{"ns/c": pending}, Ory: map[string]orysim.Project{}},
			want:   Invariants{Incomplete: 1},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := tc.snap.Invariants(tc.rules)
			got.Problems = nil
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nInvariants(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
