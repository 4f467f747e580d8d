package widget_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/browsertest"
)

// TestBrowserStartFormValidation is the start form's checks in Chromium: a
// missing or malformed e-mail address, or a missing message, is said under
// its field in words (aria-invalid, aria-describedby), the focus goes to
// it, and nothing is sent; a refusal of the server about the address shows
// under the address too; a correct form opens the chat.
func TestBrowserStartFormValidation(t *testing.T) {
	t.Parallel()
	b := chromium.New(t)
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore(t), nil)
		tab := b.Tab(t)
		// countPosts counts the page's attempts to open a request: the
		// page calls fetch synchronously on submit when it sends at all,
		// so the count is final once the click has been dispatched.
		const countPosts = `window.posts = 0; { const f = window.fetch; window.fetch = (u, i) => { if (String(u).endsWith('/requests')) window.posts++; return f(u, i); }; } true`
		tab.Run("open the portal",
			chromedp.Navigate(e.url+"/c/acme"),
			chromedp.WaitVisible("#email", chromedp.ByQuery),
			chromedp.Evaluate(countPosts, nil),
		)
		for _, c := range []struct {
			name, email, message string
			field, says          string // the field told, and what it is told
			posts                int    // attempts the page made so far
		}{
			{name: "no e-mail address", email: "", message: "My printer is on fire", field: "email", says: "Enter your e-mail address"},
			{name: "no domain", email: "pat@", message: "My printer is on fire", field: "email", says: "does not look like an e-mail address"},
			{name: "no dot in the domain", email: "pat@example", message: "My printer is on fire", field: "email", says: "does not look like an e-mail address"},
			{name: "no message", email: "pat@example.com", message: "   ", field: "message", says: "Tell us what is wrong"},
			// The browser takes it, the server does not: its words show
			// under the field all the same.
			{name: "refused by the server", email: "a..b@example.com", message: "My printer is on fire", field: "email", says: "is not an e-mail address like name@example.com", posts: 1},
		} {
			tab.Run(c.name+": fill in and send",
				chromedp.Evaluate(fmt.Sprintf(`for (const [id, v] of [['email', %s], ['message', %s]]) {
					const f = document.querySelector('#' + id); f.value = v; f.dispatchEvent(new Event('input', { bubbles: true }));
				} true`,
					jsString(c.email), jsString(c.message)), nil),
				chromedp.Click("#open", chromedp.ByQuery),
			)
			check := fmt.Sprintf(`(() => {
				const input = document.querySelector('#%[1]s'), msg = document.querySelector('#%[1]s-error');
				return !msg.hidden && msg.textContent.includes(%[2]s) && input.getAttribute('aria-invalid') === 'true' &&
					input.getAttribute('aria-describedby') === '%[1]s-error' && document.activeElement === input &&
					window.posts === %[3]d && !document.querySelector('#open-view').hidden && document.querySelector('#chat-view').hidden;
			})()`, c.field, jsString(c.says), c.posts)
			tab.WaitUntil(c.name+": the field says what is wrong and nothing is opened", check)
			// One field's message only: the others are fine.
			var others int
			if err := tab.Eval(`[...document.querySelectorAll('.field-error')].filter((p) => !p.hidden).length`, &others); err != nil {
				t.Fatal(err)
			}
			if others != 1 {
				t.Errorf("%s: %d fields say they are wrong, want 1", c.name, others)
			}
		}
		// Correcting the address clears its message as it is typed.
		tab.Run("correct the address", chromedp.Evaluate(`document.querySelector('#email').value = ''; true`, nil),
			chromedp.SendKeys("#email", "pat@example.com", chromedp.ByQuery))
		tab.WaitUntil("the message goes once the address is right", `document.querySelector('#email-error').hidden && !document.querySelector('#email').hasAttribute('aria-invalid')`)
		tab.Run("send", chromedp.Click("#open", chromedp.ByQuery))
		tab.WaitUntil("the chat opens", `!document.querySelector('#chat-view').hidden && window.posts === 2`)
		if ds := tab.Dialogs(); len(ds) > 0 {
			t.Errorf("the page opened dialogs: %q", ds)
		}
	})
}

