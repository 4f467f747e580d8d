package core_test

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// typings records the typing signals a store hands out, as they are sent:
// the store's own OnTyping runs on the sender's goroutine, so what a call
// of Typing sent is recorded when the call returns.
type typings struct {
	mu  sync.Mutex
	got []core.Typing
}

func recordTyping(t *testing.T, s *sqlstore.Store) *typings {
	rec := &typings{}
	stop := s.OnTyping(func(ty core.Typing) {
		rec.mu.Lock()
		rec.got = append(rec.got, ty)
		rec.mu.Unlock()
	})
	t.Cleanup(stop)
	return rec
}

func (r *typings) take() []core.Typing {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.got
	r.got = nil
	return out
}

// TestTypingWho: the customer of an open request and the technicians who
// write to them may say they are typing, each named as the others see them;
// everyone else is refused like the chat refuses them, and nothing is sent.
// Nothing is ever stored.
func TestTypingWho(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		s := newStore(t)
		d, clk := clockedDesk(t, s)
		e := d.Engine
		alice, bob, carol := storetest.Actor(d.Alice), storetest.Actor(d.Bob), storetest.Actor(d.Carol)
		admin := storetest.Actor(d.Admin)

		live := d.Live(t)
		id := live.Request.ID
		cust := core.CustomerActor(live.Participant.ID) // gave an address, no name
		named := try(e.OpenRequest(ctx, core.OpenRequest{CompanyID: d.Acme.ID, Email: "carol@example.com", Name: "Carol",
			Message: "the scanner too", Source: core.Source{Channel: "web"}})).must(t)
		namedCust := core.CustomerActor(named.Participant.ID)
		try(e.AssignToMe(ctx, alice, named.Request.ID)).must(t)
		try(e.InviteTechnician(ctx, alice, named.Request.ID, d.Bob.ID)).must(t)
		try(e.JoinChat(ctx, alice, named.Request.ID)).must(t)
		unjoined := d.Open(t, d.Acme, "unjoined@example.com", "nobody talks to me")
		try(e.AssignToMe(ctx, alice, unjoined.Request.ID)).must(t)
		globex := d.Open(t, d.Globex, "g@example.com", "globex problem")
		closed := d.Live(t)
		try(e.Close(ctx, alice, closed.Request.ID, "")).must(t)
		left := d.Live(t)
		if err := e.Leave(ctx, core.CustomerActor(left.Participant.ID)); err != nil {
			t.Fatal(err)
		}
		before := storetest.Snapshot(t, s)
		rec := recordTyping(t, s)

		for _, tc := range []struct {
			name      string
			by        core.Actor
			request   string
			code      core.Code // zero: allowed
			shownAs   string
			companyID string
		}{
			{"the customer", cust, id, "", "Customer", d.Acme.ID},
			{"a customer who gave a name", namedCust, named.Request.ID, "", "Carol", d.Acme.ID},
			{"the owner in the live chat", alice, id, "", "Alice", d.Acme.ID},
			{"an invited technician", bob, named.Request.ID, "", "Bob", d.Acme.ID},
			{"a colleague not invited", bob, id, core.CodeForbidden, "", ""},
			{"another company's technician", carol, id, core.CodeForbidden, "", ""},
			{"an admin who is not in the chat", admin, id, core.CodeForbidden, "", ""},
			{"the owner before joining", alice, unjoined.Request.ID, core.CodeInvalidState, "", ""},
			{"the customer of another request", core.CustomerActor(globex.Participant.ID), id, core.CodeForbidden, "", ""},
			{"the customer in another's request", cust, named.Request.ID, core.CodeForbidden, "", ""},
			{"the customer of a closed request", core.CustomerActor(closed.Participant.ID), closed.Request.ID, core.CodeInvalidState, "", ""},
			{"the owner of a closed request", alice, closed.Request.ID, core.CodeInvalidState, "", ""},
			{"a customer who left", core.CustomerActor(left.Participant.ID), left.Request.ID, core.CodeInvalidState, "", ""},
			{"relaydesk itself", core.SystemActor(), id, core.CodeForbidden, "", ""},
			{"an unknown request", alice, "req_nope", core.CodeNotFound, "", ""},
			{"nobody", core.Actor{}, id, core.CodeForbidden, "", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := e.Typing(ctx, tc.by, tc.request)
				got := rec.take()
				if tc.code != "" {
					var ce *core.Error
					if !errors.As(err, &ce) || ce.Code != tc.code {
						t.Fatalf("got %v, want a refusal with code %s", err, tc.code)
					}
					if len(got) != 0 {
						t.Fatalf("a refused typist was signalled: %+v", got)
					}
					// Refused again at once: a refusal takes no turn.
					if err := e.Typing(ctx, tc.by, tc.request); core.ErrorCode(err) != tc.code {
						t.Fatalf("the second try got %v", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				want := core.Typing{RequestID: tc.request, CompanyID: tc.companyID, Actor: tc.by, Name: tc.shownAs, At: clk.now()}
				if len(got) != 1 || got[0] != want {
					t.Fatalf("signalled %+v, want %+v", got, want)
				}
			})
		}
		if after := storetest.Snapshot(t, s); after != before {
			t.Fatal("typing wrote to the database")
		}
	})
}

