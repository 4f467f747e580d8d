package live_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/hub"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/testwait"
	"github.com/relaydesk/relaydesk/web/live"
)

// serveSource serves s's WebSockets with open on loopback.
func serveSource(t *testing.T, s *live.Streamer, open func(context.Context, live.Hello, live.Follow) (live.Source, error)) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.ServeSource(w, r, func(*http.Request) bool { return true }, open)
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

func typed(requestID, companyID string, by core.Actor, name string) core.Typing {
	return core.Typing{RequestID: requestID, CompanyID: companyID, Actor: by, Name: name,
		At: time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)}
}

func read(t *testing.T, conn *websocket.Conn) live.Frame {
	t.Helper()
	var fr live.Frame
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := conn.ReadJSON(&fr); err != nil {
		t.Fatal(err)
	}
	return fr
}

// TestWebSocketTyping: a stream passes on the typing in what it follows as
// "typing" frames that leave its cursor where it is, but never its own
// viewer's, and nothing of what it does not follow.
func TestWebSocketTyping(t *testing.T) {
	h := hub.New()
	f := newFeed(h, "req_a", "a", "b")
	me := core.CustomerActor("par_me")
	alice := core.TechnicianActor("tec_alice")
	url := serveSource(t, live.New(live.Config{Hub: h}), func(ctx context.Context, hello live.Hello, follow live.Follow) (live.Source, error) {
		fetch, err := f.open(ctx, hello, follow)
		return live.Source{Fetch: fetch, Signal: live.TypingFrames(me)}, err
	})
	conn := dial(t, url, live.Hello{After: "1", Token: "secret"})
	if fr := read(t, conn); fr.Type != "events" || fr.Next != "2" {
		t.Fatalf("catch-up frame %+v", fr)
	}

	h.Signal(typed("req_a", "co_1", me, "Me"), hub.Request("req_a"), hub.Company("co_1"))       // mine
	h.Signal(typed("req_b", "co_1", alice, "Alice"), hub.Request("req_b"), hub.Company("co_1")) // not followed
	h.Signal("something else", hub.Request("req_a"))
	f.add("c")
	if fr := read(t, conn); fr.Type != "events" || len(fr.Items) != 1 || fr.Items[0] != "c" || fr.Next != "3" {
		t.Fatalf("after signals the stream must not pass on: %+v", fr)
	}
	h.Signal(typed("req_a", "co_1", alice, "Alice"), hub.Request("req_a"), hub.Company("co_1"))
	fr := read(t, conn)
	want := live.Typing{RequestID: "req_a", ActorKind: core.ActorTechnician, Name: "Alice", At: typed("", "", alice, "").At}
	if fr.Type != "typing" || fr.Next != "3" || len(fr.Items) != 0 || fr.Typing == nil || *fr.Typing != want {
		t.Fatalf("typing frame %+v (%+v), want %+v with the cursor unchanged", fr, fr.Typing, want)
	}
	// The cursor still reads where it did: the next events follow on.
	f.add("d")
	if fr := read(t, conn); fr.Type != "events" || fr.Items[0] != "d" || fr.Next != "4" {
		t.Fatalf("events after a typing frame %+v", fr)
	}
}

// TestTypingFramesByViewer: technicians learn who types by ID as well as
// by name; customers by name only.
func TestTypingFramesByViewer(t *testing.T) {
	cust := core.CustomerActor("par_1")
	bob := core.TechnicianActor("tec_bob")
	ty := typed("req_1", "co_1", cust, "Carol")
	fr, ok := live.TypingFrames(bob)(ty)
	if !ok || fr.Typing.ActorID != "par_1" || fr.Typing.ActorKind != core.ActorCustomer || fr.Typing.Name != "Carol" {
		t.Fatalf("a technician's frame %+v, %v", fr.Typing, ok)
	}
	ty = typed("req_1", "co_1", bob, "Bob")
	fr, ok = live.TypingFrames(cust)(ty)
	if !ok || fr.Typing.ActorID != "" || fr.Typing.Name != "Bob" {
		t.Fatalf("a customer's frame %+v, %v", fr.Typing, ok)
	}
	if _, ok := live.TypingFrames(bob)(ty); ok {
		t.Fatal("Bob was told that he types")
	}
}

// TestPollTyping: a long poll waiting for news answers a typing signal for
// its client at once, with its cursor unchanged; its own it ignores.
func TestPollTyping(t *testing.T) {
	h := hub.New()
	f := newFeed(h, "req_a", "a")
	me, alice := core.CustomerActor("par_me"), core.TechnicianActor("tec_alice")
	s := live.New(live.Config{Hub: h, PollWait: time.Minute})
	r := httptest.NewRequest("GET", "/", nil)
	opened := make(chan struct{}, 1)
	open := func(follow live.Follow) (live.Source, error) {
		follow(f.key)
		opened <- struct{}{}
		return live.Source{Fetch: f.fetch, Signal: live.TypingFrames(me)}, nil
	}
	done := make(chan live.Frame, 1)
	go func() {
		fr, err := s.PollSource(r, "1", open)
		if err != nil {
			t.Error(err)
		}
		done <- fr
	}()
	<-opened
	// The poll hears signals from a moment after open returns: send until
	// it answers, each time the viewer's own first.
	var fr live.Frame
	testwait.Eventually(t, "the poll answers a typing signal", func() bool {
		h.Signal(typed("req_a", "co_1", me, "Me"), f.key)
		h.Signal(typed("req_a", "co_1", alice, "Alice"), f.key)
		select {
		case fr = <-done:
			return true
		default:
			return false
		}
	})
	if fr.Type != "typing" || fr.Next != "1" || fr.Typing.Name != "Alice" {
		t.Fatalf("poll answered %+v (%+v)", fr, fr.Typing)
	}
}

