package engine

import (
	"context"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	"sigs.k8s.io/controller-runtime/pkg/client"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/metapatch"
)

// finalizer adds and removes the managed resource finalizer by patching
// metadata (metapatch.Finalizer), so that a freshly imported key shows its
// status at once.
//
// Removing the finalizer is also the last moment to keep the connection
// Secret of a resource whose deletion leaves its key in Ory (management
// policies without Delete, or deletionPolicy Orphan): the runtime neither
// observes nor deletes such a key, and garbage collection would delete the
// only copy of its value with the resource. So the Secret is released first.
//
// Keys the resource replaced and still has to delete (a rotation overlap)
// are not the key it manages: deletion policy Orphan, or policies without
// Delete, leave only that one. The others are deleted at once, without
// waiting out the overlap (a deletion that waits an hour would hold up its
// namespace and its composite), as long as the policies allow Update or
// Delete; under narrower policies the provider touches nothing in Ory and a
// warning event names the keys left there.
type finalizer struct {
	kube     client.Client
	records  *records
	record   event.Recorder
	policies bool // spec.managementPolicies are honoured
	connect  func(ctx context.Context, mg resource.Managed) (*external, error)
	// inPlace says the kind's retired entries are its objects' rotated
	// secrets (config.Kind.InPlace), for the words of the events.
	inPlace bool
}

// AddFinalizer adds the managed resource finalizer to obj.
func (f finalizer) AddFinalizer(ctx context.Context, obj resource.Object) error {
	return metapatch.Finalizer{Kube: f.kube}.AddFinalizer(ctx, obj)
}

// RemoveFinalizer removes the managed resource finalizer from obj, after
// releasing its connection Secret if its key stays in Ory.
func (f finalizer) RemoveFinalizer(ctx context.Context, obj resource.Object) error {
	if !meta.FinalizerExists(obj, managed.FinalizerName) {
		return nil
	}
	if mg, ok := obj.(resource.Managed); ok && !deletesKey(mg, f.policies) {
		if err := f.deleteRetired(ctx, mg); err != nil {
			return err
		}
		released, err := f.records.release(ctx, mg)
		if err != nil {
			return err
		}
		if released {
			nn, _ := connectionSecret(mg)
			f.record.Event(mg, event.Normal("KeptConnectionSecret", "The key stays in Ory, so its connection Secret "+nn.String()+" is kept and no longer belongs to this resource"))
		}
	}
	return metapatch.Finalizer{Kube: f.kube}.RemoveFinalizer(ctx, obj)
}

// deleteRetired deletes, at the deletion of a resource that leaves its key in
// Ory, the keys it replaced and had still to delete.
func (f finalizer) deleteRetired(ctx context.Context, mg resource.Managed) error {
	retired := retiredKeys(mg)
	if len(retired) == 0 {
		return nil
	}
	if p := may(mg, f.policies); !p.update && !p.delete && f.inPlace {
		f.record.Event(mg, event.Warning("LeftRotatedSecrets", errors.New("The management policies allow neither Update nor Delete, so the provider leaves the rotated secrets of "+joinIDs(retired)+" valid after their overlap: drop them in the Ory console once nothing uses them")))
		return nil
	}
	if p := may(mg, f.policies); !p.update && !p.delete {
		f.record.Event(mg, event.Warning("LeftReplacedKeys", errors.New("The management policies allow neither Update nor Delete, so the provider leaves in Ory the key(s) "+joinRefs(retired)+" that this resource had replaced and was to delete: delete them in the Ory console")))
		return nil
	}
	if f.connect == nil {
		return nil
	}
	e, err := f.connect(ctx, mg)
	if err != nil {
		return errors.Wrap(err, "cannot delete the keys this resource replaced")
	}
	if remaining, failed := e.deleteRetired(ctx, retired, time.Time{}); failed > 0 {
		return errors.Errorf("cannot delete replaced key(s) %s yet; the provider retries", joinRefs(remaining))
	}
	if f.inPlace {
		f.record.Event(mg, event.Normal("DroppedRotatedSecrets", "Ended the rotated secrets of "+joinIDs(retired)+" before their overlap ended, since the resource is deleted; the client and its current secret stay in Ory"))
		return nil
	}
	f.record.Event(mg, event.Normal("DeletedReplacedKeys", "Deleted key(s) "+joinRefs(retired)+" that this resource had replaced, before their overlap ended, since the resource is deleted; its current key stays in Ory"))
	return nil
}

// joinIDs names the objects of retired entries, for an in-place kind
// (whose entries are its own object's rotated secrets).
func joinIDs(retired []common.RetiredKey) string {
	ids := make([]string, 0, len(retired))
	for _, r := range retired {
		ids = append(ids, r.ID)
	}
	return strings.Join(ids, ", ")
}

// deletesKey reports whether deleting mg deletes its key in Ory, as the
// runtime decides it.
func deletesKey(mg resource.Managed, policies bool) bool {
	if l, ok := mg.(resource.LegacyManaged); ok {
		return managed.NewLegacyManagementPoliciesResolver(policies, l.GetManagementPolicies(), l.GetDeletionPolicy()).ShouldDelete()
	}
	return managed.NewManagementPoliciesResolver(policies, mg.GetManagementPolicies()).ShouldDelete()
}

// permitted is what a resource's management policies let the provider do in
// Ory, whatever its deletion policy.
type permitted struct{ create, update, delete bool }

// may returns what mg's management policies allow (everything when the
// provider does not honour management policies).
func may(mg resource.Managed, policies bool) permitted {
	r := managed.NewManagementPoliciesResolver(policies, mg.GetManagementPolicies())
	return permitted{create: r.ShouldCreate(), update: r.ShouldUpdate(), delete: r.ShouldDelete()}
}

func (e *external) may(mg resource.Managed) permitted { return may(mg, e.policies) }
