package engine

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/crossplane-contrib/provider-ory/apis"
	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/config"
	"github.com/crossplane-contrib/provider-ory/internal/console"
	"github.com/crossplane-contrib/provider-ory/internal/keyview"
	"github.com/crossplane-contrib/provider-ory/internal/orysim"
	"github.com/crossplane-contrib/provider-ory/internal/providerconfig"
)

// The engine's own tests drive it with ProjectAPIKeys (external_test.go).
// These show that a second kind, declared only in the catalogue
// (config.WorkspaceAPIKey), gets the same life from the same code: its keys
// are made in the workspace, its Secret holds its connection keys and no
// others, and the repair stage finds its interrupted creates.

var workspaceScopes = map[string]func() Resource{
	"Namespaced": func() Resource {
		k := &namespacedv1alpha1.WorkspaceAPIKey{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "ci", UID: "uid-ws-ns"}}
		k.SetGroupVersionKind(namespacedv1alpha1.WorkspaceAPIKeyGroupVersionKind)
		k.Spec.ForProvider.Name = "ci"
		k.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: "ci-key"}
		k.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionAll}
		return k
	},
	"Cluster": func() Resource {
		k := &clusterv1alpha1.WorkspaceAPIKey{ObjectMeta: metav1.ObjectMeta{Name: "ci", UID: "uid-ws-cluster"}}
		k.SetGroupVersionKind(clusterv1alpha1.WorkspaceAPIKeyGroupVersionKind)
		k.Spec.ForProvider.Name = "ci"
		k.Spec.WriteConnectionSecretToReference = &xpv2.SecretReference{Namespace: "team-a", Name: "ci-key"}
		k.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionAll}
		k.Spec.DeletionPolicy = xpv2.DeletionDelete
		return k
	},
}

// workspaceFixture is a WorkspaceAPIKey, a fake API server and the simulator.
type workspaceFixture struct {
	t    *testing.T
	sim  *orysim.Server
	url  string
	ws   orysim.Workspace
	kube client.Client
	cr   Resource
	e    *external
}

func newWorkspaceFixture(t *testing.T, newResource func() Resource) *workspaceFixture {
	t.Helper()
	sim, url := orysim.StartTest(t)
	f := &workspaceFixture{t: t, sim: sim, url: url, ws: sim.AddWorkspace(workspaceKey), cr: newResource()}
	s := runtime.NewScheme()
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := corev1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	f.kube = fake.NewClientBuilder().WithScheme(s).WithObjects(f.cr).WithStatusSubresource(f.cr).Build()
	kind := config.WorkspaceAPIKey
	conn := keyview.NewConnection(console.New(url, workspaceKey, http.DefaultClient, "provider-ory-test"), keyview.Options{})
	f.e = &external{
		ory: mustKeys(kind, conn), conn: conn, kind: kind, kube: f.kube,
		records: &records{reader: f.kube, kube: f.kube, typer: s, keys: kind.ConnectionKeys},
		cfg:     &providerconfig.Config{Ref: "ClusterProviderConfig default", ConsoleSettings: common.ConsoleSettings{WorkspaceID: f.ws.ID}, Token: workspaceKey},
		record:  &eventLog{}, now: time.Now,
	}
	f.refresh()
	return f
}

func (f *workspaceFixture) refresh() {
	f.t.Helper()
	if err := f.kube.Get(context.Background(), client.ObjectKeyFromObject(f.cr), f.cr); err != nil {
		f.t.Fatal(err)
	}
}

// reconcile runs what the runtime runs, as external_test's fixture does, and
// persists the resource as the runtime would.
func (f *workspaceFixture) reconcile() {
	f.t.Helper()
	ctx := context.Background()
	repair := &createRecovery{connect: func(context.Context, resource.Managed) (*external, error) { return f.e, nil }}
	if err := repair.Initialize(ctx, f.cr); err != nil {
		f.t.Fatalf("repair: %v", err)
	}
	o, err := f.e.Observe(ctx, f.cr)
	if err != nil {
		f.t.Fatalf("observe: %v", err)
	}
	switch {
	case !o.ResourceExists:
		_, err = f.e.Create(ctx, f.cr)
	case !o.ResourceUpToDate:
		_, err = f.e.Update(ctx, f.cr)
	}
	if err != nil {
		f.t.Fatalf("reconcile: %v", err)
	}
	observed, _ := f.cr.DeepCopyObject().(client.Object)
	if err := f.kube.Update(ctx, f.cr); err != nil {
		f.t.Fatal(err)
	}
	observed.SetResourceVersion(f.cr.GetResourceVersion())
	if err := f.kube.Status().Update(ctx, observed); err != nil {
		f.t.Fatal(err)
	}
	f.refresh()
}

