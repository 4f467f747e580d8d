package console_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/browsertest"
	"github.com/relaydesk/relaydesk/internal/testwait"
)

// liveFor opens a request at Acme as email, assigned to tech with the chat
// joined.
func liveFor(t *testing.T, d *storetest.Desk, tech core.Technician, email string) core.Opened {
	t.Helper()
	ctx := t.Context()
	o := d.Open(t, d.Acme, email, "Help with "+email)
	by := storetest.Actor(tech)
	if _, err := d.Engine.AssignToMe(ctx, by, o.Request.ID); err != nil {
		t.Fatal(err)
	}
	r, err := d.Engine.JoinChat(ctx, by, o.Request.ID)
	if err != nil {
		t.Fatal(err)
	}
	o.Request = r
	return o
}

// TestWorkspace is the Support Center as an agent workspace, in Chromium:
// at a laptop's and at a phone's size a request with a long chat opens with
// its composer in view; the queue fits its pane; closing asks first and can
// be undone, and after End chat it is the next step; the keyboard moves
// through the list and writes.
func TestWorkspace(t *testing.T) {
	t.Parallel()
	b := chromium.New(t)
	e := newEnv(t, storetest.SQLite)
	d := e.d
	ctx := t.Context()
	o := liveFor(t, d, d.Alice, "pat@example.com")
	id := o.Request.ID
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
	other := liveFor(t, d, d.Alice, "sam@example.com").Request.ID
	composerInView := `(() => {
		const s = document.querySelector('#send').getBoundingClientRect();
		const c = document.querySelector('#composer').getBoundingClientRect();
		return s.width > 0 && c.width > 0 && s.top >= 0 && s.bottom <= innerHeight && c.top >= 0 && c.bottom <= innerHeight;
	})()`
	openedIs := func(rid string) string {
		return `document.querySelector('#details').dataset.id === '` + rid + `' && !document.querySelector('#details').hidden`
	}

	for _, size := range []struct {
		name string
		w, h int64
	}{{"laptop", 1440, 900}, {"small-laptop", 1024, 768}, {"phone", 390, 844}} {
		t.Run("composer in view on a "+size.name, func(t *testing.T) {
			tab := b.Tab(t)
			tab.Viewport(size.w, size.h)
			signIn(tab, e, d.Alice)
			tab.Run("see the request", chromedp.WaitVisible(`#requests li[data-id="`+id+`"] .row-main`, chromedp.ByQuery))
			tab.Screenshot("queue-" + size.name)
			tab.Run("open the request", clickRow(`#requests li[data-id="`+id+`"] .row-main`))
			tab.WaitUntil("the chat shows", `document.querySelectorAll('#messages li[data-testid="line"]').length >= 50`)
			tab.WaitUntil("the composer is in view without scrolling", composerInView)
			tab.WaitUntil("the chat shows its end", `(() => { const m = document.querySelector('#messages'); return m.scrollHeight > m.clientHeight && m.scrollHeight - m.scrollTop - m.clientHeight < 2; })()`)
			tab.Screenshot("conversation-" + size.name)
			if size.name == "laptop" {
				// Scrolled up, a new line shows a marker instead of moving
				// the chat; the marker brings the end back.
				tab.Run("scroll up", chromedp.Evaluate(`document.querySelector('#messages').scrollTop = 0; true`, nil))
				tab.WaitUntil("the chat stays up", `document.querySelector('#messages').scrollTop === 0`)
				if _, err := d.Engine.PostMessage(ctx, customer, id, core.Post{Body: "Are you still there?"}); err != nil {
					t.Fatal(err)
				}
				tab.WaitUntil("a marker says new messages arrived below", `!document.querySelector('#new-below').hidden && document.querySelector('#messages').scrollTop < 100`)
				tab.Run("follow the marker", chromedp.Click("#new-below", chromedp.ByQuery))
				tab.WaitUntil("the end is in view and the marker gone", `(() => { const m = document.querySelector('#messages'); return m.scrollHeight - m.scrollTop - m.clientHeight < 2 && document.querySelector('#new-below').hidden; })()`)
				// A file dropped on the conversation is sent.
				tab.Run("drop a file", chromedp.Evaluate(`(() => {
					const dt = new DataTransfer();
					dt.items.add(new File(['fixed in 2.1'], 'notes.txt', { type: 'text/plain' }));
					const zone = document.querySelector('#conversation');
					zone.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true }));
					zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
					zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
					return true;
				})()`, nil))
				tab.WaitUntil("the dropped file is in the chat", `[...document.querySelectorAll('#messages a.file-link')].some((a) => a.textContent === 'notes.txt') && !document.querySelector('#conversation').classList.contains('dropping')`)
			}
			if size.name == "phone" {
				tab.WaitUntil("the phone shows one pane: the conversation", `getComputedStyle(document.querySelector('#queue')).display === 'none'`)
				tab.Run("open the information", chromedp.Click("#side-toggle", chromedp.ByQuery))
				tab.WaitUntil("the information pane shows", `getComputedStyle(document.querySelector('#side')).display !== 'none' && getComputedStyle(document.querySelector('#conversation')).display === 'none'`)
				tab.Screenshot("information-phone")
				tab.Run("go back twice", chromedp.Click("#side-back", chromedp.ByQuery), chromedp.Click("#back", chromedp.ByQuery))
				tab.WaitUntil("the list shows again", `getComputedStyle(document.querySelector('#queue')).display !== 'none'`)
			}
		})
	}

	t.Run("a link opens its request", func(t *testing.T) {
		// Slack and Discord DMs link to /console?request=ID.
		tab := b.Tab(t)
		tab.Viewport(1440, 900)
		signIn(tab, e, d.Alice)
		tab.Run("follow the link", chromedp.Navigate(e.srv.URL+"/console?request="+id))
		tab.WaitUntil("the request is open", openedIs(id))
	})

	t.Run("the queue fits at 1280x720", func(t *testing.T) {
		tab := b.Tab(t)
		tab.Viewport(1280, 720)
		signIn(tab, e, d.Alice)
		tab.Run("show every request", chromedp.Click("#view-all", chromedp.ByQuery))
		tab.WaitUntil("the All view lists both", `document.querySelectorAll('#requests li[data-id]').length >= 2 && !!document.querySelector('#view-all[aria-current="page"]')`)
		tab.Run("sort by status", chromedp.SetValue("#sort", "status", chromedp.ByQuery),
			chromedp.Evaluate(`document.querySelector('#sort').dispatchEvent(new Event('change')); true`, nil))
		tab.WaitUntil("nothing scrolls sideways", `(() => {
			const l = document.querySelector('#requests');
			return l.scrollWidth <= l.clientWidth && document.documentElement.scrollWidth <= innerWidth;
		})()`)
		tab.Screenshot("queue-1280")
	})

	t.Run("keyboard", func(t *testing.T) {
		tab := b.Tab(t)
		tab.Viewport(1440, 900)
		signIn(tab, e, d.Alice)
		tab.Run("open the first request", chromedp.WaitVisible(`#requests li[data-id="`+other+`"] .row-main`, chromedp.ByQuery),
			clickRow(`#requests li[data-id] .row-main`))
		var first string
		tab.WaitUntil("a request is open", `!document.querySelector('#details').hidden && !!document.querySelector('#details').dataset.id`)
		if err := tab.Eval(`document.querySelector('#details').dataset.id`, &first); err != nil {
			t.Fatal(err)
		}
		next := other
		if first == other {
			next = id
		}
		tab.Run("j", press("j"))
		tab.WaitUntil("j opens the next request", openedIs(next))
		// The list changes under the keyboard: the row keeps the focus.
		tab.WaitUntil("the row has the focus", `document.activeElement === document.querySelector('#requests li[data-id="`+next+`"] .row-main')`)
		firstCustomer := customerOf(t, d, first)
		if _, err := d.Engine.PostMessage(ctx, firstCustomer, first, core.Post{Body: "Still there?"}); err != nil {
			t.Fatal(err)
		}
		tab.WaitUntil("the other row shows the new line", `document.querySelector('#requests li[data-id="`+first+`"] .row-preview')?.textContent === 'Still there?'`)
		tab.WaitUntil("the focus stayed on the row", `document.activeElement === document.querySelector('#requests li[data-id="`+next+`"] .row-main')`)
		tab.Run("k", press("k"))
		tab.WaitUntil("k opens the previous one", openedIs(first))
		tab.Run("n", press("n"))
		tab.WaitUntil("n starts a note", `document.activeElement === document.querySelector('#composer') && document.querySelector('#note-toggle').checked`)
		tab.Run("Esc, then r", chromedp.KeyEvent(kb.Escape), press("r"))
		tab.WaitUntil("r starts a reply", `document.activeElement === document.querySelector('#composer') && document.querySelector('#mode-reply').checked`)
		tab.Run("write and send with Ctrl+Enter", chromedp.SendKeys("#composer", "Sent from the keyboard", chromedp.ByQuery),
			chromedp.KeyEvent(kb.Enter, chromedp.KeyModifiers(input.ModifierCtrl)))
		tab.WaitUntil("the message is in the chat", `[...document.querySelectorAll('#messages li[data-testid="line"] .body')].some((b) => b.textContent === 'Sent from the keyboard')`)
		lines, err := d.Engine.Events(ctx, alice, first, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, ev := range lines {
			found = found || (ev.Type == core.EventMessage && ev.Data.Body == "Sent from the keyboard")
		}
		if !found {
			t.Error("the message sent with Ctrl+Enter is not in the request")
		}
	})

	t.Run("close asks, can be undone, and is the next step after End chat", func(t *testing.T) {
		tab := b.Tab(t)
		tab.Viewport(1440, 900)
		signIn(tab, e, d.Alice)
		tab.Run("open the request", chromedp.WaitVisible(`#requests li[data-id="`+other+`"] .row-main`, chromedp.ByQuery),
			clickRow(`#requests li[data-id="`+other+`"] .row-main`))
		tab.WaitUntil("it is open", openedIs(other))
		tab.WaitUntil("a live chat's next step is no close", `!document.querySelector('#details [data-action="close"]').classList.contains('primary') && !document.querySelector('#details [data-action="end"]').hidden`)
		tab.Run("end the chat", chromedp.Click(`#details [data-action="end"]`, chromedp.ByQuery))
		tab.WaitUntil("after End chat, Close is the primary action and Join again is secondary", `(() => {
			const c = document.querySelector('#details .actions [data-action="close"]');
			const j = document.querySelector('#details .actions [data-action="join"]');
			return !c.hidden && c.classList.contains('primary') && c === c.parentElement.firstElementChild && !j.hidden && !j.classList.contains('primary') && j.textContent === 'Join again';
		})()`)
		tab.Screenshot("after-end-chat")
		tab.Run("ask to close", chromedp.Click(`#details [data-action="close"]`, chromedp.ByQuery))
		tab.WaitUntil("the dialog asks first", `document.querySelector('#close-dialog').open`)
		tab.Screenshot("close-dialog")
		// Confirm and undo in one go: on a loaded machine two separate clicks
		// may be further apart than the undo's five seconds.
		tab.Run("confirm with a note, then undo", chromedp.SendKeys("#closing-note", "Solved by a restart", chromedp.ByQuery),
			chromedp.Evaluate(`document.querySelector('#close-confirm').click(); document.querySelector('[data-testid="undo-close"]').click(); true`, nil))
		// The close would have been sent undoFor after the confirmation;
		// the feedback says it was not, and the request stays Active.
		tab.WaitUntil("the undo is acknowledged", `document.querySelector('#d-feedback').textContent === 'Not closed.'`)
		if v, err := d.Engine.ViewRequest(ctx, alice, other); err != nil || v.Request.Status != core.StatusActive {
			t.Fatalf("after undo the request is %v (%v)", v.Request.Status, err)
		}
		tab.Run("close for real", chromedp.Click(`#details [data-action="close"]`, chromedp.ByQuery),
			chromedp.WaitVisible("#closing-note", chromedp.ByQuery),
			chromedp.SendKeys("#closing-note", "Solved by a restart", chromedp.ByQuery),
			chromedp.Click("#close-confirm", chromedp.ByQuery))
		tab.WaitUntil("the request shows closed", `document.querySelector('#d-status').textContent === 'Completed'`)
		evs, err := d.Engine.Events(ctx, alice, other, 0, 200)
		if err != nil {
			t.Fatal(err)
		}
		closes := 0
		for _, ev := range evs {
			if ev.Type == core.EventClosed {
				closes++
				if ev.Data.Note != "Solved by a restart" {
					t.Errorf("closed with the note %q", ev.Data.Note)
				}
			}
		}
		if closes != 1 {
			t.Fatalf("the request was closed %d times", closes)
		}
	})

	t.Run("a New request offers no close", func(t *testing.T) {
		n := d.Open(t, d.Acme, "new@example.com", "Waiting for someone").Request.ID
		tab := b.Tab(t)
		tab.Viewport(1440, 900)
		signIn(tab, e, d.Alice)
		tab.Run("open it from New", chromedp.Click("#view-new", chromedp.ByQuery),
			chromedp.WaitVisible(`#requests li[data-id="`+n+`"] .row-main`, chromedp.ByQuery),
			clickRow(`#requests li[data-id="`+n+`"] .row-main`))
		tab.WaitUntil("Assign to me leads and nothing closes it", openedIs(n)+` && document.querySelector('#details [data-action="assign"]').classList.contains('primary') && [...document.querySelectorAll('[data-action="close"]')].every((b) => b.hidden || b.closest('[hidden]'))`)
		tab.WaitUntil("the composer says the next step", `/Assign it to yourself/.test(document.querySelector('#composer-hint').textContent)`)
		tab.Screenshot("new-request")
	})
}

// clickRow clicks a row of the queue. The queue is drawn anew whenever it
// reloads (on any event), so the row is looked up and clicked in one step:
// a node found first and clicked after may be gone by then.
func clickRow(sel string) chromedp.Action {
	return chromedp.Tasks{
		chromedp.WaitVisible(sel, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('`+sel+`').click(); true`, nil),
	}
}

// press presses a letter key as a shortcut: a key down and up. (chromedp's
// KeyEvent also sends the character as an event of its own, which lands
// wherever the shortcut moved the focus, whatever the page did with the
// key down.)
func press(key string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		code := "Key" + strings.ToUpper(key)
		if err := input.DispatchKeyEvent(input.KeyRawDown).WithKey(key).WithCode(code).Do(ctx); err != nil {
			return err
		}
		return input.DispatchKeyEvent(input.KeyUp).WithKey(key).WithCode(code).Do(ctx)
	})
}

// signIn opens the console as tech in tab. The tabs of one browser share
// its cookies: a tab may find itself signed in already (as tech: a test
// signs in one technician per browser).
func signIn(tab *browsertest.Tab, e *env, tech core.Technician) {
	tab.Run("open the console", chromedp.Navigate(e.srv.URL+"/console"), chromedp.WaitReady("body", chromedp.ByQuery))
	var path string
	if err := tab.Eval(`location.pathname`, &path); err != nil || path == "/console" {
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

// TestWorkspaceInvited is a technician invited to a colleague's request:
// their console tells them at once, with a way to open it.
func TestWorkspaceInvited(t *testing.T) {
	t.Parallel()
	b := chromium.New(t)
	e := newEnv(t, storetest.SQLite)
	d := e.d
	o := liveFor(t, d, d.Alice, "pat@example.com")
	tab := b.Tab(t)
	tab.Viewport(1440, 900)
	signIn(tab, e, d.Bob)
	// The page's feed starts at the log position it was rendered with: an
	// invitation after that arrives however late the socket connects.
	if _, err := d.Engine.InviteTechnician(t.Context(), storetest.Actor(d.Alice), o.Request.ID, d.Bob.ID); err != nil {
		t.Fatal(err)
	}
	tab.WaitUntil("a toast says who invited them where", `[...document.querySelectorAll('#toasts .toast')].some((t) => t.textContent.includes('Alice invited you to request #`+fmt.Sprint(o.Request.Number)+` of Acme'))`)
	tab.Screenshot("invited")
	tab.Run("open it from the toast", chromedp.Click(`#toasts .toast button`, chromedp.ByQuery))
	tab.WaitUntil("the request opens", `document.querySelector('#details').dataset.id === '`+o.Request.ID+`' && !document.querySelector('#details').hidden`)
	tab.WaitUntil("People lists the owner and the invited", `(() => { const p = document.querySelector('#d-people').textContent; return p.includes('Alice') && p.includes('owner') && p.includes('Bob') && p.includes('invited'); })()`)
	row := `document.querySelector('#requests li[data-id="` + o.Request.ID + `"]')`
	tab.Run("open Mine", chromedp.WaitVisible("#view-mine", chromedp.ByQuery), chromedp.Click("#view-mine", chromedp.ByQuery))
	tab.WaitUntil("Mine lists it as an invitation", `document.querySelector('#view-mine[aria-current="page"]') !== null && `+row+`?.querySelector('.tag')?.textContent === 'invited'`)
	tab.Screenshot("invited-mine")
	tab.Run("leave the chat", chromedp.Click(`#details .actions [data-action="leave"]`, chromedp.ByQuery))
	tab.WaitUntil("the request leaves Mine", `!`+row)
	tab.WaitUntil("the chat says so", `[...document.querySelectorAll('#messages li.notice')].some((l) => l.textContent.startsWith('Bob left the chat'))`)
}

// TestWorkspaceUnread is what a technician has not read: a request of theirs
// where the customer wrote is bold with a count, the Mine tab and the page's
// title add them up, and opening the request clears them; while the chat is
// open and in view, new lines are read at once.
func TestWorkspaceUnread(t *testing.T) {
	t.Parallel()
	b := chromium.New(t)
	e := newEnv(t, storetest.SQLite)
	d := e.d
	ctx := t.Context()
	quiet := liveFor(t, d, d.Alice, "quiet@example.com").Request.ID
	o := liveFor(t, d, d.Alice, "pat@example.com")
	id := o.Request.ID
	customer := core.CustomerActor(o.Participant.ID)
	tab := b.Tab(t)
	tab.Viewport(1440, 900)
	signIn(tab, e, d.Alice)
	tab.Run("open the quiet request", chromedp.WaitVisible(`#requests li[data-id="`+quiet+`"] .row-main`, chromedp.ByQuery),
		clickRow(`#requests li[data-id="`+quiet+`"] .row-main`))
	tab.WaitUntil("it is open", `document.querySelector('#details').dataset.id === '`+quiet+`'`)
	// Opened, in view and at its end, it is read: its row loses its count
	// (a request left within moments is not).
	tab.WaitUntil("it is read", `!document.querySelector('#requests li[data-id="`+quiet+`"]').classList.contains('unread')`)
	// The first line of each request is the customer's own question, which
	// Alice never saw: the rows start with one unread.
	for _, body := range []string{"Hello?", "Anyone?"} {
		if _, err := d.Engine.PostMessage(ctx, customer, id, core.Post{Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	sel := `#requests li[data-id="` + id + `"]`
	row := `document.querySelector('` + sel + `')`
	tab.WaitUntil("the row is bold with its count", row+`?.classList.contains('unread') && `+row+`.querySelector('.unread-count')?.textContent === '3'`)
	tab.WaitUntil("the Mine tab and the title add them up", `document.querySelector('[data-testid="mine-unread"]')?.textContent === '3' && document.title.startsWith('(3) ') && document.querySelector('link[rel="icon"]').href.startsWith('data:image/svg+xml')`)
	tab.Screenshot("unread")
	tab.Run("open it", clickRow(sel+` .row-main`))
	tab.WaitUntil("the new lines are marked", `!!document.querySelector('#messages [data-testid="unread-divider"]')`)
	tab.WaitUntil("reading clears the counts", `!`+row+`.classList.contains('unread') && !document.querySelector('[data-testid="mine-unread"]') && !document.title.startsWith('(')`)
	// A line that arrives while the chat is open and at its end is read.
	if _, err := d.Engine.PostMessage(ctx, customer, id, core.Post{Body: "Thanks!"}); err != nil {
		t.Fatal(err)
	}
	tab.WaitUntil("the new line shows", `[...document.querySelectorAll('#messages .body')].some((b) => b.textContent === 'Thanks!')`)
	var view struct {
		ReadRSeq int64 `json:"read_rseq"`
	}
	testwait.Until(t, "the mark to reach the new line", func() error {
		res := e.login(d.Alice).do("GET", "/console/api/requests/"+id, nil, nil)
		res.json(t, &view)
		rs, err := d.Engine.Events(ctx, storetest.Actor(d.Alice), id, 0, 500)
		if err != nil {
			return err
		}
		if last := rs[len(rs)-1].RSeq; view.ReadRSeq < last {
			return fmt.Errorf("read up to %d of %d", view.ReadRSeq, last)
		}
		return nil
	})
}

// TestWorkspaceAway is a technician who is not Available: New requests are
// hidden from every view, and the page says so in one sentence instead of
// an error.
func TestWorkspaceAway(t *testing.T) {
	t.Parallel()
	b := chromium.New(t)
	e := newEnv(t, storetest.SQLite)
	d := e.d
	n := d.Open(t, d.Acme, "new@example.com", "Waiting").Request.ID
	tab := b.Tab(t)
	tab.Viewport(1280, 800)
	signIn(tab, e, d.Dave) // away
	for _, view := range []string{"new", "all"} {
		tab.Run("open "+view, clickRow("#view-"+view))
		tab.WaitUntil(view+" says why New requests are missing", `document.querySelector('#view-`+view+`[aria-current="page"]') !== null && !document.querySelector('#view-note').hidden && document.querySelector('#view-note').textContent.startsWith('You are away: New requests are hidden.')`)
		var shown bool
		if err := tab.Eval(`!!document.querySelector('#requests li[data-id="`+n+`"]') || /403|forbidden/i.test(document.querySelector('#queue').textContent)`, &shown); err != nil {
			t.Fatal(err)
		}
		if shown {
			t.Fatalf("the %s view shows the New request or an error", view)
		}
	}
	tab.Screenshot("away")
}

// TestWorkspaceChecklist is a new admin's first look: the empty console
// lists what is left to set up, ticks what is done, and links each step.
func TestWorkspaceChecklist(t *testing.T) {
	t.Parallel()
	b := chromium.New(t)
	e := newEnv(t, storetest.SQLite)
	tab := b.Tab(t)
	tab.Viewport(1440, 900)
	signIn(tab, e, e.d.Admin)
	tab.WaitUntil("the checklist shows", `!document.querySelector('#checklist').hidden`)
	tab.WaitUntil("done steps are ticked, the others linked", `(() => {
		const item = (id) => document.querySelector('#checklist-items li[data-id="' + id + '"]');
		return item('company')?.classList.contains('done') && !item('slack')?.classList.contains('done') && !!item('slack')?.querySelector('a[href]');
	})()`)
	tab.Screenshot("checklist")
}

// customerOf is the primary customer of a request, as an actor.
func customerOf(t *testing.T, d *storetest.Desk, requestID string) core.Actor {
	t.Helper()
	v, err := d.Engine.ViewRequest(t.Context(), storetest.Actor(d.Admin), requestID)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range v.Participants {
		if p.Role == core.RoleCustomer && p.Primary {
			return core.CustomerActor(p.ID)
		}
	}
	t.Fatalf("request %s has no customer", requestID)
	return core.Actor{}
}
