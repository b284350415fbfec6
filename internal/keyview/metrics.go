package keyview

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Metrics of the shared view, served on the provider's metrics endpoint
// (controller-runtime's registry). Nothing is counted in naive mode.
var (
	lookups = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "provider_ory_view_lookups_total",
		Help: "Keys looked up in the shared view of each project's keys: result=\"hit\" answered from the view, \"miss\" needed a list call (its own or a shared one).",
	}, []string{"result"})

	coalesced = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "provider_ory_view_coalesced_total",
		Help: "Lookups and lists that waited for a list call of the same project already in flight instead of sending their own.",
	})
)

// Label values of lookups.
const (
	resultHit  = "hit"
	resultMiss = "miss"
)

// Registered once per process when the package is loaded; tests read the
// collectors through the variables.
func init() {
	metrics.Registry.MustRegister(lookups, coalesced)
}
