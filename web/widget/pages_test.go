package widget_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// externalRef finds a URL or a protocol-relative reference to a host.
var externalRef = regexp.MustCompile(`(?i)\b(https?|wss?)://|//[a-z0-9-]+(\.[a-z0-9-]+)+`)

// inlineCode finds what the pages' Content-Security-Policy would block:
// inline scripts, style elements and attributes, event handler attributes.
var inlineCode = regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>\s*[^<\s]|<style|\sstyle=|\son[a-z]+=|javascript:`)

// htmlSink finds what hands a string to the browser's HTML parser: the
// pages build their DOM with createElement and text nodes only.
var htmlSink = regexp.MustCompile(`\.(inner|outer)HTML\s*\+?=|insertAdjacentHTML|document\.write|DOMParser|createContextualFragment|srcdoc`)

// TestPages checks every page and file the widget serves: status, type,
// security headers, no inline code, no external references.
func TestPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore(t), nil)
		key := e.desk.Acme.PortalKey
		ws := "ws" + strings.TrimPrefix(e.url, "http")
		tests := []struct {
			name, path string
			status     int
			ctype      string
			framable   bool
			contains   []string
		}{
			{"widget script", "/widget.js", 200, "text/javascript; charset=utf-8", false, []string{"data-key", "widget/frame", "aria-expanded", "Escape"}},
			{"chat page for the widget", "/widget/frame?key=" + key, 200, "text/html; charset=utf-8", true, []string{
				`data-key="` + key + `"`, `data-mode="frame"`, "<h1 id=\"company-name\" class=\"bar-title\">Acme</h1>",
				`id="email"`, `type="email" required`, `id="name"`, `id="message"`, `id="open"`, `id="messages"`, `aria-live="polite"`,
				`id="composer"`, `id="send"`, `id="file"`, `id="dropzone"`, `id="upload-progress"`, `id="leave"`,
				`<label for="email"`, `<script type="module" src="../widget/assets/chat.js?v=`, `href="../widget/assets/chat.css?v=`}},
			{"join page with an unknown invitation", "/widget/join?code=nope", 404, "text/html; charset=utf-8", false, []string{"not valid"}},
			{"support portal", "/c/acme", 200, "text/html; charset=utf-8", false, []string{`data-mode="portal"`, `data-slug="acme"`, `id="messages"`}},
			{"chat module", "/widget/assets/chat.js", 200, "text/javascript; charset=utf-8", false, []string{"WebSocket", "XMLHttpRequest", "localStorage", "Authorization",
				"from './richtext.js'"}},
			{"message text module", "/widget/assets/richtext.js", 200, "text/javascript; charset=utf-8", false, []string{"createElement", "noopener noreferrer nofollow"}},
			{"chat styles", "/widget/assets/chat.css", 200, "text/css; charset=utf-8", false, []string{"prefers-color-scheme", ":focus-visible"}},
			{"widget with an unknown key", "/widget/frame?key=pk_nope", 404, "text/html; charset=utf-8", true, []string{"key is unknown"}},
			{"widget without a key", "/widget/frame", 404, "text/html; charset=utf-8", true, nil},
			{"unknown portal", "/c/nope", 404, "text/html; charset=utf-8", false, []string{"no support portal"}},
			{"unknown asset", "/widget/assets/nope.js", 404, "text/html; charset=utf-8", false, nil},
			{"the widget script is not an asset", "/widget/assets/widget.js", 404, "text/html; charset=utf-8", false, nil},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				res := e.get(t, tc.path, "")
				if res.code != tc.status || res.hdr.Get("Content-Type") != tc.ctype {
					t.Fatalf("%d %s, want %d %s", res.code, res.hdr.Get("Content-Type"), tc.status, tc.ctype)
				}
				csp := res.hdr.Get("Content-Security-Policy")
				for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' blob: data:",
					"connect-src 'self' " + ws, "base-uri 'none'", "form-action 'self'"} {
					if !strings.Contains(csp, want) {
						t.Errorf("CSP %q lacks %q", csp, want)
					}
				}
				if ancestors := map[bool]string{true: "frame-ancestors *", false: "frame-ancestors 'none'"}[tc.framable]; !strings.Contains(csp, ancestors) {
					t.Errorf("CSP %q lacks %q", csp, ancestors)
				}
				if xfo := res.hdr.Get("X-Frame-Options"); (xfo == "DENY") == tc.framable {
					t.Errorf("X-Frame-Options %q", xfo)
				}
				if res.hdr.Get("X-Content-Type-Options") != "nosniff" || res.hdr.Get("Referrer-Policy") != "no-referrer" {
					t.Errorf("headers %v", res.hdr)
				}
				for _, s := range tc.contains {
					if !strings.Contains(res.text(), s) {
						t.Errorf("the answer lacks %q", s)
					}
				}
				if m := externalRef.FindString(res.text()); m != "" {
					t.Errorf("refers to another host: %q", m)
				}
				if m := htmlSink.FindString(res.text()); m != "" {
					t.Errorf("hands text to the HTML parser: %q", m)
				}
				if strings.HasPrefix(tc.ctype, "text/html") {
					if m := inlineCode.FindString(res.text()); m != "" {
						t.Errorf("inline code the CSP forbids: %q", m)
					}
				}
			})
		}

		// The snippet's script is cached briefly and loadable from any site.
		res := e.get(t, "/widget.js", "")
		if res.hdr.Get("Cache-Control") != "public, max-age=300" || res.hdr.Get("Cross-Origin-Resource-Policy") != "cross-origin" {
			t.Fatalf("widget.js caching %v", res.hdr)
		}
		// Assets revalidate cheaply.
		res = e.get(t, "/widget/assets/chat.js", "")
		etag := res.hdr.Get("ETag")
		if etag == "" || res.hdr.Get("Cache-Control") != "no-cache" {
			t.Fatalf("asset caching %v", res.hdr)
		}
		res = e.do(t, call{method: "GET", path: "/widget/assets/chat.js", header: http.Header{"If-None-Match": {etag}}})
		mustCode(t, res, http.StatusNotModified)
	})
}
