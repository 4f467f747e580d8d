package dispatch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/testwait"
)

// sink collects what destinations received, and signals each delivery.
type sink struct {
	mu       sync.Mutex
	got      []core.Event
	by       []string
	distinct map[core.Position]bool
	tick     chan struct{}
}

func newSink() *sink {
	return &sink{tick: make(chan struct{}, 10000), distinct: map[core.Position]bool{}}
}

func (s *sink) add(tag string, e core.Event) {
	s.mu.Lock()
	s.got = append(s.got, e)
	s.distinct[e.Pos] = true
	s.by = append(s.by, tag)
	s.mu.Unlock()
	s.tick <- struct{}{}
}

func (s *sink) events() []core.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]core.Event(nil), s.got...)
}

func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.distinct)
}

// wait blocks until n distinct events were delivered, failing after a
// deadline (a guard against hanging, not a synchronisation).
func (s *sink) wait(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for s.count() < n {
		select {
		case <-s.tick:
		case <-deadline:
			t.Fatalf("only %d of %d events delivered", s.count(), n)
		}
	}
}

// dest is a destination that records into a sink; fail decides, per
// attempt, whether to refuse an event.
type dest struct {
	name     string
	tag      string
	sink     *sink
	mu       sync.Mutex
	attempts map[core.Position][]time.Time
	fail     func(e core.Event, attempt int) error
	before   func(e core.Event) // called as a delivery starts
	after    func(n int)        // called after the n-th successful delivery
	n        int
}

func (d *dest) Name() string    { return d.name }
func (d *dest) FromStart() bool { return true }

func (d *dest) Deliver(ctx context.Context, dl *dispatch.Delivery) error {
	e := dl.Event
	if d.before != nil {
		d.before(e)
	}
	d.mu.Lock()
	if d.attempts == nil {
		d.attempts = map[core.Position][]time.Time{}
	}
	d.attempts[e.Pos] = append(d.attempts[e.Pos], time.Now())
	attempt := len(d.attempts[e.Pos])
	d.mu.Unlock()
	if d.fail != nil {
		if err := d.fail(e, attempt); err != nil {
			return err
		}
	}
	dl.MarkSent("line")
	d.sink.add(d.tag, e)
	d.mu.Lock()
	d.n++
	n := d.n
	d.mu.Unlock()
	if d.after != nil {
		d.after(n)
	}
	return nil
}

func (d *dest) tries(pos core.Position) []time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]time.Time(nil), d.attempts[pos]...)
}

func fast() dispatch.Options {
	return dispatch.Options{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Poll: 50 * time.Millisecond}
}

// fill appends n requests of two events each (opened + first message).
func fill(t *testing.T, d *storetest.Desk, n, from int) []core.Opened {
	t.Helper()
	var out []core.Opened
	for i := range n {
		out = append(out, d.Open(t, d.Acme, fmt.Sprintf("c%d@example.com", from+i), fmt.Sprintf("message %d", from+i)))
	}
	return out
}

// logged reads the whole log straight from the table, as a reference.
// (EventsAfter would hide the events of transactions younger than one still
// running, such as a dispatcher's cursor update.)
func logged(t *testing.T, s *sqlstore.Store) []core.Event {
	t.Helper()
	var rows []struct {
		TxID      int64  `db:"txid"`
		Seq       int64  `db:"seq"`
		RequestID string `db:"request_id"`
		RSeq      int64  `db:"rseq"`
	}
	if err := s.DB().Select(&rows, `SELECT txid, seq, request_id, rseq FROM events ORDER BY txid, seq`); err != nil {
		t.Fatal(err)
	}
	out := make([]core.Event, len(rows))
	for i, r := range rows {
		out[i] = core.Event{Pos: core.Position{TxID: r.TxID, Seq: r.Seq}, RequestID: r.RequestID, RSeq: r.RSeq}
	}
	return out
}

