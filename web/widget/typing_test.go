package widget_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/web/live"
)

// TestTyping: the customer may signal while they are in the chat, not
// without a token nor after leaving; a technician's signal reaches the
// customer's stream as a typing frame that leaves the cursor, and the
// customer's own never comes back to them.
func TestTyping(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore(t), nil)
		d := e.desk
		alice := storetest.Actor(d.Alice)
		opened := e.open(t, d.Acme, "pat@example.com", "my screen is blank")
		id := e.requestOf(t, opened.Token).ID
		must[core.Request](t)(d.Engine.AssignToMe(ctx, alice, id))
		must[core.Request](t)(d.Engine.JoinChat(ctx, alice, id))

		mustCode(t, e.json(t, "POST", "/api/widget/typing", "", nil), http.StatusUnauthorized)
		mustCode(t, e.json(t, "POST", "/api/widget/typing", "nope", nil), http.StatusUnauthorized)

		ws := e.follow(t, opened.Token, "0")
		ws.until(func(evs []event) bool { return len(evs) >= 3 && evs[len(evs)-1].Type == "chat.joined" })
		mark := ws.next

		// The customer's own signal is not sent back to them; Alice's is.
		mustCode(t, e.json(t, "POST", "/api/widget/typing", opened.Token, nil), http.StatusNoContent)
		if err := d.Engine.Typing(ctx, alice, id); err != nil {
			t.Fatal(err)
		}
		ws.conn.SetReadDeadline(time.Now().Add(15 * time.Second))
		var fr live.Frame
		if err := ws.conn.ReadJSON(&fr); err != nil {
			t.Fatal(err)
		}
		if fr.Type != "typing" || fr.Typing == nil || fr.Typing.Name != "Alice" || fr.Typing.ActorKind != core.ActorTechnician ||
			fr.Typing.ActorID != "" || fr.Typing.RequestID != id || fr.Next != mark {
			t.Fatalf("typing frame %+v (%+v), cursor %s", fr, fr.Typing, mark)
		}

		// After leaving, a customer may no longer signal (another request:
		// calls within the interval of a signal that passed do nothing).
		gone := e.open(t, d.Acme, "sam@example.com", "printer jam")
		mustCode(t, e.json(t, "POST", "/api/widget/leave", gone.Token, nil), http.StatusNoContent)
		mustCode(t, e.json(t, "POST", "/api/widget/typing", gone.Token, nil), http.StatusConflict)
	})
}

// TestTypingPoll: a long poll waiting for events answers a technician's
// typing at once, with the cursor unchanged.
func TestTypingPoll(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore(t), nil)
		d := e.desk
		alice := storetest.Actor(d.Alice)
		opened := e.open(t, d.Acme, "pat@example.com", "my screen is blank")
		r := e.requestOf(t, opened.Token)
		must[core.Request](t)(d.Engine.AssignToMe(ctx, alice, r.ID))
		must[core.Request](t)(d.Engine.JoinChat(ctx, alice, r.ID))
		last := e.requestOf(t, opened.Token).Version

		done := make(chan response, 1)
		go func() { done <- e.get(t, "/api/widget/events?after="+itoa(last), opened.Token) }()
		deadline := time.Now().Add(15 * time.Second)
		for {
			if err := d.Engine.Typing(ctx, alice, r.ID); err != nil {
				t.Error(err)
				return
			}
			select {
			case res := <-done:
				mustCode(t, res, http.StatusOK)
				var fr live.Frame
				res.decode(t, &fr)
				if fr.Type != "typing" || fr.Typing == nil || fr.Typing.Name != "Alice" || fr.Next != itoa(last) {
					t.Fatalf("poll answered %s", res.body)
				}
				return
			case <-time.After(core.TypingInterval + 100*time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatal("the long poll heard no typing")
			}
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
