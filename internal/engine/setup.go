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
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/config"
	"github.com/crossplane-contrib/provider-ory/internal/keyview"
	"github.com/crossplane-contrib/provider-ory/internal/managedopts"
	"github.com/crossplane-contrib/provider-ory/internal/predicates"
	"github.com/crossplane-contrib/provider-ory/internal/providerconfig"
)

// A scope is one of a kind's two variants, namespaced or cluster-scoped.
type scope struct {
	gvk    schema.GroupVersionKind
	object client.Object
}

// scopeOf returns the scope of gvk, which the manager's scheme must know
// and the engine must be able to serve.
func scopeOf(mgr ctrl.Manager, gvk schema.GroupVersionKind) (scope, error) {
	o, err := mgr.GetScheme().New(gvk)
	if err != nil {
		return scope{}, err
	}
	r, ok := o.(Resource)
	if !ok {
		return scope{}, errors.Errorf("%s does not implement the engine's Resource", gvk)
	}
	return scope{gvk: gvk, object: r}, nil
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
	configs, err := providerconfig.NewResolver(mgr.GetClient(), s.object)
	if err != nil {
		return err
	}
	// The manager's cache holds the metadata of every Secret (the
	// ProviderConfig watch watches them): enough to tell that a Secret read
	// before is unchanged.
	configs.ReadSecretsWhenChanged(mgr.GetCache())
	if kind.ProjectCredentials {
		configs.UseProjectCredentials()
	}
	recs := &records{reader: mgr.GetAPIReader(), kube: mgr.GetClient(), typer: mgr.GetScheme(), keys: kind.ConnectionKeys, valueKey: kind.ConnectionValueKey(), metadata: mgr.GetCache()}
	conn := &connector{
		kube:     mgr.GetClient(),
		records:  recs,
		record:   recorder,
		clients:  clients,
		kind:     kind,
		configs:  configs,
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
		managed.WithFinalizer(finalizer{kube: mgr.GetClient(), records: conn.records, record: recorder, policies: conn.policies, connect: conn.connect, inPlace: kind.InPlace}),
		managed.WithPollIntervalHook(alignedPolls(time.Now)),
	}
	shared, err := managedopts.Shared(mgr, o, s.gvk, name, recorder)
	if err != nil {
		return err
	}
	opts = append(opts, shared...)
	r := managed.NewReconciler(quietManager{Manager: mgr, client: quietClient{Client: mgr.GetClient(), records: recs}}, resource.ManagedKind(s.gvk), opts...)
	// The filter is the For watch's own, not WithEventFilter's: that would
	// also drop the ProviderConfig and Secret changes providerconfig.Watch
	// maps. The annotations the engine writes while it works do not count.
	own := append([]string{common.AnnotationCreating, common.AnnotationRotating, common.AnnotationRetiredKeys, common.AnnotationValueStoredIn}, predicates.RuntimeAnnotations...)
	b := ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		For(s.object, builder.WithPredicates(predicates.DesiredStateChanged(own...)))
	if err := providerconfig.Watch(mgr, b, s.gvk); err != nil {
		return err
	}
	return b.Complete(ratelimiter.NewReconciler(name, r, o.GlobalRateLimiter))
}

// connector turns a key resource's ProviderConfig into an external client.
type connector struct {
	kube    client.Client
	records *records
	record  event.Recorder
	clients *keyview.Views
	kind    config.Kind
	configs *providerconfig.Resolver
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
	cfg, err := c.configs.Resolve(ctx, mg)
	if err != nil {
		return nil, err
	}
	conn := c.clients.Get(cfg.ConsoleURL, cfg.Token, cfg.RateLimit)
	ory, err := c.kind.Keys(config.Access{Conn: conn, Views: c.clients, Config: cfg, Resource: mg})
	if err != nil {
		return nil, err
	}
	inPlace, _ := ory.(config.InPlaceAPI)
	self, _ := common.ParseRef(meta.GetExternalName(mg))
	return &external{
		ory:      ory,
		inPlace:  inPlace,
		self:     self.ID,
		rotating: hasAnnotation(mg, common.AnnotationRotating),
		leaving:  meta.WasDeleted(mg) && !deletesKey(mg, c.policies),
		mg:       mg,
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

func hasAnnotation(o metav1.Object, name string) bool {
	_, ok := o.GetAnnotations()[name]
	return ok
}
