package project

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/crossplane-contrib/provider-ory/apis"
	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/localenv"
)

// TestKeysInProject lists real ProjectAPIKey objects on a real API server
// (etcd and kube-apiserver from KUBEBUILDER_ASSETS; the package's testkit
// cannot be imported here, since it imports this package): the CRDs' own
// schema and the client's list decoding, which a fake client would not
// check. First with the cluster-scoped kind's CRD not installed (a
// package's safe-start has not activated it), then with both.
func TestKeysInProject(t *testing.T) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("KUBEBUILDER_ASSETS is not set: KUBEBUILDER_ASSETS=$(hack/controlplane/build.sh) go test ./internal/controller/project/")
		}
		t.Skip("KUBEBUILDER_ASSETS is not set: KUBEBUILDER_ASSETS=$(hack/controlplane/build.sh) go test ./internal/controller/project/")
	}
	root, err := localenv.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	crd := func(file string) string { return filepath.Join(root, "package", "crds", file) }
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{crd("ory.m.crossplane.io_projectapikeys.yaml")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	cfg, err := env.Start()
	t.Cleanup(func() { _ = env.Stop() })
	if err != nil {
		t.Fatal(err)
	}
	s := runtime.NewScheme()
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	newClient := func() client.Client {
		c, err := client.New(cfg, client.Options{Scheme: s})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ctx := context.Background()

	const id, other = "6c3a4b1e-8f2d-4c55-9d7e-0a1b2c3d4e5f", "0b6f1e8e-2f0a-4f43-8d0b-3f1b2d7c9a10"
	// store creates a key, then writes its status, as the key's controller
	// would: a projectID in status only is one the ProviderConfig gave.
	store := func(kube client.Client, k client.Object, status string) {
		t.Helper()
		if err := kube.Create(ctx, k); err != nil {
			t.Fatal(err)
		}
		if status == "" {
			return
		}
		switch k := k.(type) {
		case *namespacedv1alpha1.ProjectAPIKey:
			k.Status.AtProvider.ProjectID = status
		case *clusterv1alpha1.ProjectAPIKey:
			k.Status.AtProvider.ProjectID = status
		}
		if err := kube.Status().Update(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	nsKey := func(ns, name, spec string) *namespacedv1alpha1.ProjectAPIKey {
		k := &namespacedv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		k.Spec.ForProvider.Name, k.Spec.ForProvider.ProjectID = name, spec
		k.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: name}
		return k
	}
	clKey := func(name, spec string) *clusterv1alpha1.ProjectAPIKey {
		k := &clusterv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Name: name}}
		k.Spec.ForProvider.Name, k.Spec.ForProvider.ProjectID = name, spec
		k.Spec.WriteConnectionSecretToReference = &xpv2.SecretReference{Namespace: "default", Name: name}
		return k
	}

	kube := newClient()
	store(kube, nsKey("default", "in-spec", id), "")
	store(kube, nsKey("default", "upper-case", strings.ToUpper(id)), "")
	store(kube, nsKey("kube-public", "in-status", ""), id)
	store(kube, nsKey("default", "elsewhere", other), other)

	got, err := keysInProject(ctx, kube, id)
	if err != nil {
		t.Fatalf("the cluster-scoped kind not installed: %v, want it to have no keys", err)
	}
	want := []string{"default/in-spec", "default/upper-case", "kube-public/in-status"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the cluster-scoped kind not installed: keysInProject: -want, +got:\n%s", diff)
	}

	if _, err := envtest.InstallCRDs(cfg, envtest.CRDInstallOptions{Paths: []string{crd("ory.crossplane.io_projectapikeys.yaml")}, ErrorIfPathMissing: true}); err != nil {
		t.Fatal(err)
	}
	kube = newClient() // its REST mapper learns the new kind
	store(kube, clKey("cluster-in-spec", strings.ToUpper(id)), "")
	store(kube, clKey("cluster-in-status", ""), id)
	store(kube, clKey("cluster-elsewhere", other), "")

	cases := map[string]struct {
		reason string
		id     string
		want   []string
	}{
		"BothScopes": {
			reason: "Keys of both scopes and any namespace, named in spec or in status only, in any case: \"namespace/name\" or \"name\", sorted.",
			id:     id,
			want:   []string{"cluster-in-spec", "cluster-in-status", "default/in-spec", "default/upper-case", "kube-public/in-status"},
		},
		"UpperCaseID": {
			reason: "The Project's own external name in upper case names the same project.",
			id:     strings.ToUpper(id),
			want:   []string{"cluster-in-spec", "cluster-in-status", "default/in-spec", "default/upper-case", "kube-public/in-status"},
		},
		"OtherProject": {
			reason: "Keys of another project are not counted.",
			id:     other,
			want:   []string{"cluster-elsewhere", "default/elsewhere"},
		},
		"NoKeys": {
			reason: "A project no key names has none: it may be purged.",
			id:     "11111111-2222-4333-8444-555555555555",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := keysInProject(ctx, kube, tc.id)
			if err != nil {
				t.Fatalf("%s\n%v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nkeysInProject: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
