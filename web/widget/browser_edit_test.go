package widget_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestBrowserEditsAndTyping is the customer's chat in Chromium while a
// technician edits, withdraws and types: the edit changes the customer's
// copy in place, marked edited; the withdrawal leaves "message withdrawn"
// and no text; "Alice is typing…" shows and goes when her message arrives.
// The customer edits their own message from the page, and their typing
// reaches the technicians.
func TestBrowserEditsAndTyping(t *testing.T) {
	t.Parallel()
	b := chromium.New(t)
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore(t), nil)
		d := e.desk
		o := d.Live(t)
		id := o.Request.ID
		alice := storetest.Actor(d.Alice)
		fix := must[core.Message](t)(d.Engine.PostMessage(ctx, alice, id, core.Post{Body: "Restart the printer"}))
		secret := must[core.Message](t)(d.Engine.PostMessage(ctx, alice, id, core.Post{Body: "the code is 4711"}))
		heard := make(chan core.Typing, 16)
		stop := d.Engine.OnTyping(func(ty core.Typing) {
			select {
			case heard <- ty:
			default:
			}
		})
		t.Cleanup(stop)

		tab := b.Tab(t)
		tab.Run("open the portal with the customer's token",
			chromedp.Navigate(e.url+"/c/acme"),
			chromedp.WaitVisible("#email", chromedp.ByQuery),
			chromedp.Evaluate(`localStorage.setItem('relaydesk.token.acme', `+jsString(o.Token)+`)`, nil),
			chromedp.Reload(),
			chromedp.WaitVisible("#composer", chromedp.ByQuery),
		)
		line := func(id string) string { return `document.querySelector('#messages li[data-id="` + id + `"]')` }
		tab.WaitUntil("the messages show", line(secret.ID)+`?.textContent.includes('4711')`)
		// The live socket follows the request once it has read it: wait
		// for it before anything happens that only the stream brings.
		tab.WaitUntil("the stream is open", `document.querySelectorAll('#messages li.notice').length > 0`)

		must[core.Message](t)(d.Engine.EditMessage(ctx, alice, fix.ID, core.Edit{Body: "Restart the printer **twice**"}))
		tab.WaitUntil("the edit changes the text in place, marked edited", line(fix.ID)+`?.querySelector('.msg-bubble strong')?.textContent === 'twice' && !!`+line(fix.ID)+`.querySelector('[data-testid="edited"]')`)

		must[core.Message](t)(d.Engine.WithdrawMessage(ctx, alice, secret.ID, core.Idempotency{}))
		tab.WaitUntil("the withdrawal leaves no text", line(secret.ID)+`?.querySelector('.msg-bubble').textContent === 'message withdrawn'`)

		// Alice types: the line shows, and her message clears it. The
		// line is a polite live region whose place is kept while empty, so
		// the chat does not move when it comes and goes.
		const chatBox = `(() => { const r = document.querySelector('#messages').getBoundingClientRect(); const c = document.querySelector('#composer').getBoundingClientRect(); return [r.top, r.height, c.top].join(' '); })()`
		var before string
		if err := tab.Eval(chatBox, &before); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(15 * time.Second)
		for {
			if err := d.Engine.Typing(ctx, alice, id); err != nil {
				t.Fatal(err)
			}
			var shown bool
			tab.Eval(`document.querySelector('#typing').textContent === 'Alice is typing…' && document.querySelector('#typing').dataset.active === 'true'`, &shown)
			if shown {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("Alice's typing never showed")
			}
			time.Sleep(core.TypingInterval / 4)
		}
		var during string
		var polite bool
		tab.Eval(chatBox, &during)
		tab.Eval(`(() => { const ty = document.querySelector('#typing'); return ty.getAttribute('aria-live') === 'polite' && ty.getAttribute('role') === 'status' && ty.getBoundingClientRect().height > 0; })()`, &polite)
		if during != before || !polite {
			t.Errorf("the typing line moved the chat (messages top, height and composer top %s, then %s) or is no polite status (%v)", before, during, polite)
		}
		must[core.Message](t)(d.Engine.PostMessage(ctx, alice, id, core.Post{Body: "Done?"}))
		tab.WaitUntil("her message clears the typing line", `document.querySelector('#typing').textContent === '' && document.querySelector('#typing').dataset.active === 'false'`)

		// The customer writes: the technicians hear it.
		tab.Run("type", chromedp.SendKeys("#composer", "It works", chromedp.ByQuery))
		select {
		case ty := <-heard:
			for ty.Actor.Kind != core.ActorCustomer {
				ty = <-heard
			}
			if ty.RequestID != id || ty.Actor.ID != o.Participant.ID {
				t.Fatalf("heard %+v", ty)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("the customer's typing was not heard")
		}
		tab.Run("send", chromedp.Evaluate(`document.querySelector('#composer-form').requestSubmit(); true`, nil))
		tab.WaitUntil("the message is sent", `[...document.querySelectorAll('#messages li.mine [data-testid="edit"]')].length === 2`)

		// The page takes no new submission while one is being sent.
		tab.WaitUntil("the send finished", `!document.querySelector('#send').disabled`)
		// And edits it from the page.
		tab.Run("edit the last message", chromedp.Evaluate(`[...document.querySelectorAll('#messages li.mine [data-testid="edit"]')].pop().click();
			document.querySelector('#composer').value = 'It works now'; document.querySelector('#composer-form').requestSubmit(); true`, nil))
		tab.WaitUntil("the edit shows", `[...document.querySelectorAll('#messages li.mine')].some((li) => li.querySelector('.msg-bubble').textContent === 'It works now' && li.querySelector('[data-testid="edited"]'))`)
		// The live event may show the edit before the PATCH's answer comes
		// back and clears the composer: wait for both.
		tab.WaitUntil("the composer cleared after the edit", `document.querySelector('#composer').value === ''`)
		if ds := tab.Dialogs(); len(ds) > 0 {
			t.Errorf("the page opened dialogs: %q", ds)
		}
	})
}
