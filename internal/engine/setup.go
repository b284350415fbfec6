// Package engine is the value-once engine: the life of a managed resource
// whose secret Ory returns once (an API key's value), for every such kind
// and both scopes. A kind is declared in config (config.Kind): its adapter
// supplies what differs between kinds; everything here is shared.
//
// Setup wires a controller for one kind and scope, connector resolves the
// ProviderConfig, and external holds the rules of a key's life: Observe,
// Create, Update (create before destroy), Delete, the repair of interrupted
// creates (recover.go), moved and lost values (value.go), and the records
// kept in the connection Secret (record.go) and on the resource
// (annotations.go).
package engine

import (
	"context"
	"maps"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	"github.com/crossplane/crossplane-runtime/v2/pkg/statemetrics"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlevent "sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/config"
	"github.com/crossplane-contrib/provider-ory/internal/keyview"
)

// A scope is what differs between a kind's namespaced and cluster-scoped
// variants: the kind, and how its ProviderConfig usage is tracked.
type scope struct {
	gvk     schema.GroupVersionKind
	object  client.Object
	tracker func(client.Client) resource.Tracker
}

// scopeOf returns the scope of gvk, which the manager's scheme must know:
// namespaced kinds (ory.m.crossplane.io) track their usage of a
// ProviderConfig or ClusterProviderConfig, cluster-scoped kinds
// (ory.crossplane.io) of a legacy ProviderConfig.
func scopeOf(mgr ctrl.Manager, gvk schema.GroupVersionKind) (scope, error) {
	o, err := mgr.GetScheme().New(gvk)
	if err != nil {
		return scope{}, err
	}
	s := scope{gvk: gvk}
	switch mg := o.(type) {
	case resource.ModernManaged:
		s.object = mg
		s.tracker = func(c client.Client) resource.Tracker {
			return trackerOf[resource.ModernManaged](resource.NewProviderConfigUsageTracker(c, &namespacedv1alpha1.ProviderConfigUsage{}))
		}
	case resource.LegacyManaged:
		s.object = mg
		s.tracker = func(c client.Client) resource.Tracker {
			return trackerOf[resource.LegacyManaged](resource.NewLegacyProviderConfigUsageTracker(c, &clusterv1alpha1.ProviderConfigUsage{}))
		}
	default:
		return scope{}, errors.Errorf("%s is not a managed resource kind", gvk)
	}
	if _, ok := o.(Resource); !ok {
		return scope{}, errors.Errorf("%s does not implement the engine's Resource", gvk)
	}
	return s, nil
}

// trackerOf adapts a usage tracker of one scope's managed resources to the
// runtime's resource.Tracker.
func trackerOf[M resource.Managed](t interface {
	Track(context.Context, M) error
}) resource.Tracker {
	return resource.TrackerFn(func(ctx context.Context, mg resource.Managed) error {
		m, ok := mg.(M)
		if !ok {
			return errors.New(errNotKeyResource)
		}
		return t.Track(ctx, m)
	})
}

// Setup adds the controller of one scope of a kind (gvk, one of
// kind.Scopes) to the manager. Give every controller the same clients, so
// that they share one view of each project's keys and one rate limiter per
// workspace key; nil means clients with the default options.
func Setup(mgr ctrl.Manager, o controller.Options, kind config.Kind, gvk schema.GroupVersionKind, clients *keyview.Views) error {
	s, err := scopeOf(mgr, gvk)
	if err != nil {
		return err
	}
	return setup(mgr, o, kind, s, clients)
}

