package widget_test

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/web/widget"
)

// readCounter is a store that counts the reads of each request's row and
// events: what a live socket does when it looks for news.
type readCounter struct {
	core.Store
	mu    sync.Mutex
	reads map[string]int
}

func (c *readCounter) count(requestID string) {
	c.mu.Lock()
	c.reads[requestID]++
	c.mu.Unlock()
}

func (c *readCounter) of(requestID string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads[requestID]
}

func (c *readCounter) Request(ctx context.Context, id string) (core.Request, error) {
	c.count(id)
	return c.Store.Request(ctx, id)
}

func (c *readCounter) RequestEvents(ctx context.Context, id string, after int64, limit int) ([]core.Event, error) {
	c.count(id)
	return c.Store.RequestEvents(ctx, id, after, limit)
}

// TestLiveWakesOnlyItsRequest: commits on request A reach A's socket and
// do not make request B's socket even look at the store; B's own next
// event does.
func TestLiveWakesOnlyItsRequest(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		counter := &readCounter{Store: d.Store, reads: map[string]int{}}
		e := newEnvOn(t, d, func(c *widget.Config) {
			c.Engine = core.NewEngine(core.Config{Store: counter, Blobs: d.Blobs})
		})
		alice := storetest.Actor(d.Alice)
		a := d.Live(t)
		b := d.Open(t, d.Acme, "b@example.com", "hello from b")

		wsA, wsB := e.follow(t, a.Token, "0"), e.follow(t, b.Token, "0")
		wsA.until(hasBody("my printer is on fire"))
		wsB.until(hasBody("hello from b"))
		// B's socket caught up with one read and wrote what it read; it
		// reads again only when woken.
		idle := counter.of(b.Request.ID)
		if idle == 0 {
			t.Fatal("B's socket caught up without reading the store")
		}

		for i := range 20 {
			body := "to a " + strconv.Itoa(i)
			must[core.Message](t)(d.Engine.PostMessage(ctx, alice, a.Request.ID, core.Post{Body: body}))
			wsA.until(hasBody(body))
		}
		if n := counter.of(b.Request.ID) - idle; n != 0 {
			t.Fatalf("20 commits on request A made B's socket read the store %d times", n)
		}

		must[core.Message](t)(d.Engine.PostMessage(ctx, core.CustomerActor(b.Participant.ID), b.Request.ID, core.Post{Body: "b again"}))
		wsB.until(hasBody("b again"))
		if counter.of(b.Request.ID) == idle {
			t.Fatal("B's socket got its event without reading the store")
		}
	})
}
