package console_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// markedLine is a chat line of the Details timeline with its marks.
type markedLine struct {
	ID          string     `json:"id"`
	Body        string     `json:"body"`
	Version     int64      `json:"version"`
	EditedAt    *time.Time `json:"edited_at"`
	WithdrawnAt *time.Time `json:"withdrawn_at"`
	WithdrawnBy string     `json:"withdrawn_by"`
}

func (b *browser) markedLine(requestID, messageID string) markedLine {
	b.e.t.Helper()
	var d struct {
		Timeline []markedLine `json:"timeline"`
	}
	res := b.do("GET", "/console/api/requests/"+requestID, nil, nil)
	if res.code != http.StatusOK {
		b.e.t.Fatalf("details: %d %s", res.code, res.body)
	}
	res.json(b.e.t, &d)
	for _, l := range d.Timeline {
		if l.ID == messageID {
			return l
		}
	}
	b.e.t.Fatalf("no line %s in %s", messageID, res.body)
	return markedLine{}
}

// TestEditAndWithdraw: a technician edits their message and note (once per
// key), reads their versions oldest first, and withdraws them (by DELETE
// and by POST .../withdraw, again without change); the line keeps its text,
// marked.
func TestEditAndWithdraw(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		o := e.d.Live(t)
		alice := e.login(e.d.Alice)
		base := "/console/api/requests/" + o.Request.ID + "/messages"
		var msg, note struct {
			ID string `json:"id"`
		}
		alice.do("POST", base, map[string]any{"body": "Restart it"}, nil).json(t, &msg)
		alice.do("POST", base, map[string]any{"body": "probably the fuser", "note": true}, nil).json(t, &note)
		if msg.ID == "" || note.ID == "" {
			t.Fatal("posting failed")
		}

		for range 2 { // the second time replays the key
			res := alice.do("PATCH", base+"/"+msg.ID, map[string]any{"body": "Restart it *twice*"}, map[string]string{"Idempotency-Key": "e1"})
			var l markedLine
			res.json(t, &l)
			if res.code != http.StatusOK || l.Body != "Restart it *twice*" || l.Version != 2 || l.EditedAt == nil {
				t.Fatalf("edit: %d %s", res.code, res.body)
			}
		}
		mustStatus(t, alice.do("PATCH", base+"/"+note.ID, map[string]any{"body": "the fuser, surely"}, nil), http.StatusOK)

		res := alice.do("GET", base+"/"+msg.ID+"/versions", nil, nil)
		var vs struct {
			Versions []struct {
				Version int64  `json:"version"`
				Body    string `json:"body"`
			} `json:"versions"`
		}
		res.json(t, &vs)
		if res.code != http.StatusOK || len(vs.Versions) != 2 || vs.Versions[0].Body != "Restart it" || vs.Versions[1].Body != "Restart it *twice*" {
			t.Fatalf("versions: %d %s", res.code, res.body)
		}

		mustStatus(t, alice.do("DELETE", base+"/"+note.ID, nil, nil), http.StatusOK)
		for range 2 {
			mustStatus(t, alice.do("POST", base+"/"+msg.ID+"/withdraw", nil, map[string]string{"Idempotency-Key": "w1"}), http.StatusOK)
		}
		mustStatus(t, alice.do("DELETE", base+"/"+msg.ID, nil, nil), http.StatusOK) // withdrawn already: no change
		for _, id := range []string{msg.ID, note.ID} {
			l := alice.markedLine(o.Request.ID, id)
			if l.WithdrawnAt == nil || l.WithdrawnBy != "Alice" || l.Body == "" {
				t.Errorf("withdrawn line %+v", l)
			}
		}
		m, err := e.eng.ViewRequest(context.Background(), storetest.Actor(e.d.Alice), o.Request.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, mm := range m.Messages {
			if mm.ID == msg.ID && (!mm.Withdrawn() || mm.Body != "Restart it *twice*") {
				t.Errorf("stored %+v", mm)
			}
		}
		// A withdrawn message can no longer be edited: the engine's refusal.
		if res := alice.do("PATCH", base+"/"+msg.ID, map[string]any{"body": "again"}, nil); res.code != http.StatusConflict || res.errCode() != "invalid_state" {
			t.Fatalf("edit of a withdrawn message: %d %s", res.code, res.body)
		}
	})
}

