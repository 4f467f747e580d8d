package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/web/console"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		nopw, err := e.eng.CreateTechnician(context.Background(), core.SystemActor(),
			core.NewTechnician{Email: "eve@desk.test", Name: "Eve"})
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, email, password string
			hdr                   map[string]string
			code                  int
			body                  string
		}{
			{"right password", "alice@desk.test", testPassword, nil, http.StatusSeeOther, ""},
			{"address in other case and spaces", "  ALICE@desk.test ", testPassword, nil, http.StatusSeeOther, ""},
			{"wrong password", "alice@desk.test", "not the password", nil, http.StatusUnauthorized, "Wrong e-mail or password."},
			{"unknown address", "nobody@desk.test", testPassword, nil, http.StatusUnauthorized, "Wrong e-mail or password."},
			{"technician without a console password", nopw.Email, "", nil, http.StatusUnauthorized, "Wrong e-mail or password."},
			{"form from another site", "alice@desk.test", testPassword, map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden, "not sent from this relaydesk"},
			{"form with neither Origin nor Referer", "alice@desk.test", testPassword, map[string]string{"Origin": ""}, http.StatusForbidden, ""},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				b := e.browser()
				hdr := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
				for k, v := range tc.hdr {
					hdr[k] = v
				}
				res := b.do("POST", "/console/login", []byte(url.Values{"email": {tc.email}, "password": {tc.password}}.Encode()), hdr)
				if res.code != tc.code || !strings.Contains(res.body, tc.body) {
					t.Fatalf("got %d %q, want %d with %q", res.code, res.body, tc.code, tc.body)
				}
				me := b.do("GET", "/console/api/me", nil, nil)
				if signedIn := me.code == 200; signedIn != (tc.code == http.StatusSeeOther) {
					t.Fatalf("after sign-in answered %d: /me is %d", res.code, me.code)
				}
				if tc.code != http.StatusSeeOther {
					return
				}
				if loc := res.hdr.Get("Location"); loc != "/console" {
					t.Fatalf("redirected to %q", loc)
				}
				var c *http.Cookie
				for _, x := range (&http.Response{Header: res.hdr}).Cookies() {
					if x.Name == console.CookieName {
						c = x
					}
				}
				if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure || len(c.Value) < 43 {
					t.Fatalf("session cookie %+v", c)
				}
				// The database keeps the token's hash, never the token.
				var n int
				db := e.store.DB()
				if err := db.Get(&n, db.Rebind(`SELECT COUNT(*) FROM sessions WHERE id_hash = ?`), core.HashToken(c.Value)); err != nil || n != 1 {
					t.Fatalf("sessions by hash: %d, %v", n, err)
				}
				if err := db.Get(&n, db.Rebind(`SELECT COUNT(*) FROM sessions WHERE id_hash = ? OR csrf = ?`), c.Value, c.Value); err != nil || n != 0 {
					t.Fatalf("the raw token is stored: %d, %v", n, err)
				}
			})
		}

		t.Run("secure cookies over https", func(t *testing.T) {
			e := serve(t, e.store, e.d, e.eng, func(c *console.Config) { c.SecureCookies = true })
			res := e.browser().form("/console/login", url.Values{"email": {"alice@desk.test"}, "password": {testPassword}})
			if res.code != http.StatusSeeOther || !strings.Contains(res.hdr.Get("Set-Cookie"), "Secure") {
				t.Fatalf("%d, Set-Cookie %q", res.code, res.hdr.Get("Set-Cookie"))
			}
		})
		t.Run("the sign-in page", func(t *testing.T) {
			res := e.browser().do("GET", "/console/login", nil, nil)
			for _, id := range []string{`id="email"`, `id="password"`, `id="login"`} {
				if !strings.Contains(res.body, id) {
					t.Errorf("the sign-in page lacks %s", id)
				}
			}
			// A signed-in browser goes straight to the console.
			if res := e.login(e.d.Bob).do("GET", "/console/login", nil, nil); res.code != http.StatusSeeOther {
				t.Fatalf("signed in: %d", res.code)
			}
		})
	})
}

