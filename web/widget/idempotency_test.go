package widget_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestIdempotencyKey: a message or a file sent twice with the same
// Idempotency-Key (a retry after a lost answer) is stored once, and both
// sends get the same answer; another key, or none, is another message.
func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore(t), nil)
		d := e.desk
		c := e.open(t, d.Acme, "pat@example.com", "hello")
		other := e.open(t, d.Acme, "sam@example.com", "hello too")
		withKey := func(token, key string, c call) call {
			c.token, c.header = token, http.Header{"Idempotency-Key": {key}}
			return c
		}
		send := func(token, key, body string) response {
			return e.do(t, withKey(token, key, jsonCall("POST", "/api/widget/messages", "", map[string]string{"body": body})))
		}
		count := func(token, body string) int {
			n := 0
			for _, m := range e.chatOf(t, token).Messages {
				if m.Body == body {
					n++
				}
			}
			return n
		}

		first, again := send(c.Token, "k-1", "is anyone there?"), send(c.Token, "k-1", "is anyone there?")
		mustCode(t, first, http.StatusCreated)
		mustCode(t, again, http.StatusCreated)
		if first.text() != again.text() {
			t.Errorf("the retry answered\n%s\nthe first send\n%s", again.body, first.body)
		}
		if n := count(c.Token, "is anyone there?"); n != 1 {
			t.Errorf("the message is stored %d times", n)
		}
		mustCode(t, send(c.Token, "k-2", "is anyone there?"), http.StatusCreated)
		if n := count(c.Token, "is anyone there?"); n != 2 {
			t.Errorf("a new key stored the message %d times in all, want 2", n)
		}
		// The key is the customer's own: another customer's k-1 is theirs.
		mustCode(t, send(other.Token, "k-1", "is anyone there?"), http.StatusCreated)
		if n := count(other.Token, "is anyone there?"); n != 1 {
			t.Errorf("another customer's message with the same key is stored %d times", n)
		}

		upload := func(key string) response {
			body, ctype := form(t, "file", "notes.txt", fixture(t, "notes.txt"))
			return e.do(t, withKey(c.Token, key, call{method: "POST", path: "/api/widget/files", ctype: ctype, body: body}))
		}
		up, upAgain := upload("f-1"), upload("f-1")
		mustCode(t, up, http.StatusCreated)
		if up.text() != upAgain.text() || count(c.Token, "notes.txt") != 1 {
			t.Errorf("a repeated upload: %d %s, then %d %s", up.code, up.body, upAgain.code, upAgain.body)
		}

		before := storetest.Snapshot(t, d.Store)
		res := send(c.Token, strings.Repeat("k", 101), "too long a key")
		mustCode(t, res, http.StatusBadRequest)
		var ae apiError
		res.decode(t, &ae)
		if ae.Error.Code != string(core.CodeInvalid) {
			t.Errorf("a long key: %s", res.body)
		}
		if storetest.Snapshot(t, d.Store) != before {
			t.Error("a refused key changed the database")
		}
	})
}

// chatOf is the chat a customer's token reads.
func (e *env) chatOf(t *testing.T, token string) chat {
	t.Helper()
	res := e.get(t, "/api/widget/request", token)
	mustCode(t, res, http.StatusOK)
	var v chat
	res.decode(t, &v)
	return v
}
