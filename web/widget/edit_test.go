package widget_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// editedMessage is what a message view says of edits and withdrawals.
type editedMessage struct {
	ID        string          `json:"id"`
	Body      string          `json:"body"`
	Doc       json.RawMessage `json:"doc"`
	File      json.RawMessage `json:"file"`
	Version   int64           `json:"version"`
	EditedAt  *time.Time      `json:"edited_at"`
	Withdrawn bool            `json:"withdrawn"`
}

// patch edits a message as the customer of token, with an optional key.
func (e *env) patch(t *testing.T, token, id, key, body string) response {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"body": body})
	hdr := http.Header{}
	if key != "" {
		hdr.Set("Idempotency-Key", key)
	}
	return e.do(t, call{method: "PATCH", path: "/api/widget/messages/" + id, token: token, ctype: "application/json",
		body: bytes.NewReader(b), header: hdr})
}

// clockedEnv is a widget over a desk whose engine runs by clk.
func clockedEnv(t *testing.T, s *sqlstore.Store) (*env, *clock) {
	t.Helper()
	d := storetest.NewDesk(t, s)
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	d.Engine = core.NewEngine(core.Config{Store: s, Blobs: d.Blobs, Clock: clk.Now})
	return newEnvOn(t, d, nil), clk
}

// TestEditMessage: a customer edits their own text within the window, once
// per key; not a technician's message, not another request's (not found),
// not a file, not after 15 minutes (the engine's words), not without a
// token.
func TestEditMessage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e, clk := clockedEnv(t, newStore(t))
		d := e.desk
		alice := storetest.Actor(d.Alice)
		o := d.Live(t)
		other := d.Open(t, d.Globex, "sam@example.com", "globex trouble")

		res := e.json(t, "POST", "/api/widget/messages", o.Token, map[string]string{"body": "teh printer"})
		mustCode(t, res, http.StatusCreated)
		var sent editedMessage
		res.decode(t, &sent)

		res = e.patch(t, o.Token, sent.ID, "k1", "the **printer**")
		mustCode(t, res, http.StatusOK)
		var edited editedMessage
		res.decode(t, &edited)
		if edited.ID != sent.ID || edited.Body != "the **printer**" || edited.Version != 2 || edited.EditedAt == nil || len(edited.Doc) == 0 {
			t.Fatalf("edited %s", res.body)
		}
		// The same key again changes nothing more and answers the message.
		res = e.patch(t, o.Token, sent.ID, "k1", "the **printer**")
		mustCode(t, res, http.StatusOK)
		res.decode(t, &edited)
		if edited.Version != 2 {
			t.Fatalf("replayed edit %s", res.body)
		}
		if vs := must[[]core.MessageVersion](t)(d.Engine.MessageVersions(ctx, alice, sent.ID)); len(vs) != 2 {
			t.Fatalf("%d versions after a replayed edit", len(vs))
		}
		// The chat shows it edited.
		var c struct {
			Messages []editedMessage `json:"messages"`
		}
		e.get(t, "/api/widget/request", o.Token).decode(t, &c)
		if m := c.Messages[len(c.Messages)-1]; m.ID != sent.ID || m.Body != "the **printer**" || m.Version != 2 || m.EditedAt == nil {
			t.Fatalf("chat shows %+v", m)
		}

		reply := must[core.Message](t)(d.Engine.PostMessage(ctx, alice, o.Request.ID, core.Post{Body: "On it"}))
		theirs := d.Open(t, d.Acme, "lee@example.com", "another request")
		for _, c := range []struct {
			name, token, id string
			code            int
			errCode         string
		}{
			{"a technician's message", o.Token, reply.ID, http.StatusForbidden, "forbidden"},
			{"another request's message", o.Token, theirs.Message.ID, http.StatusNotFound, "not_found"},
			{"another company's message", o.Token, other.Message.ID, http.StatusNotFound, "not_found"},
			{"no such message", o.Token, "msg_nope", http.StatusNotFound, "not_found"},
			{"no token", "", sent.ID, http.StatusUnauthorized, "unauthorized"},
		} {
			res := e.patch(t, c.token, c.id, "", "changed")
			var ae apiError
			json.Unmarshal(res.body, &ae)
			if res.code != c.code || ae.Error.Code != c.errCode {
				t.Errorf("%s: %d %s, want %d %s", c.name, res.code, res.body, c.code, c.errCode)
			}
		}
		if got := must[core.Message](t)(d.Store.Message(ctx, theirs.Message.ID)); got.Body != "another request" {
			t.Fatalf("another request's message became %q", got.Body)
		}

		// After the window the engine refuses, and says why.
		clk.Add(core.CustomerEditWindow + time.Second)
		res = e.patch(t, o.Token, sent.ID, "k2", "too late")
		var ae apiError
		json.Unmarshal(res.body, &ae)
		if res.code != http.StatusConflict || ae.Error.Code != "invalid_state" || ae.Error.Message == "" {
			t.Fatalf("late edit: %d %s", res.code, res.body)
		}
	})
}

