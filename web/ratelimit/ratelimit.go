// Package ratelimit counts recent attempts per key in memory, in a sliding
// window, and says how long to wait once a key has had its fill. It guards
// relaydesk's anonymous entry points: console sign-ins, and opening or
// joining a request from the widget. The counts live in one process: each
// relaydesk instance limits on its own.
package ratelimit

import (
	"sync"
	"time"
)

// Key is one counter and its ceiling: at most Limit attempts under Name
// within the limiter's window.
type Key struct {
	Name  string
	Limit int
}

// Limiter counts recent attempts per key name. An attempt is counted when
// it starts, so a burst of parallel attempts cannot all pass before the
// first outcome is recorded; an attempt that turns out not to count is
// taken back afterwards (Succeeded, Undo). It is safe for concurrent use.
type Limiter struct {
	window  time.Duration
	maxKeys int

	mu   sync.Mutex
	hits map[string][]time.Time
}

// New returns a limiter counting attempts within window. maxKeys bounds its
// memory: past that many keys, keys with no attempt left in the window are
// swept on the next attempt.
func New(window time.Duration, maxKeys int) *Limiter {
	return &Limiter{window: window, maxKeys: maxKeys, hits: map[string][]time.Time{}}
}

// Attempt records an attempt at now under every key unless one of them is
// over its limit already: then it records nothing and returns how long to
// wait until the attempt would pass. It returns 0 when the attempt was
// recorded.
func (l *Limiter) Attempt(now time.Time, keys ...Key) (wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.hits) > l.maxKeys {
		for k, ts := range l.hits {
			if len(l.recent(ts, now)) == 0 {
				delete(l.hits, k)
			}
		}
	}
	for _, k := range keys {
		ts := l.recent(l.hits[k.Name], now)
		l.hits[k.Name] = ts
		if len(ts) >= k.Limit {
			if w := ts[len(ts)-k.Limit].Add(l.window).Sub(now); w > wait {
				wait = w
			}
		}
	}
	if wait > 0 {
		return wait
	}
	for _, k := range keys {
		l.hits[k.Name] = append(l.hits[k.Name], now)
	}
	return 0
}

// Succeeded forgets key's attempts entirely (for a sign-in: the person
// knows the password) and takes back the attempt just counted under each of
// others.
func (l *Limiter) Succeeded(key string, others ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.hits, key)
	l.undo(others)
}

// ForgetBefore forgets the attempts recorded under keys at or before t: an
// admin cleared them. Recorded in another process, the clearing reaches
// this one this way, at the next attempt under those keys.
func (l *Limiter) ForgetBefore(t time.Time, keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		ts := l.hits[k]
		i := 0
		for i < len(ts) && !ts[i].After(t) {
			i++
		}
		if i == len(ts) {
			delete(l.hits, k)
		} else {
			l.hits[k] = ts[i:]
		}
	}
}

// Undo takes back the attempt just counted under each of keys, for an
// attempt that turned out not to count.
func (l *Limiter) Undo(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.undo(keys)
}

func (l *Limiter) undo(keys []string) {
	for _, k := range keys {
		if ts := l.hits[k]; len(ts) > 0 {
			l.hits[k] = ts[:len(ts)-1]
		}
	}
}

// recent drops the times that left the window.
func (l *Limiter) recent(ts []time.Time, now time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(now.Add(-l.window)) {
		i++
	}
	return ts[i:]
}
