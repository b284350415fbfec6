package providerconfig

import (
	"context"
	"strings"
	"testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/crossplane-contrib/provider-ory/apis"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
)

// TestResolverReadsCredentialsWhenChanged checks that Secrets with a
// metadata cache reads a credentials Secret from the API server once while
// it is unchanged, and again, with the new key, as soon as it changes: a
// rotated workspace key is used at the next reconcile. A deleted Secret is
// reported as before.
func TestResolverReadsCredentialsWhenChanged(t *testing.T) {
	cases := map[string]struct {
		reason string
		// metadata: the Resolver has a metadata cache.
		metadata bool
		// change is done to the Secret between the second and third resolve.
		change func(t *testing.T, kube client.Client)
		// want are the API server reads of the Secret over three resolves,
		// and the third resolve's token or error.
		wantReads int
		wantToken string
		wantErr   string
	}{
		"Unchanged": {
			reason:    "A Secret whose resourceVersion is the one read is not read again.",
			metadata:  true,
			wantReads: 1,
			wantToken: "ory_wak_first",
		},
		"Rotated": {
			reason:    "A new key in the Secret gives it a new resourceVersion: read again, and the new key is used at once.",
			metadata:  true,
			change:    setKey("ory_wak_second"),
			wantReads: 2,
			wantToken: "ory_wak_second",
		},
		"Deleted": {
			reason:    "A deleted Secret leaves the metadata cache: the API server is asked, and its answer reported.",
			metadata:  true,
			change:    deleteSecret,
			wantReads: 2,
			wantErr:   "credentials Secret crossplane-system/creds does not exist",
		},
		"NoMetadata": {
			reason:    "Without a metadata cache every resolve reads the Secret, as Resolve does.",
			wantReads: 3,
			wantToken: "ory_wak_first",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			kube, reads := newWorld(t)
			r := &Secrets{Kube: kube}
			if tc.metadata {
				r.Metadata = kube
			}
			mg := keyUsing("ClusterProviderConfig", "default")
			for range 2 {
				if _, err := r.Resolve(context.Background(), mg); err != nil {
					t.Fatal(err)
				}
			}
			if tc.change != nil {
				tc.change(t, kube)
			}
			cfg, err := r.Resolve(context.Background(), mg)
			if *reads != tc.wantReads {
				t.Errorf("%s\nSecret reads: got %d, want %d", tc.reason, *reads, tc.wantReads)
			}
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("%s\nerror: got %v, want one containing %q", tc.reason, err, tc.wantErr)
				}
			case err != nil:
				t.Errorf("%s\n%v", tc.reason, err)
			case cfg.Token != tc.wantToken:
				t.Errorf("%s\ntoken: got a different one than %s", tc.reason, tc.wantToken[:8])
			}
		})
	}
}

// newWorld returns a fake API server with ClusterProviderConfig default and
// its credentials Secret, and a counter of the Secret reads that are not
// metadata reads.
func newWorld(t *testing.T) (client.Client, *int) {
	t.Helper()
	s := runtime.NewScheme()
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := corev1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	pc := &namespacedv1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "default"}}
	pc.Spec.Credentials = &common.Credentials{Source: xpv2.CredentialsSourceSecret, CommonCredentialSelectors: xpv2.CommonCredentialSelectors{
		SecretRef: &xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: "crossplane-system", Name: "creds"}, Key: "key"},
	}}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "crossplane-system", Name: "creds"}, Data: map[string][]byte{"key": []byte("ory_wak_first")}}
	reads := 0
	kube := fake.NewClientBuilder().WithScheme(s).WithObjects(pc, secret).WithInterceptorFuncs(interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if _, ok := obj.(*corev1.Secret); ok {
				reads++
			}
			return c.Get(ctx, key, obj, opts...)
		},
	}).Build()
	return kube, &reads
}

func setKey(v string) func(*testing.T, client.Client) {
	return func(t *testing.T, kube client.Client) {
		// An unconditional update, so that the test's own read is not counted.
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "crossplane-system", Name: "creds"}, Data: map[string][]byte{"key": []byte(v)}}
		if err := kube.Update(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
}

func deleteSecret(t *testing.T, kube client.Client) {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "crossplane-system", Name: "creds"}}
	if err := kube.Delete(context.Background(), s); err != nil {
		t.Fatal(err)
	}
}

func keyUsing(kind, name string) *namespacedv1alpha1.ProjectAPIKey {
	k := &namespacedv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "api"}}
	k.SetProviderConfigReference(&xpv2.ProviderConfigReference{Kind: kind, Name: name})
	return k
}
