package projectapikey

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// finalizer adds and removes the managed resource finalizer by patching
// metadata. The runtime's own finalizer updates the whole object right after
// Observe, and the server's answer replaces the status Observe set: a freshly
// imported key would show no status until the next poll.
//
// Removing the finalizer is also the last moment to keep the connection
// Secret of a resource whose deletion leaves its key in Ory (management
// policies without Delete, or deletionPolicy Orphan): the runtime neither
// observes nor deletes such a key, and garbage collection would delete the
// only copy of its value with the resource. So the Secret is released first.
type finalizer struct {
	kube     client.Client
	records  *records
	record   event.Recorder
	policies bool // spec.managementPolicies are honoured
}

// AddFinalizer adds the managed resource finalizer to obj.
func (f finalizer) AddFinalizer(ctx context.Context, obj resource.Object) error {
	if meta.FinalizerExists(obj, managed.FinalizerName) {
		return nil
	}
	return errors.Wrap(patchMetadata(ctx, f.kube, obj, map[string]any{"finalizers": append(obj.GetFinalizers(), managed.FinalizerName)}),
		"cannot add finalizer")
}

// RemoveFinalizer removes the managed resource finalizer from obj, after
// releasing its connection Secret if its key stays in Ory.
func (f finalizer) RemoveFinalizer(ctx context.Context, obj resource.Object) error {
	if !meta.FinalizerExists(obj, managed.FinalizerName) {
		return nil
	}
	if mg, ok := obj.(resource.Managed); ok && !deletesKey(mg, f.policies) {
		released, err := f.records.release(ctx, mg)
		if err != nil {
			return err
		}
		if released {
			nn, _ := connectionSecret(mg)
			f.record.Event(mg, event.Normal("KeptConnectionSecret", "The key stays in Ory, so its connection Secret "+nn.String()+" is kept and no longer belongs to this resource"))
		}
	}
	var keep []string
	for _, f := range obj.GetFinalizers() {
		if f != managed.FinalizerName {
			keep = append(keep, f)
		}
	}
	return errors.Wrap(resource.IgnoreNotFound(patchMetadata(ctx, f.kube, obj, map[string]any{"finalizers": keep})),
		"cannot remove finalizer")
}

// deletesKey reports whether deleting mg deletes its key in Ory, as the
// runtime decides it.
func deletesKey(mg resource.Managed, policies bool) bool {
	if l, ok := mg.(resource.LegacyManaged); ok {
		return managed.NewLegacyManagementPoliciesResolver(policies, l.GetManagementPolicies(), l.GetDeletionPolicy()).ShouldDelete()
	}
	return managed.NewManagementPoliciesResolver(policies, mg.GetManagementPolicies()).ShouldDelete()
}
