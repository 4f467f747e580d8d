package dispatch_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// sink collects what destinations received, and signals each delivery.
type sink struct {
	mu   sync.Mutex
	got  []core.Event
	by   []string
	tick chan struct{}
}

func newSink() *sink { return &sink{tick: make(chan struct{}, 10000)} }

func (s *sink) add(tag string, e core.Event) {
	s.mu.Lock()
	s.got = append(s.got, e)
	s.by = append(s.by, tag)
	s.mu.Unlock()
	s.tick <- struct{}{}
}

func (s *sink) events() []core.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]core.Event(nil), s.got...)
}

// wait blocks until n deliveries in all were seen, failing after a deadline
// (a guard against hanging, not a synchronisation).
func (s *sink) wait(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for len(s.events()) < n {
		select {
		case <-s.tick:
		case <-deadline:
			t.Fatalf("only %d of %d events delivered", len(s.events()), n)
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
	after    func(n int) // called after the n-th successful delivery
	n        int
}

func (d *dest) Name() string    { return d.name }
func (d *dest) FromStart() bool { return true }

func (d *dest) Deliver(ctx context.Context, e core.Event) error {
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

func fast() dispatch.Options {
	return dispatch.Options{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Poll: 50 * time.Millisecond}
}

// fill appends n requests of two events each (opened + first message).
func fill(t *testing.T, d *storetest.Desk, n, from int) {
	t.Helper()
	for i := range n {
		d.Open(t, d.Acme, fmt.Sprintf("c%d@example.com", from+i), fmt.Sprintf("message %d", from+i))
	}
}

// logOrder reads the whole log straight from the table, as a reference.
// (EventsAfter would hide the events of transactions younger than one still
// running, such as a dispatcher's cursor update.)
func logOrder(t *testing.T, s *sqlstore.Store) []core.Event {
	t.Helper()
	var rows []struct {
		TxID int64 `db:"txid"`
		Seq  int64 `db:"seq"`
	}
	if err := s.DB().Select(&rows, `SELECT txid, seq FROM events ORDER BY txid, seq`); err != nil {
		t.Fatal(err)
	}
	out := make([]core.Event, len(rows))
	for i, r := range rows {
		out[i].Pos = core.Position{TxID: r.TxID, Seq: r.Seq}
	}
	return out
}

func checkExactlyOnceInOrder(t *testing.T, got, want []core.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("delivered %d events, the log has %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Pos != want[i].Pos {
			t.Fatalf("delivery %d is %v, the log says %v", i, got[i].Pos, want[i].Pos)
		}
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
// taking an event still gets every event exactly once, in log order.
func TestDeliveryThroughFailures(t *testing.T) {
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
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
			want := logOrder(t, s)
			k.wait(t, len(want))
			checkExactlyOnceInOrder(t, k.events(), want)
			for pos, tries := range flaky.attempts {
				if pos.Seq%3 == 0 && len(tries) != 4 {
					t.Fatalf("event %v tried %d times, want 3 failures and a success", pos, len(tries))
				}
			}
		})
	}
}

// crashingLog is a process's view of the log that dies at a moment the
// test chooses: from then on nothing it writes reaches the database, and it
// never releases its lease, as a killed process would not.
type crashingLog struct {
	dispatch.Log
	crashed atomic.Bool
}

func (c *crashingLog) Advance(ctx context.Context, dest, owner string, pos core.Position, ttl time.Duration) error {
	if c.crashed.Load() {
		return errors.New("process killed")
	}
	return c.Log.Advance(ctx, dest, owner, pos, ttl)
}

func (c *crashingLog) Release(ctx context.Context, dest, owner string) error {
	if c.crashed.Load() {
		return nil
	}
	return c.Log.Release(ctx, dest, owner)
}

// TestResumeAfterCrash kills a dispatcher right after a delivery, before
// it records it, and starts another on a new connection to the same
// database: once the dead one's lease lapses it delivers the rest, losing
// nothing; only the event in flight at the crash comes twice.
func TestResumeAfterCrash(t *testing.T) {
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			url := be.URL(t)
			s1 := storetest.Open(t, url)
			desk := storetest.NewDesk(t, s1)
			fill(t, desk, 20, 0)
			want := logOrder(t, s1)
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
			opts.LeaseTTL = 300 * time.Millisecond
			d1 := dispatch.New(log1, opts)
			d1.Register(first)
			if err := d1.Run(ctx); err != nil {
				t.Fatal(err)
			}
			if n := len(k.events()); n != 15 {
				t.Fatalf("first dispatcher delivered %d, want 15", n)
			}

			s2 := storetest.Open(t, url)
			second := &dest{name: "chat", tag: "second", sink: k}
			d2 := dispatch.New(s2, opts)
			d2.Register(second)
			run(t, d2)
			k.wait(t, len(want)+1)
			got := k.events()
			if got[14].Pos != got[15].Pos {
				t.Fatalf("expected event %v again after the crash, got %v", got[14].Pos, got[15].Pos)
			}
			checkExactlyOnceInOrder(t, append(got[:15:15], got[16:]...), want)
		})
	}
}

// TestResumeAfterStop stops a dispatcher gracefully in the middle of the
// stream; the next one, on a new connection, delivers the rest: nothing
// lost, nothing twice.
func TestResumeAfterStop(t *testing.T) {
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			url := be.URL(t)
			s1 := storetest.Open(t, url)
			desk := storetest.NewDesk(t, s1)
			fill(t, desk, 20, 0)
			want := logOrder(t, s1)
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
			checkExactlyOnceInOrder(t, k.events(), want)
		})
	}
}

// TestRetryAfter: a destination's "retry after D" holds that destination
// back at least D, and nothing overtakes the held event.
func TestRetryAfter(t *testing.T) {
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.New(t)
			desk := storetest.NewDesk(t, s)
			fill(t, desk, 3, 0)
			want := logOrder(t, s)
			held := want[2].Pos
			const wait = 300 * time.Millisecond
			k := newSink()
			limited := &dest{name: "limited", sink: k, fail: func(e core.Event, attempt int) error {
				if e.Pos == held && attempt == 1 {
					return &dispatch.RetryAfterError{After: wait, Err: errors.New("429 Too Many Requests")}
				}
				return nil
			}}
			disp := dispatch.New(s, fast())
			disp.Register(limited)
			run(t, disp)
			k.wait(t, len(want))
			checkExactlyOnceInOrder(t, k.events(), want)
			tries := limited.attempts[held]
			if len(tries) != 2 {
				t.Fatalf("held event tried %d times", len(tries))
			}
			if gap := tries[1].Sub(tries[0]); gap < wait {
				t.Fatalf("retried after %v, before the %v the destination asked for", gap, wait)
			}
		})
	}
}

// TestPermanentFailure: an event a destination refuses for good is recorded
// and skipped; the rest flows on.
func TestPermanentFailure(t *testing.T) {
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.New(t)
			desk := storetest.NewDesk(t, s)
			fill(t, desk, 3, 0)
			want := logOrder(t, s)
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
			checkExactlyOnceInOrder(t, k.events(), append(want[:1:1], want[2:]...))
			var n int
			if err := s.DB().Get(&n, s.DB().Rebind(`SELECT COUNT(*) FROM dispatch_failures WHERE destination = ? AND seq = ?`), "blocked", bad.Pos.Seq); err != nil || n != 1 {
				t.Fatalf("failure recorded %d times (%v)", n, err)
			}
		})
	}
}
