package richtext_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/relaydesk/relaydesk/web/richtext"
)

// TestScript renders Docs with richtext.js in Chromium, under the pages'
// Content-Security-Policy, including Docs relaydesk never sends (a
// javascript: link, kinds the module does not know, missing fields): the
// module checks for itself what becomes a link, and whatever it is given
// comes out as elements it chose and text.
func TestScript(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self'")
		switch r.URL.Path {
		case "/richtext.js":
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
			w.Write(richtext.Script)
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(`<!doctype html><title>richtext</title><div id="out"></div>`))
		}
	}))
	t.Cleanup(srv.Close)
	tab := chromium.New(t).Tab(t)
	tab.Run("open the page", chromedp.Navigate(srv.URL))

	p := func(inlines string) string { return `[{"kind":"p","inlines":[` + inlines + `]}]` }
	text := func(s string) string { b, _ := json.Marshal(s); return `{"kind":"text","text":` + string(b) + `}` }
	link := func(url string) string {
		b, _ := json.Marshal(url)
		return p(`{"kind":"a","url":` + string(b) + `,"children":[` + text("x") + `]}`)
	}
	for _, tc := range []struct {
		name, doc, body, html string
	}{
		{"text that looks like HTML", p(text(`<img src=x onerror=alert(1)> & "q"`)), "", `<p>&lt;img src=x onerror=alert(1)&gt; &amp; "q"</p>`},
		{"spans", p(`{"kind":"b","children":[{"kind":"i","children":[` + text("a") + `]}]},{"kind":"br"},{"kind":"s","children":[` + text("b") + `]},{"kind":"code","text":"<c>"}`), "",
			`<p><strong><em>a</em></strong><br><s>b</s><code>&lt;c&gt;</code></p>`},
		{"blocks", `[{"kind":"quote","inlines":[` + text("q") + `]},{"kind":"list","ordered":true,"items":[[` + text("1") + `],[` + text("2") + `]]},` +
			`{"kind":"list","items":[[` + text("-") + `]]},{"kind":"code","text":"</pre><script>alert(1)</script>"}]`, "",
			`<blockquote>q</blockquote><ol><li>1</li><li>2</li></ol><ul><li>-</li></ul><pre><code>&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;</code></pre>`},
		{"an https link", link("https://example.com/a?b=1&c=2"), "",
			`<p><a href="https://example.com/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer nofollow">x</a></p>`},
		{"a mailto link", link("mailto:help@example.com"), "",
			`<p><a href="mailto:help@example.com" target="_blank" rel="noopener noreferrer nofollow">x</a></p>`},
		{"a javascript: link", link("javascript:alert(1)"), "", `<p>x</p>`},
		{"a javascript: link in capitals and spaces", link(" JavaScript:alert(1)"), "", `<p>x</p>`},
		{"a data: link", link("data:text/html,<script>alert(1)</script>"), "", `<p>x</p>`},
		{"a relative link", link("/console/admin"), "", `<p>x</p>`},
		{"a protocol-relative link", link("//evil.example"), "", `<p>x</p>`},
		{"a link without a URL", p(`{"kind":"a","children":[` + text("x") + `]}`), "", `<p>x</p>`},
		{"kinds the module does not know", `[{"kind":"h1","inlines":[{"kind":"img","text":"no","children":[` + text("alt") + `]},{"kind":"script"}]}]`, "", `<p>alt</p>`},
		{"missing fields", `[{"kind":"p"},{"kind":"list"},{"kind":"code"}]`, "", `<p></p><ul></ul><pre><code></code></pre>`},
		{"no doc: the body as text", `null`, "<b>hi</b>\nthere", "&lt;b&gt;hi&lt;/b&gt;\nthere"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, _ := json.Marshal(tc.body)
			var html string
			if err := tab.Eval(`import('/richtext.js').then((m) => {
				const out = document.getElementById('out');
				out.replaceChildren(m.messageContent(`+tc.doc+`, `+string(body)+`));
				return out.innerHTML;
			})`, &html); err != nil {
				t.Fatal(err)
			}
			if html != tc.html {
				t.Errorf("rendered\n%s\nwant\n%s", html, tc.html)
			}
		})
	}
	if ds := tab.Dialogs(); len(ds) > 0 {
		t.Errorf("dialogs: %q", ds)
	}
}