// assertStored checks the connection Secret holds key k, with the kind's
// connection keys and nothing else.
func (f *workspaceFixture) assertStored(k orysim.Key) {
	f.t.Helper()
	nn, _ := connectionSecret(f.cr)
	s := &corev1.Secret{}
	if err := f.kube.Get(context.Background(), nn, s); err != nil {
		f.t.Fatal(err)
	}
	got := map[string]string{}
	for key, v := range s.Data {
		got[key] = string(v)
	}
	want := map[string]string{common.ConnectionKeyValue: k.Value, common.ConnectionKeyID: k.ID, common.ConnectionKeyWorkspaceID: f.ws.ID}
	if diff := cmp.Diff(want, got); diff != "" {
		f.t.Errorf("connection Secret: -want +got:\n%s", diff)
	}
	if !strings.HasPrefix(k.Value, config.WorkspaceAPIKey.ValuePrefix) {
		f.t.Errorf("value does not look like a workspace key")
	}
}

// created returns the workspace's keys made by the provider (not the
// workspace's own credential).
func (f *workspaceFixture) created() []orysim.Key {
	var out []orysim.Key
	for _, k := range f.sim.WorkspaceKeys(f.ws.ID) {
		if k.ID != f.ws.KeyID {
			out = append(out, k)
		}
	}
	return out
}

func TestWorkspaceAPIKeyLife(t *testing.T) {
	for scope, newResource := range workspaceScopes {
		t.Run(scope, func(t *testing.T) {
			f := newWorkspaceFixture(t, newResource)

			// Create: the key is made in the ProviderConfig's workspace,
			// which the spec then records.
			f.reconcile()
			f.reconcile()
			keys := f.created()
			if len(keys) != 1 {
				t.Fatalf("after create the workspace holds %d new keys, want 1", len(keys))
			}
			first := keys[0]
			f.assertStored(first)
			if got := *f.cr.ParentID(); got != f.ws.ID {
				t.Errorf("spec.forProvider.workspaceID = %q, want the ProviderConfig's %q", got, f.ws.ID)
			}
			if got := *f.cr.ObservedParentID(); got != f.ws.ID {
				t.Errorf("status.atProvider.workspaceID = %q, want %q", got, f.ws.ID)
			}
			if got := meta.GetExternalName(f.cr); got != first.ID {
				t.Errorf("external name %q, want the key's ID %q", got, first.ID)
			}

			// Rename: create before destroy, as for any key.
			f.cr.KeyParameters().Name = "ci-v2"
			if err := f.kube.Update(context.Background(), f.cr); err != nil {
				t.Fatal(err)
			}
			f.reconcile()
			f.reconcile()
			keys = f.created()
			if len(keys) != 1 || keys[0].ID == first.ID || keys[0].Name != "ci-v2" {
				t.Fatalf("after rename the workspace holds %v, want only a new key ci-v2", keys)
			}
			f.assertStored(keys[0])

			// An interrupted create of this resource left a key nobody
			// has the value of: the repair stage deletes it.
			mark := common.CreationMark{Since: time.Now().UTC().Truncate(time.Second), Parent: f.ws.ID, Name: "ci-v2"}.String()
			if err := patchAnnotations(context.Background(), f.kube, f.cr, map[string]*string{common.AnnotationCreating: &mark}); err != nil {
				t.Fatal(err)
			}
			orphan, err := f.sim.CreateKey(orysim.KeySpec{Workspace: f.ws.ID, Name: "ci-v2"})
			if err != nil {
				t.Fatal(err)
			}
			f.refresh()
			f.reconcile()
			if _, ok := f.sim.WorkspaceKey(f.ws.ID, orphan.ID); ok {
				t.Error("the interrupted create's key is still in the workspace, known to nobody")
			}

			// Delete: the key goes.
			now := metav1.Now()
			f.cr.SetDeletionTimestamp(&now)
			ctx := context.Background()
			if o, err := f.e.Observe(ctx, f.cr); err != nil || !o.ResourceExists {
				t.Fatalf("Observe of a deleted resource = %+v, %v; want its key found", o, err)
			}
			if _, err := f.e.Delete(ctx, f.cr); err != nil {
				t.Fatal(err)
			}
			if keys := f.created(); len(keys) != 0 {
				t.Errorf("after delete the workspace holds %v, want none of this resource's keys", keys)
			}
		})
	}
}

