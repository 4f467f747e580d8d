package widget_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/browsertest"
	"github.com/relaydesk/relaydesk/web/richtext/richtexttest"
)

// TestBrowserMessages is the customer's chat in Chromium. A message written
// to break out of its text shows as text with only the formatting the
// format allows, the customer's own (loaded with the chat, and sent from
// the composer) and the technician's (arriving live), and no dialog ever
// opens. Pictures show as
// previews both ways, other files as links, and the chat keeps following
// new messages once a picture has loaded.
func TestBrowserMessages(t *testing.T) {
	t.Parallel()
	b := chromium.New(t)
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore(t), nil)
		d := e.desk
		live := d.Live(t)
		alice := storetest.Actor(d.Alice)
		// Enough lines that the chat scrolls.
		for i := range 30 {
			must[core.Message](t)(d.Engine.PostMessage(ctx, alice, live.Request.ID, core.Post{Body: fmt.Sprintf("Step %d: check the *cable*.", i+1)}))
		}
		mustCode(t, e.json(t, "POST", "/api/widget/messages", live.Token, map[string]string{"body": richtexttest.Hostile}), http.StatusCreated)
		mustCode(t, e.upload(t, live.Token, "screen.png", browsertest.PNG(t, 480, 360)), http.StatusCreated)

		tab := b.Tab(t)
		tab.Run("open the portal with the customer's token",
			chromedp.Navigate(e.url+"/c/acme"),
			chromedp.WaitVisible("#email", chromedp.ByQuery),
			chromedp.Evaluate(`localStorage.setItem('relaydesk.token.acme', `+jsString(live.Token)+`)`, nil),
			chromedp.Reload(),
			chromedp.WaitVisible("#composer", chromedp.ByQuery),
		)
		atEnd := `(() => { const m = document.querySelector('#messages'); return m.scrollHeight > m.clientHeight + 200 && m.scrollHeight - m.scrollTop - m.clientHeight < 2; })()`
		tab.WaitUntil("the customer's picture shows and the chat is at its end", `(() => {
			const img = document.querySelector('#messages li.mine img.preview');
			const a = img?.closest('a');
			return !!img && img.complete && img.naturalWidth === 480 && img.src.startsWith('blob:') && a.href === img.src && a.target === '_blank';
		})() && `+atEnd)

		// Alice answers while the page is open, in kind.
		must[core.Message](t)(d.Engine.PostMessage(ctx, alice, live.Request.ID, core.Post{Body: richtexttest.Hostile}))
		for name, body := range map[string][]byte{"fix.png": browsertest.PNG(t, 300, 400), "steps.txt": fixture(t, "notes.txt")} {
			if _, _, err := d.Engine.AttachFile(ctx, alice, live.Request.ID, core.Upload{Name: name, Body: bytes.NewReader(body)}); err != nil {
				t.Fatal(err)
			}
		}
		tab.WaitUntil("Alice's picture shows", `(() => {
			const img = document.querySelector('#messages li.msg-technician img.preview');
			return !!img && img.complete && img.naturalWidth === 300;
		})()`)
		tab.WaitUntil("Alice's text file shows as a link", `[...document.querySelectorAll('#messages a.file-link')].some((a) => a.textContent === 'steps.txt')`)
		// The customer writes it too, in the composer: shown from the answer
		// to the post.
		tab.Run("send from the composer", chromedp.Evaluate(`document.querySelector('#composer').value = `+jsString(richtexttest.Hostile)+`;
			document.querySelector('#composer-form').requestSubmit(); true`, nil))
		tab.WaitUntil("the customer's message is sent", `[...document.querySelectorAll('#messages li.mine .msg-bubble')].filter((b) => b.textContent.includes('javascript:')).length === 2 &&
			!document.querySelector('[data-testid="pending-message"]')`)
		must[core.Message](t)(d.Engine.PostMessage(ctx, alice, live.Request.ID, core.Post{Body: "Is it better now?"}))
		tab.WaitUntil("the chat follows the last message", `document.querySelector('#messages li.msg:last-child .msg-bubble')?.textContent === 'Is it better now?' && `+atEnd)

		var problems string
		if err := tab.Eval(richtexttest.Check("#messages", 3), &problems); err != nil {
			t.Fatal(err)
		}
		if problems != "" {
			t.Errorf("the chat shows the messages wrong:\n%s", problems)
		}
		var previews, chips int
		tab.Eval(`document.querySelectorAll('#messages img.preview').length`, &previews)
		tab.Eval(`document.querySelectorAll('#messages a.file-link').length`, &chips)
		if previews != 2 || chips != 3 {
			t.Errorf("%d previews and %d file links, want 2 (the pictures) and 3 (every file)", previews, chips)
		}
		if ds := tab.Dialogs(); len(ds) > 0 {
			t.Errorf("the page opened dialogs: %q", ds)
		}
	})
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
