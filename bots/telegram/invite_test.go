package telegram_test

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/bots/telegram/telegramtest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestInviteDeepLink: a technician-started session that a web customer
// joined first and Tess joins from Telegram with the invite code as the
// deep-link payload. Tess reads the technician and the other customer, not
// herself nor what is addressed to the other customer; a screen-sharing
// request comes with a button to the portal.
func TestInviteDeepLink(t *testing.T) {
	t.Parallel()
	d := storetest.NewDesk(t, storetest.SQLite(t))
	e, alice := d.Engine, storetest.Actor(d.Alice)
	inv := must[core.Invited](t)(e.InviteCustomer(ctx, alice, d.Acme.ID, "VPN setup"))
	web := must[core.Opened](t)(e.JoinInvite(ctx, core.JoinInvite{Code: inv.Code, Email: "webby@example.com", Name: "Webby",
		Source: core.Source{Channel: "web", Device: "desktop", OS: "Windows", Browser: "Firefox"}}))
	if err := d.Store.EnsureCursor(ctx, "telegram", true); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, d, options{noDispatch: true})

	h.text(1, "/start "+inv.Code)
	h.waitSent("You joined support session #1001 with Acme.")
	// The dispatcher starts only now, at the beginning of the log, as one
	// that lags behind would: what happened before Tess joined (Alice and
	// Webby joining) is not hers.
	h.dispatch()
	c := h.conversation()
	if c.Request.ID != inv.Request.ID || c.Participant.Primary {
		t.Fatalf("Tess joined %+v", c)
	}

	must[core.Message](t)(e.PostMessage(ctx, alice, inv.Request.ID, core.Post{Body: "Hello both of you"}))
	must[core.Message](t)(e.PostMessage(ctx, core.CustomerActor(web.Participant.ID), web.Request.ID, core.Post{Body: "I am on the web"}))
	h.text(2, "And I am on Telegram")
	must[core.Message](t)(e.PostMessage(ctx, alice, inv.Request.ID, core.Post{Body: "Only for Webby", To: web.Participant.ID}))
	must[core.Request](t)(e.RequestScreenShare(ctx, alice, inv.Request.ID))
	share := h.waitSent("Alice asks to see your screen. Screen sharing works from a desktop computer only")
	// The button opens Tess's own request in the portal: a web token of
	// hers rides in the link's fragment.
	link := regexp.MustCompile(`"url":"https://help\.example\.com/c/acme#token=([A-Za-z0-9_-]+)"`).FindStringSubmatch(share.Fields["reply_markup"])
	if link == nil || !strings.Contains(share.Fields["reply_markup"], `"text":"Share my screen"`) {
		t.Fatalf("screen-sharing button %s", share.Fields["reply_markup"])
	}
	if cs, err := e.CustomerByToken(ctx, link[1]); err != nil || cs.Actor != core.CustomerActor(c.Participant.ID) || cs.RequestID != inv.Request.ID {
		t.Errorf("the link's token stands for %+v, %v; want Tess in session #1001", cs, err)
	}

	// A call rings on Telegram too, with a button to answer it in the
	// browser.
	must[core.Request](t)(e.StartCall(ctx, alice, inv.Request.ID))
	ring := h.waitSent("Alice is calling you. Calls take place in a web browser")
	if !strings.Contains(ring.Fields["reply_markup"], `"text":"Answer in the browser"`) ||
		!strings.Contains(ring.Fields["reply_markup"], `"url":"https://help.example.com/c/acme#token=`) {
		t.Errorf("call button %s", ring.Fields["reply_markup"])
	}

	want := []string{"You joined support session #1001", "Alice: Hello both of you", "Webby: I am on the web", "Alice asks to see your screen",
		"Alice is calling you"}
	got := h.sentTexts(chat)
	if len(got) != len(want) {
		t.Fatalf("Tess got %q", got)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("message %d: %q, want %q...", i, got[i], want[i])
		}
	}
	if b := h.bodies(inv.Request.ID); !slices.Contains(b, "And I am on Telegram") {
		t.Fatalf("Tess's message is not in the session: %q", b)
	}

	// After leaving, Tess hears no more of the session.
	h.text(3, "/leave")
	h.waitSent("You left request #1001.")
	must[core.Message](t)(e.PostMessage(ctx, alice, inv.Request.ID, core.Post{Body: "Bye Tess"}))
	must[core.Request](t)(e.EndChat(ctx, alice, inv.Request.ID))
	must[core.Request](t)(e.Close(ctx, alice, inv.Request.ID, ""))
	h.text(4, "new question")
	h.waitSent("Your request #1001 was closed, so this message opens a new request: #1002.")
	// The new request's events come after the old one's in the log: once
	// Alice's join of #1002 arrives, everything of #1001 was dealt with.
	must[core.Request](t)(e.AssignToMe(ctx, alice, h.conversation().Request.ID))
	must[core.Request](t)(e.JoinChat(ctx, alice, h.conversation().Request.ID))
	h.waitSent("Alice joined the chat.")
	if got := h.sentTexts(chat); slices.ContainsFunc(got, func(s string) bool {
		return strings.Contains(s, "Bye Tess") || strings.Contains(s, "Request #1001 is closed") || strings.Contains(s, "The chat has ended")
	}) {
		t.Fatalf("Tess heard of a session she left: %q", got)
	}
}

