// Package dispatch feeds relaydesk's outbound destinations (a Slack
// workspace, a Discord guild, a Telegram bot) from the event log: each from
// its own cursor persisted in the database, at least once, in log order
// (so in order per request), retrying with exponential backoff and honouring
// "retry after" answers. One process at a time serves a destination: it
// holds a lease on the cursor, renewed as it advances.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/relaydesk/relaydesk/core"
)

// Destination receives events. Deliver must be idempotent enough for
// at-least-once delivery: after a crash the last event may come again.
type Destination interface {
	// Name identifies the destination's cursor; it must stay the same across
	// restarts ("slack:T0123", "telegram").
	Name() string
	// Deliver sends one event. Return a RetryAfterError to be called again
	// after a delay, a PermanentError to give the event up, anything else to
	// be retried with backoff.
	Deliver(ctx context.Context, e core.Event) error
}

// FromStart is an optional Destination capability: a new cursor starts at
// the beginning of the log instead of its end.
type FromStart interface{ FromStart() bool }

// Log is what the dispatcher needs of the store.
type Log interface {
	EnsureCursor(ctx context.Context, dest string, fromStart bool) error
	Lease(ctx context.Context, dest, owner string, ttl time.Duration) (core.Position, bool, error)
	Advance(ctx context.Context, dest, owner string, pos core.Position, ttl time.Duration) error
	Release(ctx context.Context, dest, owner string) error
	EventsAfter(ctx context.Context, pos core.Position, limit int) ([]core.Event, bool, error)
	RecordFailure(ctx context.Context, dest string, e core.Event, reason string, attempts int) error
	// Subscribe delivers a value whenever events may have been appended.
	Subscribe() (<-chan struct{}, func())
}

// RetryAfterError asks the dispatcher to try the same event again after
// After: a platform's rate limit (HTTP 429 with Retry-After).
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string { return fmt.Sprintf("retry after %s: %v", e.After, e.Err) }
func (e *RetryAfterError) Unwrap() error { return e.Err }

// PermanentError gives an event up: retrying cannot help (the bot was
// blocked, the channel deleted). The event is recorded as failed and
// delivery goes on with the next one.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Options tune a Dispatcher; zero values take the defaults.
type Options struct {
	Owner      string        // this process's lease name; default a random ID
	LeaseTTL   time.Duration // default 15s: how soon another process takes over from a dead one
	Poll       time.Duration // look at the log at least this often; default 5s
	Batch      int           // events read at once; default 100
	MinBackoff time.Duration // default 200ms
	MaxBackoff time.Duration // default 1m
	// HeldRecheck is how soon to look again when events wait for an older
	// transaction to finish (PostgreSQL); default 20ms.
	HeldRecheck time.Duration
	Logger      *slog.Logger
	Metrics     Metrics
}

// Metrics receives what the dispatcher does; nil ignores it.
type Metrics interface {
	Delivered(dest string, e core.Event, attempts int, lag time.Duration)
	Failed(dest string, err error)
}

// Dispatcher runs one delivery loop per registered destination.
type Dispatcher struct {
	log  Log
	opts Options

	mu    sync.Mutex
	dests []Destination
}

// New returns a dispatcher reading from log.
func New(log Log, opts Options) *Dispatcher {
	if opts.Owner == "" {
		opts.Owner = core.NewID("proc")
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = 15 * time.Second
	}
	if opts.Poll <= 0 {
		opts.Poll = 5 * time.Second
	}
	if opts.Batch <= 0 {
		opts.Batch = 100
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 200 * time.Millisecond
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = time.Minute
	}
	if opts.HeldRecheck <= 0 {
		opts.HeldRecheck = 20 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{log: log, opts: opts}
}

// Register adds a destination. Call it before Run.
func (d *Dispatcher) Register(dest Destination) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dests = append(d.dests, dest)
}

