package main_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/relaydesk/relaydesk/bots/telegram/telegramtest"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/testwait"
	"github.com/relaydesk/relaydesk/web/live"
)

// TestRollingRestart: two relaydesk processes on one PostgreSQL database
// and one Telegram bot; A polls Telegram and holds a widget customer's
// WebSocket, B serves the technician. A is stopped as SIGTERM stops it.
// The customer's browser reconnects to B and resumes where it was (what
// was written meanwhile once, nothing twice); B takes over polling
// Telegram; the technician's messages to the Telegram customer, before and
// after, each arrive once and in order.
func TestRollingRestart(t *testing.T) {
	t.Parallel()
	const token = "987654321:AAH-rolling_test_token"
	const tess = 777003
	tg := telegramtest.New(t, token)
	pa := newProgram(t, storetest.MigratedPostgresURL(t))
	maps.Copy(pa.env, map[string]string{"HTTP_ADDR": "127.0.0.1:0", "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_URL": tg.URL})
	key := createCompany(t, pa)
	for _, c := range []struct {
		stdin string
		args  []string
	}{
		{"alice-password-1\n", []string{"admin", "tech", "create", "--email", "alice@acme.test", "--name", "Alice", "--password-stdin"}},
		{"", []string{"admin", "access", "grant", "--tech", "alice@acme.test", "--company", "acme"}},
	} {
		if code, _, errs := pa.run(c.stdin, c.args...); code != 0 {
			t.Fatalf("%v: exit %d\n%s", c.args, code, errs)
		}
	}
	update := func(id int, text string) []byte {
		return []byte(fmt.Sprintf(`{"update_id": %d, "message": {"message_id": %d, "date": 1767225600,
			"from": {"id": %d, "is_bot": false, "first_name": "Tess", "language_code": "en"},
			"chat": {"id": %d, "first_name": "Tess", "type": "private"}, "text": %q}}`, id, id, tess, tess, text))
	}
	// A starts first, so it is the one polling Telegram.
	a := pa.serve()
	tg.Push(t, update(1, "my printer is on fire"))
	tg.Wait(t, "Tess told her request is open", func(calls []telegramtest.Call) bool { return hasText(calls, "#1001") })
	pb := &program{t: t, env: maps.Clone(pa.env)}
	pb.env["DATA_DIR"] = t.TempDir()
	b := pb.serve()
	wendy := widgetOpen(t, a.base, key)

	alice := signInVia(t, b.base, pb.env["PUBLIC_URL"], "alice@acme.test", "alice-password-1")
	alice.api("POST", "/console/api/me/availability", map[string]string{"availability": "available"}, 200)
	var page struct {
		Requests []struct {
			ID     string `json:"id"`
			Number int64  `json:"number"`
		} `json:"requests"`
	}
	if err := json.Unmarshal([]byte(alice.api("GET", "/console/api/requests?view=new&sort=number", nil, 200)), &page); err != nil || len(page.Requests) != 2 {
		t.Fatalf("Alice's New view: %+v (%v)", page, err)
	}
	tessReq, wendyReq := page.Requests[0].ID, page.Requests[1].ID
	for _, id := range []string{tessReq, wendyReq} {
		alice.api("POST", "/console/api/requests/"+id+"/assign", map[string]any{}, 200)
		alice.api("POST", "/console/api/requests/"+id+"/join", map[string]any{}, 200)
	}
	say := func(id, body string) {
		alice.api("POST", "/console/api/requests/"+id+"/messages", map[string]any{"body": body}, 201)
	}

	// Wendy follows her chat live through A.
	conn := follow(t, a.base, wendy, "")
	say(wendyReq, "w1 before the restart")
	next, _ := readUntil(t, conn, "w1 before the restart")
	say(tessReq, "t1 before the restart")
	tg.Wait(t, "t1 to reach Tess", func(calls []telegramtest.Call) bool { return hasText(calls, "t1 before the restart") })

	a.stop()
	if _, _, err := conn.ReadMessage(); err == nil {
		t.Fatal("the WebSocket to the stopped process is still open")
	}
	say(wendyReq, "w2 while reconnecting")
	say(tessReq, "t2 after the restart")

	// The browser reconnects to B from where it was.
	conn = follow(t, b.base, wendy, next)
	if _, after := readUntil(t, conn, "w2 while reconnecting"); len(after) != 1 {
		t.Errorf("after reconnecting, Wendy got %q; want only what was written meanwhile", after)
	}

	// B polls Telegram now: Tess's next message reaches the request.
	tg.Push(t, update(2, "still there?"))
	testwait.Eventually(t, "Tess's message after the restart in the request", func() bool {
		return strings.Contains(alice.api("GET", "/console/api/requests/"+tessReq, nil, 200), "still there?")
	})
	say(tessReq, "t3 after the restart")
	tg.Wait(t, "t3 to reach Tess", func(calls []telegramtest.Call) bool { return hasText(calls, "t3 after the restart") })

	var got []string
	for _, c := range tg.Calls("sendMessage") {
		if !c.Failed && c.Chat() == tess && strings.Contains(c.Fields["text"], " the restart") {
			got = append(got, c.Fields["text"])
		}
	}
	if len(got) != 3 || !strings.Contains(got[0], "t1") || !strings.Contains(got[1], "t2") || !strings.Contains(got[2], "t3") {
		t.Errorf("Tess got %q, want t1, t2, t3 once each, in order", got)
	}
}

// follow opens a widget customer's live stream at base, from after.
func follow(t *testing.T, base, token, after string) *websocket.Conn {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/api/widget/live", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.WriteJSON(live.Hello{After: after, Token: token}); err != nil {
		t.Fatal(err)
	}
	return conn
}

// readUntil reads frames until a message with body want arrives; it
// returns the cursor after it and the bodies of the messages read.
func readUntil(t *testing.T, conn *websocket.Conn, want string) (next string, bodies []string) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		var fr struct {
			Type   string `json:"type"`
			Next   string `json:"next"`
			Error  string `json:"error"`
			Events []struct {
				Type string `json:"type"`
				Body string `json:"body"`
			} `json:"events"`
		}
		if err := conn.ReadJSON(&fr); err != nil {
			t.Fatalf("waiting for %q on the live stream: %v (read %q)", want, err, bodies)
		}
		if fr.Type == "error" {
			t.Fatalf("the live stream refused: %s", fr.Error)
		}
		next = fr.Next
		found := false
		for _, ev := range fr.Events {
			if ev.Type == "chat.message" {
				bodies = append(bodies, ev.Body)
				found = found || ev.Body == want
			}
		}
		if found {
			return next, bodies
		}
	}
}
