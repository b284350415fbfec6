// Package bootstrap builds provider-ory's controller manager and registers
// its controllers: the one statement of how the provider runs. cmd/provider
// calls it with the settings of its flags; the suites that run the
// controllers in process (test/integration, test/reliability,
// test/composition) call it with theirs, so that a manager option is written
// in one place and the tests run what ships.
package bootstrap

import (
	"errors"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	xperrors "github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/gate"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/customresourcesgate"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/statemetrics"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/crossplane-contrib/provider-ory/apis"
	oryctrl "github.com/crossplane-contrib/provider-ory/internal/controller"
	"github.com/crossplane-contrib/provider-ory/internal/keyview"
)

// LeaderElectionID names the Lease the replicas of the provider compete for.
const LeaderElectionID = "crossplane-leader-election-provider-ory"

// The leader election's timings, the defaults of Options and of
// cmd/provider's flags. Crossplane core and the Crossplane providers
// (provider-template, provider-kubernetes, the upjet providers) all use 60s
// and 50s: they saw leaders lose the Lease with controller-runtime's 15s and
// 10s when the API server was loaded, and a leader that loses the Lease
// exits, in the middle of whatever it was creating. Here an exit mid-create
// is recovered (docs/reliability.md, "Crash safety") but costs a restart and
// a recovery for nothing, while a minute without creates after a replica is
// lost costs little: keys are made by people and compositions, not on a hot
// path. A replica that stops cleanly (SIGTERM: a rollout, a drain) releases
// the Lease, so the other takes over within RetryPeriod, not LeaseDuration.
const (
	// DefaultLeaseDuration is how long a standby waits, after it last saw
	// the Lease renewed, before it takes over: after a leader's crash the
	// provider reconciles nothing for about this long.
	DefaultLeaseDuration = 60 * time.Second
	// DefaultRenewDeadline is how long a leader tries to renew the Lease
	// before it gives up and exits.
	DefaultRenewDeadline = 50 * time.Second
	// RetryPeriod is how often a standby tries to take the Lease and a
	// leader renews it (controller-runtime's default, 2s).
	RetryPeriod = 2 * time.Second
)

// Options are the provider's settings. cmd/provider fills them from its
// flags (see its --help for the defaults); a zero duration or address means
// controller-runtime's default, except where a field says otherwise.
type Options struct {
	// Log is the provider's logger; every controller logs through it.
	Log logr.Logger

	// SyncInterval is the informer resync: how often every resource is
	// reconciled even without a change. Zero: controller-runtime's default.
	SyncInterval time.Duration
	// PollInterval is how often each resource is checked against Ory.
	PollInterval time.Duration
	// MaxReconcileRate is the most reconciles per second across all
	// controllers; it also sizes the API client's QPS (5x) and burst (10x).
	MaxReconcileRate int
	// MaxConcurrentReconciles is how many reconciles of one controller run
	// at once. Zero: MaxReconcileRate, as the provider runs.
	MaxConcurrentReconciles int
	// ManagementPolicies honours spec.managementPolicies.
	ManagementPolicies bool
	// CacheSyncTimeout is how long a controller waits for the API server to
	// list its kind when it starts. Zero: controller-runtime's default.
	CacheSyncTimeout time.Duration
	// StateMetricsPoll is how often the managed resource state metrics are
	// recorded.
	StateMetricsPoll time.Duration

	// MetricsAddress is the Prometheus endpoint's address; "0" serves none.
	MetricsAddress string
	// HealthAddress is the address of /healthz and /readyz; "0" serves none.
	HealthAddress string
	// ProfileAddress is the address of Go's profiling endpoints
	// (/debug/pprof/, net/http/pprof: heap, goroutine, CPU profiles).
	// Empty or "0" serves none, the default: a profile shows the
	// provider's memory and code, for whoever measures it, not for every
	// client of the pod.
	ProfileAddress string
	// LeaderElection makes the replicas elect one leader (Lease
	// LeaderElectionID in LeaderElectionNamespace).
	LeaderElection bool
	// LeaderElectionNamespace is the Lease's namespace. Empty: the
	// namespace of the pod's service account, which exists only in a pod.
	LeaderElectionNamespace string
	// LeaseDuration and RenewDeadline time the leader election; zero:
	// DefaultLeaseDuration, DefaultRenewDeadline. RenewDeadline must be
	// shorter than LeaseDuration and longer than 1.2 RetryPeriod
	// (client-go's rules, checked by New).
	LeaseDuration, RenewDeadline time.Duration

	// Ory configures the shared pool of Ory clients: the shared view of
	// each holder's keys and the rate limit per workspace API key.
	Ory keyview.Options
}

// Scheme returns the scheme of the provider's manager: Kubernetes' own
// APIs, CustomResourceDefinitions (the CRD gate watches them) and the Ory
// kinds. Tests use it for their clients too.
func Scheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, xperrors.Wrap(err, "Cannot add the Kubernetes APIs to the scheme")
	}
	if err := apiextensionsv1.AddToScheme(s); err != nil {
		return nil, xperrors.Wrap(err, "Cannot add CustomResourceDefinitions to the scheme")
	}
	if err := apis.AddToScheme(s); err != nil {
		return nil, xperrors.Wrap(err, "Cannot add the Ory APIs to the scheme")
	}
	return s, nil
}