func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore, func(c *console.Config) {
			c.ClientIP = func(r *http.Request) string { return r.Header.Get("X-Test-IP") }
		})
		try := func(email, password, ip string) response {
			return e.browser().do("POST", "/console/login", []byte(url.Values{"email": {email}, "password": {password}}.Encode()),
				map[string]string{"Content-Type": "application/x-www-form-urlencoded", "X-Test-IP": ip})
		}
		for i := range 5 {
			if res := try("alice@desk.test", "wrong password", "10.0.0.1"); res.code != http.StatusUnauthorized {
				t.Fatalf("failure %d: %d", i+1, res.code)
			}
		}
		// The sixth attempt from that address waits, even with the right
		// password; Alice, elsewhere, is not locked out by it.
		res := try("alice@desk.test", testPassword, "10.0.0.1")
		secs, _ := strconv.Atoi(res.hdr.Get("Retry-After"))
		if res.code != http.StatusTooManyRequests || secs < 1 || secs > 15*60 || !strings.Contains(res.body, "Too many failed sign-ins") {
			t.Fatalf("from the guessing address: %d, Retry-After %q", res.code, res.hdr.Get("Retry-After"))
		}
		if res := try("alice@desk.test", testPassword, "10.0.0.2"); res.code != http.StatusSeeOther {
			t.Fatalf("from another address: %d", res.code)
		}
		// Others sign in meanwhile.
		if res := try("bob@desk.test", testPassword, "10.0.0.1"); res.code != http.StatusSeeOther {
			t.Fatalf("Bob: %d", res.code)
		}
		// After the window Alice may try again.
		e.clock.Add(15*time.Minute + time.Second)
		if res := try("alice@desk.test", testPassword, "10.0.0.1"); res.code != http.StatusSeeOther {
			t.Fatalf("after the window: %d", res.code)
		}

		// One address guessing many accounts is limited too.
		for i, email := range []string{"alice", "bob", "carol", "dave"} {
			for j := range 5 {
				if res := try(email+"@desk.test", "wrong password", "10.0.0.9"); res.code != http.StatusUnauthorized {
					t.Fatalf("%s failure %d: %d", email, i*5+j+1, res.code)
				}
			}
		}
		if res := try("admin@desk.test", testPassword, "10.0.0.9"); res.code != http.StatusTooManyRequests {
			t.Fatalf("21st attempt from one address: %d", res.code)
		}
		if res := try("admin@desk.test", testPassword, "10.0.0.10"); res.code != http.StatusSeeOther {
			t.Fatalf("from another address: %d", res.code)
		}
	})
}

func TestLogout(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		b := e.login(e.d.Alice)
		other := e.login(e.d.Alice) // another browser of Alice's

		// Without the token sign-out is refused: another site cannot sign
		// people out.
		if res := b.do("POST", "/console/logout", nil, map[string]string{console.CSRFHeader: ""}); res.code != http.StatusForbidden {
			t.Fatalf("without token: %d", res.code)
		}
		// The page's form sends the token as a field.
		res := b.form("/console/logout", url.Values{"csrf": {b.csrf}})
		if res.code != http.StatusSeeOther || res.hdr.Get("Location") != "/console/login" {
			t.Fatalf("logout: %d %s", res.code, res.hdr.Get("Location"))
		}
		if res := b.do("GET", "/console/api/me", nil, nil); res.code != http.StatusUnauthorized {
			t.Fatalf("after logout: %d", res.code)
		}
		if res := b.do("GET", "/console", nil, nil); res.code != http.StatusSeeOther || res.hdr.Get("Location") != "/console/login" {
			t.Fatalf("page after logout: %d", res.code)
		}
		if res := other.do("GET", "/console/api/me", nil, nil); res.code != 200 {
			t.Fatalf("the other browser was signed out too: %d", res.code)
		}
		// Signing out twice just lands on the sign-in page.
		if res := b.form("/console/logout", url.Values{"csrf": {b.csrf}}); res.code != http.StatusSeeOther {
			t.Fatalf("second logout: %d", res.code)
		}
	})
}

func TestSessionLifetime(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		me := func(b *browser) int { return b.do("GET", "/console/api/me", nil, nil).code }

		idle := e.login(e.d.Alice)
		busy := e.login(e.d.Bob)
		e.clock.Add(11 * time.Hour)
		if me(busy) != 200 {
			t.Fatal("signed out before the idle limit")
		}
		e.clock.Add(time.Hour + time.Second) // idle: unused for 12 h; busy: 1 h
		if c := me(idle); c != http.StatusUnauthorized {
			t.Fatalf("unused for 12h: %d", c)
		}
		// A session in use lives until its absolute limit.
		for e.clock.Now().Before(time.Now().Add(console.MaxAge - 12*time.Hour)) {
			if c := me(busy); c != 200 {
				t.Fatalf("busy session ended early at %s: %d", e.clock.Now(), c)
			}
			e.clock.Add(10 * time.Hour)
		}
		e.clock.Add(12 * time.Hour)
		if c := me(busy); c != http.StatusUnauthorized {
			t.Fatalf("after %s: %d", console.MaxAge, c)
		}
	})
}