// checkDelivered checks that k received every event of want, each
// request's in order, and none twice, except that what the process tagged
// mayRepeat delivered (a killed one, which could not record all it sent)
// may come again once.
func checkDelivered(t *testing.T, k *sink, want []core.Event, mayRepeat string) {
	t.Helper()
	k.mu.Lock()
	got, by := append([]core.Event(nil), k.got...), append([]string(nil), k.by...)
	k.mu.Unlock()
	first := map[core.Position]string{}
	seen := map[core.Position]int{}
	last := map[string]int64{}
	for i, e := range got {
		seen[e.Pos]++
		if seen[e.Pos] > 1 {
			if mayRepeat == "" || first[e.Pos] != mayRepeat || seen[e.Pos] > 2 {
				t.Fatalf("event %v (request %s #%d) delivered %d times", e.Pos, e.RequestID, e.RSeq, seen[e.Pos])
			}
			continue
		}
		first[e.Pos] = by[i]
		if e.RSeq <= last[e.RequestID] {
			t.Fatalf("request %s: event %d delivered after event %d", e.RequestID, e.RSeq, last[e.RequestID])
		}
		last[e.RequestID] = e.RSeq
	}
	for _, e := range want {
		if seen[e.Pos] == 0 {
			t.Fatalf("event %v (request %s #%d) was never delivered", e.Pos, e.RequestID, e.RSeq)
		}
	}
	if len(seen) != len(want) {
		t.Fatalf("delivered %d distinct events, the log has %d", len(seen), len(want))
	}
}

func run(t *testing.T, d *dispatch.Dispatcher) (cancel func()) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	cancel = func() {
		once.Do(func() {
			stop()
			if err := <-done; err != nil {
				t.Errorf("dispatcher: %v", err)
			}
		})
	}
	t.Cleanup(cancel)
	return cancel
}

// TestDeliveryThroughFailures: a destination that fails several times before
// taking an event still gets every event exactly once, each request's in
// order.
func TestDeliveryThroughFailures(t *testing.T) {
	t.Parallel()
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			s := be.New(t)
			desk := storetest.NewDesk(t, s)
			fill(t, desk, 10, 0)
			k := newSink()
			flaky := &dest{name: "flaky", sink: k, fail: func(e core.Event, attempt int) error {
				if e.Pos.Seq%3 == 0 && attempt <= 3 {
					return errors.New("platform answered 500")
				}
				return nil
			}}
			disp := dispatch.New(s, fast())
			disp.Register(flaky)
			run(t, disp)
			fill(t, desk, 10, 10) // while it runs, too
			want := logged(t, s)
			k.wait(t, len(want))
			checkDelivered(t, k, want, "")
			for _, e := range want {
				if tries := flaky.tries(e.Pos); e.Pos.Seq%3 == 0 && len(tries) != 4 {
					t.Fatalf("event %v tried %d times, want 3 failures and a success", e.Pos, len(tries))
				}
			}
		})
	}
}

// TestConversationsInParallel: different requests are delivered at the same
// time. The destination lets no call finish until four are in flight at
// once, which one-at-a-time delivery never reaches.
func TestConversationsInParallel(t *testing.T) {
	t.Parallel()
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			s := be.New(t)
			desk := storetest.NewDesk(t, s)
			fill(t, desk, 8, 0)
			want := logged(t, s)
			const together = 4
			var inside atomic.Int32
			all := make(chan struct{})
			var once sync.Once
			k := newSink()
			d := &dest{name: "parallel", sink: k, before: func(core.Event) {
				if inside.Add(1) >= together {
					once.Do(func() { close(all) })
				}
				select {
				case <-all:
				case <-time.After(20 * time.Second):
				}
			}}
			opts := fast()
			opts.InFlight = together
			disp := dispatch.New(s, opts)
			disp.Register(d)
			run(t, disp)
			select {
			case <-all:
			case <-time.After(20 * time.Second):
				t.Fatalf("at most %d deliveries were in flight at once, want %d", inside.Load(), together)
			}
			k.wait(t, len(want))
			checkDelivered(t, k, want, "")
		})
	}
}

// crashingLog is a process's view of the log that dies at a moment the
// test chooses: from then on nothing it writes reaches the database, and it
// never releases its leases, as a killed process would not.
type crashingLog struct {
	dispatch.Log
	crashed atomic.Bool
}

var errKilled = errors.New("process killed")

