package providerconfig

import (
	"context"
	"errors"
	"testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/crossplane-contrib/provider-ory/apis"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
)

// workspaceKey stands for a workspace API key in these tests.
const workspaceKey = "ory_wak_unit_test_workspace_key"

func TestUsageUnneeded(t *testing.T) {
	terminating := kerrors.NewForbidden(schema.GroupResource{Resource: "providerconfigusages"}, "uid", errors.New("namespace team-a is being terminated"))
	terminating.ErrStatus.Details.Causes = []metav1.StatusCause{{Type: corev1.NamespaceTerminatingCause, Message: "namespace team-a is being terminated"}}
	cases := map[string]struct {
		reason   string
		deleting bool
		err      error
		want     bool
	}{
		"DeletingInTerminatingNamespace": {
			reason:   "No usage can be created in a terminating namespace, and a resource being deleted must not wait for one.",
			deleting: true, err: terminating, want: true,
		},
		"NotDeleting": {
			reason: "A live resource's usage protects its ProviderConfig: the failure stands.",
			err:    terminating,
		},
		"DeletingOtherError": {
			reason:   "Any other failure stands, also while deleting.",
			deleting: true, err: kerrors.NewServiceUnavailable("etcd"),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			k := &namespacedv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "api"}}
			if tc.deleting {
				now := metav1.Now()
				k.SetDeletionTimestamp(&now)
			}
			if diff := cmp.Diff(tc.want, usageUnneeded(k, tc.err)); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestLastConfigs resolves a namespaced ProviderConfig, deletes it and its
// credentials Secret, as a namespace deletion does, and resolves again.
func TestLastConfigs(t *testing.T) {
	s := runtime.NewScheme()
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := corev1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "creds"}, Data: map[string][]byte{"token": []byte(workspaceKey)}}
	pc := &namespacedv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "team"}}
	pc.Spec.Credentials = &common.LocalCredentials{Source: xpv2.CredentialsSourceSecret,
		SecretRef: xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: "creds"}, Key: "token"}}
	kube := fake.NewClientBuilder().WithScheme(s).WithObjects(secret, pc).Build()
	key := func(deleting bool) *namespacedv1alpha1.ProjectAPIKey {
		k := &namespacedv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "api"}}
		k.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: "ProviderConfig", Name: "team"}
		if deleting {
			now := metav1.Now()
			k.SetDeletionTimestamp(&now)
		}
		return k
	}
	ctx := context.Background()
	l := newLastConfigs()

	if _, err := l.resolve(ctx, kube, key(true)); err != nil {
		t.Fatalf("resolving a config that exists: %v", err)
	}
	if err := kube.Delete(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if err := kube.Delete(ctx, pc); err != nil {
		t.Fatal(err)
	}
	if _, err := l.resolve(ctx, kube, key(false)); err == nil {
		t.Error("a resource that is not being deleted got remembered credentials: it must see that its ProviderConfig is gone")
	}
	cfg, err := l.resolve(ctx, kube, key(true))
	if err != nil {
		t.Fatalf("a resource being deleted did not get the remembered credentials: %v", err)
	}
	if cfg.Token != workspaceKey {
		t.Error("the remembered credentials are not the ProviderConfig's")
	}
	other := key(true)
	other.Namespace = "team-b"
	if _, err := l.resolve(ctx, kube, other); err == nil {
		t.Error("a resource of another namespace got the credentials of team-a's ProviderConfig of the same name")
	}
}
