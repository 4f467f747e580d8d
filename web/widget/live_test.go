package widget_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/web/live"
	"github.com/relaydesk/relaydesk/web/widget"
)

// dial opens the live WebSocket as a page of origin would.
func (e *env) dial(t *testing.T, origin string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	u := "ws" + strings.TrimPrefix(e.url, "http") + "/api/widget/live"
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	conn, res, err := websocket.DefaultDialer.Dial(u, h)
	if err == nil {
		t.Cleanup(func() { conn.Close() })
	}
	return conn, res, err
}

// stream is a live WebSocket of one customer.
type stream struct {
	t    *testing.T
	conn *websocket.Conn
	seen []event
	next string
}

func (e *env) follow(t *testing.T, token, after string) *stream {
	t.Helper()
	conn, _, err := e.dial(t, e.url)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.WriteJSON(live.Hello{After: after, Token: token}); err != nil {
		t.Fatal(err)
	}
	return &stream{t: t, conn: conn, next: after}
}

// until reads frames until done says it has seen enough. The deadline only
// bounds a broken test; frames arrive as soon as events commit.
func (s *stream) until(done func([]event) bool) []event {
	s.t.Helper()
	start := len(s.seen)
	for !done(s.seen[start:]) {
		s.conn.SetReadDeadline(time.Now().Add(15 * time.Second))
		var fr frame
		if err := s.conn.ReadJSON(&fr); err != nil {
			s.t.Fatalf("read frame (have %+v): %v", s.seen[start:], err)
		}
		if fr.Type != "events" {
			s.t.Fatalf("frame %+v", fr)
		}
		s.seen = append(s.seen, fr.Events...)
		s.next = fr.Next
	}
	return s.seen[start:]
}

func hasBody(body string) func([]event) bool {
	return func(evs []event) bool {
		return slices.ContainsFunc(evs, func(ev event) bool { return ev.Body == body })
	}
}

func rseqs(evs []event) []int64 {
	var out []int64
	for _, ev := range evs {
		out = append(out, ev.RSeq)
	}
	return out
}

// TestLive follows a chat over the WebSocket and over long polling: a
// technician's reply arrives live, a private note never does, and a client
// that comes back with "after N" gets exactly what came after N.
func TestLive(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore(t), nil)
		d := e.desk
		alice := storetest.Actor(d.Alice)
		opened := e.open(t, d.Acme, "pat@example.com", "my screen is blank")
		id := e.requestOf(t, opened.Token).ID

		ws := e.follow(t, opened.Token, "0")
		history := ws.until(func(evs []event) bool { return len(evs) >= 2 })
		if got := rseqs(history); !slices.Equal(got, []int64{1, 2}) || history[1].Body != "my screen is blank" || !history[1].Mine {
			t.Fatalf("history %+v", history)
		}

		must[core.Request](t)(d.Engine.AssignToMe(ctx, alice, id))
		must[core.Request](t)(d.Engine.JoinChat(ctx, alice, id))
		joined := ws.until(func(evs []event) bool {
			return slices.ContainsFunc(evs, func(ev event) bool { return ev.Type == "chat.joined" })
		})
		if j := joined[len(joined)-1]; j.ActorName != "Alice" || j.RSeq != 4 {
			t.Fatalf("joined %+v", joined)
		}
		mark := ws.next // where a client that saw the join would come back

		must[core.Message](t)(d.Engine.AddNote(ctx, alice, id, core.Note{Body: "probably the cable"}))
		must[core.Message](t)(d.Engine.PostMessage(ctx, alice, id, core.Post{Body: "Is the monitor plugged in?"}))
		got := ws.until(hasBody("Is the monitor plugged in?"))
		for _, ev := range got {
			if ev.Type == "chat.note" || ev.Body == "probably the cable" {
				t.Fatalf("a private note reached the customer: %+v", got)
			}
		}
		if r := got[len(got)-1]; r.Type != "chat.message" || r.ActorKind != "technician" || r.ActorName != "Alice" || r.RSeq != 6 || ws.next != "6" {
			t.Fatalf("reply %+v, next %s", got, ws.next)
		}

		// The customer's own message comes back on the stream too.
		res := e.json(t, "POST", "/api/widget/messages", opened.Token, map[string]string{"body": "It is now"})
		mustCode(t, res, http.StatusCreated)
		ws.until(hasBody("It is now"))

		// Reconnecting after the join: exactly what followed, nothing twice.
		again := e.follow(t, opened.Token, mark)
		resumed := again.until(hasBody("It is now"))
		if got := rseqs(resumed); !slices.Equal(got, []int64{6, 7}) {
			t.Fatalf("resumed after %s with %v", mark, got)
		}

		// The long poll answers the same for the same cursor.
		res = e.get(t, "/api/widget/events?after="+mark, opened.Token)
		mustCode(t, res, http.StatusOK)
		var fr frame
		res.decode(t, &fr)
		if fr.Type != "events" || !slices.Equal(rseqs(fr.Events), []int64{6, 7}) || fr.Next != "7" || fr.Events[0].Body != "Is the monitor plugged in?" {
			t.Fatalf("poll after %s: %s", mark, res.body)
		}

		// A waiting long poll is woken by the next event.
		polled := make(chan frame, 1)
		go func() {
			var fr frame
			req, _ := http.NewRequestWithContext(ctx, "GET", e.url+"/api/widget/events?after=7", nil)
			req.Header.Set("Authorization", "Bearer "+opened.Token)
			if res, err := http.DefaultClient.Do(req); err == nil {
				json.NewDecoder(res.Body).Decode(&fr)
				res.Body.Close()
			}
			polled <- fr
		}()
		must[core.Request](t)(d.Engine.EndChat(ctx, alice, id))
		select {
		case fr := <-polled:
			if len(fr.Events) != 1 || fr.Events[0].Type != "chat.ended" || fr.Next != "8" {
				t.Fatalf("woken poll %+v", fr)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("the long poll was not answered")
		}
		ws.until(func(evs []event) bool { return len(evs) > 0 && evs[len(evs)-1].Type == "chat.ended" })
	})
}