func (c *crashingLog) Advance(ctx context.Context, dest, owner string, pos core.Position, ttl time.Duration, p []dispatch.Pending, claim int) ([]dispatch.Conv, error) {
	if c.crashed.Load() {
		return nil, errKilled
	}
	return c.Log.Advance(ctx, dest, owner, pos, ttl, p, claim)
}

func (c *crashingLog) Settle(ctx context.Context, dest, owner string, ps []dispatch.Progress) error {
	if c.crashed.Load() {
		return errKilled
	}
	return c.Log.Settle(ctx, dest, owner, ps)
}

func (c *crashingLog) Release(ctx context.Context, dest, owner string) error {
	if c.crashed.Load() {
		return nil
	}
	return c.Log.Release(ctx, dest, owner)
}

func (c *crashingLog) Leave(ctx context.Context, dest, owner string) error {
	if c.crashed.Load() {
		return nil
	}
	return c.Log.Leave(ctx, dest, owner)
}

func (c *crashingLog) Claim(ctx context.Context, dest, owner string, n int, ttl time.Duration) ([]dispatch.Conv, time.Time, error) {
	if c.crashed.Load() {
		return nil, time.Time{}, errKilled
	}
	return c.Log.Claim(ctx, dest, owner, n, ttl)
}

// TestResumeAfterCrash kills a dispatcher after some deliveries, before it
// records the last of them, and starts another on a new connection to the
// same database: once the dead one's leases lapse it delivers the rest,
// losing nothing; only what was in flight at the crash may come twice.
func TestResumeAfterCrash(t *testing.T) {
	t.Parallel()
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			url := be.Migrated(t)
			s1 := storetest.Open(t, url)
			desk := storetest.NewDesk(t, s1)
			fill(t, desk, 20, 0)
			want := logged(t, s1)
			k := newSink()
			ctx, stop := context.WithCancel(context.Background())
			log1 := &crashingLog{Log: s1}
			first := &dest{name: "chat", tag: "first", sink: k, after: func(n int) {
				if n == 15 {
					log1.crashed.Store(true)
					stop()
				}
			}}
			opts := fast()
			opts.LeaseTTL = time.Second
			opts.InFlight = 4
			// A killed process records nothing, however long it is given.
			opts.Grace = 100 * time.Millisecond
			d1 := dispatch.New(log1, opts)
			d1.Register(first)
			if err := d1.Run(ctx); err != nil {
				t.Fatal(err)
			}
			before := len(k.events())
			if before < 15 {
				t.Fatalf("first dispatcher delivered %d, want at least 15", before)
			}

			s2 := storetest.Open(t, url)
			d2 := dispatch.New(s2, opts)
			d2.Register(&dest{name: "chat", tag: "second", sink: k})
			run(t, d2)
			k.wait(t, len(want))
			// What the dead process sent but did not record may come again.
			checkDelivered(t, k, want, "first")
		})
	}
}

// TestResumeAfterStop stops a dispatcher gracefully in the middle of the
// stream; the next one, on a new connection, delivers the rest: nothing
// lost, nothing twice.
func TestResumeAfterStop(t *testing.T) {
	t.Parallel()
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			url := be.Migrated(t)
			s1 := storetest.Open(t, url)
			desk := storetest.NewDesk(t, s1)
			fill(t, desk, 20, 0)
			want := logged(t, s1)
			k := newSink()
			ctx, stop := context.WithCancel(context.Background())
			first := &dest{name: "chat", sink: k, after: func(n int) {
				if n == 15 {
					stop()
				}
			}}
			d1 := dispatch.New(s1, fast())
			d1.Register(first)
			if err := d1.Run(ctx); err != nil {
				t.Fatal(err)
			}
			d2 := dispatch.New(storetest.Open(t, url), fast())
			d2.Register(&dest{name: "chat", sink: k})
			run(t, d2)
			k.wait(t, len(want))
			checkDelivered(t, k, want, "")
		})
	}
}

// convState reads a conversation's delivery bookkeeping.
func convState(t *testing.T, s *sqlstore.Store, dest, requestID string) (delivered, attempts int64, lastError string) {
	t.Helper()
	var r struct {
		Delivered int64  `db:"delivered"`
		Attempts  int64  `db:"attempts"`
		LastError string `db:"last_error"`
	}
	err := s.DB().Get(&r, s.DB().Rebind(`SELECT delivered, attempts, last_error FROM dispatch_convs
		WHERE destination = ? AND request_id = ?`), dest, requestID)
	if err != nil {
		t.Fatal(err)
	}
	return r.Delivered, r.Attempts, r.LastError
}

