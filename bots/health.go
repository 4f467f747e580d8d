package bots

import (
	"context"
	"strings"
	"sync"
	"time"
)

// Health is how an adapter's link to its platform is, for /readyz and the
// log: "ok", "standby: ..." (another process holds the connection) or
// "connecting: <why not>". A nil *Health records nothing.
type Health struct {
	mu    sync.Mutex
	state string
}

// NewHealth returns a Health whose state is "starting".
func NewHealth() *Health { return &Health{state: "starting"} }

// OK records that the platform answers.
func (h *Health) OK() { h.Set("ok") }

// Set records state.
func (h *Health) Set(state string) {
	if h == nil {
		return
	}
	h.mu.Lock()
	h.state = state
	h.mu.Unlock()
}

// Failing records that the platform cannot be reached, and why. err must
// hold no secret (adapters redact their tokens from errors).
func (h *Health) Failing(err error) { h.Set("connecting: " + err.Error()) }

// Up reports whether the link works, or another process holds it.
func (h *Health) Up() bool {
	st := h.State()
	return st == "ok" || strings.HasPrefix(st, "standby")
}

// State is the state last recorded.
func (h *Health) State() string {
	if h == nil {
		return ""
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.state
}

// Backoff is the wait before the attempt after the n-th failure in a row
// (n from 1): from a second, doubling, up to a minute.
func Backoff(n int) time.Duration {
	d := time.Second
	for i := 1; i < n && d < time.Minute; i++ {
		d *= 2
	}
	return min(d, time.Minute)
}

// Retry runs fn until it succeeds or ctx ends, waiting Backoff between
// failures, each of which it hands to failed (for the log and Health).
// It reports whether fn succeeded.
func Retry(ctx context.Context, fn func(ctx context.Context) error, failed func(err error, next time.Duration)) bool {
	for n := 1; ctx.Err() == nil; n++ {
		err := fn(ctx)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			break
		}
		wait := Backoff(n)
		failed(err, wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
	}
	return false
}