// Run delivers to every registered destination until ctx ends, then
// releases its leases so another process can take over at once.
func (d *Dispatcher) Run(ctx context.Context) error {
	d.mu.Lock()
	dests := append([]Destination(nil), d.dests...)
	d.mu.Unlock()
	var wg sync.WaitGroup
	errs := make([]error, len(dests))
	for i, dest := range dests {
		wg.Go(func() { errs[i] = d.serve(ctx, dest) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (d *Dispatcher) serve(ctx context.Context, dest Destination) error {
	name := dest.Name()
	log := d.opts.Logger.With("destination", name)
	fs, ok := dest.(FromStart)
	for {
		err := d.log.EnsureCursor(ctx, name, ok && fs.FromStart())
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		log.Warn("cannot create the dispatch cursor; retrying", "err", err)
		if !sleep(ctx, d.opts.Poll) {
			return nil
		}
	}
	wake, cancel := d.log.Subscribe()
	defer cancel()
	w := &worker{d: d, dest: dest, name: name, log: log, wake: wake}
	// Release even when the last renewal failed (as it does when ctx ends in
	// the middle of it): Release only clears a lease this process holds.
	defer func() {
		if err := d.log.Release(context.WithoutCancel(ctx), name, d.opts.Owner); err != nil {
			log.Warn("release dispatch lease", "err", err)
		}
	}()
	return w.run(ctx)
}

type worker struct {
	d      *Dispatcher
	dest   Destination
	name   string
	log    *slog.Logger
	wake   <-chan struct{}
	leased bool
	pos    core.Position
}

func (w *worker) run(ctx context.Context) error {
	o := w.d.opts
	for ctx.Err() == nil {
		if !w.leased {
			pos, ok, err := w.d.log.Lease(ctx, w.name, o.Owner, o.LeaseTTL)
			if err != nil && ctx.Err() == nil {
				w.log.Warn("cannot lease the dispatch cursor", "err", err)
			}
			if !ok {
				// Someone else serves it; look again before their lease could lapse.
				w.idle(ctx, o.LeaseTTL/3)
				continue
			}
			w.leased, w.pos = true, pos
			w.log.Info("delivering", "from_seq", pos.Seq)
		}
		evs, held, err := w.d.log.EventsAfter(ctx, w.pos, o.Batch)
		if err != nil {
			if ctx.Err() == nil {
				w.log.Warn("cannot read the event log", "err", err)
				w.idle(ctx, o.MinBackoff)
			}
			continue
		}
		if len(evs) == 0 {
			wait := o.Poll
			if held {
				wait = o.HeldRecheck
			}
			// Renew the lease while idle, so that it never lapses.
			if wait > o.LeaseTTL/3 {
				wait = o.LeaseTTL / 3
			}
			if w.idle(ctx, wait) == idleTimeout {
				w.renew(ctx)
			}
			continue
		}
		for _, ev := range evs {
			if !w.deliver(ctx, ev) {
				break
			}
		}
	}
	return nil
}

type idleResult int

const (
	idleWoken idleResult = iota
	idleTimeout
	idleDone
)

// idle waits for a wake-up, the timeout or the end.
func (w *worker) idle(ctx context.Context, d time.Duration) idleResult {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return idleDone
	case <-w.wake:
		return idleWoken
	case <-t.C:
		return idleTimeout
	}
}

func (w *worker) renew(ctx context.Context) {
	if !w.leased {
		return
	}
	if err := w.d.log.Advance(ctx, w.name, w.d.opts.Owner, w.pos, w.d.opts.LeaseTTL); err != nil {
		w.lost(ctx, err)
	}
}

// lost drops the lease after a failed renewal. Unless it was really taken,
// the next Lease re-reads the cursor and carries on.
func (w *worker) lost(ctx context.Context, err error) {
	w.leased = false
	switch {
	case ctx.Err() != nil: // shutting down
	case errors.Is(err, ErrLeaseLost):
		w.log.Warn("another process took over this destination")
	default:
		w.log.Warn("cannot record delivery progress; will lease again", "err", err)
	}
}

// ErrLeaseLost is what a Log's Advance returns when another process took
// the destination over; it is matched by errors.Is.
var ErrLeaseLost = errors.New("dispatch lease lost to another process")

// deliver hands one event to the destination until it is taken, given up, or
// the lease or the context is lost; it reports whether to go on.
func (w *worker) deliver(ctx context.Context, ev core.Event) bool {
	o := w.d.opts
	backoff := o.MinBackoff
	for attempt := 1; ; attempt++ {
		err := w.dest.Deliver(ctx, ev)
		if err != nil && ctx.Err() != nil {
			return false
		}
		var wait time.Duration
		var ra *RetryAfterError
		var perm *PermanentError
		switch {
		case err == nil:
			if o.Metrics != nil {
				o.Metrics.Delivered(w.name, ev, attempt, time.Since(ev.CreatedAt))
			}
			return w.advance(ctx, ev.Pos)
		case errors.As(err, &perm):
			w.log.Error("destination refused an event for good; skipping it", "request", ev.RequestID, "event", ev.Type, "err", err)
			if o.Metrics != nil {
				o.Metrics.Failed(w.name, err)
			}
			if rerr := w.d.log.RecordFailure(ctx, w.name, ev, err.Error(), attempt); rerr != nil {
				w.log.Warn("record failed delivery", "err", rerr)
				if !w.sleep(ctx, backoff) {
					return false
				}
				continue
			}
			return w.advance(ctx, ev.Pos)
		case errors.As(err, &ra):
			wait = max(ra.After, 0)
			w.log.Info("destination asked to retry later", "after", wait, "request", ev.RequestID)
		default:
			wait = backoff/2 + rand.N(backoff/2+1)
			backoff = min(backoff*2, o.MaxBackoff)
			w.log.Warn("delivery failed; retrying", "attempt", attempt, "in", wait, "request", ev.RequestID, "event", ev.Type, "err", err)
		}
		if o.Metrics != nil {
			o.Metrics.Failed(w.name, err)
		}
		if !w.sleep(ctx, wait) {
			return false
		}
	}
}

// sleep waits d, renewing the lease on the way; false if the lease or the
// context was lost.
func (w *worker) sleep(ctx context.Context, d time.Duration) bool {
	step := w.d.opts.LeaseTTL / 3
	for d > 0 {
		s := min(d, step)
		if !sleep(ctx, s) {
			return false
		}
		d -= s
		w.renew(ctx)
		if !w.leased {
			return false
		}
	}
	return true
}

// advance records a delivery. It does so even when ctx has just ended, so
// that a graceful stop never makes the next process send an event again.
func (w *worker) advance(ctx context.Context, pos core.Position) bool {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := w.d.log.Advance(rctx, w.name, w.d.opts.Owner, pos, w.d.opts.LeaseTTL); err != nil {
		// The event went out but the cursor did not move: it will be sent
		// again by whoever serves next (at least once).
		w.lost(ctx, err)
		return false
	}
	w.pos = pos
	return ctx.Err() == nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
