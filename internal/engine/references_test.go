package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/crossplane-contrib/provider-ory/apis"
	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
)

func TestOwnNamespaceResolveReferences(t *testing.T) {
	const (
		mine   = "3f2c1f9e-5b0a-4f7e-9d38-2a6c1b7e8f01"
		theirs = "9a8b7c6d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
		global = "00000000-0000-4000-8000-000000000001"
	)
	project := func(ns, id string) *namespacedv1alpha1.Project {
		p := &namespacedv1alpha1.Project{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "app", Labels: map[string]string{"app": "payments"}}}
		p.Status.AtProvider.ID, p.Status.AtProvider.State = id, "running"
		return p
	}
	clusterProject := &clusterv1alpha1.Project{ObjectMeta: metav1.ObjectMeta{Name: "app", Labels: map[string]string{"app": "payments"}}}
	clusterProject.Status.AtProvider.ID, clusterProject.Status.AtProvider.State = global, "running"
	key := func(change func(p *namespacedv1alpha1.ProjectAPIKeyParameters)) resource.Managed {
		k := &namespacedv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "api"}}
		k.SetGroupVersionKind(namespacedv1alpha1.ProjectAPIKeyGroupVersionKind)
		k.Spec.ForProvider.Name = "payments"
		change(&k.Spec.ForProvider)
		return k
	}

	type want struct {
		projectID string
		err       string // a part of the error; empty for none
	}
	cases := map[string]struct {
		reason string
		mg     resource.Managed
		want   want
	}{
		"RefInOwnNamespace": {
			reason: "A reference without a namespace resolves in the key's namespace, to the Project there.",
			mg: key(func(p *namespacedv1alpha1.ProjectAPIKeyParameters) {
				p.ProjectIDRef = &xpv2.NamespacedReference{Name: "app"}
			}),
			want: want{projectID: mine},
		},
		"RefNamingOwnNamespace": {
			reason: "The resolver records the key's own namespace in the reference after a selector matched; that reference still resolves.",
			mg: key(func(p *namespacedv1alpha1.ProjectAPIKeyParameters) {
				p.ProjectIDRef = &xpv2.NamespacedReference{Name: "app", Namespace: "team-a"}
			}),
			want: want{projectID: mine},
		},
		"RefToAnotherNamespace": {
			reason: "A reference to another namespace (refused at create, but it can be added by an update) is not followed: the key's tenant must not take another namespace's project.",
			mg: key(func(p *namespacedv1alpha1.ProjectAPIKeyParameters) {
				p.ProjectIDRef = &xpv2.NamespacedReference{Name: "app", Namespace: "team-b"}
			}),
			want: want{err: `"app" is in namespace "team-b": a resource of namespace "team-a" references objects of its own namespace only`},
		},
		"SelectorInOwnNamespace": {
			reason: "A selector without a namespace lists the key's namespace only, so the Project of the same labels in another namespace is not a candidate.",
			mg: key(func(p *namespacedv1alpha1.ProjectAPIKeyParameters) {
				p.ProjectIDSelector = &xpv2.NamespacedSelector{MatchLabels: map[string]string{"app": "payments"}}
			}),
			want: want{projectID: mine},
		},
		"SelectorOfAnotherNamespace": {
			reason: "A selector's namespace is refused at admission; the resolver refuses it too.",
			mg: key(func(p *namespacedv1alpha1.ProjectAPIKeyParameters) {
				p.ProjectIDSelector = &xpv2.NamespacedSelector{MatchLabels: map[string]string{"app": "payments"}, Namespace: "team-b"}
			}),
			want: want{err: `cannot select in namespace "team-b"`},
		},
		"ClusterKey": {
			reason: "A cluster-scoped key has no namespace to keep to, and resolves among cluster-scoped Projects as the runtime's default does.",
			mg: func() resource.Managed {
				k := &clusterv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Name: "api"}}
				k.SetGroupVersionKind(clusterv1alpha1.ProjectAPIKeyGroupVersionKind)
				k.Spec.ForProvider.Name = "payments"
				k.Spec.ForProvider.ProjectIDRef = &xpv2.Reference{Name: "app"}
				return k
			}(),
			want: want{projectID: global},
		},
	}
	s := runtime.NewScheme()
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			kube := fake.NewClientBuilder().WithScheme(s).
				WithObjects(tc.mg, project("team-a", mine), project("team-b", theirs), clusterProject).Build()
			err := ownNamespace{client: kube}.ResolveReferences(context.Background(), tc.mg)
			switch {
			case tc.want.err == "" && err != nil:
				t.Fatalf("%s\nResolveReferences(...): %v", tc.reason, err)
			case tc.want.err != "" && (err == nil || !strings.Contains(err.Error(), tc.want.err)):
				t.Fatalf("%s\nResolveReferences(...): error %v, want one containing %q", tc.reason, err, tc.want.err)
			}
			if err := kube.Get(context.Background(), client.ObjectKeyFromObject(tc.mg), tc.mg); err != nil {
				t.Fatal(err)
			}
			if got := *tc.mg.(Resource).ParentID(); got != tc.want.projectID {
				t.Errorf("%s\nspec.forProvider.projectID = %q, want %q", tc.reason, got, tc.want.projectID)
			}
		})
	}
}
