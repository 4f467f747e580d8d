package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/web/live"
)

// TestTypingEndpoint: the technician in the chat may signal; a colleague
// outside it, a technician of another company, a request that does not
// exist and a write without the CSRF token are refused.
func TestTypingEndpoint(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		o := e.d.Live(t)
		path := "/console/api/requests/" + o.Request.ID + "/typing"
		alice, bob, carol := e.login(e.d.Alice), e.login(e.d.Bob), e.login(e.d.Carol)
		for _, c := range []struct {
			name string
			b    *browser
			path string
			hdr  map[string]string
			code int
			err  string
		}{
			{"no CSRF token", alice, path, map[string]string{"X-CSRF-Token": ""}, http.StatusForbidden, "csrf"},
			{"a colleague not in the chat", bob, path, nil, http.StatusForbidden, "forbidden"},
			{"another company's technician", carol, path, nil, http.StatusNotFound, "not_found"},
			{"no such request", alice, "/console/api/requests/req_nope/typing", nil, http.StatusNotFound, "not_found"},
			{"the owner in the chat", alice, path, nil, http.StatusNoContent, ""},
		} {
			res := c.b.do("POST", c.path, nil, c.hdr)
			if res.code != c.code || res.errCode() != c.err {
				t.Errorf("%s: %d %s, want %d %s", c.name, res.code, res.body, c.code, c.err)
			}
		}
	})
}

// TestTypingLive: the customer's typing reaches the consoles of the
// technicians serving the company, with the typist's ID and name and the
// cursor unchanged; the technician's own typing does not come back to them.
func TestTypingLive(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		o := e.d.Live(t)
		bob := e.login(e.d.Bob)
		var me struct{ Position string }
		bob.do("GET", "/console/api/me", nil, nil).json(t, &me)
		conn, _, err := bob.dial(e.srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if err := conn.WriteJSON(live.Hello{After: me.Position}); err != nil {
			t.Fatal(err)
		}
		frames := make(chan live.Frame, 16)
		go func() {
			defer close(frames)
			for {
				_, msg, err := conn.ReadMessage()
				if err != nil {
					return
				}
				var fr live.Frame
				if json.Unmarshal(msg, &fr) == nil {
					frames <- fr
				}
			}
		}()
		customer := core.CustomerActor(o.Participant.ID)
		// The stream follows Acme once it has read the log: signal until
		// it hears one (one signal passes per interval).
		deadline := time.After(20 * time.Second)
		for {
			if err := e.eng.Typing(context.Background(), customer, o.Request.ID); err != nil {
				t.Fatal(err)
			}
			select {
			case fr, ok := <-frames:
				if !ok {
					t.Fatal("the socket closed")
				}
				if fr.Type != "typing" {
					continue
				}
				ty := fr.Typing
				if ty == nil || ty.RequestID != o.Request.ID || ty.ActorKind != core.ActorCustomer || ty.ActorID != o.Participant.ID ||
					ty.Name != "Customer" || fr.Next != me.Position {
					t.Fatalf("typing frame %+v %+v", fr, ty)
				}
				return
			case <-time.After(core.TypingInterval + 100*time.Millisecond):
			case <-deadline:
				t.Fatal("no typing frame")
			}
		}
	})
}
