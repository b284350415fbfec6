package reliability

import (
	"strings"
	"time"

	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

const waitTimeout = 45 * time.Second

// requestsTo returns the simulator's requests about a project or a
// workspace (by ID) that arrived in [from, to).
func requestsTo(holderID string, from, to time.Time) []orysim.LogEntry {
	var out []orysim.LogEntry
	for _, e := range sim.RequestLog() {
		about := strings.Contains(e.Path, "/projects/"+holderID) || strings.Contains(e.Path, "/workspaces/"+holderID)
		if about && !e.Time.Before(from) && e.Time.Before(to) {
			out = append(out, e)
		}
	}
	return out
}
