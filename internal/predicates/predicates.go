// Package predicates holds the event filters that every managed kind's
// controller of this provider puts on the watch of its own kind.
package predicates

import (
	"maps"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	ctrlevent "sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
)

// RuntimeAnnotations are the annotations crossplane-runtime's managed
// reconciler writes on a resource around a create (pending, then succeeded
// or failed).
var RuntimeAnnotations = []string{
	meta.AnnotationKeyExternalCreatePending, meta.AnnotationKeyExternalCreateFailed, meta.AnnotationKeyExternalCreateSucceeded,
}

// DesiredStateChanged is crossplane-runtime's filter of the events worth a
// reconcile (a changed generation, label or annotation), except that changes
// of the annotations the controller writes itself while it works (own) do
// not count. A create that fails, say for an unknown project, sets and
// clears such annotations, and reconciling on that would bypass the backoff
// and loop.
func DesiredStateChanged(own ...string) predicate.Predicate {
	annotationsChanged := predicate.Funcs{UpdateFunc: func(e ctrlevent.UpdateEvent) bool {
		if e.ObjectOld == nil || e.ObjectNew == nil {
			return false
		}
		o, n := maps.Clone(e.ObjectOld.GetAnnotations()), maps.Clone(e.ObjectNew.GetAnnotations())
		for _, k := range own {
			delete(o, k)
			delete(n, k)
		}
		return !maps.Equal(o, n)
	}}
	return predicate.Or(annotationsChanged, predicate.LabelChangedPredicate{}, predicate.GenerationChangedPredicate{})
}
