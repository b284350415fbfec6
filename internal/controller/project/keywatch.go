package project

import (
	"context"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlevent "sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
)

// Why this watch: a Project whose purge waits for the key resources that
// name its project (keysFirst) is retried through crossplane-runtime's
// backoff, up to a minute; the last key resource going is the change it
// waits for, so that requeues it at once.

// indexProjectID indexes the Projects of a scope, in the manager's cache,
// by the project their external name names, in lower case.
const indexProjectID = "ory.crossplane.io/project-id"

// projectIDOf is the index function of indexProjectID.
func projectIDOf(o client.Object) []string {
	if id := meta.GetExternalName(o); id != "" {
		return []string{strings.ToLower(id)}
	}
	return nil
}

// keyKinds are the ProjectAPIKey kinds of both scopes, any of whose
// resources holds a Project's purge while it names the project.
var keyKinds = []struct {
	gvk    schema.GroupVersionKind
	object client.Object
}{
	{namespacedv1alpha1.ProjectAPIKeyGroupVersionKind, &namespacedv1alpha1.ProjectAPIKey{}},
	{clusterv1alpha1.ProjectAPIKeyGroupVersionKind, &clusterv1alpha1.ProjectAPIKey{}},
}

// keyProjectIDs returns the projects a ProjectAPIKey of either scope names,
// in spec.forProvider.projectID or status.atProvider.projectID (a key whose
// projectID came from its ProviderConfig, or a reference not resolved
// again), in lower case, sorted, without repeats; none for another object.
func keyProjectIDs(o client.Object) []string {
	var ids []string
	switch k := o.(type) {
	case *namespacedv1alpha1.ProjectAPIKey:
		ids = []string{k.Spec.ForProvider.ProjectID, k.Status.AtProvider.ProjectID}
	case *clusterv1alpha1.ProjectAPIKey:
		ids = []string{k.Spec.ForProvider.ProjectID, k.Status.AtProvider.ProjectID}
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" {
			out = append(out, strings.ToLower(id))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// keyGone passes the events that can let a waiting Project's purge go on:
// a key resource gone, or one that no longer names the projects it did.
func keyGone() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc:  func(ctrlevent.CreateEvent) bool { return false },
		GenericFunc: func(ctrlevent.GenericEvent) bool { return false },
		DeleteFunc:  func(ctrlevent.DeleteEvent) bool { return true },
		UpdateFunc: func(e ctrlevent.UpdateEvent) bool {
			return !slices.Equal(keyProjectIDs(e.ObjectOld), keyProjectIDs(e.ObjectNew))
		},
	}
}

// A keyWatch maps a key resource to the Projects of one scope that are
// being deleted and name a project the key names.
type keyWatch struct {
	kube client.Reader // the manager's cache, with indexProjectID
	list func() resource.ManagedList
}

func (w keyWatch) waitingProjects(ctx context.Context, k client.Object) []reconcile.Request {
	var out []reconcile.Request
	for _, id := range keyProjectIDs(k) {
		l := w.list()
		if err := w.kube.List(ctx, l, client.MatchingFields{indexProjectID: id}); err != nil {
			// Only a cache not synced yet fails here; the Project's own
			// backoff still brings it back.
			continue
		}
		for _, p := range l.GetItems() {
			if meta.WasDeleted(p) {
				out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(p)})
			}
		}
	}
	return out
}
