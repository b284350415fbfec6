package testkit

import (
	"fmt"
	"os"
	"sync"
)

// Counters are the figures a test contributes to the reliability line a
// suite prints after all its tests:
//
//	reliability: kinds=<n> keys=<n> faults=<f> kills=<k> leaked=<l> lost=<v> duplicates=<d> incomplete=<i> rejected=<r>/<total>
//
// kinds is how many key kinds the figures cover (the distinct Kind of the
// counters added). A test adds its figures once it has them; fields it does
// not measure stay zero. hack/reliability-line.sh merges the lines of the
// suites (docs/reliability.md).
type Counters struct {
	// Kind is the name of the managed kind the test drove: a key kind's
	// Kind.Name, or Project.
	Kind string
	// Keys is how many keys the test drove.
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

// A Report sums the counters of a suite's tests. It is safe for concurrent
// use; the zero value is empty.
type Report struct {
	mu    sync.Mutex
	kinds map[string]bool
	sum   Counters
}

// Add adds a test's figures.
func (r *Report) Add(c Counters) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c.Kind != "" {
		if r.kinds == nil {
			r.kinds = map[string]bool{}
		}
		r.kinds[c.Kind] = true
	}
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

// Line is the reliability line of the figures added so far.
func (r *Report) Line() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.sum
	return fmt.Sprintf("reliability: kinds=%d keys=%d faults=%d kills=%d leaked=%d lost=%d duplicates=%d incomplete=%d rejected=%d/%d",
		len(r.kinds), s.Keys, s.Faults, s.Kills, s.Leaked, s.Lost, s.Duplicates, s.Incomplete, s.Rejected, s.Total)
}

// Print prints the line and appends it to the file $RELIABILITY_REPORT
// names, if any, where `make test` collects the lines of every suite.
func (r *Report) Print() {
	line := r.Line()
	fmt.Println(line)
	if p := os.Getenv("RELIABILITY_REPORT"); p != "" {
		if err := appendLine(p, line); err != nil {
			fmt.Fprintln(os.Stderr, "cannot write RELIABILITY_REPORT:", err)
		}
	}
}

func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintln(f, line); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
