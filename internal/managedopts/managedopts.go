// Package managedopts holds the crossplane-runtime managed reconciler
// options every managed kind of the provider shares, so that the engine's
// kinds and the Project set up their reconcilers the same way: logging,
// poll interval, events, management policies and the managed resource
// metrics of controller.Options.
package managedopts

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	"github.com/crossplane/crossplane-runtime/v2/pkg/statemetrics"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Shared returns the options of the controller name of kind gvk that do not
// depend on the kind: its logger, o's poll interval, recorder for events,
// management policies when o enables them, and o's managed resource
// metrics. When o asks for state metrics it adds their recorder, listing
// gvk's <Kind>List, to mgr: call it when the controller is set up, so that
// it only lists a kind whose CRD exists (a failed list stops the manager).
func Shared(mgr ctrl.Manager, o controller.Options, gvk schema.GroupVersionKind, name string, recorder event.Recorder) ([]managed.ReconcilerOption, error) {
	opts := []managed.ReconcilerOption{
		managed.WithLogger(o.Logger.WithValues("controller", name)),
		managed.WithPollInterval(o.PollInterval),
		managed.WithRecorder(recorder),
	}
	if o.Features.Enabled(feature.EnableBetaManagementPolicies) {
		opts = append(opts, managed.WithManagementPolicies())
	}
	if o.MetricOptions != nil && o.MetricOptions.MRMetrics != nil {
		opts = append(opts, managed.WithMetricRecorder(o.MetricOptions.MRMetrics))
	}
	if m := o.MetricOptions; m != nil && m.MRStateMetrics != nil && m.PollStateMetricInterval > 0 {
		l, err := mgr.GetScheme().New(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		if err != nil {
			return nil, err
		}
		list, ok := l.(resource.ManagedList)
		if !ok {
			return nil, errors.Errorf("%T is not a managed resource list", l)
		}
		if err := mgr.Add(statemetrics.NewMRStateRecorder(stateLister{mgr.GetClient()}, o.Logger, m.MRStateMetrics, list, m.PollStateMetricInterval)); err != nil {
			return nil, errors.Wrap(err, "cannot add the managed resource state metrics recorder")
		}
	}
	return opts, nil
}

// stateLister is the client the state metrics recorder lists through: the
// manager's, except that a list from the cache shares the cached objects
// instead of deep-copying them. The recorder lists every resource of its
// kind every --poll-state-metric (5 s) and keeps the last list until the
// next; it only reads their conditions. With copies, at 10,000 resources
// that was a second copy of every resource kept in memory, and a third made
// every 5 s for the garbage collector (a heap profile of the benchmark
// showed it as a fifth of the heap).
type stateLister struct{ client.Client }

// List lists from the cache without copying the objects; never write to
// what it returns.
func (c stateLister) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	return c.Client.List(ctx, list, append(opts, client.UnsafeDisableDeepCopy)...)
}