// TestWithdrawnForCustomer: a message a technician withdrew reaches the
// customer as withdrawn, without its text or its file, in the chat and in
// the event stream (the chat.message rewritten, the chat.withdrawn without
// text); an edit arrives as chat.edited with the new text and version.
func TestWithdrawnForCustomer(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore(t), nil)
		d := e.desk
		alice := storetest.Actor(d.Alice)
		o := d.Live(t)
		ws := e.follow(t, o.Token, "0")
		secret := must[core.Message](t)(d.Engine.PostMessage(ctx, alice, o.Request.ID, core.Post{Body: "the admin password is hunter2"}))
		fixed := must[core.Message](t)(d.Engine.PostMessage(ctx, alice, o.Request.ID, core.Post{Body: "restart it"}))
		ws.until(hasBody("restart it"))
		must[core.Message](t)(d.Engine.EditMessage(ctx, alice, fixed.ID, core.Edit{Body: "restart it twice"}))
		must[core.Message](t)(d.Engine.WithdrawMessage(ctx, alice, secret.ID, core.Idempotency{}))
		got := ws.until(func(evs []event) bool {
			return len(evs) >= 2 && evs[len(evs)-1].Type == "chat.withdrawn"
		})
		if ed := got[0]; ed.Type != "chat.edited" || ed.Body != "restart it twice" {
			t.Fatalf("edit event %+v", ed)
		}

		res := e.get(t, "/api/widget/request", o.Token)
		mustCode(t, res, http.StatusOK)
		poll := e.get(t, "/api/widget/events?after=0", o.Token)
		mustCode(t, poll, http.StatusOK)
		for what, body := range map[string][]byte{"the chat": res.body, "the events": poll.body} {
			if strings.Contains(string(body), "hunter2") {
				t.Errorf("%s carries the withdrawn text: %s", what, body)
			}
		}
		var c struct {
			Messages []editedMessage `json:"messages"`
		}
		res.decode(t, &c)
		var seen int
		for _, m := range c.Messages {
			switch m.ID {
			case secret.ID:
				seen++
				if !m.Withdrawn || m.Body != "" || len(m.Doc) != 0 || len(m.File) != 0 {
					t.Errorf("withdrawn message shown as %+v", m)
				}
			case fixed.ID:
				seen++
				if m.Body != "restart it twice" || m.Version != 2 || m.Withdrawn {
					t.Errorf("edited message shown as %+v", m)
				}
			}
		}
		if seen != 2 {
			t.Fatalf("chat %s", res.body)
		}
		var fr struct {
			Events []struct {
				Type      string `json:"type"`
				MessageID string `json:"message_id"`
				Withdrawn bool   `json:"withdrawn"`
			} `json:"events"`
		}
		poll.decode(t, &fr)
		var marked int
		for _, ev := range fr.Events {
			if ev.MessageID == secret.ID && ev.Withdrawn {
				marked++
			}
		}
		if marked != 2 { // the message, rewritten, and its withdrawal
			t.Errorf("withdrawn marks in the events: %d, want 2: %s", marked, poll.body)
		}
	})
}
