package console_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/browsertest"
	"github.com/relaydesk/relaydesk/web/richtext/richtexttest"
)

// TestBrowserMessages is a technician's console in Chromium. A message
// written to break out of its text shows as text with only the formatting
// the format allows, the customer's and the technician's, and no dialog
// ever opens; a picture shows as a preview, and once it has loaded the
// chat still follows new messages.
func TestBrowserMessages(t *testing.T) {
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
		post := func(by core.Actor, body string) {
			t.Helper()
			if _, err := d.Engine.PostMessage(ctx, by, id, core.Post{Body: body}); err != nil {
				t.Fatal(err)
			}
		}
		// Enough lines that the chat scrolls.
		for i := range 30 {
			post(customer, fmt.Sprintf("Line %d of the *error* message.", i+1))
		}
		post(customer, richtexttest.Hostile)
		post(alice, richtexttest.Hostile)
		if _, _, err := d.Engine.AttachFile(ctx, customer, id, core.Upload{Name: "screen.png", Body: bytes.NewReader(browsertest.PNG(t, 480, 360))}); err != nil {
			t.Fatal(err)
		}

		tab := b.Tab(t)
		signIn(tab, e, d.Alice)
		tab.Run("open the request",
			clickRow(`#requests li[data-id="`+id+`"] .row-main`),
			chromedp.WaitReady("#messages img.preview", chromedp.ByQuery),
		)
		atEnd := `(() => { const m = document.querySelector('#messages'); return m.scrollHeight > m.clientHeight + 200 && m.scrollHeight - m.scrollTop - m.clientHeight < 2; })()`
		tab.WaitUntil("the picture shows and the chat is at its end", `(() => {
			const img = document.querySelector('#messages img.preview');
			return img.complete && img.naturalWidth === 480;
		})() && `+atEnd)

		post(customer, "Is anyone there?")
		tab.WaitUntil("the chat follows the new message", `document.querySelector('#messages li:last-child .body')?.textContent === 'Is anyone there?' && `+atEnd)

		var problems string
		if err := tab.Eval(richtexttest.Check("#messages", 2), &problems); err != nil {
			t.Fatal(err)
		}
		if problems != "" {
			t.Errorf("the chat shows the messages wrong:\n%s", problems)
		}
		if ds := tab.Dialogs(); len(ds) > 0 {
			t.Errorf("the page opened dialogs: %q", ds)
		}
	})
}