// TestEditRefusals: another technician's, a customer's, another request's
// and another company's messages are refused, as are writes without the
// CSRF token; nothing changes.
func TestEditRefusals(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		ctx := context.Background()
		o := e.d.Live(t)
		other := e.d.Live(t)
		globex := e.d.Open(t, e.d.Globex, "sam@example.com", "globex trouble")
		alice, bob, carol := e.login(e.d.Alice), e.login(e.d.Bob), e.login(e.d.Carol)
		mine, err := e.eng.PostMessage(ctx, storetest.Actor(e.d.Alice), o.Request.ID, core.Post{Body: "Restart it"})
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := e.eng.PostMessage(ctx, storetest.Actor(e.d.Alice), other.Request.ID, core.Post{Body: "elsewhere"})
		if err != nil {
			t.Fatal(err)
		}
		base := "/console/api/requests/" + o.Request.ID + "/messages/"
		before := e.snapshot()
		for _, c := range []struct {
			name   string
			b      *browser
			method string
			path   string
			hdr    map[string]string
			code   int
			err    string
		}{
			{"a colleague edits", bob, "PATCH", base + mine.ID, nil, http.StatusForbidden, "forbidden"},
			{"a colleague withdraws", bob, "DELETE", base + mine.ID, nil, http.StatusForbidden, "forbidden"},
			{"the customer's message", alice, "PATCH", base + o.Message.ID, nil, http.StatusForbidden, "forbidden"},
			{"the customer's message withdrawn", alice, "DELETE", base + o.Message.ID, nil, http.StatusForbidden, "forbidden"},
			{"another request's message", alice, "PATCH", base + theirs.ID, nil, http.StatusNotFound, "not_found"},
			{"another request's message withdrawn", alice, "POST", base + theirs.ID + "/withdraw", nil, http.StatusNotFound, "not_found"},
			{"another request's versions", alice, "GET", base + theirs.ID + "/versions", nil, http.StatusNotFound, "not_found"},
			{"another company's message", alice, "PATCH", "/console/api/requests/" + globex.Request.ID + "/messages/" + globex.Message.ID, nil, http.StatusNotFound, "not_found"},
			{"another company's versions", alice, "GET", "/console/api/requests/" + globex.Request.ID + "/messages/" + globex.Message.ID + "/versions", nil, http.StatusNotFound, "not_found"},
			{"another company's technician", carol, "PATCH", base + mine.ID, nil, http.StatusNotFound, "not_found"},
			{"no such message", alice, "PATCH", base + "msg_nope", nil, http.StatusNotFound, "not_found"},
			{"no CSRF token", alice, "PATCH", base + mine.ID, map[string]string{"X-CSRF-Token": ""}, http.StatusForbidden, "csrf"},
			{"no CSRF token to withdraw", alice, "DELETE", base + mine.ID, map[string]string{"X-CSRF-Token": ""}, http.StatusForbidden, "csrf"},
		} {
			var body any
			if c.method == "PATCH" {
				body = map[string]any{"body": "changed"}
			}
			res := c.b.do(c.method, c.path, body, c.hdr)
			if res.code != c.code || res.errCode() != c.err {
				t.Errorf("%s: %d %s, want %d %s", c.name, res.code, res.body, c.code, c.err)
			}
		}
		if after := e.snapshot(); after != before {
			t.Errorf("refusals changed the desk:\n%s\n---\n%s", before, after)
		}
	})
}

func mustStatus(t *testing.T, res response, code int) {
	t.Helper()
	if res.code != code {
		t.Fatalf("status %d, want %d: %s", res.code, code, res.body)
	}
}
