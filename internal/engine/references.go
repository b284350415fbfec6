package engine

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ownNamespace resolves a resource's references (spec.forProvider.*Ref and
// *Selector, through the ResolveReferences methods angryjet generates) with
// crossplane-runtime's resolver, managed.NewAPISimpleReferenceResolver, as
// the runtime's default does, but lets a namespaced resource read only its
// own namespace. crossplane-runtime's namespaced resolver follows a
// reference's namespace field, and the CRD cannot refuse that field on
// update (the resolver itself writes the resource's own namespace there
// after a selector matched, and CEL cannot read metadata.namespace), so a
// reference to another namespace is refused here: the Synced condition and
// a CannotResolveResourceReferences event name it, and the resource is
// retried with backoff. A cluster-scoped resource resolves as the runtime's
// default does.
type ownNamespace struct {
	client client.Client
}

// ResolveReferences resolves mg's references, refusing any read outside
// mg's namespace when it has one.
func (r ownNamespace) ResolveReferences(ctx context.Context, mg resource.Managed) error {
	c := r.client
	if ns := mg.GetNamespace(); ns != "" {
		c = namespaceBound{Client: c, namespace: ns}
	}
	return managed.NewAPISimpleReferenceResolver(c).ResolveReferences(ctx, mg)
}

// namespaceBound is a client whose reads stay in one namespace; writes (the
// resolver's patch of the resource itself) pass through.
type namespaceBound struct {
	client.Client
	namespace string
}

// Get reads key if it is in the bound namespace, and refuses it otherwise.
func (c namespaceBound) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if key.Namespace != c.namespace {
		return errors.Errorf("%q is in namespace %q: a resource of namespace %q references objects of its own namespace only (leave the reference's namespace out)", key.Name, key.Namespace, c.namespace)
	}
	return c.Client.Get(ctx, key, obj, opts...)
}

// List lists in the bound namespace, and refuses a list of another
// namespace or of all namespaces.
func (c namespaceBound) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	if ns := (&client.ListOptions{}).ApplyOptions(opts).Namespace; ns != c.namespace {
		return errors.Errorf("cannot select in namespace %q: a resource of namespace %q references objects of its own namespace only (leave the selector's namespace out)", ns, c.namespace)
	}
	return c.Client.List(ctx, list, opts...)
}
