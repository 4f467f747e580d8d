package widget_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestControlCharacters: NUL, the other control characters and invalid
// UTF-8 are refused with 400 and change nothing, the same on SQLite and
// PostgreSQL (which cannot store NUL); a key, a slug or an ID holding one
// is simply not found. Line ends are kept as line feeds.
func TestControlCharacters(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore(t), nil)
		d := e.desk
		live := d.Live(t)
		if _, err := d.Engine.RequestSystemInfo(ctx, storetest.Actor(d.Alice), live.Request.ID); err != nil {
			t.Fatal(err)
		}
		key := d.Acme.PortalKey
		open := func(key, email, name, msg string) call {
			return jsonCall("POST", "/api/widget/requests", "", map[string]string{"key": key, "email": email, "name": name, "message": msg})
		}
		before := storetest.Snapshot(t, d.Store)
		for _, tc := range []struct {
			name   string
			c      call
			status int
		}{
			{"open: NUL in the message", open(key, "a@example.com", "", "hello\x00world"), 400},
			{"open: a bell in the message", open(key, "a@example.com", "", "hello\aworld"), 400},
			{"open: NUL in the name", open(key, "a@example.com", "Pat\x00", "hello"), 400},
			{"open: a line feed in the name", open(key, "a@example.com", "Pat\nSmith", "hello"), 400},
			{"open: NUL in the e-mail address", open(key, "a\x00@example.com", "", "hello"), 400},
			{"open: NUL in the portal key", open(key+"\x00", "a@example.com", "", "hello"), 404},
			{"join: NUL in the name", jsonCall("POST", "/api/widget/join", "", map[string]string{"code": "x\x00", "email": "a@example.com", "name": "P\x00"}), 400},
			{"message: NUL", jsonCall("POST", "/api/widget/messages", live.Token, map[string]string{"body": "a\x00b"}), 400},
			{"message: an escape", jsonCall("POST", "/api/widget/messages", live.Token, map[string]string{"body": "a\x1b[31mb"}), 400},
			{"message: a C1 control", jsonCall("POST", "/api/widget/messages", live.Token, map[string]string{"body": "a\u0085b"}), 400},
			{"sysinfo: NUL", jsonCall("POST", "/api/widget/sysinfo", live.Token, map[string]string{"os": "Linux\x00"}), 400},
			{"company: NUL in the key", call{method: "GET", path: "/api/widget/company?key=" + key + "%00"}, 404},
			{"company: invalid UTF-8 in the key", call{method: "GET", path: "/api/widget/company?key=" + key + "%FF"}, 404},
			{"frame: NUL in the key", call{method: "GET", path: "/widget/frame?key=" + key + "%00"}, 404},
			{"portal: NUL in the slug", call{method: "GET", path: "/c/acme%00"}, 404},
			{"portal: invalid UTF-8 in the slug", call{method: "GET", path: "/c/acme%FF"}, 404},
			{"file: NUL in the ID", call{method: "GET", path: "/api/widget/files/fil_%00", token: live.Token}, 404},
			{"file: invalid UTF-8 in the ID", call{method: "GET", path: "/api/widget/files/fil_%FF", token: live.Token}, 404},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := e.do(t, tc.c)
				if res.code != tc.status {
					t.Fatalf("%d %s, want %d", res.code, res.body, tc.status)
				}
				var ae apiError
				if tc.status == 400 {
					res.decode(t, &ae)
					if ae.Error.Code != string(core.CodeInvalid) {
						t.Errorf("code %q: %s", ae.Error.Code, res.body)
					}
				}
			})
		}
		if after := storetest.Snapshot(t, d.Store); after != before {
			t.Fatal("refused texts changed the database")
		}

		res := e.json(t, "POST", "/api/widget/messages", live.Token, map[string]string{"body": "line one\r\nline two\rline three\tend"})
		mustCode(t, res, http.StatusCreated)
		var m message
		res.decode(t, &m)
		if m.Body != "line one\nline two\nline three\tend" {
			t.Errorf("stored %q", m.Body)
		}
	})
}

// jsonCall is a call with v as its JSON body. encoding/json escapes control
// characters as \u00XX, as a browser's JSON.stringify does.
func jsonCall(method, path, token string, v map[string]string) call {
	b, _ := json.Marshal(v)
	return call{method: method, path: path, token: token, ctype: "application/json", body: bytes.NewReader(b)}
}
