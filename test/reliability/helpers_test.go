package reliability

import (
	"strings"
	"time"

	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

const waitTimeout = 45 * time.Second

// requestsTo returns the simulator's requests about a project that arrived
// in [from, to).
func requestsTo(projectID string, from, to time.Time) []orysim.LogEntry {
	var out []orysim.LogEntry
	for _, e := range sim.RequestLog() {
		if strings.Contains(e.Path, "/projects/"+projectID) && !e.Time.Before(from) && e.Time.Before(to) {
			out = append(out, e)
		}
	}
	return out
}
