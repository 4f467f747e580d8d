package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/internal/testwait"
	"github.com/relaydesk/relaydesk/web/cobrowse"
)

// received is every co-browsing frame the server was sent, as it arrived.
type received struct {
	mu     sync.Mutex
	frames [][]byte
	points int
}

func (r *received) add(who cobrowse.Who, data []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.frames = append(r.frames, slices.Clone(data))
	if who.Actor.Kind == core.ActorTechnician && strings.Contains(string(data), `"point"`) {
		r.points++
	}
}

// pages is what the customer's page sent: every batch of rrweb events,
// reassembled from its pieces, and the raw frames.
func (r *received) pages() (batches, raw string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	parts := map[int64][]string{}
	var all, order []string
	for _, b := range r.frames {
		all = append(all, string(b))
		var f struct {
			Op    string `json:"op"`
			Seq   int64  `json:"seq"`
			Part  int    `json:"part"`
			Parts int    `json:"parts"`
			Data  string `json:"data"`
		}
		if json.Unmarshal(b, &f) != nil || f.Op != "data" || f.Parts < 1 || f.Part >= f.Parts {
			continue
		}
		if parts[f.Seq] == nil {
			parts[f.Seq] = make([]string, f.Parts)
		}
		parts[f.Seq][f.Part] = f.Data
		if s := strings.Join(parts[f.Seq], ""); slices.Index(parts[f.Seq], "") < 0 {
			order = append(order, s)
		}
	}
	return strings.Join(order, "\n"), strings.Join(all, "\n")
}

