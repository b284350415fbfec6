// Command provider runs provider-ory: the Crossplane controllers of
// ProjectAPIKeys (both scopes) and their ProviderConfigs.
package main

import (
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/gate"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/customresourcesgate"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/statemetrics"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/crossplane-contrib/provider-ory/apis"
	oryctrl "github.com/crossplane-contrib/provider-ory/internal/controller"
	"github.com/crossplane-contrib/provider-ory/internal/keyview"
	"github.com/crossplane-contrib/provider-ory/internal/version"
)

func main() {
	var (
		app              = kingpin.New(filepath.Base(os.Args[0]), "Crossplane provider for Ory Network.").DefaultEnvars()
		debug            = app.Flag("debug", "Run with debug logging.").Short('d').Bool()
		leaderElection   = app.Flag("leader-election", "Use leader election, for more than one replica.").Short('l').Default("false").Envar("LEADER_ELECTION").Bool()
		syncInterval     = app.Flag("sync", "How often every resource is reconciled even without a change (the informer resync).").Short('s').Default("1h").Duration()
		pollInterval     = app.Flag("poll", "How often each resource is checked against Ory for drift.").Default("1m").Duration()
		maxReconcileRate = app.Flag("max-reconcile-rate", "The most reconciles per second, across all controllers.").Default("10").Int()
		mgmtPolicies     = app.Flag("enable-management-policies", "Honour spec.managementPolicies (Observe-only imports, keeping keys on delete).").Default("true").Envar("ENABLE_MANAGEMENT_POLICIES").Bool()
		metricsAddr      = app.Flag("metrics-bind-address", "Address of the Prometheus metrics endpoint.").Default(":8080").String()
		healthAddr       = app.Flag("health-probe-bind-address", "Address of the /healthz and /readyz endpoints.").Default(":8081").String()
		sharedView       = app.Flag("shared-view", "Share one short-lived view of each project's API keys between the resources of that project, so that a poll costs one list call per project instead of one per key. --no-shared-view lists the project for every resource (naive mode, the benchmark's baseline).").Default("true").Bool()
		cacheSyncTimeout = app.Flag("cache-sync-timeout", "How long a controller waits for the API server to list its kind when it starts; a controller that is not synced by then stops the provider. Keep it well above 10s: a kind whose CRD was just established may be missing from discovery at first, and is looked up again every 10s.").Default("2m").Duration()
		stateMetricsPoll = app.Flag("poll-state-metric", "How often the managed resource state metrics (crossplane_managed_resource_exists, _ready, _synced) are recorded.").Default("5s").Duration()
		viewStaleness    = app.Flag("view-staleness", "How long a key seen in a list may be reported to exist without listing again; must be shorter than --poll (default: five sixths of it, so that a project costs about one list per poll). Absence is always confirmed by a new list.").Duration()
	)
	app.Version(version.Version)
	kingpin.MustParse(app.Parse(os.Args[1:]))

	zl := zap.New(zap.UseDevMode(*debug))
	log := logging.NewLogrLogger(zl.WithName("provider-ory"))
	if *debug {
		// controller-runtime is very chatty; give it a real logger only when
		// debugging.
		ctrl.SetLogger(zl)
	} else {
		ctrl.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	}
	if *viewStaleness == 0 {
		// The resources of a project are polled at spread-out moments; a view
		// that lasts most of a poll interval answers nearly all of them, and
		// a deletion made out of band is still seen within one poll.
		*viewStaleness = *pollInterval * 5 / 6
	}
	if *sharedView && *viewStaleness >= *pollInterval {
		// A view that outlives the poll interval would hide a deletion made
		// out of band for more than one poll.
		log.Info("--view-staleness must be shorter than --poll: using half the poll interval", "view-staleness", *viewStaleness, "poll", *pollInterval)
		*viewStaleness = *pollInterval / 2
	}
	// Durations as strings: the JSON log would print nanoseconds without a unit.
	log.Info("Starting", "version", version.Version, "poll", pollInterval.String(), "max-reconcile-rate", *maxReconcileRate,
		"shared-view", *sharedView, "view-staleness", viewStaleness.String())

	cfg, err := ctrl.GetConfig()
	kingpin.FatalIfError(err, "Cannot get the API server's REST config")

	// The cache options below name CustomResourceDefinitions, so the scheme
	// must know them before the manager is made.
	scheme := runtime.NewScheme()
	kingpin.FatalIfError(clientgoscheme.AddToScheme(scheme), "Cannot add the Kubernetes APIs to the scheme")
	kingpin.FatalIfError(apiextensionsv1.AddToScheme(scheme), "Cannot add CustomResourceDefinitions to the scheme")
	kingpin.FatalIfError(apis.AddToScheme(scheme), "Cannot add the Ory APIs to the scheme")

	mgr, err := ctrl.NewManager(ratelimiter.LimitRESTConfig(cfg, *maxReconcileRate), ctrl.Options{
		Scheme: scheme,
		Cache: cache.Options{
			SyncPeriod: syncInterval,
			// The CRD gate reads only names, versions and conditions; the
			// schemas would cost memory for nothing.
			ByObject: map[client.Object]cache.ByObject{
				&apiextensionsv1.CustomResourceDefinition{}: {Transform: customresourcesgate.TransformStripCRDSchema},
			},
		},
		Controller: config.Controller{CacheSyncTimeout: *cacheSyncTimeout},
		// Secrets are read from the API server, not cached: caching would
		// hold every Secret of the cluster in the provider's memory, and a
		// connection Secret written a moment ago must be read back as is.
		Client: client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}}}},

		Metrics:                    metricsserver.Options{BindAddress: *metricsAddr},
		HealthProbeBindAddress:     *healthAddr,
		LeaderElection:             *leaderElection,
		LeaderElectionID:           "crossplane-leader-election-provider-ory",
		LeaderElectionResourceLock: resourcelock.LeasesResourceLock,
		LeaseDuration:              ptr(60 * time.Second),
		RenewDeadline:              ptr(50 * time.Second),
	})
	kingpin.FatalIfError(err, "Cannot create the controller manager")
	kingpin.FatalIfError(mgr.AddHealthzCheck("healthz", healthz.Ping), "Cannot add the health check")
	kingpin.FatalIfError(mgr.AddReadyzCheck("readyz", healthz.Ping), "Cannot add the readiness check")

	mrMetrics := managed.NewMRMetricRecorder()
	stateMetrics := statemetrics.NewMRStateMetrics()
	metrics.Registry.MustRegister(mrMetrics, stateMetrics)

	o := controller.Options{
		Logger:                  log,
		MaxConcurrentReconciles: *maxReconcileRate,
		PollInterval:            *pollInterval,
		GlobalRateLimiter:       ratelimiter.NewGlobal(*maxReconcileRate),
		Features:                &feature.Flags{},
		MetricOptions: &controller.MetricOptions{
			MRMetrics:               mrMetrics,
			MRStateMetrics:          stateMetrics,
			PollStateMetricInterval: *stateMetricsPoll,
		},
		// The package declares safe-start: Crossplane installs a managed
		// kind's CRD only once a ManagedResourceActivationPolicy activates
		// it, so each kind's controller waits for its CRD.
		Gate: new(gate.Gate[schema.GroupVersionKind]),
	}
	if *mgmtPolicies {
		o.Features.Enable(feature.EnableBetaManagementPolicies)
	}

	ory := keyview.Options{Naive: !*sharedView, Staleness: *viewStaleness}
	kingpin.FatalIfError(customresourcesgate.Setup(mgr, o), "Cannot set up the CRD gate")
	kingpin.FatalIfError(oryctrl.SetupGated(mgr, o, ory), "Cannot set up the Ory controllers")
	kingpin.FatalIfError(mgr.Start(ctrl.SetupSignalHandler()), "Cannot start the controller manager")
}

func ptr[T any](v T) *T { return &v }
