package console

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/hub"
)

// tail is the live feeds' shared read of the event log. A commit wakes
// every console that follows its company; rather than each reading the log,
// they share reads: a feed uses the last read if it began after the
// publication that woke the feed, and otherwise waits for the next, which
// serves every feed waiting by then. The events of the last reads are
// kept, so each feed takes its own part from memory; a feed whose cursor
// is outside them (a console that comes back from far behind) reads the
// log itself.
type tail struct {
	log    func(ctx context.Context, after core.Position, limit int) ([]core.Event, bool, error)
	logEnd func(ctx context.Context) (core.Position, error)
	hub    *hub.Hub
	keep   int // how many events are kept at most

	mu      sync.Mutex
	started bool
	from    core.Position // events after from are kept,
	events  []core.Event  // in log order (never written to once appended, so feeds share them),
	end     core.Position // up to end: where the next read starts
	held    bool          // later events wait for an older transaction
	valid   bool          // the last read succeeded
	// readAt is Published when the last finished read began; reading is
	// closed when the read under way finishes, and readingAt is Published
	// when it began.
	readAt    uint64
	reading   chan struct{}
	readingAt uint64
}

// tailBatch is how many events one read of the log takes; a read goes on
// until the log is read to its end (or held).
const tailBatch = 500

// tailKeep is how many events the tail keeps: several seconds of a busy
// desk's traffic, for the feeds that fall behind a little.
const tailKeep = 2000

func newTail(st Store, eng *core.Engine, h *hub.Hub) *tail {
	return &tail{log: st.EventsAfter, logEnd: eng.LogEnd, hub: h, keep: tailKeep}
}

// after returns up to limit events after pos as the log holds them now,
// with EventsAfter's held, and more when there are more. ok is false when
// pos is not within what the tail keeps, or the read failed: the caller
// reads the log itself.
func (t *tail) after(ctx context.Context, pos core.Position, limit int) (evs []core.Event, held, more, ok bool, err error) {
	// A publication counted now woke this feed or came after the one that
	// did; a read that began after it sees the commit.
	woken := t.hub.Published()
	t.mu.Lock()
	if !t.started {
		// The tail starts where new feeds start. Feeds from before it
		// read the log themselves until they pass its start.
		t.mu.Unlock()
		end, err := t.logEnd(ctx)
		if err != nil {
			return nil, false, false, false, err
		}
		t.mu.Lock()
		if !t.started {
			t.started, t.from, t.end = true, end, end
		}
	}
	// The last read serves this feed if it began late enough, unless it
	// was held back or failed: then the next feed reads again.
	served := t.valid && t.readAt >= woken && !t.held
	for !served {
		if t.reading == nil {
			t.read(ctx)
			break
		}
		// A read is under way: if it began late enough it serves this
		// feed, else the next one does.
		reading, at := t.reading, t.readingAt
		t.mu.Unlock()
		select {
		case <-reading:
		case <-ctx.Done():
			return nil, false, false, false, ctx.Err()
		}
		t.mu.Lock()
		served = at >= woken
	}
	defer t.mu.Unlock()
	if !t.valid || pos.Less(t.from) || t.end.Less(pos) {
		return nil, false, false, false, nil
	}
	i, _ := slices.BinarySearchFunc(t.events, pos, func(e core.Event, p core.Position) int {
		switch {
		case e.Pos.Less(p):
			return -1
		case p.Less(e.Pos):
			return 1
		}
		return 0
	})
	if i < len(t.events) && t.events[i].Pos == pos {
		i++
	}
	j := min(i+limit, len(t.events))
	return t.events[i:j:j], t.held && j == len(t.events), j < len(t.events), true, nil
}

// read reads the log from where the tail ends to its end now. It is
// called with t.mu held, and returns with it held, having let it go while
// reading.
func (t *tail) read(ctx context.Context) {
	done := make(chan struct{})
	at := t.hub.Published()
	t.reading, t.readingAt = done, at
	pos := t.end
	t.mu.Unlock()
	// The read serves every feed waiting for it: one that gives up must not
	// end it for the others.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	var (
		got  []core.Event
		held bool
		err  error
	)
	for {
		var evs []core.Event
		evs, held, err = t.log(rctx, pos, tailBatch)
		if err != nil {
			break
		}
		got = append(got, evs...)
		if len(evs) > 0 {
			pos = evs[len(evs)-1].Pos
		}
		if len(evs) < tailBatch || held {
			break
		}
	}
	cancel()
	t.mu.Lock()
	t.reading = nil
	close(done)
	t.readAt, t.valid = at, err == nil
	if err != nil {
		return
	}
	t.held = held
	t.events = append(t.events, got...)
	t.end = pos
	if over := len(t.events) - t.keep; over > 0 {
		t.from = t.events[over-1].Pos
		t.events = t.events[over:]
	}
}
