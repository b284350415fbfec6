package project

import (
	"context"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/source"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/console"
	"github.com/crossplane-contrib/provider-ory/internal/keyview"
	"github.com/crossplane-contrib/provider-ory/internal/managedopts"
	"github.com/crossplane-contrib/provider-ory/internal/metapatch"
	"github.com/crossplane-contrib/provider-ory/internal/predicates"
	"github.com/crossplane-contrib/provider-ory/internal/providerconfig"
)

// Scopes are the Project kind's GroupVersionKinds: namespaced
// (ory.m.crossplane.io) and cluster-scoped (ory.crossplane.io).
var Scopes = []schema.GroupVersionKind{namespacedv1alpha1.ProjectGroupVersionKind, clusterv1alpha1.ProjectGroupVersionKind}

// A Resource is a Project of either scope.
type Resource interface {
	resource.Managed
	// Parameters are spec.forProvider.
	Parameters() *common.ProjectParameters
	// Observation is status.atProvider.
	Observation() *common.ProjectObservation
}

// API is what the controller needs of the Ory console: the project
// operations of console.Client. Errors are *console.Error.
type API interface {
	// CreateProject creates a project; after an error for which
	// console.MayHaveCreated is true, Ory may have made it anyway.
	CreateProject(ctx context.Context, s console.ProjectSpec) (console.Project, error)
	// GetProject reads a project by ID: 403 for one that does not exist
	// as for one the key may not see.
	GetProject(ctx context.Context, id string) (console.Project, error)
	// ListProjects lists every project the workspace key may see, with
	// their creation times.
	ListProjects(ctx context.Context) ([]console.Project, error)
	// RenameProject renames a project at a revision; a stale one is
	// console.ReasonConflict.
	RenameProject(ctx context.Context, id, revisionID, name string) (console.Project, error)
	// PurgeProject deletes a project and all its data for good; one
	// already purged is not an error.
	PurgeProject(ctx context.Context, id string) error
}

// Setup adds the controller of one scope of the Project kind (gvk, one of
// Scopes) to the manager. views are the pooled console connections every
// controller shares (one client and rate limiter per workspace key); nil
// means connections with the default options.
func Setup(mgr ctrl.Manager, o controller.Options, gvk schema.GroupVersionKind, views *keyview.Views) error {
	obj, err := mgr.GetScheme().New(gvk)
	if err != nil {
		return err
	}
	cr, ok := obj.(Resource)
	if !ok {
		return errors.Errorf("%s is not a Project kind", gvk)
	}
	configs, err := providerconfig.NewResolver(mgr.GetClient(), cr)
	if err != nil {
		return err
	}
	// A poll reads the credentials Secret again only when it changed, as
	// the key kinds' do: the manager's cache holds the metadata of every
	// Secret (providerconfig.Watch watches them).
	configs.ReadSecretsWhenChanged(mgr.GetCache())
	if views == nil {
		views = keyview.NewViews(keyview.Options{})
	}
	name := managed.ControllerName(gvk.GroupKind().String())
	recorder := event.NewAPIRecorder(mgr.GetEventRecorderFor(name))
	requeue := newRequeues()
	conn := &connector{
		kube:    mgr.GetClient(),
		configs: configs,
		api: func(cfg *providerconfig.Config) API {
			return views.Get(cfg.ConsoleURL, cfg.Token, cfg.RateLimit).Console()
		},
		record:   recorder,
		policies: o.Features.Enabled(feature.EnableBetaManagementPolicies),
		requeue:  requeue,
	}
	opts := []managed.ReconcilerOption{
		managed.WithTypedExternalConnector[Resource](conn),
		// Not the runtime's default initializer, which would set the
		// external name to metadata.name, not a project ID, before any
		// project exists; instead the recovery of a lost create.
		managed.WithInitializers(&recovery{kube: mgr.GetClient(), connect: conn.connect}),
		managed.WithFinalizer(metapatch.Finalizer{Kube: mgr.GetClient()}),
	}
	shared, err := managedopts.Shared(mgr, o, gvk, name, recorder)
	if err != nil {
		return err
	}
	opts = append(opts, shared...)
	list := func() resource.ManagedList { return &namespacedv1alpha1.ProjectList{} }
	if gvk == clusterv1alpha1.ProjectGroupVersionKind {
		list = func() resource.ManagedList { return &clusterv1alpha1.ProjectList{} }
	}
	r := managed.NewReconciler(mgr, resource.ManagedKind(gvk), opts...)
	// The annotations the controller writes while it works do not count as
	// a change to reconcile on (predicates.DesiredStateChanged).
	own := append([]string{common.AnnotationCreating, common.AnnotationPurging}, predicates.RuntimeAnnotations...)
	b := ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		For(cr, builder.WithPredicates(predicates.DesiredStateChanged(own...)))
	if err := providerconfig.Watch(mgr, b, gvk); err != nil {
		return err
	}
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), cr, indexProjectID, projectIDOf); err != nil {
		return errors.Wrapf(err, "cannot index %s by project ID", gvk.Kind)
	}
	keys := providerconfig.RequeueAtOnce(keyWatch{kube: mgr.GetCache(), list: list}.waitingProjects)
	if o.Gate == nil {
		// Every CRD is installed (controller.Setup).
		for _, k := range keyKinds {
			b.Watches(k.object, keys, builder.WithPredicates(keyGone()))
		}
		return b.Complete(ratelimiter.NewReconciler(name, requeue.after(r), o.GlobalRateLimiter))
	}
	c, err := b.Build(ratelimiter.NewReconciler(name, requeue.after(r), o.GlobalRateLimiter))
	if err != nil {
		return err
	}
	// A key kind Crossplane has not activated (safe-start) is watched once
	// its CRD is: a watch of a kind without one would keep the controller
	// from starting. Until then there is no key resource of that kind to
	// wait for.
	for _, k := range keyKinds {
		o.Gate.Register(func() {
			if err := c.Watch(source.Kind(mgr.GetCache(), k.object, keys, keyGone())); err != nil {
				o.Logger.Info("Cannot watch a key kind: a Project waiting for its keys waits out its backoff", "kind", k.gvk.String(), "error", err)
			}
		}, k.gvk)
	}
	return nil
}

// connector turns a Project's ProviderConfig into an external client.
type connector struct {
	kube    client.Client
	configs *providerconfig.Resolver
	// api returns the console client of a resolved ProviderConfig.
	api      func(*providerconfig.Config) API
	record   event.Recorder
	policies bool // spec.managementPolicies are honoured
	requeue  *requeues
}

// Connect records that the resource uses its ProviderConfig, then resolves
// that config and its credentials into a console client.
func (c *connector) Connect(ctx context.Context, cr Resource) (managed.TypedExternalClient[Resource], error) {
	e, err := c.connect(ctx, cr)
	if err != nil {
		return nil, err
	}
	return e, nil
}

func (c *connector) connect(ctx context.Context, mg resource.Managed) (*external, error) {
	cfg, err := c.configs.Resolve(ctx, mg)
	if err != nil {
		return nil, err
	}
	return &external{
		ory:      c.api(cfg),
		kube:     c.kube,
		cfg:      cfg,
		record:   c.record,
		now:      time.Now,
		policies: c.policies,
		requeue:  c.requeue,
	}, nil
}
