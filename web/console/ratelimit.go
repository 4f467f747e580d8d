package console

import (
	"sync"
	"time"
)

// Login limits: this many failed sign-ins for one e-mail address, or from
// one client address, within loginWindow, and the next attempt waits. The
// per-address limit is higher: an office behind one NAT shares it.
const (
	loginWindow   = 15 * time.Minute
	perEmailLimit = 5
	perIPLimit    = 20
	// maxLimiterKeys bounds the limiter's memory: past it, stale keys are
	// swept on the next attempt.
	maxLimiterKeys = 50_000
)

// limiter counts recent sign-in attempts per key in memory. An attempt is
// counted when it starts, so a burst of parallel guesses cannot all pass
// before the first failure is recorded; a success takes its count back.
type limiter struct {
	mu   sync.Mutex
	hits map[string][]time.Time
}

func newLimiter() *limiter { return &limiter{hits: map[string][]time.Time{}} }

// limitKey is one counter and its ceiling.
type limitKey struct {
	key   string
	limit int
}

// attempt records an attempt under every key unless one of them is over its
// limit already: then it records nothing and returns how long to wait.
func (l *limiter) attempt(now time.Time, keys ...limitKey) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.hits) > maxLimiterKeys {
		for k, ts := range l.hits {
			if len(recent(ts, now)) == 0 {
				delete(l.hits, k)
			}
		}
	}
	var wait time.Duration
	for _, k := range keys {
		ts := recent(l.hits[k.key], now)
		l.hits[k.key] = ts
		if len(ts) >= k.limit {
			if w := ts[len(ts)-k.limit].Add(loginWindow).Sub(now); w > wait {
				wait = w
			}
		}
	}
	if wait > 0 {
		return wait
	}
	for _, k := range keys {
		l.hits[k.key] = append(l.hits[k.key], now)
	}
	return 0
}

// succeeded forgets key's failures entirely (the person knows the password)
// and takes back the attempt just counted under each of others.
func (l *limiter) succeeded(key string, others ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.hits, key)
	for _, k := range others {
		if ts := l.hits[k]; len(ts) > 0 {
			l.hits[k] = ts[:len(ts)-1]
		}
	}
}

// recent drops the times that left the window.
func recent(ts []time.Time, now time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(now.Add(-loginWindow)) {
		i++
	}
	return ts[i:]
}
