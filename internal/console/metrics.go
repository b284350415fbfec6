package console

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Metrics of the calls to Ory, served on the provider's metrics endpoint
// (controller-runtime's registry). Every HTTP request counts, retries
// included, since every one of them counts against Ory's rate limit.
var (
	requestsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "provider_ory_requests_total",
		Help: "HTTP requests sent to Ory (the console API and projects' own APIs), retries included, by operation and status code (\"error\" when no response arrived).",
	}, []string{"operation", "code"})

	requestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "provider_ory_request_duration_seconds",
		Help:    "Latency of HTTP requests to Ory (the console API and projects' own APIs), by operation; waits for the rate limit are not included.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"operation"})

	rateLimitWaits = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "provider_ory_ratelimit_waits_total",
		Help: "Requests to Ory held back by a rate limit: source=\"client\" by the provider's own limiter (spec.rateLimit), source=\"server\" by a 429 from Ory before a retry.",
	}, []string{"source"})

	rateLimitWaitSeconds = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "provider_ory_ratelimit_wait_seconds_total",
		Help: "Time requests to Ory spent held back by a rate limit, by source (see provider_ory_ratelimit_waits_total).",
	}, []string{"source"})
)

// Label values of the rate limit metrics.
const (
	sourceClient = "client"
	sourceServer = "server"
)

// The collectors are registered once per process, when the package is
// loaded, as controller-runtime registers its own; tests read them through
// the variables and never register them again.
func init() {
	metrics.Registry.MustRegister(requestsTotal, requestDuration, rateLimitWaits, rateLimitWaitSeconds)
}
