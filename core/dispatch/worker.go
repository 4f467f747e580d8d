package dispatch

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/relaydesk/relaydesk/core"
)

// worker serves one destination in this process: the scanner (while it
// holds the cursor's lease), the claimer and the lanes, one per claimed
// conversation.
type worker struct {
	d    *Dispatcher
	dest Destination
	name string
	log  *slog.Logger

	commits <-chan struct{} // the scanner's subscription to the log
	wake    chan struct{}   // the claimer's: work may be ready
	peers   atomic.Int64
	parked  parked
	settled settler
	slots   chan struct{} // one per lane running: Options.InFlight at most
	lanes   sync.WaitGroup

	mu   sync.Mutex
	dues []time.Time // when conversations this process parked become ready
}

func newWorker(d *Dispatcher, dest Destination) *worker {
	w := &worker{d: d, dest: dest, name: dest.Name(), wake: make(chan struct{}, 1)}
	w.log = d.opts.Logger.With("destination", w.name)
	w.peers.Store(1)
	w.settled = settler{w: w, kick: make(chan struct{}, 1)}
	w.slots = make(chan struct{}, d.opts.InFlight)
	return w
}

// poke wakes the claimer.
func (w *worker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *worker) run(ctx context.Context) error {
	o := w.d.opts
	fs, ok := w.dest.(FromStart)
	for {
		err := w.d.log.EnsureCursor(ctx, w.name, ok && fs.FromStart())
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		w.log.Warn("cannot create the dispatch cursor; retrying", "err", err)
		if !sleep(ctx, o.Poll) {
			return nil
		}
	}
	commits, cancelScan := w.d.log.Subscribe()
	defer cancelScan()
	w.commits = commits
	claims, cancelClaims := w.d.log.Subscribe()
	defer cancelClaims()

	// Deliveries outlive ctx by the grace period, so that a graceful stop
	// records what it sent instead of sending it again from elsewhere.
	dctx, cancelDeliveries := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelDeliveries()
	stopGrace := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(o.Grace, cancelDeliveries)
		context.AfterFunc(dctx, func() { t.Stop() })
	})
	defer stopGrace()

	// Progress is written until the lanes are done, and then for at most
	// the grace period again: what was sent must be recorded if at all
	// possible.
	sctx, cancelSettle := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelSettle()
	var scanning, renewing, settling sync.WaitGroup
	scanning.Go(func() { w.scan(ctx, dctx) })
	renewing.Go(func() { w.renew(ctx) })
	settling.Go(func() { w.settled.run(sctx) })
	w.claim(ctx, dctx, claims)
	scanning.Wait() // starts no lane after this
	w.lanes.Wait()
	w.settled.close()
	t := time.AfterFunc(o.Grace, cancelSettle)
	settling.Wait()
	t.Stop()
	renewing.Wait()
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.Grace)
	defer cancel()
	if err := w.d.log.Leave(lctx, w.name, o.Owner); err != nil {
		w.log.Warn("release conversations", "err", err)
	}
	return nil
}

// free is how many more lanes may start now.
func (w *worker) free() int { return cap(w.slots) - len(w.slots) }

// start runs a lane for a claimed conversation. The slot is taken at once
// when free() said so; the claimer and the scanner may both have counted
// the last one, and then one waits for a lane to end.
func (w *worker) start(ctx, dctx context.Context, c Conv) {
	w.slots <- struct{}{}
	w.lanes.Go(func() {
		defer func() {
			<-w.slots
			w.poke()
		}()
		w.lane(ctx, dctx, c)
	})
}

