package console_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/web/live"
)

type feedEvent struct {
	RequestID string `json:"request_id"`
	Type      string `json:"type"`
	Pos       string `json:"pos"`
	Data      struct {
		Number        int64  `json:"number"`
		CustomerEmail string `json:"customer_email"`
	} `json:"data"`
}

// dial opens the console's live socket as b, from origin.
func (b *browser) dial(origin string) (*websocket.Conn, *http.Response, error) {
	u, _ := url.Parse(b.e.srv.URL)
	hdr := http.Header{"Origin": {origin}}
	for _, c := range b.c.Jar.Cookies(u) {
		hdr.Add("Cookie", c.Name+"="+c.Value)
	}
	return websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(b.e.srv.URL, "http")+"/console/api/live", hdr)
}

// next reads events until one of type typ arrives.
func next(t *testing.T, conn *websocket.Conn, typ string) feedEvent {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	for {
		var fr struct {
			Type   string      `json:"type"`
			Events []feedEvent `json:"events"`
			Next   string      `json:"next"`
			Error  string      `json:"error"`
		}
		_, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for %s: %v", typ, err)
		}
		if err := json.Unmarshal(msg, &fr); err != nil || fr.Type != "events" {
			t.Fatalf("frame %s (%v)", msg, err)
		}
		for _, ev := range fr.Events {
			if ev.Type == typ {
				return ev
			}
		}
	}
}

func TestLiveFeed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		d := e.d
		alice, carol := e.login(d.Alice), e.login(d.Carol)
		var me struct{ Position string }
		alice.do("GET", "/console/api/me", nil, nil).json(t, &me)

		ac, _, err := alice.dial(e.srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer ac.Close()
		cc, _, err := carol.dial(e.srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer cc.Close()
		ac.WriteJSON(live.Hello{After: me.Position})
		cc.WriteJSON(live.Hello{After: me.Position})

		// A customer opens a request: Alice, who serves Acme, hears of it.
		o := d.Open(t, d.Acme, "customer@example.com", "help")
		ev := next(t, ac, "request.created")
		if ev.RequestID != o.Request.ID || ev.Data.CustomerEmail != "customer@example.com" || ev.Data.Number != o.Request.Number {
			t.Fatalf("%+v", ev)
		}
		// Carol serves Globex only: the first creation she hears of is
		// Globex's, although Acme's came first.
		g := d.Open(t, d.Globex, "g@example.com", "hello")
		if ev := next(t, cc, "request.created"); ev.RequestID != g.Request.ID {
			t.Fatalf("Carol heard of %s", ev.RequestID)
		}
		// Changes anywhere arrive too, e.g. Bob taking a request.
		bob := e.login(d.Bob)
		bob.do("POST", "/console/api/requests/"+o.Request.ID+"/assign", nil, nil)
		if ev := next(t, ac, "request.assigned"); ev.RequestID != o.Request.ID {
			t.Fatalf("%+v", ev)
		}

		// A browser that reconnects from a position catches up.
		rc, _, err := alice.dial(e.srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		rc.WriteJSON(live.Hello{After: me.Position})
		if ev := next(t, rc, "request.assigned"); ev.RequestID != o.Request.ID {
			t.Fatalf("catch-up: %+v", ev)
		}

		// Other sites' pages and browsers without a session get no socket.
		if _, res, err := alice.dial("https://evil.example"); err == nil || res == nil || res.StatusCode != http.StatusForbidden {
			t.Fatalf("foreign origin: %v %v", res, err)
		}
		if _, res, err := e.browser().dial(e.srv.URL); err == nil || res == nil || res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("no session: %v %v", res, err)
		}
		// A bad position is answered with an error frame.
		bc, _, err := alice.dial(e.srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer bc.Close()
		bc.WriteJSON(live.Hello{After: "nonsense"})
		var fr live.Frame
		bc.SetReadDeadline(time.Now().Add(10 * time.Second))
		if err := bc.ReadJSON(&fr); err != nil || fr.Type != "error" {
			t.Fatalf("bad position: %+v %v", fr, err)
		}
	})
}

// TestLiveFeedEndsWithSession: a socket stops once its session is signed
// out, at its next check.
func TestLiveFeedEndsWithSession(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		alice := e.login(e.d.Alice)
		conn, _, err := alice.dial(e.srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.WriteJSON(live.Hello{})
		conn.SetReadDeadline(time.Now().Add(15 * time.Second))
		var fr live.Frame
		if err := conn.ReadJSON(&fr); err != nil || fr.Type != "events" || fr.Next == "" {
			t.Fatalf("first frame %+v, %v", fr, err)
		}
		if res := alice.form("/console/logout", url.Values{"csrf": {alice.csrf}}); res.code != http.StatusSeeOther {
			t.Fatal(res.code)
		}
		e.clock.Add(2 * time.Minute)
		e.d.Open(t, e.d.Acme, "c@example.com", "wake the feed")
		for {
			if err := conn.ReadJSON(&fr); err != nil {
				t.Fatalf("no error frame before the socket closed: %v", err)
			}
			if fr.Type == "error" {
				if !strings.Contains(fr.Error, "signed out") {
					t.Fatalf("error %q", fr.Error)
				}
				return
			}
			if len(fr.Items) > 0 {
				t.Fatalf("a signed-out socket got events: %+v", fr)
			}
		}
	})
}