// New builds the manager on cfg and registers the provider's controllers:
// the ProviderConfig controllers at once, and each managed kind's controller
// once its CRD is established (the package declares safe-start, so
// Crossplane installs a kind's CRD only when a policy activates it). The
// caller starts the manager. The errors name what failed in the words of
// cmd/provider's fatal messages.
func New(cfg *rest.Config, o Options) (ctrl.Manager, error) {
	// The cache options below name CustomResourceDefinitions, so the scheme
	// must know them before the manager is made.
	scheme, err := Scheme()
	if err != nil {
		return nil, err
	}
	lease, renew, err := leaseTimings(o.LeaseDuration, o.RenewDeadline)
	if err != nil {
		return nil, err
	}
	mgr, err := ctrl.NewManager(ratelimiter.LimitRESTConfig(cfg, o.MaxReconcileRate), ctrl.Options{
		Scheme: scheme,
		Cache: cache.Options{
			SyncPeriod: durationOrNil(o.SyncInterval),
			// The provider never reads managedFields; without them the
			// cache of 10,000 key resources (and the metadata of every
			// Secret) takes a good part less memory. Updates sent from
			// cached objects carry no managedFields, which the API server
			// takes as "keep them".
			DefaultTransform: cache.TransformStripManagedFields(),
			// The CRD gate reads only names, versions and conditions; the
			// schemas would cost memory for nothing.
			ByObject: map[client.Object]cache.ByObject{
				&apiextensionsv1.CustomResourceDefinition{}: {Transform: customresourcesgate.TransformStripCRDSchema},
			},
		},
		Controller: config.Controller{CacheSyncTimeout: o.CacheSyncTimeout},
		// Secrets are read from the API server, not cached: caching would
		// hold every Secret of the cluster in the provider's memory, and a
		// connection Secret written a moment ago must be read back as is.
		Client: client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}}}},

		Metrics:                    metricsserver.Options{BindAddress: o.MetricsAddress},
		HealthProbeBindAddress:     o.HealthAddress,
		PprofBindAddress:           o.ProfileAddress,
		LeaderElection:             o.LeaderElection,
		LeaderElectionID:           LeaderElectionID,
		LeaderElectionNamespace:    o.LeaderElectionNamespace,
		LeaderElectionResourceLock: resourcelock.LeasesResourceLock,
		// Stepping down on SIGTERM is safe: the manager releases the Lease
		// only after its controllers stopped, and cmd/provider exits as
		// soon as the manager returns.
		LeaderElectionReleaseOnCancel: true,
		LeaseDuration:                 &lease,
		RenewDeadline:                 &renew,
		RetryPeriod:                   ptr(RetryPeriod),
	})
	if err != nil {
		return nil, xperrors.Wrap(err, "Cannot create the controller manager")
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, xperrors.Wrap(err, "Cannot add the health check")
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, xperrors.Wrap(err, "Cannot add the readiness check")
	}

	mrMetrics, err := register(managed.NewMRMetricRecorder())
	if err != nil {
		return nil, xperrors.Wrap(err, "Cannot register the managed resource metrics")
	}
	stateMetrics, err := register(statemetrics.NewMRStateMetrics())
	if err != nil {
		return nil, xperrors.Wrap(err, "Cannot register the managed resource state metrics")
	}

	concurrent := o.MaxConcurrentReconciles
	if concurrent == 0 {
		concurrent = o.MaxReconcileRate
	}
	co := controller.Options{
		Logger:                  logging.NewLogrLogger(o.Log),
		MaxConcurrentReconciles: concurrent,
		PollInterval:            o.PollInterval,
		GlobalRateLimiter:       ratelimiter.NewGlobal(o.MaxReconcileRate),
		Features:                &feature.Flags{},
		MetricOptions: &controller.MetricOptions{
			MRMetrics:               mrMetrics,
			MRStateMetrics:          stateMetrics,
			PollStateMetricInterval: o.StateMetricsPoll,
		},
		// Each managed kind's controller waits for its CRD (safe-start).
		Gate: new(gate.Gate[schema.GroupVersionKind]),
	}
	if o.ManagementPolicies {
		co.Features.Enable(feature.EnableBetaManagementPolicies)
	}
	if err := customresourcesgate.Setup(mgr, co); err != nil {
		return nil, xperrors.Wrap(err, "Cannot set up the CRD gate")
	}
	if err := oryctrl.SetupGated(mgr, co, o.Ory); err != nil {
		return nil, xperrors.Wrap(err, "Cannot set up the Ory controllers")
	}
	return mgr, nil
}

// register adds c to controller-runtime's metrics registry, or returns the
// collector of its kind already there: a process that builds a second
// manager (a test) shares the first one's.
func register[C prometheus.Collector](c C) (C, error) {
	err := metrics.Registry.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}

// leaseTimings returns the lease duration and renew deadline to use, the
// defaults for zero, or an error naming the flags when client-go's leader
// election would refuse them (at start, with a message that names no flag).
func leaseTimings(lease, renew time.Duration) (time.Duration, time.Duration, error) {
	if lease == 0 {
		lease = DefaultLeaseDuration
	}
	if renew == 0 {
		renew = DefaultRenewDeadline
	}
	if renew >= lease || float64(renew) <= leaderelection.JitterFactor*float64(RetryPeriod) {
		return 0, 0, xperrors.Errorf("Cannot use the leader election timings: --leader-election-renew-deadline (%s) must be shorter than --leader-election-lease-duration (%s) and longer than %s",
			renew, lease, time.Duration(leaderelection.JitterFactor*float64(RetryPeriod)))
	}
	return lease, renew, nil
}

func durationOrNil(d time.Duration) *time.Duration {
	if d == 0 {
		return nil
	}
	return &d
}

func ptr[T any](v T) *T { return &v }
