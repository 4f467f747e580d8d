package dispatch

import (
	"context"
	"errors"
	"time"

	"github.com/relaydesk/relaydesk/core"
)

// scan reads the log for w's destination whenever this process holds the
// cursor's lease, and records which conversations have events to deliver.
// While its process is the only one delivering, it claims the
// conversations it records in the same transaction, as far as there are
// free lanes, and starts their lanes itself.
func (w *worker) scan(ctx, dctx context.Context) {
	o := w.d.opts
	leased := false
	var pos core.Position
	var wrote time.Time // when the cursor was last written
	defer func() {
		if leased {
			if err := w.d.log.Release(context.WithoutCancel(ctx), w.name, o.Owner); err != nil {
				w.log.Warn("release the dispatch cursor", "err", err)
			}
		}
	}()
	for ctx.Err() == nil {
		if !leased {
			p, ok, err := w.d.log.Lease(ctx, w.name, o.Owner, o.LeaseTTL)
			if err != nil && ctx.Err() == nil {
				w.log.Warn("cannot lease the dispatch cursor", "err", err)
			}
			if !ok {
				// Someone else scans; look again before their lease could lapse.
				w.idle(ctx, o.LeaseTTL/3)
				continue
			}
			leased, pos, wrote = true, p, time.Now()
			w.log.Info("scanning the event log", "from_seq", pos.Seq)
		}
		evs, held, err := w.d.log.EventsAfter(ctx, pos, o.Batch)
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
			wait = min(wait, o.LeaseTTL/3) // renew the lease while idle, so that it never lapses
			if w.idle(ctx, wait) == idleTimeout {
				if _, err := w.d.log.Advance(ctx, w.name, o.Owner, pos, o.LeaseTTL, nil, 0); err != nil {
					leased = w.lost(ctx, err)
				} else {
					wrote = time.Now()
				}
			}
			continue
		}
		last := evs[len(evs)-1].Pos
		pending := pendingOf(w.wanted(ctx, evs))
		if len(pending) == 0 && time.Since(wrote) < o.LeaseTTL/3 {
			// Nothing to record: the cursor moves on in memory and is
			// written with the next batch that matters, or while idle. A
			// successor starting from the older position only reads more.
			pos = last
			continue
		}
		// Alone, the scanner's process claims what it records at once. With
		// peers it leaves the claiming to every process's claimer: the one
		// that scans would otherwise take nearly all the work, and with it
		// no more than its share of the platform's budget.
		claim := 0
		if w.peers.Load() <= 1 {
			claim = w.free()
		}
		cs, err := w.d.log.Advance(ctx, w.name, o.Owner, last, o.LeaseTTL, pending, claim)
		if err != nil {
			leased = w.lost(ctx, err)
			continue
		}
		pos, wrote = last, time.Now()
		for _, c := range cs {
			c.next = following(evs, c)
			w.start(ctx, dctx, c)
		}
		if len(pending) > len(cs) {
			w.poke() // the claimer takes the rest as lanes come free
		}
	}
}

// wanted keeps the events the destination may have something to do with.
func (w *worker) wanted(ctx context.Context, evs []core.Event) []core.Event {
	sel, ok := w.dest.(Selective)
	if !ok {
		return evs
	}
	out := evs[:0:0]
	for _, e := range evs {
		want, err := sel.Wants(ctx, e)
		if err != nil {
			if ctx.Err() == nil {
				w.log.Warn("cannot tell whether an event concerns this destination; keeping it", "request", e.RequestID, "err", err)
			}
			want = true
		}
		if want {
			out = append(out, e)
		}
	}
	return out
}

// following returns c's events in evs if they are the very next ones after
// its last delivered, so that its lane need not read them again. A
// request's events appear in the log in rseq order, so those in one batch
// are consecutive.
func following(evs []core.Event, c Conv) []core.Event {
	var out []core.Event
	for _, e := range evs {
		if e.RequestID == c.RequestID {
			out = append(out, e)
		}
	}
	if len(out) == 0 || out[0].RSeq != c.Delivered+1 {
		return nil
	}
	return out
}

// pendingOf groups events by request, in the order requests first appear.
func pendingOf(evs []core.Event) []Pending {
	at := map[string]int{}
	var out []Pending
	for _, e := range evs {
		if i, ok := at[e.RequestID]; ok {
			out[i].Last = max(out[i].Last, e.RSeq)
			continue
		}
		at[e.RequestID] = len(out)
		out = append(out, Pending{RequestID: e.RequestID, Last: e.RSeq})
	}
	return out
}

// lost reports whether the scanner still holds the lease after a failed
// write: never, but it says why in the log.
func (w *worker) lost(ctx context.Context, err error) bool {
	switch {
	case ctx.Err() != nil: // shutting down
	case errors.Is(err, ErrLeaseLost):
		w.log.Warn("another process took over scanning for this destination")
	default:
		w.log.Warn("cannot record scanning progress; will lease again", "err", err)
		w.idle(ctx, w.d.opts.MinBackoff)
	}
	return false
}

type idleResult int

const (
	idleWoken idleResult = iota
	idleTimeout
	idleDone
)

// idle waits for a commit, the timeout or the end.
func (w *worker) idle(ctx context.Context, d time.Duration) idleResult {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return idleDone
	case <-w.commits:
		return idleWoken
	case <-t.C:
		return idleTimeout
	}
}
