package project

import (
	"context"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	ctrlevent "sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/crossplane-contrib/provider-ory/apis"
	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
)

// TestWaitingProjects: a key resource's event requeues the Projects of the
// scope that are being deleted and name a project the key names, in spec
// or only in status, whatever the case of the ID.
func TestWaitingProjects(t *testing.T) {
	const id, other = "6c3a4b1e-8f2d-4c55-9d7e-0a1b2c3d4e5f", "0b6f1e8e-2f0a-4f43-8d0b-3f1b2d7c9a10"
	project := func(name, extName string, deleting bool) *namespacedv1alpha1.Project {
		p := &namespacedv1alpha1.Project{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: name, Finalizers: []string{"keep"}}}
		meta.SetExternalName(p, extName)
		if deleting {
			now := metav1.Now()
			p.DeletionTimestamp = &now
		}
		return p
	}
	s := runtime.NewScheme()
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	kube := fake.NewClientBuilder().WithScheme(s).
		WithObjects(project("waiting", strings.ToUpper(id), true), project("kept", id, false), project("elsewhere", other, true)).
		WithIndex(&namespacedv1alpha1.Project{}, indexProjectID, projectIDOf).Build()
	w := keyWatch{kube: kube, list: func() resource.ManagedList { return &namespacedv1alpha1.ProjectList{} }}
	waiting := []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: "team-a", Name: "waiting"}}}

	nsKey := func(spec, status string) client.Object {
		k := &namespacedv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Namespace: "team-b", Name: "k"}}
		k.Spec.ForProvider.ProjectID, k.Status.AtProvider.ProjectID = spec, status
		return k
	}
	clKey := func(spec, status string) client.Object {
		k := &clusterv1alpha1.ProjectAPIKey{ObjectMeta: metav1.ObjectMeta{Name: "k"}}
		k.Spec.ForProvider.ProjectID, k.Status.AtProvider.ProjectID = spec, status
		return k
	}
	cases := map[string]struct {
		reason string
		key    client.Object
		want   []reconcile.Request
	}{
		"Spec": {
			reason: "A namespaced key of any namespace names the project: the Project waiting for it is requeued, the one not deleted is not.",
			key:    nsKey(id, id),
			want:   waiting,
		},
		"StatusOnly": {
			reason: "A key whose projectID came from its ProviderConfig names it in status only.",
			key:    clKey("", id),
			want:   waiting,
		},
		"OtherCase": {
			reason: "Project IDs are UUIDs: the Project's external name in upper case names the same project.",
			key:    nsKey(strings.ToUpper(id), ""),
			want:   waiting,
		},
		"MovedKey": {
			reason: "A key that named two projects requeues the Projects waiting for either.",
			key:    clKey(other, id),
			want:   []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: "team-a", Name: "elsewhere"}}, waiting[0]},
		},
		"NoProject": {
			reason: "A key that names no project yet holds no purge.",
			key:    nsKey("", ""),
		},
		"NotAKey": {
			reason: "Another object names no project.",
			key:    &namespacedv1alpha1.Project{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := w.waitingProjects(context.Background(), tc.key)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nwaitingProjects(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestKeyGone: only the events that can end a wait pass: a key deleted,
// or one that names other projects than it did.
func TestKeyGone(t *testing.T) {
	key := func(spec, status string) *namespacedv1alpha1.ProjectAPIKey {
		k := &namespacedv1alpha1.ProjectAPIKey{}
		k.Spec.ForProvider.ProjectID, k.Status.AtProvider.ProjectID = spec, status
		return k
	}
	p := keyGone()
	cases := map[string]struct {
		reason string
		pass   bool
		got    bool
	}{
		"Create":     {reason: "A new key holds a purge; it ends none.", got: p.Create(ctrlevent.CreateEvent{Object: key("a", "")})},
		"Delete":     {reason: "A key gone may be the last the Project waited for.", pass: true, got: p.Delete(ctrlevent.DeleteEvent{Object: key("a", "a")})},
		"Moved":      {reason: "A key that now names another project no longer holds the first.", pass: true, got: p.Update(ctrlevent.UpdateEvent{ObjectOld: key("a", "a"), ObjectNew: key("b", "a")})},
		"StatusOnly": {reason: "The status catching up with the spec changes what the key names.", pass: true, got: p.Update(ctrlevent.UpdateEvent{ObjectOld: key("b", "a"), ObjectNew: key("b", "b")})},
		"SameIDs":    {reason: "Any other change (a rotation, a condition) ends no wait: no read of Ory for it.", got: p.Update(ctrlevent.UpdateEvent{ObjectOld: key("a", ""), ObjectNew: key("A", "a")})},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if tc.got != tc.pass {
				t.Errorf("%s\npassed %t, want %t", tc.reason, tc.got, tc.pass)
			}
		})
	}
}
