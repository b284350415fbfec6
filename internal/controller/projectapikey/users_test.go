package projectapikey

import (
	"context"
	"testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/crossplane-contrib/provider-ory/apis"
	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
)

func TestUsers(t *testing.T) {
	key := types.NamespacedName{Namespace: "team-a", Name: "admin-key"}
	local := func(ns, name, secret string) client.Object {
		pc := &namespacedv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		pc.Spec.ProjectCredentials = &common.LocalProjectCredentials{ConnectionSecretRef: xpv2.LocalSecretReference{Name: secret}}
		return pc
	}
	clusterPC := func(name string, secret types.NamespacedName) client.Object {
		pc := &namespacedv1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: name}}
		pc.Spec.ProjectCredentials = &common.ProjectCredentials{ConnectionSecretRef: xpv2.SecretReference{Namespace: secret.Namespace, Name: secret.Name}}
		return pc
	}
	legacyPC := func(name string, secret types.NamespacedName) client.Object {
		pc := &clusterv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: name}}
		pc.Spec.ProjectCredentials = &common.ProjectCredentials{ConnectionSecretRef: xpv2.SecretReference{Namespace: secret.Namespace, Name: secret.Name}}
		return pc
	}
	oauthClient := func(ns, name, kind, pc string) client.Object {
		c := &namespacedv1alpha1.OAuth2Client{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		if kind != "" {
			c.SetProviderConfigReference(&xpv2.ProviderConfigReference{Kind: kind, Name: pc})
		}
		return c
	}
	legacyClient := func(name, pc string) client.Object {
		c := &clusterv1alpha1.OAuth2Client{ObjectMeta: metav1.ObjectMeta{Name: name}}
		c.SetProviderConfigReference(&xpv2.Reference{Name: pc})
		return c
	}

	cases := map[string]struct {
		reason string
		objs   []client.Object
		want   string
	}{
		"NoConfigNamesTheSecret": {
			reason: "A key no ProviderConfig uses as project credentials is deleted at once, whatever clients exist.",
			objs:   []client.Object{local("team-a", "oauth", "other-key"), oauthClient("team-a", "web", "ProviderConfig", "oauth")},
		},
		"LocalConfigUsed": {
			reason: "A client on the namespaced ProviderConfig that names the key's Secret holds the key.",
			objs:   []client.Object{local("team-a", "oauth", "admin-key"), oauthClient("team-a", "web", "ProviderConfig", "oauth"), oauthClient("team-a", "api", "ProviderConfig", "other")},
			want:   "OAuth2Client team-a/web",
		},
		"SameNameOtherNamespace": {
			reason: "A namespaced ProviderConfig serves only its namespace: a client of another namespace with a config of the same name uses another Secret.",
			objs:   []client.Object{local("team-a", "oauth", "admin-key"), oauthClient("team-b", "web", "ProviderConfig", "oauth")},
		},
		"ClusterProviderConfigAnyNamespace": {
			reason: "A ClusterProviderConfig serves every namespace; the default reference (nil) is ClusterProviderConfig default.",
			objs:   []client.Object{clusterPC("default", key), oauthClient("team-b", "web", "", ""), oauthClient("team-c", "api", "ClusterProviderConfig", "default")},
			want:   "OAuth2Client team-b/web, OAuth2Client team-c/api",
		},
		"ClusterScoped": {
			reason: "Cluster-scoped clients use cluster-scoped ProviderConfigs.",
			objs:   []client.Object{legacyPC("oauth-legacy", key), legacyClient("web-legacy", "oauth-legacy"), legacyClient("other", "default")},
			want:   "OAuth2Client web-legacy",
		},
		"ManyNamedFew": {
			reason: "A message names at most five users and counts the rest.",
			objs: []client.Object{local("team-a", "oauth", "admin-key"),
				oauthClient("team-a", "a", "ProviderConfig", "oauth"), oauthClient("team-a", "b", "ProviderConfig", "oauth"), oauthClient("team-a", "c", "ProviderConfig", "oauth"),
				oauthClient("team-a", "d", "ProviderConfig", "oauth"), oauthClient("team-a", "e", "ProviderConfig", "oauth"), oauthClient("team-a", "f", "ProviderConfig", "oauth"), oauthClient("team-a", "g", "ProviderConfig", "oauth")},
			want: "OAuth2Client team-a/a, OAuth2Client team-a/b, OAuth2Client team-a/c, OAuth2Client team-a/d, OAuth2Client team-a/e and 2 more",
		},
	}
	s := runtime.NewScheme()
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			kube := fake.NewClientBuilder().WithScheme(s).WithObjects(tc.objs...).Build()
			got, err := Users(context.Background(), kube, key)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nUsers(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
