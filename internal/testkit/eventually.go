package testkit

import (
	"testing"
	"time"
)

// Poll says how Until waits.
type Poll struct {
	// Timeout bounds the wait.
	Timeout time.Duration
	// Interval is the pause between two checks; zero: 200ms.
	Interval time.Duration
	// Abort, when set and answering non-empty, ends the wait at once with
	// that answer (a process the test needs has exited).
	Abort func() string
	// Log logs how long the condition took to hold.
	Log bool
	// Explain, when set, adds to the message of a wait that timed out
	// (the last lines of a log).
	Explain func() string
}

// Until polls cond until it holds, and fails the test with cond's last
// reason after p.Timeout, when the test's context ends, or when p.Abort
// answers. It returns how long the condition took to hold.
func (p Poll) Until(t testing.TB, what string, cond func() (bool, string)) time.Duration {
	t.Helper()
	every := p.Interval
	if every == 0 {
		every = 200 * time.Millisecond
	}
	begin := time.Now()
	var last string
	for {
		ok, why := cond()
		if ok {
			took := time.Since(begin)
			if p.Log {
				t.Logf("%s after %s", what, took.Round(time.Millisecond))
			}
			return took
		}
		last = why
		if p.Abort != nil {
			if a := p.Abort(); a != "" {
				t.Fatalf("waiting for %s: %s (last: %s)", what, a, last)
			}
		}
		if time.Since(begin) > p.Timeout || t.Context().Err() != nil {
			var more string
			if p.Explain != nil {
				more = "\n" + p.Explain()
			}
			t.Fatalf("timed out after %s waiting for %s: %s%s", p.Timeout, what, last, more)
		}
		time.Sleep(every)
	}
}

// Eventually polls cond every 200ms until it holds, and fails the test with
// cond's last reason after timeout. It returns how long cond took to hold.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) time.Duration {
	t.Helper()
	return Poll{Timeout: timeout}.Until(t, what, cond)
}
