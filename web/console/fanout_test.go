package console_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/web/live"
)

// readCounter is a store that counts reads of the log that were not held
// back, and loads of each technician: what a live feed does when it looks.
type readCounter struct {
	core.Store
	mu       sync.Mutex
	logReads int
	techs    map[string]int
}

func (c *readCounter) EventsAfter(ctx context.Context, pos core.Position, limit int) ([]core.Event, bool, error) {
	evs, held, err := c.Store.EventsAfter(ctx, pos, limit)
	if !held {
		c.mu.Lock()
		c.logReads++
		c.mu.Unlock()
	}
	return evs, held, err
}

func (c *readCounter) Technician(ctx context.Context, id string) (core.Technician, error) {
	c.mu.Lock()
	c.techs[id]++
	c.mu.Unlock()
	return c.Store.Technician(ctx, id)
}

func (c *readCounter) counts(technicianID string) (logReads, techReads int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.logReads, c.techs[technicianID]
}

// newCountedEnv is newEnv with the console's engine on a readCounter.
func newCountedEnv(t *testing.T, s *sqlstore.Store) (*env, *readCounter) {
	t.Helper()
	d := storetest.NewDesk(t, s)
	for _, tech := range []core.Technician{d.Alice, d.Bob, d.Carol, d.Dave, d.Admin} {
		if err := d.Engine.SetPassword(context.Background(), core.SystemActor(), tech.ID, passwordHash(t)); err != nil {
			t.Fatal(err)
		}
	}
	c := &readCounter{Store: s, techs: map[string]int{}}
	return serve(t, s, d, core.NewEngine(core.Config{Store: c, Blobs: d.Blobs})), c
}

// following opens n live sockets of b from the log's end and reads their
// first frame.
func (b *browser) following(t *testing.T, n int) []*websocket.Conn {
	t.Helper()
	var conns []*websocket.Conn
	for range n {
		c, _, err := b.dial(b.e.srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.WriteJSON(live.Hello{})
		var fr live.Frame
		if err := c.ReadJSON(&fr); err != nil || fr.Type != "events" {
			t.Fatalf("first frame %+v, %v", fr, err)
		}
		conns = append(conns, c)
	}
	return conns
}

// TestLiveFeedsShareReads: one commit wakes every console of its company,
// and one read of the log serves them all. (On SQLite: on PostgreSQL a
// read held back by another test's transaction makes feeds look again on
// their own, which would blur the counts; the sharing is the same code.)
func TestLiveFeedsShareReads(t *testing.T) {
	t.Parallel()
	e, counter := newCountedEnv(t, storetest.SQLite(t))
	d := e.d
	const consoles = 10
	conns := e.login(d.Alice).following(t, consoles)
	// Each feed's first read found what Alice serves and read again:
	// one more commit, seen by all, leaves them idle.
	d.Open(t, d.Acme, "warm@example.com", "warm up")
	for _, c := range conns {
		next(t, c, "request.created")
	}
	before, _ := counter.counts(d.Alice.ID)
	for i := range 5 {
		o := d.Open(t, d.Acme, fmt.Sprintf("c%d@example.com", i), "help")
		for _, c := range conns {
			if ev := next(t, c, "request.created"); ev.RequestID != o.Request.ID {
				t.Fatalf("a console heard of %s", ev.RequestID)
			}
		}
	}
	if reads, _ := counter.counts(d.Alice.ID); reads-before > 2*5 {
		t.Fatalf("%d consoles read the log %d times for 5 commits", consoles, reads-before)
	}
}

// TestLiveFeedWakesOnlyForItsCompanies: commits of a company Alice does
// not serve do not make her console look at the store.
func TestLiveFeedWakesOnlyForItsCompanies(t *testing.T) {
	t.Parallel()
	e, counter := newCountedEnv(t, storetest.SQLite(t))
	d := e.d
	alice := e.login(d.Alice).following(t, 1)[0]
	carol := e.login(d.Carol).following(t, 1)[0]
	d.Open(t, d.Acme, "warm@example.com", "warm up")
	next(t, alice, "request.created")
	_, idle := counter.counts(d.Alice.ID)
	for i := range 10 {
		o := d.Open(t, d.Globex, fmt.Sprintf("g%d@example.com", i), "hello")
		if ev := next(t, carol, "request.created"); ev.RequestID != o.Request.ID {
			t.Fatalf("Carol heard of %s", ev.RequestID)
		}
	}
	// Her feed may look once more after the warm-up's frame (woken while
	// it was reading what the wake-up was for), never for Globex's.
	if _, n := counter.counts(d.Alice.ID); n-idle > 1 {
		t.Fatalf("10 commits at Globex made Alice's console look %d times", n-idle)
	}
	o := d.Open(t, d.Acme, "a@example.com", "for Alice")
	if ev := next(t, alice, "request.created"); ev.RequestID != o.Request.ID {
		t.Fatalf("Alice heard of %s", ev.RequestID)
	}
}

// TestLiveFeedFollowsNewAccess: a console follows a company from the
// moment its technician is given it, without reconnecting.
func TestLiveFeedFollowsNewAccess(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		d := e.d
		alice := e.login(d.Alice).following(t, 1)[0]
		if err := d.Engine.GrantAccess(context.Background(), core.SystemActor(), d.Alice.ID, d.Globex.ID); err != nil {
			t.Fatal(err)
		}
		o := d.Open(t, d.Globex, "g@example.com", "hello")
		if ev := next(t, alice, "request.created"); ev.RequestID != o.Request.ID {
			t.Fatalf("Alice heard of %s", ev.RequestID)
		}
	})
}

// TestLiveFeedCatchesUpFromBeforeTheSharedRead: a console that comes back
// from before what the shared read keeps reads the log itself, then
// follows with the others.
func TestLiveFeedCatchesUpFromBeforeTheSharedRead(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		d := e.d
		alice := e.login(d.Alice)
		var me struct{ Position string }
		alice.do("GET", "/console/api/me", nil, nil).json(t, &me)
		early := d.Open(t, d.Acme, "early@example.com", "before any console")
		// The first console starts the shared read at the log's end now.
		first := alice.following(t, 1)[0]
		late, _, err := alice.dial(e.srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer late.Close()
		late.WriteJSON(live.Hello{After: me.Position})
		if ev := next(t, late, "request.created"); ev.RequestID != early.Request.ID {
			t.Fatalf("the late console caught up with %s", ev.RequestID)
		}
		o := d.Open(t, d.Acme, "now@example.com", "for both")
		for _, c := range []*websocket.Conn{first, late} {
			if ev := next(t, c, "request.created"); ev.RequestID != o.Request.ID {
				t.Fatalf("a console heard of %s", ev.RequestID)
			}
		}
	})
}
