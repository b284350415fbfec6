package providerconfig

import (
	"context"
	"fmt"
	"sort"
	"testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	ctrlevent "sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/crossplane-contrib/provider-ory/apis"
	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
)

// TestConfigWatchMapping shows which ProjectAPIKeys a changed credentials
// Secret or ProviderConfig requeues, in a world where names repeat across
// namespaces and kinds. The indexes are the ones Watch registers
// with the manager; the fake client answers from them as the cache would.
// (test/reliability's TestRepairRequeuesAtOnce runs the watch itself on a
// real API server.)
func TestConfigWatchMapping(t *testing.T) {
	secretCreds := func(ns, name string) common.Credentials {
		return common.Credentials{Source: xpv2.CredentialsSourceSecret, CommonCredentialSelectors: xpv2.CommonCredentialSelectors{
			SecretRef: &xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: ns, Name: name}, Key: "token"}}}
	}
	localCreds := func(name string) *common.LocalCredentials {
		return &common.LocalCredentials{Source: xpv2.CredentialsSourceSecret,
			SecretRef: xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: name}, Key: "token"}}
	}
	pc := func(ns, name, secret string) client.Object {
		o := &namespacedv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		o.Spec.Credentials = localCreds(secret)
		return o
	}
	cpc := func(name string, c common.Credentials) client.Object {
		o := &namespacedv1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: name}}
		o.Spec.Credentials = &c
		return o
	}
	legacyPC := func(name string, c common.Credentials) client.Object {
		o := &clusterv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: name}}
		o.Spec.Credentials = &c
		return o
	}
	key := func(ns, name string, ref *xpv2.ProviderConfigReference) client.Object {
		o := &namespacedv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		o.Spec.ProviderConfigReference = ref
		return o
	}
	legacyKey := func(name string, ref *xpv2.Reference) client.Object {
		o := &clusterv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Name: name}}
		o.Spec.ProviderConfigReference = ref
		return o
	}
	world := []client.Object{
		pc("team-a", "cfg", "creds"),
		pc("team-b", "cfg", "creds"),
		cpc("default", secretCreds("crossplane-system", "shared")),
		cpc("team-a-creds", secretCreds("team-a", "creds")),
		cpc("env", common.Credentials{Source: xpv2.CredentialsSourceEnvironment, CommonCredentialSelectors: xpv2.CommonCredentialSelectors{
			Env: &xpv2.EnvSelector{Name: "ORY_TOKEN"}}}),
		legacyPC("default", secretCreds("team-a", "creds")),
		legacyPC("shared", secretCreds("crossplane-system", "shared")),

		key("team-a", "uses-pc", &xpv2.ProviderConfigReference{Kind: "ProviderConfig", Name: "cfg"}),
		key("team-b", "uses-pc", &xpv2.ProviderConfigReference{Kind: "ProviderConfig", Name: "cfg"}),
		key("team-a", "uses-default", &xpv2.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "default"}),
		key("team-b", "no-ref", nil),
		key("team-b", "uses-cpc", &xpv2.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "team-a-creds"}),
		key("team-b", "uses-env", &xpv2.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "env"}),
		func() client.Object {
			o := pc("team-b", "apps", "creds").(*namespacedv1alpha1.ProviderConfig)
			o.Spec.ProjectCredentials = &common.LocalProjectCredentials{ConnectionSecretRef: xpv2.LocalSecretReference{Name: "shop-key"}}
			return o
		}(),
		func() client.Object {
			o := &namespacedv1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "project-only"}}
			o.Spec.ProjectCredentials = &common.ProjectCredentials{ConnectionSecretRef: xpv2.SecretReference{Namespace: "team-a", Name: "shop-key"}}
			return o
		}(),
		func() client.Object {
			o := &clusterv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "same-secret"}}
			o.Spec.Credentials = &common.Credentials{Source: xpv2.CredentialsSourceSecret, CommonCredentialSelectors: xpv2.CommonCredentialSelectors{
				SecretRef: &xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: "team-a", Name: "shop-key"}, Key: "token"}}}
			o.Spec.ProjectCredentials = &common.ProjectCredentials{ConnectionSecretRef: xpv2.SecretReference{Namespace: "team-a", Name: "shop-key"}}
			return o
		}(),
		key("team-b", "uses-apps", &xpv2.ProviderConfigReference{Kind: "ProviderConfig", Name: "apps"}),
		key("team-b", "uses-project-only", &xpv2.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "project-only"}),
		legacyKey("legacy-same-secret", &xpv2.Reference{Name: "same-secret"}),
		legacyKey("legacy-default", nil),
		legacyKey("legacy-shared", &xpv2.Reference{Name: "shared"}),
	}
	secret := func(ns, name string) client.Object {
		return &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	}
	byName := func(objs []client.Object, kind, ns, name string) client.Object {
		for _, o := range objs {
			if o.GetNamespace() == ns && o.GetName() == name && kindOf(o) == kind {
				return o
			}
		}
		t.Fatalf("no %s %s/%s in the world", kind, ns, name)
		return nil
	}

	cases := map[string]struct {
		reason string
		// changed returns the Secret or config that changed, and its kind
		// ("Secret" or a ProviderConfig kind of the scope).
		changed func() (string, client.Object)
		scope   schema.GroupVersionKind
		want    []string
	}{
		"SecretOfNamespacedProviderConfig": {
			reason:  "A Secret requeues the keys of the ProviderConfigs of its namespace that name it, and the keys of other kinds' configs that name it, never a key in another namespace using a config of the same name.",
			changed: func() (string, client.Object) { return "Secret", secret("team-a", "creds") },
			scope:   namespacedv1alpha1.ProjectAPIKeyGroupVersionKind,
			want:    []string{"team-a/uses-pc", "team-b/uses-cpc"},
		},
		"SharedSecret": {
			reason:  "A ClusterProviderConfig's Secret requeues its keys in every namespace, including those whose empty providerConfigRef means ClusterProviderConfig default.",
			changed: func() (string, client.Object) { return "Secret", secret("crossplane-system", "shared") },
			scope:   namespacedv1alpha1.ProjectAPIKeyGroupVersionKind,
			want:    []string{"team-a/uses-default", "team-b/no-ref"},
		},
		"SharedSecretClusterScope": {
			reason:  "The same Secret requeues the cluster-scoped keys of the cluster-scoped ProviderConfig that names it.",
			changed: func() (string, client.Object) { return "Secret", secret("crossplane-system", "shared") },
			scope:   clusterv1alpha1.ProjectAPIKeyGroupVersionKind,
			want:    []string{"/legacy-shared"},
		},
		"SecretOfDefaultClusterScope": {
			reason:  "A cluster-scoped key without providerConfigRef uses ProviderConfig default.",
			changed: func() (string, client.Object) { return "Secret", secret("team-a", "creds") },
			scope:   clusterv1alpha1.ProjectAPIKeyGroupVersionKind,
			want:    []string{"/legacy-default"},
		},
		"ProjectCredentialsSecret": {
			reason:  "A project credentials Secret (a ProjectAPIKey's connection Secret, rotated) requeues the resources of the configs whose spec.projectCredentials name it.",
			changed: func() (string, client.Object) { return "Secret", secret("team-a", "shop-key") },
			scope:   namespacedv1alpha1.ProjectAPIKeyGroupVersionKind,
			want:    []string{"team-b/uses-project-only"},
		},
		"NamespacedProjectCredentialsSecret": {
			reason:  "A namespaced ProviderConfig's project credentials Secret is of its own namespace: team-b's requeues the resources of team-b's config, not those of the ClusterProviderConfig naming team-a's Secret of that name.",
			changed: func() (string, client.Object) { return "Secret", secret("team-b", "shop-key") },
			scope:   namespacedv1alpha1.ProjectAPIKeyGroupVersionKind,
			want:    []string{"team-b/uses-apps"},
		},
		"OneSecretForBoth": {
			reason:  "A config naming one Secret for both credentials requeues each of its resources once.",
			changed: func() (string, client.Object) { return "Secret", secret("team-a", "shop-key") },
			scope:   clusterv1alpha1.ProjectAPIKeyGroupVersionKind,
			want:    []string{"/legacy-same-secret"},
		},
		"UnrelatedSecret": {
			reason:  "A Secret no config names (a connection Secret, say) requeues nothing.",
			changed: func() (string, client.Object) { return "Secret", secret("team-a", "uses-pc-key") },
			scope:   namespacedv1alpha1.ProjectAPIKeyGroupVersionKind,
		},
		"NamespacedProviderConfig": {
			reason: "A namespaced ProviderConfig serves only its own namespace.",
			changed: func() (string, client.Object) {
				return "ProviderConfig", byName(world, "ProviderConfig", "team-b", "cfg")
			},
			scope: namespacedv1alpha1.ProjectAPIKeyGroupVersionKind,
			want:  []string{"team-b/uses-pc"},
		},
		"ClusterProviderConfigWithoutSecret": {
			reason: "A config whose credentials are not in a Secret still requeues its keys when it changes.",
			changed: func() (string, client.Object) {
				return "ClusterProviderConfig", byName(world, "ClusterProviderConfig", "", "env")
			},
			scope: namespacedv1alpha1.ProjectAPIKeyGroupVersionKind,
			want:  []string{"team-b/uses-env"},
		},
	}

	s := runtime.NewScheme()
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := corev1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	b := fake.NewClientBuilder().WithScheme(s).WithObjects(world...).
		WithIndex(&namespacedv1alpha1.ProjectAPIKey{}, indexProviderConfig, configOfKey).
		WithIndex(&clusterv1alpha1.ProjectAPIKey{}, indexProviderConfig, configOfKey)
	for _, c := range append(append([]configKind{}, namespacedConfigs...), clusterConfigs...) {
		b = b.WithIndex(c.object, indexCredentialsSecret, c.secretIndex)
	}
	kube := b.Build()

	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w, _, err := newConfigWatch(kube, kube.Scheme(), tc.scope)
			if err != nil {
				t.Fatal(err)
			}
			kind, o := tc.changed()
			var got []string
			if kind == "Secret" {
				got = requestNames(w.keysOfSecret(context.Background(), o))
			} else {
				for _, c := range w.configs {
					if c.kind == kind {
						got = requestNames(w.keysUsing(context.Background(), c, o))
					}
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nrequeued keys: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestWatchPredicates shows which events of a watched object pass: those
// of a change someone made, not the provider's own bookkeeping, which would
// requeue every key of a config whenever one of them reconciles.
func TestWatchPredicates(t *testing.T) {
	withVersion := func(o client.Object, generation int64, rv string) client.Object {
		o.SetGeneration(generation)
		o.SetResourceVersion(rv)
		return o
	}
	cases := map[string]struct {
		reason   string
		pass     func(ctrlevent.UpdateEvent) bool
		old, new client.Object
		want     bool
	}{
		"ConfigSpecChanged": {
			reason: "A changed spec (a repair) requeues the config's keys.",
			pass:   configChanged().Update,
			old:    withVersion(&namespacedv1alpha1.ClusterProviderConfig{}, 1, "1"),
			new:    withVersion(&namespacedv1alpha1.ClusterProviderConfig{}, 2, "2"),
			want:   true,
		},
		"ConfigStatusChanged": {
			reason: "The config's status (its users, counted as keys start using it) does not: that would loop.",
			pass:   configChanged().Update,
			old:    withVersion(&namespacedv1alpha1.ClusterProviderConfig{}, 1, "1"),
			new:    withVersion(&namespacedv1alpha1.ClusterProviderConfig{}, 1, "2"),
		},
		"SecretChanged": {
			reason: "Any change of a Secret is a new resourceVersion; its data is not in the metadata watched.",
			pass:   secretChanged().Update,
			old:    withVersion(&metav1.PartialObjectMetadata{}, 0, "1"),
			new:    withVersion(&metav1.PartialObjectMetadata{}, 0, "2"),
			want:   true,
		},
		"SecretResync": {
			reason: "The informer's resync repeats an unchanged Secret: nothing to do.",
			pass:   secretChanged().Update,
			old:    withVersion(&metav1.PartialObjectMetadata{}, 0, "1"),
			new:    withVersion(&metav1.PartialObjectMetadata{}, 0, "1"),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := tc.pass(ctrlevent.UpdateEvent{ObjectOld: tc.old, ObjectNew: tc.new}); got != tc.want {
				t.Errorf("%s\npassed: %t, want %t", tc.reason, got, tc.want)
			}
		})
	}
}

func kindOf(o client.Object) string {
	switch o.(type) {
	case *namespacedv1alpha1.ProviderConfig, *clusterv1alpha1.ProviderConfig:
		return "ProviderConfig"
	case *namespacedv1alpha1.ClusterProviderConfig:
		return "ClusterProviderConfig"
	}
	return ""
}

// requestNames returns the requests as sorted "namespace/name"s.
func requestNames(rs []reconcile.Request) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Namespace+"/"+r.Name)
	}
	sort.Strings(out)
	return out
}