func TestNoSession(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		o := e.d.Open(t, e.d.Acme, "customer@example.com", "help")
		anon := e.browser()
		forged := e.browser()
		u, _ := url.Parse(e.srv.URL)
		forged.c.Jar.SetCookies(u, []*http.Cookie{{Name: console.CookieName, Value: "forged-token-forged-token-forged-token-abcd"}})
		before := e.snapshot()
		for _, b := range []*browser{anon, forged} {
			for _, c := range []struct{ method, path string }{
				{"GET", "/console/api/me"},
				{"GET", "/console/api/requests?view=all"},
				{"GET", "/console/api/requests/" + o.Request.ID},
				{"POST", "/console/api/requests/" + o.Request.ID + "/assign"},
				{"POST", "/console/api/me/availability"},
				{"GET", "/console/api/feed"},
				{"GET", "/console/api/live"},
				{"GET", "/console/api/admin/companies"},
				{"GET", "/console/api/files/fil_x"},
			} {
				res := b.do(c.method, c.path, nil, nil)
				if res.code != http.StatusUnauthorized || res.errCode() != "unauthorized" {
					t.Errorf("%s %s: %d %s", c.method, c.path, res.code, res.body)
				}
			}
			for _, p := range []string{"/console", "/console/admin"} {
				if res := b.do("GET", p, nil, nil); res.code != http.StatusSeeOther || res.hdr.Get("Location") != "/console/login" {
					t.Errorf("GET %s: %d %q", p, res.code, res.hdr.Get("Location"))
				}
			}
		}
		if after := e.snapshot(); after != before {
			t.Fatal("requests without a session changed the database")
		}
	})
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		o := e.d.Open(t, e.d.Acme, "customer@example.com", "help")
		b := e.login(e.d.Alice)
		calls := []struct {
			method, path string
			body         any
		}{
			{"POST", "/console/api/requests/" + o.Request.ID + "/assign", nil},
			{"POST", "/console/api/requests/" + o.Request.ID + "/messages", map[string]any{"body": "hi", "note": true}},
			{"POST", "/console/api/me/availability", map[string]string{"availability": "away"}},
			{"POST", "/console/api/invite-customer", map[string]string{"company": e.d.Acme.ID}},
			{"POST", "/console/api/requests/" + o.Request.ID + "/close", map[string]string{"note": "x"}},
		}
		bad := []struct {
			name string
			hdr  map[string]string
		}{
			{"missing token", map[string]string{console.CSRFHeader: ""}},
			{"wrong token", map[string]string{console.CSRFHeader: "not-the-token"}},
			{"another session's token", map[string]string{console.CSRFHeader: e.login(e.d.Bob).csrf}},
			{"wrong origin", map[string]string{"Origin": "https://evil.example"}},
			{"null origin", map[string]string{"Origin": "null"}},
			{"no origin, foreign referer", map[string]string{"Origin": "", "Referer": "https://evil.example/console"}},
			{"no origin, no referer", map[string]string{"Origin": ""}},
		}
		before := e.snapshot()
		for _, tc := range bad {
			t.Run(tc.name, func(t *testing.T) {
				for _, c := range calls {
					res := b.do(c.method, c.path, c.body, tc.hdr)
					if res.code != http.StatusForbidden || res.errCode() != "csrf" {
						t.Errorf("%s %s: %d %s", c.method, c.path, res.code, res.body)
					}
				}
				if after := e.snapshot(); after != before {
					t.Fatal("a refused request changed the database")
				}
			})
		}
		t.Run("same-origin referer without origin is accepted", func(t *testing.T) {
			res := b.do("POST", calls[0].path, nil, map[string]string{"Origin": "", "Referer": e.srv.URL + "/console"})
			if res.code != 200 {
				t.Fatalf("%d %s", res.code, res.body)
			}
		})
	})
}