// TestBrowserCobrowse is co-browsing in real browsers: the customer on a
// third-party page consents in the widget, the owner's console replays the
// page live; what the customer typed into an input (before and after
// consenting) and an element marked data-relaydesk-mask never reach the
// server, nor the replay. A click on the replay points on the customer's
// page; Stop in the widget ends the replay.
func TestBrowserCobrowse(t *testing.T) {
	t.Parallel()
	got := &received{}
	base, key, srv := newAcme(t, func(p *program) { p.onCobrowse = got.add })

	const (
		secretBefore = "hunter2-BEFORE"
		secretAfter  = "hunter2-AFTER"
		maskedText   = "ACCOUNT-4242-MASKED"
	)
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>Acme Printers</title>
<style>h1 { color: #2456d6; }</style></head><body>
<h1>Acme Printers</h1>
<p>Order your toner here.</p>
<label>Card code <input id="secret" type="text" autocomplete="off"></label>
<div id="account" data-relaydesk-mask>Your account: %s</div>
<script src="%s/widget.js" data-key="%s" async></script></body></html>`, maskedText, base, key)
	}))
	defer host.Close()
	alice, customer := browserFor(t), browserFor(t)
	run := func(ctx context.Context, what string, actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, actions...); err != nil {
			t.Fatalf("%s: %v\nserver log:\n%s", what, err, srv.log.String())
		}
	}
	signInAvailable(t, alice, base, "alice@acme.test", "alice-password-1", run)

	var frames []*cdp.Node
	run(customer, "type a secret, then open the widget",
		chromedp.Navigate(host.URL),
		chromedp.WaitVisible("#secret", chromedp.ByQuery),
		chromedp.SendKeys("#secret", secretBefore, chromedp.ByQuery),
		chromedp.WaitVisible(`button[data-relaydesk="button"]`, chromedp.ByQuery),
		chromedp.Click(`button[data-relaydesk="button"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`iframe[data-relaydesk="frame"]`, chromedp.ByQuery),
		chromedp.Nodes(`iframe[data-relaydesk="frame"]`, &frames, chromedp.ByQuery),
	)
	in := chromedp.FromNode(frames[0])
	openRequestIn(customer, in, "The order form is broken", run)
	takeAndJoin(alice, run,
		chromedp.WaitVisible(`#details button[data-action="cobrowse"]`, chromedp.ByQuery),
		chromedp.Click(`#details button[data-action="cobrowse"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#details button[data-action="cobrowsestop"]`, chromedp.ByQuery),
	)
	waitText(t, customer, "#cobrowse-ask-text", "Alice asks to see the page you are on", in)
	pics := screenshots(t)
	run(customer, "screenshot the ask", shot(t, pics, "cobrowse-ask"))
	if batches, _ := got.pages(); batches != "" {
		t.Fatalf("the page was sent before consent: %.200s", batches)
	}
	run(customer, "consent",
		chromedp.Click("#cobrowse-show", chromedp.ByQuery, in),
		chromedp.WaitVisible("#cobrowse-banner", chromedp.ByQuery, in),
	)

	// The replay shows the page's text.
	// The page is rebuilt in rrweb's iframe inside the replay document.
	const replayDoc = `(() => { const r = document.querySelector('#cobrowse-stage iframe');
		const f = r && r.contentDocument && r.contentDocument.querySelector('#stage iframe');
		return f && f.contentDocument; })()`
	const replayText = `(() => { const d = ` + replayDoc + `; return d && d.body ? d.body.innerText : ''; })()`
	waitUntil(t, alice, "the replay shows the host page", replayText+`.includes('Acme Printers')`)
	waitText(t, alice, "#messages", "Pat shows the page they are on")
	// The page keeps its own styles in the replay (its document's policy
	// allows inline styles; the console's does not).
	waitUntil(t, alice, "the replay keeps the page's styles",
		`getComputedStyle(`+replayDoc+`.querySelector('h1')).color === 'rgb(36, 86, 214)'`)
	run(alice, "screenshot the replay", shot(t, pics, "cobrowse-console"))
	run(customer, "screenshot the customer's page", shot(t, pics, "cobrowse-customer"))

	// Typed after consent: rrweb sees the input, but what it records is
	// the mask. A change of the page after the typing marks when whatever
	// the typing produced has reached the server (events keep their order).
	run(customer, "type more", chromedp.SendKeys("#secret", secretAfter, chromedp.ByQuery))
	waitUntil(t, customer, "typing is over", `document.querySelector('#secret').value.endsWith('AFTER')`)
	run(customer, "change the page", chromedp.Evaluate(`document.body.append(Object.assign(document.createElement('p'), {textContent: 'Typing done'})); true`, nil))
	testwait.Eventually(t, "the change after the typing reached the server", func() bool {
		batches, _ := got.pages()
		return strings.Contains(batches, "Typing done")
	})
	waitUntil(t, alice, "the replay is live", replayText+`.includes('Typing done')`)

	// Pointing: a click on the replay shows a ring on the customer's page.
	run(customer, "watch for the ring", chromedp.Evaluate(`window.__ring = false;
		new MutationObserver((ms) => { for (const m of ms) for (const n of m.addedNodes)
			if (n.getAttribute && n.getAttribute('data-relaydesk') === 'point') window.__ring = true; })
			.observe(document.body, { childList: true });`, nil))
	run(alice, "point", chromedp.Click("#cobrowse-stage", chromedp.ByQuery))
	waitUntil(t, customer, "the ring shows", `window.__ring === true`)

	batches, raw := got.pages()
	if !strings.Contains(batches, "Acme Printers") {
		t.Errorf("the server never received the page's text")
	}
	if !strings.Contains(batches, "\u2022\u2022\u2022\u2022\u2022\u2022") {
		t.Errorf("the input was not recorded as its mask")
	}
	for _, secret := range []string{secretBefore, secretAfter, maskedText, "hunter2"} {
		if strings.Contains(raw, secret) || strings.Contains(batches, secret) {
			t.Errorf("the server received %q", secret)
		}
	}
	var replayHTML string
	run(alice, "read the replay", chromedp.Evaluate(replayDoc+`.documentElement.outerHTML`, &replayHTML))
	for _, secret := range []string{secretBefore, secretAfter, maskedText} {
		if strings.Contains(replayHTML, secret) {
			t.Errorf("the replay shows %q", secret)
		}
	}

	// Stop in the widget ends it everywhere.
	run(customer, "stop", chromedp.Click("#cobrowse-stop", chromedp.ByQuery, in),
		chromedp.WaitNotVisible("#cobrowse-banner", chromedp.ByQuery, in))
	waitUntil(t, alice, "the viewer closes", `document.querySelector('#cobrowse-viewer').hidden`)
	waitText(t, alice, "#messages", "Pat stopped co-browsing")
	if strings.Contains(srv.log.String(), "level=ERROR") {
		t.Errorf("the server logged errors:\n%s", srv.log.String())
	}
}
