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

// TestLiveFeedWakesOnlyForItsCompanies: commits of a company Alice does
// not serve do not make her console look at the store.
func TestLiveFeedWakesOnlyForItsCompanies(t *testing.T) {
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
