package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestRevokedAccessEndsEveryRead: Alice owned a request, handed it to Bob
// and then lost Acme. From then on the console shows her nothing of it:
// not its details, not its files (old or new), not its colleagues, and
// neither the live socket she had open nor a long poll carries its events.
func TestRevokedAccessEndsEveryRead(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		d := e.d
		ctx := context.Background()
		sys := core.SystemActor()
		// Alice serves Globex too: its requests are the events she must
		// still get, after which nothing of Acme's may have come.
		if err := e.eng.GrantAccess(ctx, sys, d.Alice.ID, d.Globex.ID); err != nil {
			t.Fatal(err)
		}
		o := d.Live(t)
		id := o.Request.ID
		cust := core.CustomerActor(o.Participant.ID)
		_, old, err := e.eng.AttachFile(ctx, cust, id, core.Upload{Name: "old.txt", Body: strings.NewReader("before")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.eng.Transfer(ctx, storetest.Actor(d.Alice), id, d.Bob.ID); err != nil {
			t.Fatal(err)
		}
		alice := e.login(d.Alice)
		if res := alice.do("GET", "/console/api/requests/"+id, nil, nil); res.code != http.StatusOK {
			t.Fatalf("the former owner, still serving Acme, cannot read: %d %s", res.code, res.body)
		}
		var me struct{ Position string }
		alice.do("GET", "/console/api/me", nil, nil).json(t, &me)
		conn, _, err := alice.dial(e.srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if err := conn.WriteJSON(map[string]string{"after": me.Position}); err != nil {
			t.Fatal(err)
		}

		if err := e.eng.RevokeAccess(ctx, sys, d.Alice.ID, d.Acme.ID); err != nil {
			t.Fatal(err)
		}
		const secret = "the new password is hunter2"
		if _, err := e.eng.PostMessage(ctx, cust, id, core.Post{Body: secret}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.eng.AddNote(ctx, storetest.Actor(d.Bob), id, core.Note{Body: "private: " + secret}); err != nil {
			t.Fatal(err)
		}
		_, fresh, err := e.eng.AttachFile(ctx, cust, id, core.Upload{Name: "new.txt", Body: strings.NewReader(secret)})
		if err != nil {
			t.Fatal(err)
		}
		globex := d.Open(t, d.Globex, "g@example.com", "Globex needs help")

		for _, path := range []string{
			"/console/api/requests/" + id,
			"/console/api/files/" + old.ID,
			"/console/api/files/" + fresh.ID,
			"/console/api/colleagues?request=" + id,
		} {
			res := alice.do("GET", path, nil, nil)
			if res.code != http.StatusNotFound || strings.Contains(res.body, "hunter2") || strings.Contains(res.body, "before") {
				t.Errorf("GET %s after the revocation: %d %s", path, res.code, res.body)
			}
		}
		for _, v := range []string{"all", "active", "completed"} {
			if ids := alice.list("view=" + v); contains(ids, id) {
				t.Errorf("the %s view still lists the request", v)
			}
		}

		// A poll answers as soon as the cursor moves, with or without
		// events: follow it until Globex's request has come.
		var polled []feedEvent
		for i, after := 0, me.Position; !contains(requestsOf(polled), globex.Request.ID); i++ {
			if i == 20 {
				t.Fatalf("20 polls and no Globex request: %v", requestsOf(polled))
			}
			var fr struct {
				Events []feedEvent `json:"events"`
				Next   string      `json:"next"`
			}
			alice.do("GET", "/console/api/feed?after="+after, nil, nil).json(t, &fr)
			polled, after = append(polled, fr.Events...), fr.Next
		}
		if got := requestsOf(polled); len(got) != 1 || got[0] != globex.Request.ID {
			t.Errorf("the long poll carried the events of %v, want only Globex's %s", got, globex.Request.ID)
		}
		if got := socketUntil(t, conn, globex.Request.ID); len(got) != 1 || got[0] != globex.Request.ID {
			t.Errorf("the open socket carried the events of %v, want only Globex's %s", got, globex.Request.ID)
		}
	})
}

// requestsOf lists the requests of evs, each once, in order.
func requestsOf(evs []feedEvent) []string {
	var out []string
	for _, ev := range evs {
		if !contains(out, ev.RequestID) {
			out = append(out, ev.RequestID)
		}
	}
	return out
}

// socketUntil reads the live socket until an event of request until has
// come and returns the requests of every event read.
func socketUntil(t *testing.T, conn *websocket.Conn, until string) []string {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	var evs []feedEvent
	for !contains(requestsOf(evs), until) {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for %s: %v", until, err)
		}
		var fr struct {
			Events []feedEvent `json:"events"`
		}
		if err := json.NewDecoder(bytes.NewReader(msg)).Decode(&fr); err != nil {
			t.Fatalf("frame %s: %v", msg, err)
		}
		evs = append(evs, fr.Events...)
	}
	return requestsOf(evs)
}