// TestLiveRefusals: other sites' pages may not open the socket, and a bad
// token or cursor gets an error frame.
func TestLiveRefusals(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore(t), nil)
		opened := e.open(t, e.desk.Acme, "pat@example.com", "hello")

		_, res, err := e.dial(t, "https://evil.example")
		if err == nil || res == nil || res.StatusCode != http.StatusForbidden {
			t.Fatalf("cross-site socket: %v %v", res, err)
		}

		for _, tc := range []struct {
			hello live.Hello
			say   string
		}{
			{live.Hello{After: "0", Token: "nope"}, "this support request link is not valid"},
			{live.Hello{After: "0"}, "this support request link is not valid"},
			{live.Hello{After: "x", Token: opened.Token}, "after must be"},
		} {
			hello := tc.hello
			conn, _, err := e.dial(t, e.url)
			if err != nil {
				t.Fatal(err)
			}
			conn.SetReadDeadline(time.Now().Add(15 * time.Second))
			conn.WriteJSON(hello)
			var fr frame
			if err := conn.ReadJSON(&fr); err != nil || fr.Type != "error" || !strings.HasPrefix(fr.Error, tc.say) {
				t.Fatalf("hello %+v: frame %+v, %v", hello, fr, err)
			}
			if _, _, err := conn.ReadMessage(); !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
				t.Fatalf("hello %+v: after the error frame %v", hello, err)
			}
		}
	})
}

// TestLiveSkipsHiddenRuns: a long run of events the customer may not see
// (notes) moves the cursor on instead of stalling the stream.
func TestLiveSkipsHiddenRuns(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore(t), nil)
		d := e.desk
		alice := storetest.Actor(d.Alice)
		o := d.Live(t)
		for i := range 150 {
			must[core.Message](t)(d.Engine.AddNote(ctx, alice, o.Request.ID, core.Note{Body: "note " + strconv.Itoa(i)}))
		}
		must[core.Message](t)(d.Engine.PostMessage(ctx, alice, o.Request.ID, core.Post{Body: "after the notes"}))

		after := "4" // created, message, assigned, joined
		var got []event
		for range 5 {
			res := e.get(t, "/api/widget/events?after="+after, o.Token)
			mustCode(t, res, http.StatusOK)
			var fr frame
			res.decode(t, &fr)
			got = append(got, fr.Events...)
			if fr.Next == after {
				t.Fatalf("the cursor stalled at %s", after)
			}
			after = fr.Next
			if hasBody("after the notes")(got) {
				break
			}
		}
		if len(got) != 1 || got[0].Body != "after the notes" || after != "155" {
			t.Fatalf("got %+v, cursor %s", got, after)
		}

		ws := e.follow(t, o.Token, "4")
		if evs := ws.until(hasBody("after the notes")); len(evs) != 1 {
			t.Fatalf("socket %+v", evs)
		}
	})
}

// TestPollTimesOut: with nothing new, a long poll ends empty at its deadline
// with the cursor unchanged.
func TestPollTimesOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t), func(c *widget.Config) { c.PollWait = 50 * time.Millisecond })
	o := e.open(t, e.desk.Acme, "pat@example.com", "hello")
	res := e.get(t, "/api/widget/events?after=2", o.Token)
	mustCode(t, res, http.StatusOK)
	var fr frame
	res.decode(t, &fr)
	if fr.Type != "events" || len(fr.Events) != 0 || fr.Next != "2" {
		t.Fatalf("empty poll %s", res.body)
	}
}