// TestRetryAfterHoldsOnlyItsConversation: a "retry after" for one request
// holds that request back at least as long as asked, while every other
// request flows on; the held one's state says why it waits.
func TestRetryAfterHoldsOnlyItsConversation(t *testing.T) {
	t.Parallel()
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			s := be.New(t)
			desk := storetest.NewDesk(t, s)
			opened := fill(t, desk, 6, 0)
			want := logged(t, s)
			slow := opened[2].Request.ID
			var held core.Event
			for _, e := range want {
				if e.RequestID == slow && e.RSeq == 2 {
					held = e
				}
			}
			const wait = 700 * time.Millisecond
			k := newSink()
			var release atomic.Bool
			limited := &dest{name: "limited", sink: k, fail: func(e core.Event, attempt int) error {
				if e.Pos == held.Pos && !release.Load() {
					return &dispatch.RetryAfterError{After: wait, Err: errors.New("429 Too Many Requests for this chat")}
				}
				return nil
			}}
			opts := fast()
			opts.ParkAfter = 100 * time.Millisecond
			disp := dispatch.New(s, opts)
			disp.Register(limited)
			run(t, disp)
			k.wait(t, len(want)-1) // all but the held event, without waiting for it
			for _, e := range k.events() {
				if e.Pos == held.Pos {
					t.Fatal("the held event went out while the platform said to wait")
				}
			}
			testwait.Eventually(t, "the held conversation's state", func() bool {
				d, n, why := convState(t, s, "limited", slow)
				return d == 1 && n >= 1 && why != ""
			})
			release.Store(true)
			k.wait(t, len(want))
			checkDelivered(t, k, want, "")
			tries := limited.tries(held.Pos)
			if gap := tries[len(tries)-1].Sub(tries[len(tries)-2]); gap < wait {
				t.Fatalf("retried after %v, before the %v the destination asked for", gap, wait)
			}
			testwait.Eventually(t, "the delivered state", func() bool {
				d, n, why := convState(t, s, "limited", slow)
				return d == 2 && n == 0 && why == ""
			})
		})
	}
}

// TestPermanentFailure: an event a destination refuses for good is recorded
// and skipped; the rest flows on.
func TestPermanentFailure(t *testing.T) {
	t.Parallel()
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			s := be.New(t)
			desk := storetest.NewDesk(t, s)
			fill(t, desk, 3, 0)
			want := logged(t, s)
			bad := want[1]
			k := newSink()
			blocked := &dest{name: "blocked", sink: k, fail: func(e core.Event, attempt int) error {
				if e.Pos == bad.Pos {
					return &dispatch.PermanentError{Err: errors.New("403 bot was blocked by the user")}
				}
				return nil
			}}
			disp := dispatch.New(s, fast())
			disp.Register(blocked)
			run(t, disp)
			k.wait(t, len(want)-1)
			checkDelivered(t, k, append(want[:1:1], want[2:]...), "")
			testwait.Eventually(t, "the failure on record", func() bool {
				var n int
				if err := s.DB().Get(&n, s.DB().Rebind(`SELECT COUNT(*) FROM dispatch_failures WHERE destination = ? AND seq = ? AND rseq = ?`),
					"blocked", bad.Pos.Seq, bad.RSeq); err != nil || n > 1 {
					t.Fatalf("failure recorded %d times (%v)", n, err)
				}
				return n == 1
			})
		})
	}
}

// picky is a destination that wants only one company's events.
type picky struct {
	dest
	company string
	asked   atomic.Int64
}

func (p *picky) Wants(ctx context.Context, ev core.Event) (bool, error) {
	p.asked.Add(1)
	return ev.CompanyID == p.company, nil
}