// claim takes ready conversations whenever there is a free slot and work
// may be ready, and starts a lane for each.
func (w *worker) claim(ctx, dctx context.Context, commits <-chan struct{}) {
	o := w.d.opts
	for ctx.Err() == nil {
		free := w.free()
		n, more := w.room(free)
		var got int
		var next time.Time // when a conversation another process parked is due
		if n > 0 {
			cs, due, err := w.d.log.Claim(ctx, w.name, o.Owner, n, o.LeaseTTL)
			if err != nil && ctx.Err() == nil {
				w.log.Warn("cannot claim conversations to deliver", "err", err)
			}
			got, next = len(cs), due
			for _, c := range cs {
				w.start(ctx, dctx, c)
			}
		}
		if got > 0 && got == free {
			continue // there may be more
		}
		wait := o.Poll
		if due := w.due(); !due.IsZero() {
			wait = min(wait, max(time.Until(due), 0))
		}
		if !next.IsZero() && free > got {
			wait = min(wait, max(time.Until(next), 0))
		}
		if got == n && n < free {
			// The budget held the claim back, not the lanes: there may be
			// more to take once it allows.
			wait = min(wait, max(more, time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-commits:
		case <-w.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// room is how many conversations the claimer may take now: as many as
// there are free lanes, and while other processes deliver to the
// destination too, no more than its budget lets this one send now (see
// Budgeted); more says how soon the budget allows one more.
func (w *worker) room(free int) (n int, more time.Duration) {
	b, ok := w.dest.(Budgeted)
	if !ok || free == 0 || w.peers.Load() <= 1 {
		return free, 0
	}
	n, more = b.Room()
	return min(max(n, 0), free), more
}

// due returns when the next conversation this process parked becomes
// ready (a time past if one is ready now), and forgets those whose time has
// come; zero if none waits.
func (w *worker) due() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	var next time.Time
	ready := false
	kept := w.dues[:0]
	for _, t := range w.dues {
		if !t.After(now) {
			ready = true
			continue
		}
		kept = append(kept, t)
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	w.dues = kept
	if ready {
		return now
	}
	return next
}

// parkedUntil notes that a conversation this process parked is ready at t,
// so that the claimer looks for it then rather than at its next poll.
func (w *worker) parkedUntil(t time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.dues = append(w.dues, t)
}

// renew keeps this process's leases and membership alive.
func (w *worker) renew(ctx context.Context) {
	o := w.d.opts
	for {
		n, err := w.d.log.Renew(ctx, w.name, o.Owner, o.LeaseTTL)
		if err != nil && ctx.Err() == nil {
			w.log.Warn("cannot renew delivery leases", "err", err)
		} else if err == nil && int64(n) != w.peers.Swap(int64(n)) {
			w.log.Info("processes delivering to this destination", "count", n)
		}
		if !sleep(ctx, o.LeaseTTL/3) {
			return
		}
	}
}

// lane delivers one claimed conversation's events in order until it has
// none left, must wait long for a retry, or the process stops.
func (w *worker) lane(ctx, dctx context.Context, c Conv) {
	o := w.d.opts
	p := Progress{RequestID: c.RequestID, Delivered: c.Delivered, Attempts: c.Attempts}
	release := func(next time.Time) {
		p.Release, p.NextAt = true, next
		w.settled.add(p)
	}
	for {
		if ctx.Err() != nil {
			release(time.Time{})
			return
		}
		evs, err := c.next, error(nil)
		if c.next == nil {
			evs, err = w.d.log.RequestEvents(dctx, c.RequestID, p.Delivered, o.Batch)
		}
		c.next = nil
		if err != nil {
			w.log.Warn("cannot read a request's events", "request", c.RequestID, "err", err)
			release(time.Now().Add(o.MinBackoff))
			return
		}
		if len(evs) == 0 {
			release(time.Time{})
			return
		}
		for _, ev := range evs {
			if ctx.Err() != nil { // stopping: finish the call in flight, start no other
				release(time.Time{})
				return
			}
			if next, ok := w.deliver(ctx, dctx, ev, &p); !ok {
				release(next)
				return
			}
		}
	}
}

// deliver tries one event until it is taken or given up (true), or the
// conversation must let go (false) until next.
func (w *worker) deliver(ctx, dctx context.Context, ev core.Event, p *Progress) (next time.Time, ok bool) {
	o := w.d.opts
	d := w.parked.take(ev)
	if d == nil {
		d = NewDelivery(ev)
	}
	backoff := o.MinBackoff
	for i := 0; i < p.Attempts; i++ {
		backoff = min(backoff*2, o.MaxBackoff)
	}
	for {
		d.Attempt = p.Attempts + 1
		err := w.dest.Deliver(dctx, d)
		var wait time.Duration
		var ra *RetryAfterError
		var perm *PermanentError
		var paced *WaitError
		if errors.As(err, &paced) && dctx.Err() == nil {
			// Nothing was sent, and the destination already waited in
			// place as long as it would. The conversation queues in the
			// database: conversations waiting for the same budget are then
			// claimed in the order they queued, where lanes sleeping side
			// by side would race for each turn.
			next := time.Now().Add(paced.After)
			w.parked.put(ev.RequestID, d)
			w.parkedUntil(next)
			return next, false
		}
		switch {
		case err == nil:
			lag := time.Since(ev.CreatedAt)
			if o.Metrics != nil {
				o.Metrics.Delivered(w.name, ev, d.Attempt, lag)
			}
			w.log.Debug("delivered", append(eventAttrs(ev), "attempt", d.Attempt, "lag", lag)...)
			w.done(p, ev, d)
			return time.Time{}, true
		case errors.As(err, &perm):
			w.log.Warn("destination refused an event for good; skipping it", append(eventAttrs(ev), "err", err)...)
			if o.Metrics != nil {
				o.Metrics.Failed(w.name, err)
			}
			if rerr := w.d.log.RecordFailure(dctx, w.name, ev, perm.Err.Error(), d.Attempt); rerr != nil {
				w.log.Warn("record failed delivery", "err", rerr)
				return time.Now().Add(backoff), false
			}
			w.done(p, ev, d)
			return time.Time{}, true
		case dctx.Err() != nil:
			return time.Time{}, false
		case errors.As(err, &ra):
			wait = max(ra.After, 0)
			w.log.Debug("destination asked to retry later", append(eventAttrs(ev), "after", wait, "err", err)...)
		default:
			wait = backoff/2 + rand.N(backoff/2+1)
			backoff = min(backoff*2, o.MaxBackoff)
			w.log.Warn("delivery failed; retrying", append(eventAttrs(ev), "attempt", d.Attempt, "in", wait, "err", err)...)
		}
		if o.Metrics != nil {
			o.Metrics.Failed(w.name, err)
		}
		p.Attempts, p.Error = p.Attempts+1, err.Error()
		if wait > o.ParkAfter || ctx.Err() != nil {
			next := time.Now().Add(wait)
			w.parked.put(ev.RequestID, d)
			w.parkedUntil(next)
			return next, false
		}
		w.settled.add(*p) // the retrying state, for people to see
		if !sleep(ctx, wait) {
			w.parked.put(ev.RequestID, d)
			return time.Now().Add(wait), false
		}
	}
}

// done records ev as delivered or given up.
func (w *worker) done(p *Progress, ev core.Event, d *Delivery) {
	p.Delivered, p.Attempts, p.Error = ev.RSeq, 0, ""
	p.Used = p.Used || d.used()
	w.settled.add(*p)
}

// settler writes the progress of this process's conversations for one
// destination: whatever has queued up since the last write goes in the
// next, so that a quiet desk records each delivery at once and a busy one
// many per statement.
type settler struct {
	w    *worker
	kick chan struct{}

	mu      sync.Mutex
	pending map[string]Progress
	order   []string
	closed  bool
}

func (s *settler) add(p Progress) {
	s.mu.Lock()
	if s.pending == nil {
		s.pending = map[string]Progress{}
	}
	prev, ok := s.pending[p.RequestID]
	if !ok {
		s.order = append(s.order, p.RequestID)
	}
	p.Used = p.Used || prev.Used
	s.pending[p.RequestID] = p
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// close makes run write what is left and return.
func (s *settler) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *settler) take() ([]Progress, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Progress, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.pending[id])
	}
	s.pending, s.order = nil, nil
	return out, s.closed
}

func (s *settler) run(ctx context.Context) {
	w := s.w
	o := w.d.opts
	for {
		ps, closed := s.take()
		for len(ps) > 0 {
			err := w.d.log.Settle(ctx, w.name, o.Owner, ps)
			if err == nil {
				released := false
				for _, p := range ps {
					released = released || p.Release
				}
				if released {
					w.poke()
				}
				break
			}
			if ctx.Err() != nil {
				w.log.Warn("stopped before recording delivery progress; those events will be sent again", "conversations", len(ps))
				return
			}
			w.log.Warn("cannot record delivery progress; retrying", "err", err)
			sleep(ctx, o.MinBackoff)
		}
		if closed {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		}
	}
}

// eventAttrs name an event on a delivery's log line (the destination is
// on every line of the worker's logger): its request, by ID and by the
// number people use, and its type.
func eventAttrs(ev core.Event) []any {
	attrs := []any{"request", ev.RequestID}
	if ev.Data.Number != 0 {
		attrs = append(attrs, "number", ev.Data.Number)
	}
	return append(attrs, "event", ev.Type)
}
