package telegram_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/bots/telegram/telegramtest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestCommands walks the bot's commands through a request's life; each
// step is a command or message and the answer that must follow.
func TestCommands(t *testing.T) {
	t.Parallel()
	d := storetest.NewDesk(t, storetest.SQLite(t))
	h := newHarness(t, d, options{noDispatch: true})
	alice := storetest.Actor(d.Alice)
	steps := []struct {
		say  string
		want string
		then func(r core.Request) // what the technician does next
	}{
		{say: "/help", want: "/new – open a new request"},
		{say: "/status", want: "You have no open request."},
		{say: "/leave", want: "You have no open request."},
		{say: "/new", want: "Write your question and I will open a new request."},
		{say: "/nonsense", want: "I do not know the command /nonsense."},
		{say: "/new The VPN drops every hour", want: "Your request #1001 with Acme is open."},
		{say: "/status", want: "Request #1001 with Acme is waiting for a technician.", then: func(r core.Request) {
			must[core.Request](t)(d.Engine.AssignToMe(ctx, alice, r.ID))
		}},
		{say: "/status", want: "Alice has taken it", then: func(r core.Request) {
			must[core.Request](t)(d.Engine.JoinChat(ctx, alice, r.ID))
		}},
		{say: "/status", want: "Alice is in the chat with you.", then: func(r core.Request) {
			must[core.Request](t)(d.Engine.EndChat(ctx, alice, r.ID))
		}},
		{say: "/status", want: "the chat has ended; the request stays open"},
		{say: "/new", want: "Request #1001 is still open"},
		{say: "/start", want: "Your request #1001 is open: write here to add to it."},
		{say: "/leave", want: "You left request #1001. Your next message opens a new request."},
		{say: "/status", want: "You have no open request."},
		{say: "it came back", want: "You left request #1001, so this message opens a new request: #1002."},
	}
	for i, s := range steps {
		h.text(int64(i+1), s.say)
		h.waitSent(s.want)
		if s.then != nil {
			s.then(h.conversation().Request)
		}
	}
	c := h.conversation()
	if got := h.bodies(c.Request.ID); len(got) != 1 || got[0] != "it came back" {
		t.Fatalf("the new request's chat %q", got)
	}
}

// TestLanguages: the greeting and answers follow the user's Telegram
// language where there is a translation, English otherwise; the command
// menu is registered in each language.
func TestLanguages(t *testing.T) {
	t.Parallel()
	d := storetest.NewDesk(t, storetest.SQLite(t))
	h := newHarness(t, d, options{noDispatch: true})
	h.say("start_deeplink.json", 1, nil) // "/start acme", language "de"
	h.waitSent("Hallo Tess Tester! Hier ist der Support von Acme.")
	h.say("start_deeplink.json", 2, map[string]any{"text": "Mein Drucker druckt alles doppelt."})
	h.waitSent("Danke! Ihre Anfrage #1001 bei Acme ist eröffnet.")
	if c := h.conversation(); c.Request.Source.Language != "de" {
		t.Errorf("source language %q", c.Request.Source.Language)
	}
	for i, l := range []struct{ lang, want string }{{"fr-FR", "Écrivez votre question"}, {"es", "Escriba su pregunta"},
		{"pt-br", "Write your question"}} {
		h.say("text.json", int64(3+i), map[string]any{"text": "/help", "from": map[string]any{"id": chat, "is_bot": false,
			"first_name": "Tess", "language_code": l.lang}})
		h.waitSent(l.want)
	}
	menus := map[string]string{}
	for _, c := range h.tg.Calls("setMyCommands") {
		menus[c.Fields["language_code"]] = c.Fields["commands"]
	}
	for lang, want := range map[string]string{"": "Show your request", "de": "Ihre Anfrage anzeigen",
		"fr": "Afficher votre demande", "es": "Ver su solicitud"} {
		if !strings.Contains(menus[lang], want) || !strings.Contains(menus[lang], `"command":"leave"`) {
			t.Errorf("menu %q: %s", lang, menus[lang])
		}
	}
}

// TestCompanyChoice: with several companies and no TELEGRAM_COMPANY a bare
// /start asks for the company's link; a deep link with a company's slug
// selects it for the chat; a link that is neither a company nor an invite
// is refused.
func TestCompanyChoice(t *testing.T) {
	t.Parallel()
	d := storetest.NewDesk(t, storetest.SQLite(t))
	h := newHarness(t, d, options{noDispatch: true, company: "-"})
	h.text(1, "/start")
	h.waitSent("Please open the Telegram link your company gave you")
	h.text(2, "hello?")
	h.waitSent("Please open the Telegram link your company gave you")
	if _, err := d.Engine.ConversationOf(ctx, "telegram", "5551234001"); core.ErrorCode(err) != core.CodeNotFound {
		t.Fatalf("a request was opened without a company: %v", err)
	}
	h.text(3, "/start nope-not-a-company")
	h.waitSent("This link is not valid")
	h.text(4, "/start globex")
	h.waitSent("You are talking to Globex support.")
	h.text(5, "hello")
	h.waitSent("Your request #1001 with Globex is open.")
	if c := h.conversation(); c.Request.CompanyID != d.Globex.ID {
		t.Fatalf("the request went to %s", c.Request.CompanyName)
	}
	if co, err := d.Store.ChatCompany(ctx, "telegram", "123456789", strconv.FormatInt(chat, 10)); err != nil || co != d.Globex.ID {
		t.Fatalf("the chat's company is kept as %q, %v; want Globex", co, err)
	}
	if calls := h.tg.Calls("getFile"); len(calls) != 0 {
		t.Fatalf("unexpected calls %s", telegramtest.Describe(calls))
	}
}
