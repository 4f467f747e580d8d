// Package flood holds the rate limits the fake platform servers enforce
// (telegramtest, slacktest, discordtest), judged exactly so that a client
// which keeps under a platform's published limit is never refused and one
// which does not always is.
package flood

import "time"

// Bucket allows Burst calls at once and then one per Every. It is kept as
// the generic cell rate algorithm (the theoretical arrival time of the next
// call), which is a token bucket in exact integer time: no rounding lets a
// call through early.
type Bucket struct {
	Every time.Duration
	Burst int
	tat   time.Time
}

// Free is when the bucket allows a call: now or earlier if it does now.
func (b *Bucket) Free(now time.Time) time.Time {
	return Later(b.tat, now).Add(-time.Duration(b.Burst-1) * b.Every)
}

// Take counts a call the bucket allowed.
func (b *Bucket) Take(now time.Time) { b.tat = Later(b.tat, now).Add(b.Every) }

// Window allows at most N calls in any span of time of length Per: a
// sliding window, kept as the times of the last N calls it allowed.
type Window struct {
	N   int
	Per time.Duration
	log []time.Time // oldest first
}

// Free is when the window allows a call: now or earlier if it does now.
func (w *Window) Free(now time.Time) time.Time {
	if len(w.log) < w.N {
		return now
	}
	return w.log[len(w.log)-w.N].Add(w.Per)
}

// Take counts a call the window allowed.
func (w *Window) Take(now time.Time) {
	w.log = append(w.log, now)
	if len(w.log) > w.N {
		w.log = w.log[len(w.log)-w.N:]
	}
}

// Later is the later of a and b.
func Later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
