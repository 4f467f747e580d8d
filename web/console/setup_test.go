package console_test

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/blob"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/web/console"
)

func TestSetup(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		const token = "one-time-setup-token-0123456789"
		s := newStore(t)
		eng := core.NewEngine(core.Config{Store: s, Blobs: blob.NewDir(filepath.Join(t.TempDir(), "blobs"))})
		e := serve(t, s, nil, eng, func(c *console.Config) { c.SetupToken = token })
		b := e.browser()
		get := func(q string) int { return b.do("GET", "/console/setup"+q, nil, nil).code }
		post := func(v url.Values) response { return b.form("/console/setup", v) }
		form := func(tok, pw string) url.Values {
			return url.Values{"token": {tok}, "name": {"Root"}, "email": {"root@desk.test"}, "password": {pw}, "password2": {pw}}
		}

		for _, q := range []string{"", "?token=", "?token=wrong", "?token=" + token + "x"} {
			if c := get(q); c != http.StatusNotFound {
				t.Errorf("GET /console/setup%s: %d", q, c)
			}
		}
		if c := get("?token=" + token); c != 200 {
			t.Fatalf("with the token: %d", c)
		}
		if res := post(form("wrong", "a long enough password")); res.code != http.StatusNotFound {
			t.Fatalf("POST with a wrong token: %d", res.code)
		}
		if res := b.do("POST", "/console/setup", []byte(form(token, "a long enough password").Encode()),
			map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://evil.example"}); res.code != http.StatusForbidden {
			t.Fatalf("POST from another site: %d", res.code)
		}
		if res := post(form(token, "short")); res.code != http.StatusBadRequest || !strings.Contains(res.body, "at least 10 characters") {
			t.Fatalf("short password: %d %s", res.code, res.body)
		}
		mismatch := form(token, "a long enough password")
		mismatch.Set("password2", "another long password")
		if res := post(mismatch); res.code != http.StatusBadRequest || !strings.Contains(res.body, "differ") {
			t.Fatalf("different passwords: %d", res.code)
		}
		bad := form(token, "a long enough password")
		bad.Set("email", "root")
		if res := post(bad); res.code != http.StatusBadRequest {
			t.Fatalf("bad address: %d", res.code)
		}
		ts, _ := s.Technicians(t.Context())
		if len(ts) != 0 {
			t.Fatalf("refused set-ups created %d technicians", len(ts))
		}

		res := post(form(token, "a long enough password"))
		if res.code != http.StatusSeeOther || res.hdr.Get("Location") != "/console" {
			t.Fatalf("set-up: %d %s", res.code, res.body)
		}
		// Signed in as the new admin.
		b.loadCSRF()
		var me struct{ Email, Role string }
		b.do("GET", "/console/api/me", nil, nil).json(t, &me)
		if me.Email != "root@desk.test" || me.Role != "admin" {
			t.Fatalf("after set-up: %+v", me)
		}
		if c := b.do("GET", "/console/admin", nil, nil).code; c != 200 {
			t.Fatalf("admin page: %d", c)
		}
		// The link is spent.
		if c := get("?token=" + token); c != http.StatusNotFound {
			t.Fatalf("GET after use: %d", c)
		}
		if res := post(form(token, "another long password")); res.code != http.StatusNotFound {
			t.Fatalf("POST after use: %d", res.code)
		}
		ts, _ = s.Technicians(t.Context())
		if len(ts) != 1 {
			t.Fatalf("%d technicians", len(ts))
		}

		t.Run("a new process with the token finds technicians", func(t *testing.T) {
			e := serve(t, s, nil, eng, func(c *console.Config) { c.SetupToken = token })
			if c := e.browser().do("GET", "/console/setup?token="+token, nil, nil).code; c != http.StatusNotFound {
				t.Fatalf("%d", c)
			}
		})
		t.Run("no token configured", func(t *testing.T) {
			e := serve(t, newStore(t), nil, eng)
			if c := e.browser().do("GET", "/console/setup?token=", nil, nil).code; c != http.StatusNotFound {
				t.Fatalf("%d", c)
			}
		})
	})
}
