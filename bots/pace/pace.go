// Package pace applies a platform's published rate limits before the
// platform has to refuse: every call an adapter makes takes a token from
// each bucket that applies to it (the bot's global budget, a chat's, a
// channel's, a method's), waiting for the slowest.
//
// A short wait is slept, so that steady load flows at the platform's speed.
// A long one is not: the call is not made, no token is spent, and the
// caller gets a *dispatch.WaitError so that the dispatcher parks the
// conversation and gives its slot to another. That keeps one busy channel
// from occupying every delivery slot while other channels wait.
//
// Budgets that are global per bot are split among the processes delivering
// to the platform (Pacer's share function), so that together they stay
// under the limit; budgets of one conversation (a Telegram chat) are not,
// since one process at a time delivers a conversation. Room says how much
// of a process's share is free now, so that its dispatcher claims no more
// work than it can send and leaves the rest to the other processes.
package pace

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/relaydesk/relaydesk/core/dispatch"
)

// Limit is a token bucket: Rate calls per second on average, Burst at once.
type Limit struct {
	Rate  float64
	Burst int
	// Shared budgets are split among the processes (see the package doc).
	Shared bool
}

// PerMinute is a limit of n calls a minute with bursts of burst.
func PerMinute(n float64, burst int, shared bool) Limit {
	return Limit{Rate: n / 60, Burst: burst, Shared: shared}
}

// Bucket is one budget a call spends from.
type Bucket struct {
	Key   string // e.g. "global", "chat:42", "chat.postMessage:C0123"
	Limit Limit
}

// Pacer holds the buckets of one platform bot.
type Pacer struct {
	maxWait time.Duration
	share   func() int

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	lim    *rate.Limiter
	limit  Limit
	shares int
	used   time.Time
}

// New returns a pacer that sleeps waits up to maxWait and hands longer ones
// back to the dispatcher. share returns how many processes split the shared
// budgets; nil means one.
func New(maxWait time.Duration, share func() int) *Pacer {
	if share == nil {
		share = func() int { return 1 }
	}
	return &Pacer{maxWait: maxWait, share: share, buckets: map[string]*bucket{}}
}

// Wait takes a token from each of bs, sleeping until all allow the call;
// when that would take longer than the pacer's maxWait, it takes none and
// returns a *dispatch.WaitError saying how long.
func (p *Pacer) Wait(ctx context.Context, bs ...Bucket) error { return p.wait(ctx, p.maxWait, bs) }

// Block is Wait for calls made outside the dispatcher (an answer to what
// someone just did): it sleeps however long the budgets need.
func (p *Pacer) Block(ctx context.Context, bs ...Bucket) error {
	return p.wait(ctx, time.Duration(1<<62), bs)
}

func (p *Pacer) wait(ctx context.Context, maxWait time.Duration, bs []Bucket) error {
	now := time.Now()
	rs := p.reserve(now, bs)
	var wait time.Duration
	for _, r := range rs {
		wait = max(wait, r.DelayFrom(now))
	}
	cancel := func() {
		for _, r := range rs {
			r.CancelAt(now)
		}
	}
	if wait > maxWait {
		cancel()
		return &dispatch.WaitError{After: wait, Reason: fmt.Sprintf("pacing %s", bs[len(bs)-1].Key)}
	}
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		cancel()
		return ctx.Err()
	}
}

// Room says how many calls b would let through now without waiting, and
// how soon it would let one more through: what a dispatcher may claim for
// this process (dispatch.Budgeted).
func (p *Pacer) Room(b Bucket) (n int, more time.Duration) {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	lim := p.bucket(now, b, max(p.share(), 1)).lim
	tokens := lim.TokensAt(now)
	n = max(int(math.Floor(tokens)), 0)
	return n, time.Duration((float64(n+1) - tokens) / float64(lim.Limit()) * float64(time.Second))
}

func (p *Pacer) reserve(now time.Time, bs []Bucket) []*rate.Reservation {
	p.mu.Lock()
	defer p.mu.Unlock()
	shares := max(p.share(), 1)
	rs := make([]*rate.Reservation, 0, len(bs))
	for _, b := range bs {
		rs = append(rs, p.bucket(now, b, shares).lim.ReserveN(now, 1))
	}
	if len(p.buckets) > 4096 {
		p.forget(now)
	}
	return rs
}

// bucket returns b's bucket, made or adjusted to the number of processes.
func (p *Pacer) bucket(now time.Time, b Bucket, shares int) *bucket {
	k := p.buckets[b.Key]
	if !b.Limit.Shared {
		shares = 1
	}
	if k == nil || k.limit != b.Limit {
		k = &bucket{lim: rate.NewLimiter(rate.Limit(b.Limit.Rate/float64(shares)), b.Limit.Burst), limit: b.Limit, shares: shares}
		p.buckets[b.Key] = k
	} else if k.shares != shares {
		k.lim.SetLimitAt(now, rate.Limit(b.Limit.Rate/float64(shares)))
		k.shares = shares
	}
	k.used = now
	return k
}

// forget drops buckets unused for long enough to be full again: one per
// chat would otherwise pile up.
func (p *Pacer) forget(now time.Time) {
	for key, k := range p.buckets {
		full := time.Duration(float64(k.limit.Burst) / k.limit.Rate * float64(time.Second))
		if now.Sub(k.used) > full+time.Second {
			delete(p.buckets, key)
		}
	}
}