// TestBrowserChatLook is the widget on a customer's site, on a desktop and
// on a phone, in Chromium: the technician's picture shows as a preview,
// consecutive messages show their author once, a notice breaks a group, on
// a phone the widget fills the screen with the composer in view, and the
// chat says "new messages" rather than jump away from what the customer
// scrolled up to read. It leaves screenshots in testdata/screenshots.
func TestBrowserChatLook(t *testing.T) {
	t.Parallel()
	b := chromium.New(t)
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		e := newEnv(t, newStore(t), nil)
		d := e.desk
		live := d.Live(t)
		id := live.Request.ID
		alice := storetest.Actor(d.Alice)
		for _, body := range []string{"Hello, I am Alice and I will help you.", "Is the printer plugged in?", "And is the green light on?"} {
			must[core.Message](t)(d.Engine.PostMessage(ctx, alice, id, core.Post{Body: body}))
		}
		mustCode(t, e.json(t, "POST", "/api/widget/messages", live.Token, map[string]string{"body": "Yes, and yes. Here is what it shows:"}), http.StatusCreated)
		mustCode(t, e.upload(t, live.Token, "screen.png", browsertest.PNG(t, 480, 360)), http.StatusCreated)
		for name, body := range map[string][]byte{"fix.png": browsertest.PNG(t, 300, 400), "steps.txt": fixture(t, "notes.txt")} {
			if _, _, err := d.Engine.AttachFile(ctx, alice, id, core.Upload{Name: name, Body: bytes.NewReader(body)}); err != nil {
				t.Fatal(err)
			}
		}
		must[core.Message](t)(d.Engine.PostMessage(ctx, alice, id, core.Post{Body: "Press the button as in the picture."}))
		must[core.Request](t)(d.Engine.RequestScreenShare(ctx, alice, id))
		must[core.Message](t)(d.Engine.PostMessage(ctx, alice, id, core.Post{Body: "Then tell me what you see."}))

		host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!doctype html><html><head><meta name="viewport" content="width=device-width, initial-scale=1"><title>Acme Printers</title></head>
<body style="font-family:serif;margin:40px"><h1>Acme Printers</h1><p>Our printers never catch fire.</p>
<script src="%s/widget.js" data-key="%s" async></script></body></html>`, e.url, d.Acme.PortalKey)
		}))
		t.Cleanup(host.Close)
		shots := strings.HasSuffix(t.Name(), "/sqlite") // one backend's pictures are enough

		tab := b.Tab(t)
		sizes := []struct {
			name string
			view chromedp.EmulateAction
		}{
			{"desktop", chromedp.EmulateViewport(1440, 900)},
			{"phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(1))},
		}
		for _, size := range sizes {
			tab.Run(size.name+": size the window", size.view)
			// The start form, as a new customer sees it.
			setToken(tab, e.url, "")
			in := openWidget(tab, host.URL)
			tab.Run(size.name+": the start form shows", chromedp.WaitVisible("#email", chromedp.ByQuery, in))
			if size.name == "phone" {
				tab.WaitUntil("on a phone the widget fills the screen", `(() => {
					const r = document.querySelector('iframe[data-relaydesk="frame"]').getBoundingClientRect();
					return r.left === 0 && r.top === 0 && r.width === innerWidth && r.height === innerHeight && innerWidth === 390;
				})()`)
			}
			if shots {
				tab.Run(size.name+": screenshot the start form", browsertest.Shot("widget-start-"+size.name))
				if size.name == "phone" {
					tab.Run("send the empty form", chromedp.Click("#open", chromedp.ByQuery, in),
						chromedp.WaitVisible("#email-error", chromedp.ByQuery, in), browsertest.Shot("widget-start-invalid-phone"))
				}
			}
			// The chat, with pictures both ways.
			setToken(tab, e.url, live.Token)
			in = openWidget(tab, host.URL)
			tab.Run(size.name+": the chat shows with its pictures",
				chromedp.WaitVisible("#messages li.msg-technician img.preview", chromedp.ByQuery, in),
				chromedp.WaitVisible("#messages li.mine img.preview", chromedp.ByQuery, in),
				chromedp.WaitVisible(`#messages li.notice[data-type="screenshare.requested"]`, chromedp.ByQuery, in),
				chromedp.WaitVisible("#composer", chromedp.ByQuery, in),
			)
			if shots {
				tab.Run(size.name+": screenshot the chat", browsertest.Shot("widget-chat-"+size.name))
			}
		}

		// The rest is checked in the widget's page itself (the tab's page
		// cannot read into the widget's frame), still phone-sized.
		tab.Run("open the widget's page", chromedp.Navigate(e.url+"/widget/frame?key="+d.Acme.PortalKey),
			chromedp.WaitVisible("#composer", chromedp.ByQuery))
		tab.WaitUntil("Alice's picture shows as a preview", `(() => {
			const img = document.querySelector('#messages li.msg-technician img.preview');
			const a = img?.closest('a');
			return !!img && img.complete && img.naturalWidth > 0 && img.alt === 'fix.png' && a.target === '_blank' && a.href === img.src &&
				img.getBoundingClientRect().width <= document.querySelector('#messages').clientWidth;
		})()`)
		tab.WaitUntil("the file shows as a chip with its name and size", `[...document.querySelectorAll('#messages .file-chip')].some((c) =>
			c.querySelector('a.file-link')?.textContent === 'steps.txt' && /\(\d+ (bytes|KB)\)/.test(c.querySelector('.file-size')?.textContent))`)
		// Alice's three messages after she joined are one group; so are
		// hers before and after the screen-share notice only up to it.
		tab.WaitUntil("consecutive messages show Alice's name and avatar once", `(() => {
			const shown = (e) => !!e && e.getBoundingClientRect().width > 1 && getComputedStyle(e).visibility !== 'hidden';
			const lines = [...document.querySelectorAll('#messages li.msg-technician')].slice(0, 3);
			const names = lines.filter((li) => shown(li.querySelector('.msg-author'))).length;
			const avatars = lines.filter((li) => shown(li.querySelector('.msg-avatar'))).length;
			return lines.length === 3 && names === 1 && avatars === 1 && shown(lines[0].querySelector('.msg-author')) &&
				lines[0].querySelector('.msg-avatar').textContent === 'A' && lines[2].textContent.includes('green light');
		})()`)
		tab.WaitUntil("a notice breaks a group", `(() => {
			const last = document.querySelector('#messages li.msg:last-child');
			const before = last.previousElementSibling;
			return last.textContent.includes('tell me what you see') && before.dataset.type === 'screenshare.requested' &&
				!last.classList.contains('grouped') && getComputedStyle(last.querySelector('.msg-author')).position !== 'absolute';
		})()`)
		tab.WaitUntil("the avatar's colour is the same on every group of Alice's", `(() => {
			const cs = [...document.querySelectorAll('#messages li.msg-technician .msg-avatar')].map((a) => getComputedStyle(a).backgroundColor);
			return cs.length > 3 && cs.every((c) => c === cs[0]);
		})()`)
		tab.WaitUntil("on a phone the chat fills the screen and the composer is in view", `(() => {
			const app = document.querySelector('#app').getBoundingClientRect();
			const c = document.querySelector('#composer').getBoundingClientRect();
			const send = document.querySelector('#send').getBoundingClientRect();
			const attach = document.querySelector('#attach').getBoundingClientRect();
			// A close button a thumb reaches: low on the screen, 44 px high.
			const hide = document.querySelector('#hide-chat').getBoundingClientRect();
			return innerWidth === 390 && app.top === 0 && app.width === innerWidth && Math.abs(app.height - innerHeight) < 1 &&
				c.top >= 0 && c.bottom <= innerHeight && c.height > 0 && send.height >= 44 && attach.height >= 44 &&
				hide.top > innerHeight * 0.75 && hide.bottom <= innerHeight && hide.height >= 44;
		})()`)

		// The customer scrolls up to read; what arrives then does not pull
		// them down but says it came.
		for i := range 12 {
			must[core.Message](t)(d.Engine.PostMessage(ctx, alice, id, core.Post{Body: fmt.Sprintf("Step %d: check the cable.", i+1)}))
		}
		atEnd := `(() => { const m = document.querySelector('#messages'); return m.scrollHeight > m.clientHeight + 200 && m.scrollHeight - m.scrollTop - m.clientHeight < 2; })()`
		tab.WaitUntil("the chat follows while at its end", `document.querySelector('#messages li.msg:last-child').textContent.includes('Step 12') && `+atEnd)
		tab.Run("scroll up", chromedp.Evaluate(`document.querySelector('#messages').scrollTop = 0; true`, nil))
		tab.WaitUntil("the chat is scrolled up", `document.querySelector('#messages').scrollTop === 0 && document.querySelector('#new-below').hidden`)
		must[core.Message](t)(d.Engine.PostMessage(ctx, alice, id, core.Post{Body: "Are you still there?"}))
		tab.WaitUntil("the marker says new messages came, and the chat stays where it was", `(() => {
			const m = document.querySelector('#messages');
			return m.lastElementChild.textContent.includes('still there') && !document.querySelector('#new-below').hidden && m.scrollTop === 0;
		})()`)
		tab.Run("follow the marker", chromedp.Click("#new-below", chromedp.ByQuery))
		tab.WaitUntil("the chat is at its end and the marker gone", atEnd+` && document.querySelector('#new-below').hidden`)

		// Send with nothing written: the composer says so, and writing
		// clears it.
		tab.Run("press Send with nothing written", chromedp.Click("#send", chromedp.ByQuery))
		tab.WaitUntil("the composer says to write something", `(() => {
			const p = document.querySelector('#composer-error'), c = document.querySelector('#composer');
			return !p.hidden && p.textContent.startsWith('Write a message first') && c.getAttribute('aria-invalid') === 'true' && document.activeElement === c;
		})()`)
		tab.Run("write", chromedp.SendKeys("#composer", "ok", chromedp.ByQuery))
		tab.WaitUntil("writing clears the message", `document.querySelector('#composer-error').hidden && !document.querySelector('#composer').hasAttribute('aria-invalid')`)
		tab.Run("empty the composer", chromedp.Evaluate(`document.querySelector('#composer').value = ''; true`, nil))

		// Refused files are said next to the composer, whether the page
		// knows the rule or only the server does.
		exe := filepath.Join(t.TempDir(), "tool.exe")
		if err := os.WriteFile(exe, []byte("MZ"), 0o644); err != nil {
			t.Fatal(err)
		}
		pdf, err := filepath.Abs(filepath.Join("..", "..", "core", "testdata", "files", "screenshot.pdf"))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ file, says string }{
			{pdf, `The content of "screenshot.pdf" is not a .pdf file.`},
			{exe, "tool.exe cannot be sent: allowed file types are"},
		} {
			tab.Run("send "+filepath.Base(c.file), chromedp.SetUploadFiles("#file", []string{c.file}, chromedp.ByQuery))
			tab.WaitUntil(filepath.Base(c.file)+": the refusal shows next to the composer", `(() => {
				const p = document.querySelector('#composer-error');
				return !p.hidden && p.textContent.startsWith(`+jsString(c.says)+`) && document.querySelector('#error').hidden &&
					document.querySelector('#composer').getAttribute('aria-describedby') === 'composer-error' &&
					p.getBoundingClientRect().bottom <= document.querySelector('#composer').getBoundingClientRect().top;
			})()`)
		}
		if shots {
			tab.Run("screenshot the refusal", browsertest.Shot("widget-refused-phone"))
		}
		if ds := tab.Dialogs(); len(ds) > 0 {
			t.Errorf("the page opened dialogs: %q", ds)
		}
	})
}

