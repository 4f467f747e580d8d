package console_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/browsertest"
)

// shots is where the workspace tests leave screenshots of each screen, for
// people to look at (overwritten on every run).
func shots(name string) string { return filepath.Join("testdata", "screenshots", name+".png") }

// TestWorkspace is the Support Center as an agent workspace, in Chromium,
// at a laptop's and at a phone's size: a request with a long chat opens with
// its composer in view.
func TestWorkspace(t *testing.T) {
	b := browsertest.New(t)
	e := newEnv(t, storetest.SQLite)
	d := e.d
	o := d.Live(t)
	id := o.Request.ID
	ctx := t.Context()
	customer, alice := core.CustomerActor(o.Participant.ID), storetest.Actor(d.Alice)
	for i := range 50 {
		by := customer
		if i%3 == 2 {
			by = alice
		}
		if _, err := d.Engine.PostMessage(ctx, by, id, core.Post{Body: fmt.Sprintf("Message %d about the printer.", i+1)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, size := range []struct {
		name string
		w, h int64
	}{{"laptop", 1440, 900}, {"phone", 390, 844}} {
		t.Run(size.name, func(t *testing.T) {
			tab := b.Tab(t)
			tab.Viewport(size.w, size.h)
			signIn(tab, e, d.Alice)
			tab.Run("see the request", chromedp.WaitVisible(`#requests li[data-id="`+id+`"] .row-main`, chromedp.ByQuery))
			tab.Screenshot(shots("queue-" + size.name))
			tab.Run("open the request", chromedp.Click(`#requests li[data-id="`+id+`"] .row-main`, chromedp.ByQuery))
			tab.WaitUntil("the chat shows", `document.querySelectorAll('#messages li[data-testid="line"]').length >= 50`)
			var m string
			tab.Eval(`JSON.stringify((() => { const m = document.querySelector('#messages'); const c = document.querySelector('#send').getBoundingClientRect(); return {sh: m.scrollHeight, ch: m.clientHeight, st: m.scrollTop, send: c.bottom, wh: innerHeight}; })())`, &m)
			t.Log(m)
			tab.Screenshot(shots("conversation-" + size.name))
			inView := `(() => { const r = document.querySelector('#send').getBoundingClientRect(); const c = document.querySelector('#composer').getBoundingClientRect(); return r.bottom <= innerHeight && r.top >= 0 && c.top >= 0 && c.bottom <= innerHeight && r.width > 0; })()`
			tab.WaitUntil("the composer is in view without scrolling", inView)
		})
	}
}

// signIn opens the console as tech in tab. The tabs of one browser share
// its cookies: a tab may find itself signed in already.
func signIn(tab *browsertest.Tab, e *env, tech core.Technician) {
	tab.Run("open the console", chromedp.Navigate(e.srv.URL+"/console"), chromedp.WaitReady("body", chromedp.ByQuery))
	var path string
	if err := tab.Eval(`location.pathname`, &path); err != nil {
		panic(err)
	}
	if path == "/console" {
		return
	}
	tab.Run("sign in",
		chromedp.WaitVisible("#email", chromedp.ByQuery),
		chromedp.SendKeys("#email", tech.Email, chromedp.ByQuery),
		chromedp.SendKeys("#password", testPassword, chromedp.ByQuery),
		chromedp.Click("#login", chromedp.ByQuery),
		chromedp.WaitVisible("#requests", chromedp.ByQuery),
	)
}
