// Package projectapikey reconciles ProjectAPIKeys of both scopes with one
// external client: Setup wires it for a scope, connector resolves the
// ProviderConfig, and external holds the rules of a key's life.
package projectapikey

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
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/keyview"
)

// A scope is what differs between the namespaced and the cluster-scoped
// ProjectAPIKey: the kind, and how its ProviderConfig usage is tracked.
type scope struct {
	gvk     schema.GroupVersionKind
	object  client.Object
	tracker func(client.Client) resource.Tracker
}

var (
	namespaced = scope{
		gvk:    namespacedv1alpha1.ProjectAPIKeyGroupVersionKind,
		object: &namespacedv1alpha1.ProjectAPIKey{},
		tracker: func(c client.Client) resource.Tracker {
			t := resource.NewProviderConfigUsageTracker(c, &namespacedv1alpha1.ProviderConfigUsage{})
			return resource.TrackerFn(func(ctx context.Context, mg resource.Managed) error {
				m, ok := mg.(resource.ModernManaged)
				if !ok {
					return errors.New(errNotProjectAPIKey)
				}
				return t.Track(ctx, m)
			})
		},
	}
	cluster = scope{
		gvk:    clusterv1alpha1.ProjectAPIKeyGroupVersionKind,
		object: &clusterv1alpha1.ProjectAPIKey{},
		tracker: func(c client.Client) resource.Tracker {
			t := resource.NewLegacyProviderConfigUsageTracker(c, &clusterv1alpha1.ProviderConfigUsage{})
			return resource.TrackerFn(func(ctx context.Context, mg resource.Managed) error {
				m, ok := mg.(resource.LegacyManaged)
				if !ok {
					return errors.New(errNotProjectAPIKey)
				}
				return t.Track(ctx, m)
			})
		},
	}
)

// SetupNamespaced adds the controller of namespaced ProjectAPIKeys
// (ory.m.crossplane.io). Give both scopes the same clients, so that they
// share one view of each project's keys and one rate limiter per workspace
// key; nil means clients with the default options.
func SetupNamespaced(mgr ctrl.Manager, o controller.Options, clients *keyview.Clients) error {
	return setup(mgr, o, namespaced, clients)
}

// SetupCluster adds the controller of cluster-scoped ProjectAPIKeys
// (ory.crossplane.io); see SetupNamespaced for clients.
func SetupCluster(mgr ctrl.Manager, o controller.Options, clients *keyview.Clients) error {
	return setup(mgr, o, cluster, clients)
}

func setup(mgr ctrl.Manager, o controller.Options, s scope, clients *keyview.Clients) error {
	if clients == nil {
		clients = keyview.NewClients(keyview.Options{})
	}
	name := managed.ControllerName(s.gvk.GroupKind().String())
	recorder := event.NewAPIRecorder(mgr.GetEventRecorderFor(name))
	conn := &connector{
		kube:     mgr.GetClient(),
		usage:    s.tracker(mgr.GetClient()),
		records:  &records{reader: mgr.GetAPIReader(), kube: mgr.GetClient(), typer: mgr.GetScheme()},
		record:   recorder,
		clients:  clients,
		apiURLs:  newAPIURLs(),
		configs:  newLastConfigs(),
		policies: o.Features.Enabled(feature.EnableBetaManagementPolicies),
	}
	opts := []managed.ReconcilerOption{
		managed.WithExternalConnector(conn),
		// Not the runtime's default initializer, which would set the external
		// name to metadata.name, not a key ID, before any key exists; instead
		// one that resolves a create interrupted by a crash.
		managed.WithInitializers(&createRecovery{connect: conn.connect}),
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

// connector turns a ProjectAPIKey's ProviderConfig into an external client.
type connector struct {
	kube    client.Client
	usage   resource.Tracker
	records *records
	record  event.Recorder
	clients *keyview.Clients
	apiURLs *apiURLs
	configs *lastConfigs
	// policies says whether spec.managementPolicies are honoured.
	policies bool
}

// Connect records that the resource uses its ProviderConfig, then resolves
// that config and its credentials into a console client.
func (c *connector) Connect(ctx context.Context, mg resource.Managed) (managed.ExternalClient, error) {
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
	ory := c.clients.Get(cfg.ConsoleURL, cfg.Token, cfg.RateLimit)
	projects, _ := any(ory).(projectSlugger)
	return &external{
		ory:      ory,
		projects: projects,
		apiURLs:  c.apiURLs,
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
		meta.AnnotationKeyExternalCreateSucceeded, AnnotationCreating, AnnotationRetiredKeys, AnnotationValueStoredIn,
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