// TestSelectiveDestination: events a destination does not want are never
// passed to it and leave no conversation behind, while those it wants are
// delivered as usual, in order.
func TestSelectiveDestination(t *testing.T) {
	t.Parallel()
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := be.New(t)
			desk := storetest.NewDesk(t, s)
			acme := fill(t, desk, 5, 0)
			g := &picky{dest: dest{name: "globex-only", sink: newSink()}, company: desk.Globex.ID}
			disp := dispatch.New(s, fast())
			disp.Register(g)
			run(t, disp)
			acme = append(acme, fill(t, desk, 5, 5)...)
			// The scanner reads the log in order: once Globex's request,
			// opened last, has arrived, every Acme event was weighed.
			globex := desk.Open(t, desk.Globex, "g@example.com", "hello from Globex")
			var want []core.Event
			for _, e := range logged(t, s) {
				if e.RequestID == globex.Request.ID {
					want = append(want, e)
				}
			}
			g.sink.wait(t, len(want))
			checkDelivered(t, g.sink, want, "")
			if n := g.asked.Load(); n < int64(len(want)+20) {
				t.Errorf("Wants was asked %d times; the log has %d events", n, len(want)+20)
			}
			for _, o := range acme {
				ps, err := s.DeliveryProgress(ctx, o.Request.ID)
				if err != nil {
					t.Fatal(err)
				}
				if len(ps) != 0 {
					t.Errorf("request %s, which the destination does not want, has conversations: %+v", o.Request.ID, ps)
				}
			}
		})
	}
}

// TestAdvanceClaims: the scanner's write claims the conversations it
// records, in the same transaction, so that no other process takes them
// and no second write is needed.
func TestAdvanceClaims(t *testing.T) {
	t.Parallel()
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := be.New(t)
			desk := storetest.NewDesk(t, s)
			if err := s.EnsureCursor(ctx, "d", false); err != nil {
				t.Fatal(err)
			}
			pos, ok, err := s.Lease(ctx, "d", "one", time.Minute)
			if err != nil || !ok {
				t.Fatalf("lease: %v %v", ok, err)
			}
			o := fill(t, desk, 2, 0)
			// Other tests' transactions on the PostgreSQL server may hold
			// the new events back for a moment.
			var evs []core.Event
			testwait.Until(t, "the events to be read", func() error {
				var held bool
				var err error
				if evs, held, err = s.EventsAfter(ctx, pos, 100); err != nil {
					t.Fatal(err)
				}
				if held || len(evs) == 0 {
					return fmt.Errorf("%d events, held back %v", len(evs), held)
				}
				return nil
			})
			pending := []dispatch.Pending{{RequestID: o[0].Request.ID, Last: 2}, {RequestID: o[1].Request.ID, Last: 2}}
			got, err := s.Advance(ctx, "d", "one", evs[len(evs)-1].Pos, time.Minute, pending, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Delivered != 0 {
				t.Fatalf("claimed %+v, want one conversation from its start", got)
			}
			if other, _, err := s.Claim(ctx, "d", "two", 10, time.Minute); err != nil || len(other) != 1 || other[0].RequestID == got[0].RequestID {
				t.Fatalf("another process claimed %+v (%v), want only the conversation left", other, err)
			}
			if none, err := s.Advance(ctx, "d", "one", evs[len(evs)-1].Pos, time.Minute, nil, 10); err != nil || len(none) != 0 {
				t.Fatalf("an advance with nothing new claimed %+v (%v)", none, err)
			}
		})
	}
}

// spent is a destination whose process has used up its share of the
// platform's budget for a long while.
type spent struct {
	dest
	weighed atomic.Int64 // how often the dispatcher asked
}

func (s *spent) Room() (int, time.Duration) {
	s.weighed.Add(1)
	return 0, time.Hour
}