// TestBlockedBot: a customer who blocked the bot cannot be reached; the
// technicians read it once in a note, the undeliverable events are recorded
// as failed and delivery goes on with the next events.
func TestBlockedBot(t *testing.T) {
	t.Parallel()
	d := storetest.NewDesk(t, storetest.SQLite(t))
	h := newHarness(t, d, options{})
	e, alice := d.Engine, storetest.Actor(d.Alice)
	h.text(1, "help me")
	r := h.conversation().Request
	must[core.Request](t)(e.AssignToMe(ctx, alice, r.ID))
	must[core.Request](t)(e.JoinChat(ctx, alice, r.ID))
	h.waitSent("Alice joined the chat.")

	h.tg.Block(chat)
	must[core.Message](t)(e.PostMessage(ctx, alice, r.ID, core.Post{Body: "are you there?"}))
	must[core.Message](t)(e.PostMessage(ctx, alice, r.ID, core.Post{Body: "hello?"}))
	h.tg.Wait(t, "two refused messages", func(calls []telegramtest.Call) bool {
		n := 0
		for _, c := range calls {
			if c.Failed && c.Method == "sendMessage" {
				n++
			}
		}
		return n == 2
	})
	h.tg.Unblock(chat)
	must[core.Message](t)(e.PostMessage(ctx, alice, r.ID, core.Post{Body: "there you are"}))
	h.waitSent("Alice: there you are")

	v := must[core.RequestView](t)(e.ViewRequest(ctx, alice, r.ID))
	var notes []string
	for _, m := range v.Messages {
		if m.AuthorKind == core.ActorSystem {
			notes = append(notes, m.Body)
		}
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "Tess Tester blocked the bot") {
		t.Fatalf("system notes %q", notes)
	}
	var failures int
	if err := d.Store.DB().Get(&failures, `SELECT COUNT(*) FROM dispatch_failures WHERE destination = 'telegram' AND request_id = ?`, r.ID); err != nil {
		t.Fatal(err)
	}
	if failures != 2 {
		t.Fatalf("%d failed deliveries recorded, want 2", failures)
	}
}

// TestLaggingDispatcher: the dispatcher is far behind while Tess's request
// is answered and closed and she opens the next one, which links her chat
// to a new customer: what was said in the first request still reaches her,
// each request's lines in their order. (The two requests are two
// conversations, delivered side by side: their lines may interleave.)
func TestLaggingDispatcher(t *testing.T) {
	t.Parallel()
	d := storetest.NewDesk(t, storetest.SQLite(t))
	e, alice := d.Engine, storetest.Actor(d.Alice)
	if err := d.Store.EnsureCursor(ctx, "telegram", true); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, d, options{noDispatch: true})
	h.text(1, "first problem")
	r := h.conversation().Request
	must[core.Request](t)(e.AssignToMe(ctx, alice, r.ID))
	must[core.Request](t)(e.JoinChat(ctx, alice, r.ID))
	must[core.Message](t)(e.PostMessage(ctx, alice, r.ID, core.Post{Body: "fixed it"}))
	must[core.Request](t)(e.Close(ctx, alice, r.ID, ""))
	h.text(2, "second problem")
	r2 := h.conversation().Request
	must[core.Request](t)(e.AssignToMe(ctx, alice, r2.ID))
	must[core.Request](t)(e.JoinChat(ctx, alice, r2.ID))
	must[core.Message](t)(e.PostMessage(ctx, alice, r2.ID, core.Post{Body: "you again"}))

	h.dispatch()
	h.tg.Wait(t, "both requests' lines", func([]telegramtest.Call) bool { return len(h.sentTexts(chat)) >= 7 })
	got := h.sentTexts(chat)
	if len(got) != 7 || !strings.HasPrefix(got[0], "Thank you! Your request #1001") || !strings.HasPrefix(got[1], "Your request #1001 was closed") {
		t.Fatalf("Tess got %q", got) // the bot's own answers come first, as she wrote
	}
	first := []string{"Alice joined the chat.", "Alice: fixed it", "Request #1001 is closed."}
	second := []string{"Alice joined the chat.", "Alice: you again"}
	if !interleaves(got[2:], first, second) {
		t.Fatalf("Tess got %q: not each request's lines in their order", got)
	}
	if c, err := d.Store.CustomerChat(ctx, "telegram", r.CustomerID); err != nil || c != strconv.FormatInt(chat, 10) {
		t.Fatalf("the first customer's chat is kept as %q, %v", c, err)
	}
	var names []string
	if err := d.Store.DB().Select(&names, `SELECT name FROM bot_state`); err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(names, func(n string) bool { return !strings.HasSuffix(n, ":offset") }) {
		t.Fatalf("bot_state holds more than cursors: %q", names)
	}
}

// interleaves reports whether got is a and b merged, each in its order
// (lines matched by prefix).
func interleaves(got, a, b []string) bool {
	if len(got) == 0 {
		return len(a) == 0 && len(b) == 0
	}
	return (len(a) > 0 && strings.HasPrefix(got[0], a[0]) && interleaves(got[1:], a[1:], b)) ||
		(len(b) > 0 && strings.HasPrefix(got[0], b[0]) && interleaves(got[1:], a, b[1:]))
}
