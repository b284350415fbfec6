package reliability

import (
	"fmt"
	"sync"
)

// counters are the figures a test contributes to the line TestMain prints
// after all tests:
//
//	reliability: keys=<n> faults=<f> kills=<k> leaked=<l> lost=<v> duplicates=<d> incomplete=<i> rejected=<r>/<total>
//
// A test adds its figures with report.add once it has them; fields it does
// not measure stay zero. The soak adds keys, faults and the invariant counts;
// a crash test adds kills (and its own invariant counts); the bad input
// tests add rejected/total.
type counters struct {
	// Keys is how many ProjectAPIKeys the test drove.
	Keys int
	// Faults is how many faults the simulator injected (LogEntry.Fault).
	Faults int
	// Kills is how many times the provider was killed.
	Kills int
	// Leaked is keys in Ory that no live resource references.
	Leaked int
	// Lost is Ready resources whose connection Secret does not hold their
	// key's value.
	Lost int
	// Duplicates is resources with more than one key of their name.
	Duplicates int
	// Incomplete is resources stuck in crossplane-runtime's create-pending
	// state ("cannot determine creation result").
	Incomplete int
	// Rejected of Total bad inputs were refused (none got a key).
	Rejected, Total int
}

// reliabilityReport sums the counters of all tests. It is safe for
// concurrent use.
type reliabilityReport struct {
	mu  sync.Mutex
	sum counters
}

// report is the package's one report, printed by TestMain.
var report reliabilityReport

func (r *reliabilityReport) add(c counters) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := &r.sum
	s.Keys += c.Keys
	s.Faults += c.Faults
	s.Kills += c.Kills
	s.Leaked += c.Leaked
	s.Lost += c.Lost
	s.Duplicates += c.Duplicates
	s.Incomplete += c.Incomplete
	s.Rejected += c.Rejected
	s.Total += c.Total
}

func (r *reliabilityReport) line() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.sum
	return fmt.Sprintf("reliability: keys=%d faults=%d kills=%d leaked=%d lost=%d duplicates=%d incomplete=%d rejected=%d/%d",
		s.Keys, s.Faults, s.Kills, s.Leaked, s.Lost, s.Duplicates, s.Incomplete, s.Rejected, s.Total)
}