// setToken stores the customer's token for the widget's origin ("" forgets
// it), as a reload or a second tab would find it.
func setToken(tab *browsertest.Tab, origin, token string) {
	set := `localStorage.removeItem('relaydesk.token.acme'); true`
	if token != "" {
		set = `localStorage.setItem('relaydesk.token.acme', ` + jsString(token) + `); true`
	}
	tab.Run("set the customer's token",
		chromedp.Navigate(origin+"/c/acme"),
		chromedp.WaitVisible("#app", chromedp.ByQuery),
		chromedp.Evaluate(set, nil),
	)
}

// openWidget opens the host page, opens the widget on it and returns the
// query option that reaches into the widget's frame.
func openWidget(tab *browsertest.Tab, host string) chromedp.QueryOption {
	var frames []*cdp.Node
	tab.Run("open the widget on the host page",
		chromedp.Navigate(host),
		chromedp.WaitVisible(`button[data-relaydesk="button"]`, chromedp.ByQuery),
		chromedp.Click(`button[data-relaydesk="button"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`iframe[data-relaydesk="frame"]`, chromedp.ByQuery),
		chromedp.Nodes(`iframe[data-relaydesk="frame"]`, &frames, chromedp.ByQuery),
	)
	return chromedp.FromNode(frames[0])
}
