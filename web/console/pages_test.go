package console_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestPages: every page carries the strict headers, has no inline script or
// style for the CSP to block, and offers the DOM hooks the browser tests
// use.
func TestPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore)
		admin := e.login(e.d.Admin)
		anon := e.browser()
		host := strings.TrimPrefix(e.srv.URL, "http://")
		csp := "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self' ws://" + host +
			"; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
		inlineScript := regexp.MustCompile(`<script(?:\s[^>]*)?>`)
		pages := []struct {
			name  string
			b     *browser
			path  string
			code  int
			hooks []string
		}{
			{"sign-in", anon, "/console/login", 200, []string{`id="email"`, `id="password"`, `id="login"`}},
			{"console", admin, "/console", 200, []string{
				`id="availability"`, `id="logout"`, `id="view-all"`, `id="view-new"`, `id="view-active"`, `id="view-completed"`,
				`id="view-mine"`, `id="requests"`, `<select id="sort"`, `value="number"`, `value="created"`, `value="updated"`, `value="company"`,
				`value="status"`, `value="owner"`, `value="customer"`, `id="search"`, `id="conversation"`, `id="details"`, `id="side"`,
				`data-action="leave"`, `id="close-dialog"`, `id="mode-reply"`, `id="new-below"`,
				`data-action="assign"`, `data-action="unassign"`, `data-action="join"`, `data-action="end"`, `data-action="close"`,
				`data-action="transfer"`, `data-action="invite"`, `data-action="screenshare"`, `data-action="sysinfo"`,
				`id="closing-note"`, `id="messages"`, `aria-live="polite"`, `<textarea id="composer"`, `id="send"`, `id="note-toggle"`,
				`<select id="to"`, `type="file" id="file"`, `id="upload-progress"`, `id="toasts"`, `<meta name="csrf-token"`,
				`<meta name="log-position"`, `href="/console/admin"`}},
			{"admin", admin, "/console/admin", 200, []string{`id="companies"`, `id="technicians"`, `id="grant-form"`, `data-copy-code=`}},
			{"not found", anon, "/console/setup", 404, nil},
		}
		for _, p := range pages {
			t.Run(p.name, func(t *testing.T) {
				res := p.b.do("GET", p.path, nil, nil)
				if res.code != p.code {
					t.Fatalf("%d", res.code)
				}
				for h, want := range map[string]string{"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff",
					"Referrer-Policy": "same-origin", "Content-Type": "text/html; charset=utf-8", "X-Frame-Options": "DENY"} {
					if got := res.hdr.Get(h); got != want {
						t.Errorf("%s: %q, want %q", h, got, want)
					}
				}
				for _, tag := range inlineScript.FindAllString(res.body, -1) {
					if !strings.Contains(tag, ` src="/console/assets/`) {
						t.Errorf("an inline script: %s", tag)
					}
				}
				if strings.Contains(res.body, "<style") || strings.Contains(res.body, " style=") || strings.Contains(res.body, "javascript:") ||
					regexp.MustCompile(` on[a-z]+=`).MatchString(res.body) {
					t.Error("inline style or event handler attributes")
				}
				for _, h := range p.hooks {
					if !strings.Contains(res.body, h) {
						t.Errorf("missing %s", h)
					}
				}
			})
		}
		t.Run("assets", func(t *testing.T) {
			// The pages build their DOM with createElement and text nodes
			// only: nothing hands a string to the browser's HTML parser.
			htmlSink := regexp.MustCompile(`\.(inner|outer)HTML\s*\+?=|insertAdjacentHTML|document\.write|DOMParser|createContextualFragment|srcdoc`)
			for path, ctype := range map[string]string{"console.js": "text/javascript; charset=utf-8", "common.js": "text/javascript; charset=utf-8",
				"admin.js": "text/javascript; charset=utf-8", "richtext.js": "text/javascript; charset=utf-8",
				"console.css": "text/css; charset=utf-8", "icon.svg": "image/svg+xml"} {
				res := anon.do("GET", "/console/assets/"+path, nil, nil)
				if res.code != 200 || res.hdr.Get("Content-Type") != ctype || res.hdr.Get("ETag") == "" || len(res.body) == 0 {
					t.Errorf("%s: %d %q", path, res.code, res.hdr.Get("Content-Type"))
				}
				if m := htmlSink.FindString(res.body); m != "" {
					t.Errorf("%s hands text to the HTML parser: %q", path, m)
				}
				again := anon.do("GET", "/console/assets/"+path, nil, map[string]string{"If-None-Match": res.hdr.Get("ETag")})
				if again.code != http.StatusNotModified {
					t.Errorf("%s revalidated: %d", path, again.code)
				}
			}
			if res := anon.do("GET", "/console/assets/..%2fconsole.go", nil, nil); res.code != 404 {
				t.Errorf("outside the assets: %d", res.code)
			}
			if res := anon.do("GET", "/console/assets/nope.js", nil, nil); res.code != 404 {
				t.Errorf("unknown asset: %d", res.code)
			}
		})
		t.Run("a console under /console/ redirects", func(t *testing.T) {
			if res := admin.do("GET", "/console/", nil, nil); res.code != http.StatusSeeOther || res.hdr.Get("Location") != "/console" {
				t.Fatalf("%d %q", res.code, res.hdr.Get("Location"))
			}
		})
	})
}