// TestTypingReachesStreams drives the engine: a customer's stream (the
// widget's, following their request) hears the technicians of their request
// type, and nobody else; a technician's (the console's, following the
// company) hears everyone in the company's requests but themself.
func TestTypingReachesStreams(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		s := newStore(t)
		d := storetest.NewDesk(t, s)
		one, two := d.Live(t), d.Live(t)
		url := serveViewers(t, s.Hub(), d, one)
		checkTypingStreams(t, d.Engine, d, one, two, url)
	})
}

// TestTypingAcrossProcesses: on PostgreSQL a browser connected to one
// process hears typing signalled through another.
func TestTypingAcrossProcesses(t *testing.T) {
	t.Parallel()
	dsn := storetest.MigratedPostgresURL(t)
	a, b := storetest.Open(t, dsn), storetest.Open(t, dsn)
	storetest.Listen(t, a)
	storetest.Listen(t, b)
	d := storetest.NewDesk(t, a)
	one, two := d.Live(t), d.Live(t)
	url := serveViewers(t, b.Hub(), d, one) // the browsers are on b
	checkTypingStreams(t, d.Engine, d, one, two, url)
}

// serveViewers serves streams of nothing but signals after one "ready"
// event, which says that the stream follows: "customer" is the customer of
// one, following their request; "bob" is Bob's console, following Acme.
func serveViewers(t *testing.T, h *hub.Hub, d *storetest.Desk, one core.Opened) string {
	t.Helper()
	ready := func(_ context.Context, after string) ([]any, string, bool, error) {
		if after == "0" {
			return []any{"ready"}, "1", false, nil
		}
		return nil, after, false, nil
	}
	return serveSource(t, live.New(live.Config{Hub: h}), func(_ context.Context, hello live.Hello, follow live.Follow) (live.Source, error) {
		switch hello.Token {
		case "customer":
			follow(hub.Request(one.Request.ID))
			return live.Source{Fetch: ready, Signal: live.TypingFrames(core.CustomerActor(one.Participant.ID))}, nil
		case "bob":
			follow(hub.Technician(d.Bob.ID), hub.Company(d.Acme.ID))
			return live.Source{Fetch: ready, Signal: live.TypingFrames(storetest.Actor(d.Bob))}, nil
		}
		return live.Source{}, errors.New("who?")
	})
}

func checkTypingStreams(t *testing.T, e *core.Engine, d *storetest.Desk, one, two core.Opened, url string) {
	t.Helper()
	ctx := context.Background()
	customer := dial(t, url, live.Hello{After: "0", Token: "customer"})
	bob := dial(t, url, live.Hello{After: "0", Token: "bob"})
	for _, conn := range []*websocket.Conn{customer, bob} {
		if fr := read(t, conn); fr.Type != "events" || fr.Next != "1" {
			t.Fatalf("first frame %+v", fr)
		}
	}
	cust1, cust2 := core.CustomerActor(one.Participant.ID), core.CustomerActor(two.Participant.ID)
	alice := storetest.Actor(d.Alice)
	for _, typist := range []struct {
		by core.Actor
		id string
	}{{cust2, two.Request.ID}, {cust1, one.Request.ID}, {alice, one.Request.ID}} {
		if err := e.Typing(ctx, typist.by, typist.id); err != nil {
			t.Fatal(err)
		}
	}
	// Bob hears all three, in order, by name and ID.
	for _, want := range []live.Typing{
		{RequestID: two.Request.ID, ActorKind: core.ActorCustomer, ActorID: two.Participant.ID, Name: "Customer"},
		{RequestID: one.Request.ID, ActorKind: core.ActorCustomer, ActorID: one.Participant.ID, Name: "Customer"},
		{RequestID: one.Request.ID, ActorKind: core.ActorTechnician, ActorID: d.Alice.ID, Name: "Alice"},
	} {
		fr := read(t, bob)
		if fr.Type != "typing" || fr.Typing == nil || fr.Typing.At.IsZero() || fr.Next != "1" {
			t.Fatalf("bob's console read %+v", fr)
		}
		fr.Typing.At = time.Time{}
		if *fr.Typing != want {
			t.Fatalf("bob's console read %+v, want %+v", *fr.Typing, want)
		}
	}
	// The customer of one heard neither the customer of two nor themself:
	// their first frame is Alice's typing, by name only.
	fr := read(t, customer)
	if fr.Type != "typing" || fr.Typing == nil || fr.Typing.Name != "Alice" || fr.Typing.ActorID != "" ||
		fr.Typing.RequestID != one.Request.ID || fr.Next != "1" {
		t.Fatalf("the customer read %+v (%+v)", fr, fr.Typing)
	}
}
