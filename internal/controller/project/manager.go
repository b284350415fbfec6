package project

import (
	"context"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// reasonManagedElsewhere is the event of a deletion that leaves the project
// to another Project resource naming it.
const reasonManagedElsewhere event.Reason = "ManagedElsewhere"

// A project has one manager: of the Project resources, of either scope,
// whose external name is its ID, the first (firstOf) manages it. Two would
// rename it under each other, and the deletion of either, with its
// protection off, would purge the project under the other, which would
// still report it Ready. The rule is the keys' (internal/engine,
// claimedElsewhere), and a second resource names a project only by an
// import: a create makes a new ID, and the recovery adopts no project
// another resource names.

// firstOther returns the first (firstOf) of the Project resources other
// than cr, of either scope, that name project id, or nil when none does.
func (e *external) firstOther(ctx context.Context, cr Resource, id string) (Resource, error) {
	self := client.ObjectKeyFromObject(cr)
	var first Resource
	err := e.forEachProject(ctx, func(o Resource) {
		if client.ObjectKeyFromObject(o) == self || !strings.EqualFold(meta.GetExternalName(o), id) {
			return
		}
		if first == nil || firstOf(o, first) {
			first = o
		}
	})
	return first, err
}

// oneManager applies the one-manager rule to cr, which names project id,
// before Observe reads it. It returns mine false when cr is being deleted
// and another resource names the project: the deletion lets the resource go
// and leaves the project in Ory, never purged under the other (an event
// says so). It returns an error naming the manager when another resource
// came first and cr is not being deleted: this one reads and changes
// nothing. Otherwise it returns mine true: Observe goes on.
func (e *external) oneManager(ctx context.Context, cr Resource, id string) (mine bool, err error) {
	first, err := e.firstOther(ctx, cr, id)
	if err != nil || first == nil {
		return true, err
	}
	if meta.WasDeleted(cr) {
		e.record.Event(cr, event.Normal(reasonManagedElsewhere, "Project "+id+" is also named by "+e.describe(first)+
			": deleting this resource leaves it in Ory (a project another Project resource names is never purged)"))
		return false, nil
	}
	if !firstOf(first, cr) {
		return true, nil
	}
	return true, errors.Errorf("project %s is already managed by %s, which named it first: one project has one manager, since either would rename it "+
		"under the other, or purge it when deleted. Remove the crossplane.io/external-name annotation to have this resource create a project of its own, "+
		"or delete this resource (its deletion leaves the project in Ory)", id, e.describe(first))
}

// describe names a Project resource for a message: its kind with the
// group (which tells the scope) and "namespace/name" or "name".
func (e *external) describe(o Resource) string {
	where := o.GetName()
	if ns := o.GetNamespace(); ns != "" {
		where = ns + "/" + where
	}
	gvk, err := e.kube.GroupVersionKindFor(o)
	if err != nil {
		return "Project " + where
	}
	return gvk.Kind + "." + gvk.Group + " " + where
}