// recordingIndexer records the indexes added to it.
type recordingIndexer struct{ added []string }

func (r *recordingIndexer) IndexField(_ context.Context, obj client.Object, field string, _ client.IndexerFunc) error {
	r.added = append(r.added, fmt.Sprintf("%T %s", obj, field))
	return nil
}

// TestIndexOnce: the controllers of every kind of a scope share its
// ProviderConfig kinds, whose indexes can be added once per manager; the
// namespaced and the cluster-scoped ProviderConfig are different kinds of the
// same Go name, and each gets its index (the cluster-scoped one was once
// skipped, and its Secret's changes requeued nothing).
func TestIndexOnce(t *testing.T) {
	idx := &recordingIndexer{}
	objs := []client.Object{&namespacedv1alpha1.ProviderConfig{}, &clusterv1alpha1.ProviderConfig{}, &namespacedv1alpha1.ProviderConfig{}, &namespacedv1alpha1.ClusterProviderConfig{}, &clusterv1alpha1.ProviderConfig{}}
	for _, o := range objs {
		if err := indexOnce(context.Background(), idx, o, indexCredentialsSecret, nil); err != nil {
			t.Fatal(err)
		}
	}
	if len(idx.added) != 3 {
		t.Errorf("indexes added: %v; want one for each of the three ProviderConfig kinds", idx.added)
	}
}
