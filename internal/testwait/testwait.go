// Package testwait waits, in tests, for what another goroutine or process
// brings about without a signal a test could wait on: it polls a condition.
// Its deadline guards against a test that would hang; it is not a measure
// of how long anything should take, so it is generous: tests run in
// parallel on small machines.
package testwait

import (
	"errors"
	"testing"
	"time"
)

const (
	// Interval is how often a condition is checked: short, so that a test
	// goes on soon after the condition holds.
	Interval = 10 * time.Millisecond
	// Deadline is how long a condition may take before the test fails.
	Deadline = 30 * time.Second
)

// Eventually checks cond every Interval until it returns true, and fails
// tb, saying what it waited for, once Deadline has passed.
func Eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	Until(tb, what, func() error {
		if cond() {
			return nil
		}
		return errNotYet
	})
}

var errNotYet = errors.New("the condition does not hold")

// Until is Eventually for a check that says why it does not hold yet: it
// calls check every Interval until it returns nil, and fails tb once
// Deadline has passed with what it waited for and check's last error, the
// state it was stuck in.
func Until(tb testing.TB, what string, check func() error) {
	tb.Helper()
	until(tb, what, check, Deadline)
}

func until(tb testing.TB, what string, check func() error, within time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("waited %s for %s: %v", within, what, err)
		}
		time.Sleep(Interval)
	}
}