// TestTypingRateLimit: of one actor's signals in one request, one per
// TypingInterval passes; the others return nil and send nothing. Actors
// and requests are limited apart.
func TestTypingRateLimit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		s := newStore(t)
		d, clk := clockedDesk(t, s)
		e := d.Engine
		alice := storetest.Actor(d.Alice)
		one, two := d.Live(t), d.Live(t)
		cust := core.CustomerActor(one.Participant.ID)
		rec := recordTyping(t, s)

		type call struct {
			after time.Duration // the clock moves this much first
			by    core.Actor
			req   string
			sent  bool
		}
		for i, c := range []call{
			{0, alice, one.Request.ID, true},
			{0, alice, one.Request.ID, false},
			{time.Second, alice, one.Request.ID, false},
			{0, cust, one.Request.ID, true},            // another actor
			{0, alice, two.Request.ID, true},           // another request
			{time.Second, alice, one.Request.ID, true}, // 2s after the first
			{core.TypingInterval - time.Microsecond, alice, one.Request.ID, false},
			{time.Microsecond, alice, one.Request.ID, true},
			{-time.Hour, alice, one.Request.ID, true}, // the clock went back
		} {
			clk.add(c.after)
			if err := e.Typing(ctx, c.by, c.req); err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
			if got := rec.take(); (len(got) == 1) != c.sent || len(got) > 1 {
				t.Fatalf("call %d (%s in %s): sent %d signals, want sent=%v", i, c.by.ID, c.req, len(got), c.sent)
			}
		}
		// The limit remembers typists for one interval only.
		if n := core.Typists(e); n == 0 || n > 3 {
			t.Fatalf("remembering %d typists", n)
		}
		clk.add(core.TypingInterval)
		if err := e.Typing(ctx, cust, one.Request.ID); err != nil {
			t.Fatal(err)
		}
		if n := core.Typists(e); n != 1 {
			t.Fatalf("remembering %d typists after the others expired, want 1", n)
		}
	})
}

// TestOnTyping: an adapter's function hears every request's typing, on a
// goroutine of its own, until it stops.
func TestOnTyping(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		s := newStore(t)
		d, clk := clockedDesk(t, s)
		e := d.Engine
		alice := storetest.Actor(d.Alice)
		one, two := d.Live(t), d.Live(t)

		heard := make(chan core.Typing, 10)
		release := make(chan struct{})
		stop := e.OnTyping(func(ty core.Typing) {
			<-release // a slow platform call holds up no sender
			heard <- ty
		})
		for _, r := range []string{one.Request.ID, two.Request.ID} {
			if err := e.Typing(ctx, alice, r); err != nil {
				t.Fatal(err)
			}
		}
		close(release)
		var got []string
		for range 2 {
			select {
			case ty := <-heard:
				if ty.Name != "Alice" || ty.Actor != alice || !ty.At.Equal(clk.now()) {
					t.Errorf("heard %+v", ty)
				}
				got = append(got, ty.RequestID)
			case <-time.After(10 * time.Second):
				t.Fatalf("heard %q of two signals", got)
			}
		}
		if want := []string{one.Request.ID, two.Request.ID}; !slices.Equal(got, want) {
			t.Fatalf("heard %q, want %q in order", got, want)
		}
		stop()
		stop() // harmless
		clk.add(core.TypingInterval)
		if err := e.Typing(ctx, alice, one.Request.ID); err != nil {
			t.Fatal(err)
		}
		select {
		case ty := <-heard:
			t.Fatalf("heard %+v after stopping", ty)
		default:
		}
	})
}

// TestTypingWithoutSignalingStore: an engine over a store that carries no
// signals still hands them to its own OnTyping.
func TestTypingWithoutSignalingStore(t *testing.T) {
	t.Parallel()
	s := storetest.SQLite(t)
	d := storetest.NewDesk(t, s)
	e := core.NewEngine(core.Config{Store: plainStore{s}, Blobs: d.Blobs})
	live := d.Live(t)
	heard := make(chan core.Typing, 1)
	defer e.OnTyping(func(ty core.Typing) { heard <- ty })()
	if err := e.Typing(ctx, core.CustomerActor(live.Participant.ID), live.Request.ID); err != nil {
		t.Fatal(err)
	}
	select {
	case ty := <-heard:
		if ty.RequestID != live.Request.ID || !strings.EqualFold(ty.Name, "customer") {
			t.Fatalf("heard %+v", ty)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the signal was not heard")
	}
}

// plainStore is a store with none of the SQL store's extras.
type plainStore struct{ core.Store }
