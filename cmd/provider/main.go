// Command provider runs provider-ory: the Crossplane controllers of
// ProjectAPIKeys (both scopes) and their ProviderConfigs.
package main

import (
	"io"
	"os"
	"path/filepath"

	"github.com/alecthomas/kingpin/v2"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/crossplane-contrib/provider-ory/internal/bootstrap"
	"github.com/crossplane-contrib/provider-ory/internal/keyview"
	"github.com/crossplane-contrib/provider-ory/internal/version"
)

func main() {
	var (
		app              = kingpin.New(filepath.Base(os.Args[0]), "Crossplane provider for Ory Network.").DefaultEnvars()
		debug            = app.Flag("debug", "Run with debug logging.").Short('d').Bool()
		leaderElection   = app.Flag("leader-election", "Use leader election, for more than one replica.").Short('l').Default("false").Envar("LEADER_ELECTION").Bool()
		leaseNamespace   = app.Flag("leader-election-namespace", "Namespace of the leader election Lease. Default: the pod's namespace; outside a cluster --leader-election needs it.").Envar("POD_NAMESPACE").String()
		leaseDuration    = app.Flag("leader-election-lease-duration", "How long a standby replica waits, after the leader last renewed the Lease, before it takes over: after the leader crashes, nothing is reconciled for about this long. A leader that stops cleanly hands over at once.").Default(bootstrap.DefaultLeaseDuration.String()).Duration()
		renewDeadline    = app.Flag("leader-election-renew-deadline", "How long the leader tries to renew the Lease before it gives up and exits; shorter than --leader-election-lease-duration.").Default(bootstrap.DefaultRenewDeadline.String()).Duration()
		syncInterval     = app.Flag("sync", "How often every resource is reconciled even without a change (the informer resync).").Short('s').Default("1h").Duration()
		pollInterval     = app.Flag("poll", "How often each resource is checked against Ory for drift.").Default("1m").Duration()
		maxReconcileRate = app.Flag("max-reconcile-rate", "The most reconciles per second, across all controllers.").Default("10").Int()
		mgmtPolicies     = app.Flag("enable-management-policies", "Honour spec.managementPolicies (Observe-only imports, keeping keys on delete).").Default("true").Envar("ENABLE_MANAGEMENT_POLICIES").Bool()
		metricsAddr      = app.Flag("metrics-bind-address", "Address of the Prometheus metrics endpoint.").Default(":8080").String()
		healthAddr       = app.Flag("health-probe-bind-address", "Address of the /healthz and /readyz endpoints.").Default(":8081").String()
		profileAddr      = app.Flag("profile-address", "Address of Go's profiling endpoints (/debug/pprof/: heap, goroutines, CPU), to measure the provider's memory and CPU, e.g. 127.0.0.1:6060. Empty (the default): none.").String()
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

	mgr, err := bootstrap.New(cfg, bootstrap.Options{
		Log:                     zl.WithName("provider-ory"),
		SyncInterval:            *syncInterval,
		PollInterval:            *pollInterval,
		MaxReconcileRate:        *maxReconcileRate,
		ManagementPolicies:      *mgmtPolicies,
		CacheSyncTimeout:        *cacheSyncTimeout,
		StateMetricsPoll:        *stateMetricsPoll,
		MetricsAddress:          *metricsAddr,
		HealthAddress:           *healthAddr,
		ProfileAddress:          *profileAddr,
		LeaderElection:          *leaderElection,
		LeaderElectionNamespace: *leaseNamespace,
		LeaseDuration:           *leaseDuration,
		RenewDeadline:           *renewDeadline,
		Ory:                     keyview.Options{Naive: !*sharedView, Staleness: *viewStaleness},
	})
	// The error names what failed in the words of the step.
	kingpin.FatalIfError(err, "")
	kingpin.FatalIfError(mgr.Start(ctrl.SetupSignalHandler()), "Cannot start the controller manager")
}