// TestClaimsNoMoreThanItsBudget: while another process delivers to the
// same destination, a process whose share of the platform's budget has no
// room claims nothing, though all its lanes are free and the other
// process's only lane is busy: the conversations wait for the process that
// can send them rather than queue behind a spent budget. Alone, the same
// process claims them: nobody else could send them sooner.
func TestClaimsNoMoreThanItsBudget(t *testing.T) {
	t.Parallel()
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			s := be.New(t)
			desk := storetest.NewDesk(t, s)
			first := fill(t, desk, 1, 0)[0]
			k := newSink()
			opts := fast()
			opts.LeaseTTL = 3 * time.Second // members are counted every second

			// "rich" starts alone and holds its one lane with the first request.
			holding, hold := make(chan struct{}), make(chan struct{})
			held, release := sync.OnceFunc(func() { close(holding) }), sync.OnceFunc(func() { close(hold) })
			opts.Owner, opts.InFlight = "rich", 1
			rich := dispatch.New(s, opts)
			rich.Register(&dest{name: "shared", tag: "rich", sink: k, before: func(e core.Event) {
				if e.RequestID == first.Request.ID {
					held()
					<-hold
				}
			}})
			stopRich := run(t, rich)
			t.Cleanup(release) // before the dispatcher stops
			select {
			case <-holding:
			case <-time.After(testwait.Deadline):
				t.Fatal("the first request was never delivered")
			}

			opts.Owner, opts.InFlight = "poor", 8
			poorDest := &spent{dest: dest{name: "shared", tag: "poor", sink: k}}
			poor := dispatch.New(s, opts)
			poor.Register(poorDest)
			run(t, poor)
			testwait.Eventually(t, "each process to count two", func() bool {
				return rich.Peers("shared") == 2 && poor.Peers("shared") == 2
			})

			fill(t, desk, 5, 1)
			testwait.Until(t, "the scanner to record the new conversations", func() error {
				var n int
				if err := s.DB().Get(&n, `SELECT COUNT(*) FROM dispatch_convs WHERE destination = 'shared' AND pending = 2`); err != nil {
					t.Fatal(err)
				}
				if n != 6 {
					return fmt.Errorf("%d of 6 recorded", n)
				}
				return nil
			})
			// Once "poor" has weighed its budget since, it has passed them by.
			weighed := poorDest.weighed.Load()
			testwait.Eventually(t, `"poor" to weigh its budget again, or to deliver`, func() bool {
				return poorDest.weighed.Load() > weighed || deliveredBy(k, "poor") > 0
			})
			release()
			want := logged(t, s)
			k.wait(t, len(want))
			checkDelivered(t, k, want, "")
			if n := deliveredBy(k, "poor"); n > 0 {
				t.Fatalf("the process without budget claimed conversations and delivered %d events", n)
			}

			stopRich() // leaves: "poor" is alone
			fill(t, desk, 1, 6)
			want = logged(t, s)
			k.wait(t, len(want))
			checkDelivered(t, k, want, "")
			if n := deliveredBy(k, "poor"); n != 2 {
				t.Fatalf("alone, the process without budget delivered %d events, want the new request's 2", n)
			}
		})
	}
}

// deliveredBy counts the deliveries the process tagged tag made.
func deliveredBy(k *sink, tag string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := 0
	for _, by := range k.by {
		if by == tag {
			n++
		}
	}
	return n
}

// TestDeliveryLogLines: a failed delivery's log line (JSON, as LOG_FORMAT=json
// writes it) names the destination, the request by ID and by number, and
// the event, so an operator finds the request from the log.
func TestDeliveryLogLines(t *testing.T) {
	t.Parallel()
	s := storetest.SQLite(t)
	desk := storetest.NewDesk(t, s)
	o := desk.Open(t, desk.Acme, "c@example.com", "hello")
	var buf syncBuf
	opts := fast()
	opts.Logger = slog.New(slog.NewJSONHandler(&buf, nil))
	d := dispatch.New(s, opts)
	k := newSink()
	d.Register(&dest{name: "chat", sink: k, fail: func(e core.Event, attempt int) error {
		if attempt == 1 {
			return errors.New("platform down")
		}
		return nil
	}})
	run(t, d)
	k.wait(t, 2)
	var line map[string]any
	for _, l := range strings.Split(buf.String(), "\n") {
		if strings.Contains(l, "delivery failed") {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	if line["destination"] != "chat" || line["request"] != o.Request.ID || line["number"] != float64(o.Request.Number) ||
		line["event"] != string(core.EventCreated) || line["err"] != "platform down" {
		t.Errorf("the failed delivery's log line is %v", line)
	}
}

// syncBuf is a bytes.Buffer goroutines may write while a test reads it.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
