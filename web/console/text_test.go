package console_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestControlCharacters: texts holding NUL, another control character or
// invalid UTF-8 are refused with 400 and change nothing, the same on
// SQLite and PostgreSQL (which cannot store NUL); an ID or an e-mail
// address holding one is simply not found.
func TestControlCharacters(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		d := e.d
		id := d.Live(t).Request.ID
		alice, admin := e.login(d.Alice), e.login(d.Admin)
		req := "/console/api/requests/" + id
		before := e.snapshot()
		for _, tc := range []struct {
			name         string
			b            *browser
			method, path string
			body         any
			status       int
		}{
			{"message with NUL", alice, "POST", req + "/messages", map[string]any{"body": "a\x00b"}, 400},
			{"message with a backspace", alice, "POST", req + "/messages", map[string]any{"body": "a\bb"}, 400},
			{"note with NUL", alice, "POST", req + "/messages", map[string]any{"body": "a\x00b", "note": true}, 400},
			{"closing note with NUL", alice, "POST", req + "/close", map[string]any{"note": "fixed\x00"}, 400},
			{"new company named with NUL", admin, "POST", "/console/api/admin/companies", map[string]any{"name": "Init\x00ech"}, 400},
			{"company renamed with a line feed", admin, "PATCH", "/console/api/admin/companies/" + d.Acme.ID, map[string]any{"name": "Acme\nCorp"}, 400},
			{"technician named with NUL", admin, "POST", "/console/api/admin/technicians",
				map[string]any{"email": "eve@desk.test", "name": "E\x00ve", "password": "a long enough password"}, 400},
			{"invite with NUL in the subject", alice, "POST", "/console/api/invite-customer", map[string]any{"company": d.Acme.ID, "subject": "x\x00"}, 400},
			{"request ID with NUL", alice, "GET", "/console/api/requests/req_%00", nil, 404},
			{"request ID of invalid UTF-8", alice, "GET", "/console/api/requests/req_%FF", nil, 404},
			{"action on an ID with NUL", alice, "POST", "/console/api/requests/req_%00/assign", nil, 404},
			{"file ID with NUL", alice, "GET", "/console/api/files/fil_%00", nil, 404},
			{"grant with NUL in the IDs", admin, "POST", "/console/api/admin/access/grant", map[string]any{"technician": "tec_\x00", "company": d.Acme.ID}, 404},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := tc.b.do(tc.method, tc.path, tc.body, nil)
				if res.code != tc.status {
					t.Fatalf("%d %s, want %d", res.code, res.body, tc.status)
				}
				if tc.status == 400 && res.errCode() != string(core.CodeInvalid) {
					t.Errorf("code %q", res.errCode())
				}
			})
		}
		for _, email := range []string{"alice\x00@desk.test", "alice\xff@desk.test"} {
			if res := e.browser().form("/console/login", url.Values{"email": {email}, "password": {testPassword}}); res.code != http.StatusUnauthorized {
				t.Errorf("sign-in as %q: %d, want 401", email, res.code)
			}
		}
		if after := e.snapshot(); after != before {
			t.Fatal("refused texts changed the database")
		}
	})
}