// TestWorkspaceAPIKeyGuards covers what is particular to workspace keys: a
// ProviderConfig limited to some projects makes none, the repair never
// deletes the key the provider authenticates with, and a key that is its own
// ProviderConfig's credential can be deleted although Ory then refuses that
// credential.
func TestWorkspaceAPIKeyGuards(t *testing.T) {
	ctx := context.Background()
	t.Run("ProjectLimitedConfig", func(t *testing.T) {
		f := newWorkspaceFixture(t, workspaceScopes["Namespaced"])
		f.e.cfg.AllowedProjectIDs = []string{"3f2c1f9e-5b0a-4f7e-9d38-2a6c1b7e8f01"}
		_, err := f.e.Observe(ctx, f.cr)
		if err == nil || !strings.Contains(err.Error(), "allowedProjectIDs") {
			t.Errorf("Observe error = %v, want one saying a project-limited ProviderConfig makes no workspace keys", err)
		}
		if keys := f.created(); len(keys) != 0 {
			t.Errorf("the workspace holds %v, want no new key", keys)
		}
	})
	t.Run("RepairKeepsTheCredential", func(t *testing.T) {
		f := newWorkspaceFixture(t, workspaceScopes["Namespaced"])
		// The credential is a workspace key of the resource's name made a
		// moment ago, by hand: nothing records it.
		cred, err := f.sim.CreateKey(orysim.KeySpec{Workspace: f.ws.ID, Name: "ci"})
		if err != nil {
			t.Fatal(err)
		}
		f.useCredential(cred.Value)
		mark := common.CreationMark{Since: time.Now().UTC().Truncate(time.Second), Parent: f.ws.ID, Name: "ci"}.String()
		if err := patchAnnotations(ctx, f.kube, f.cr, map[string]*string{common.AnnotationCreating: &mark}); err != nil {
			t.Fatal(err)
		}
		repair := &createRecovery{connect: func(context.Context, resource.Managed) (*external, error) { return f.e, nil }}
		if err := repair.Initialize(ctx, f.cr); err != nil {
			t.Fatal(err)
		}
		if _, ok := f.sim.WorkspaceKey(f.ws.ID, cred.ID); !ok {
			t.Error("the repair deleted the key the provider authenticates with")
		}
	})
	t.Run("DeleteOwnCredential", func(t *testing.T) {
		f := newWorkspaceFixture(t, workspaceScopes["Namespaced"])
		f.reconcile()
		f.reconcile()
		keys := f.created()
		if len(keys) != 1 {
			t.Fatalf("the workspace holds %v, want one new key", keys)
		}
		// The self-rotation pattern: the ProviderConfig now authenticates
		// with the key this resource made.
		f.useCredential(keys[0].Value)
		now := metav1.Now()
		f.cr.SetDeletionTimestamp(&now)
		if o, err := f.e.Observe(ctx, f.cr); err != nil || !o.ResourceExists {
			t.Fatalf("Observe = %+v, %v; want the key found", o, err)
		}
		if _, err := f.e.Delete(ctx, f.cr); err != nil {
			t.Fatal(err)
		}
		// A later reconcile (a restart, a new view) asks Ory with the
		// deleted credential, and gets 401.
		f.useCredential(keys[0].Value)
		o, err := f.e.Observe(ctx, f.cr)
		if err != nil || o.ResourceExists {
			t.Errorf("Observe after deleting its own credential = %+v, %v; want the key gone, so that deletion ends", o, err)
		}
	})
}

// useCredential points the fixture's external client at a new connection
// that authenticates with token, as a ProviderConfig re-read after its
// Secret changed would.
func (f *workspaceFixture) useCredential(token string) {
	conn := keyview.NewConnection(console.New(f.url, token, http.DefaultClient, "provider-ory-test"), keyview.Options{})
	f.e.conn, f.e.ory, f.e.cfg.Token = conn, mustKeys(f.e.kind, conn), token
}