func setup(mgr ctrl.Manager, o controller.Options, kind config.Kind, s scope, clients *keyview.Views) error {
	if clients == nil {
		clients = keyview.NewViews(keyview.Options{})
	}
	name := managed.ControllerName(s.gvk.GroupKind().String())
	recorder := event.NewAPIRecorder(mgr.GetEventRecorderFor(name))
	conn := &connector{
		kube:     mgr.GetClient(),
		usage:    s.tracker(mgr.GetClient()),
		records:  &records{reader: mgr.GetAPIReader(), kube: mgr.GetClient(), typer: mgr.GetScheme(), keys: kind.ConnectionKeys},
		record:   recorder,
		clients:  clients,
		kind:     kind,
		configs:  newLastConfigs(),
		policies: o.Features.Enabled(feature.EnableBetaManagementPolicies),
	}
	opts := []managed.ReconcilerOption{
		managed.WithTypedExternalConnector[Resource](conn),
		// Not the runtime's default initializer, which would set the external
		// name to metadata.name, not a key ID, before any key exists; instead
		// one that resolves a create interrupted by a crash.
		managed.WithInitializers(&createRecovery{connect: conn.connect}),
		// The runtime's resolver, kept to the resource's own namespace.
		managed.WithReferenceResolver(ownNamespace{client: mgr.GetClient()}),
		managed.WithFinalizer(finalizer{kube: mgr.GetClient(), records: conn.records, record: recorder, policies: conn.policies, connect: conn.connect}),
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
		// Added with the controller, so that it only lists a kind whose CRD
		// exists (a failed list stops the manager).
		l, err := mgr.GetScheme().New(s.gvk.GroupVersion().WithKind(s.gvk.Kind + "List"))
		if err != nil {
			return err
		}
		list, ok := l.(resource.ManagedList)
		if !ok {
			return errors.Errorf("%T is not a managed resource list", l)
		}
		if err := mgr.Add(statemetrics.NewMRStateRecorder(mgr.GetClient(), o.Logger, m.MRStateMetrics, list, m.PollStateMetricInterval)); err != nil {
			return errors.Wrap(err, "cannot add the managed resource state metrics recorder")
		}
	}
	r := managed.NewReconciler(mgr, resource.ManagedKind(s.gvk), opts...)
	// The filter is the For watch's own, not WithEventFilter's: that would
	// also drop the ProviderConfig and Secret changes watchConfigs maps.
	b := ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		For(s.object, builder.WithPredicates(desiredStateChanged()))
	if err := watchConfigs(mgr, b, s.gvk); err != nil {
		return err
	}
	return b.Complete(ratelimiter.NewReconciler(name, r, o.GlobalRateLimiter))
}

// connector turns a key resource's ProviderConfig into an external client.
type connector struct {
	kube    client.Client
	usage   resource.Tracker
	records *records
	record  event.Recorder
	clients *keyview.Views
	kind    config.Kind
	configs *lastConfigs
	// policies says whether spec.managementPolicies are honoured.
	policies bool
}

// Connect records that the resource uses its ProviderConfig, then resolves
// that config and its credentials into a console client.
func (c *connector) Connect(ctx context.Context, mg Resource) (managed.TypedExternalClient[Resource], error) {
	e, err := c.connect(ctx, mg)
	if err != nil {
		return nil, err
	}
	return e, nil
}

func (c *connector) connect(ctx context.Context, mg resource.Managed) (*external, error) {
	if err := c.usage.Track(ctx, mg); err != nil && !usageUnneeded(mg, err) {
		return nil, errors.Wrap(err, "cannot track ProviderConfig usage")
	}
	cfg, err := c.configs.resolve(ctx, c.kube, mg)
	if err != nil {
		return nil, err
	}
	conn := c.clients.Get(cfg.ConsoleURL, cfg.Token, cfg.RateLimit)
	return &external{
		ory:      c.kind.Keys(conn),
		conn:     conn,
		kind:     c.kind,
		kube:     c.kube,
		records:  c.records,
		cfg:      cfg,
		record:   c.record,
		now:      time.Now,
		policies: c.policies,
	}, nil
}

// desiredStateChanged is crossplane-runtime's filter of the events worth a
// reconcile (a changed generation, label or annotation), except that the
// annotations the provider itself writes while it works do not count: a
// create that fails, say for an unknown project, sets and clears its
// creation mark, and reconciling on that would bypass the backoff and loop.
func desiredStateChanged() predicate.Predicate {
	own := []string{
		meta.AnnotationKeyExternalCreatePending, meta.AnnotationKeyExternalCreateFailed,
		meta.AnnotationKeyExternalCreateSucceeded, common.AnnotationCreating, common.AnnotationRetiredKeys, common.AnnotationValueStoredIn,
	}
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
