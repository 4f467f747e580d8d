package console_test

import (
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestBrowserEditsAndTyping is a technician's console in Chromium: the
// customer's typing shows in the open request and goes when their message
// arrives; the technician's typing in the chat composer reaches the
// customer, a note being written does not; the technician edits a message
// (the history lists both texts) and withdraws it (struck through, "withdrawn
// by Alice").
func TestBrowserEditsAndTyping(t *testing.T) {
	t.Parallel()
	b := chromium.New(t)
	// The tabs of one browser share its cookies, whatever the port: one
	// database at a time, or one sign-in would end the other's session.
	var oneAtATime sync.Mutex
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		oneAtATime.Lock()
		defer oneAtATime.Unlock()
		e := newEnv(t, newStore)
		d := e.d
		o := d.Live(t)
		id := o.Request.ID
		ctx := t.Context()
		customer, alice := core.CustomerActor(o.Participant.ID), storetest.Actor(d.Alice)
		m, err := d.Engine.PostMessage(ctx, alice, id, core.Post{Body: "Restart the printer"})
		if err != nil {
			t.Fatal(err)
		}
		heard := make(chan core.Typing, 16)
		stop := d.Engine.OnTyping(func(ty core.Typing) {
			if ty.Actor.Kind == core.ActorTechnician {
				select {
				case heard <- ty:
				default:
				}
			}
		})
		t.Cleanup(stop)

		tab := b.Tab(t)
		signIn(tab, e, d.Alice)
		tab.Run("open the request",
			clickRow(`#requests li[data-id="`+id+`"] .row-main`),
		)
		line := `document.querySelector('#messages li[data-id="` + m.ID + `"]')`
		tab.WaitUntil("the message shows", line+`?.querySelector('.body')?.textContent === 'Restart the printer'`)

		// The customer types: shown until their message arrives.
		deadline := time.Now().Add(15 * time.Second)
		for {
			if err := d.Engine.Typing(ctx, customer, id); err != nil {
				t.Fatal(err)
			}
			var shown bool
			tab.Eval(`!document.querySelector('#typing').hidden && document.querySelector('#typing').textContent === 'Customer is typing…'`, &shown)
			if shown {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the customer's typing never showed")
			}
			time.Sleep(core.TypingInterval / 4)
		}
		theirs, err := d.Engine.PostMessage(ctx, customer, id, core.Post{Body: "still broken"})
		if err != nil {
			t.Fatal(err)
		}
		tab.WaitUntil("their message clears the typing line", `document.querySelector('#typing').hidden`)
		// The customer edits it: the line changes live, marked edited.
		if _, err := d.Engine.EditMessage(ctx, customer, theirs.ID, core.Edit{Body: "still **broken**, sorry"}); err != nil {
			t.Fatal(err)
		}
		theirLine := `document.querySelector('#messages li[data-id="` + theirs.ID + `"]')`
		tab.WaitUntil("the customer's edit shows live", theirLine+`?.querySelector('.body strong')?.textContent === 'broken' && !!`+theirLine+`.querySelector('[data-testid="edited"]') && !`+theirLine+`.querySelector('[data-testid="edit-line"]')`)

		// A private note being written is no typing; the chat is.
		tab.Run("write a note", chromedp.Click("#note-toggle", chromedp.ByQuery), chromedp.SendKeys("#composer", "fuser?", chromedp.ByQuery))
		select {
		case ty := <-heard:
			t.Fatalf("a note being written was signalled: %+v", ty)
		case <-time.After(core.TypingInterval):
		}
		tab.Run("write to the customer", chromedp.Evaluate(`document.querySelector('#composer').value = ''; true`, nil),
			chromedp.Click("#mode-reply", chromedp.ByQuery), chromedp.SendKeys("#composer", "One moment", chromedp.ByQuery))
		select {
		case ty := <-heard:
			if ty.RequestID != id || ty.Actor != alice {
				t.Fatalf("heard %+v", ty)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("the technician's typing was not heard")
		}
		tab.Run("clear the composer", chromedp.Evaluate(`document.querySelector('#composer').value = ''; true`, nil))

		// Edit, then read the history.
		tab.Run("edit", chromedp.Evaluate(line+`.querySelector('[data-testid="edit-line"]').click(); true`, nil))
		tab.WaitUntil("the edit box shows", `!!document.querySelector('[data-testid="edit-input"]')`)
		tab.Run("save", chromedp.Evaluate(`document.querySelector('[data-testid="edit-input"]').value = 'Restart the printer *twice*';
			document.querySelector('[data-testid="edit-save"]').click(); true`, nil))
		tab.WaitUntil("the line shows the new text, edited", line+`?.querySelector('.body em')?.textContent === 'twice' && !!`+line+`.querySelector('[data-testid="edited"]')`)
		tab.Run("history", chromedp.Evaluate(line+`.querySelector('[data-testid="history"]').click(); true`, nil))
		tab.WaitUntil("the history lists both texts, oldest first", `(() => {
			const items = [...(`+line+`?.querySelectorAll('[data-testid="versions"] li') || [])].map((li) => li.textContent);
			return items.length === 2 && items[0].endsWith('(original) Restart the printer') && items[1].endsWith('Restart the printer *twice*');
		})()`)

		// Withdraw: two clicks, no dialog.
		tab.Run("withdraw", chromedp.Evaluate(line+`.querySelector('[data-testid="withdraw-line"]').click(); true`, nil))
		tab.Run("confirm", chromedp.Evaluate(line+`.querySelector('[data-testid="withdraw-line"]').click(); true`, nil))
		tab.WaitUntil("the line is struck through, withdrawn by Alice", `(() => {
			const li = `+line+`;
			return !!li && li.classList.contains('withdrawn') && getComputedStyle(li.querySelector('.body')).textDecorationLine === 'line-through' &&
				li.querySelector('.body').textContent === 'Restart the printer twice' &&
				li.querySelector('[data-testid="withdrawn"]').textContent.startsWith('withdrawn by Alice at ') &&
				!li.querySelector('[data-testid="edit-line"]') && !li.querySelector('[data-testid="withdraw-line"]');
		})()`)
		got, err := d.Store.Message(ctx, m.ID)
		if err != nil || !got.Withdrawn() || got.Version != 2 {
			t.Fatalf("stored %+v %v", got, err)
		}
		if ds := tab.Dialogs(); len(ds) > 0 {
			t.Errorf("the page opened dialogs: %q", ds)
		}
	})
}
