package discord_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/bots/discord"
	"github.com/relaydesk/relaydesk/bots/discord/discordtest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestRegistration: /support is registered at start with a bulk
// overwrite, with Slack's subcommands and list's choices.
func TestRegistration(t *testing.T) {
	t.Parallel()
	d := storetest.NewDesk(t, storetest.SQLite(t))
	h := newHarness(t, d, options{noDispatch: true})
	h.dc.WaitConnected(t)
	calls := h.dc.Calls("commands")
	if len(calls) != 1 {
		t.Fatalf("%d registrations, want 1", len(calls))
	}
	js := calls[0].JSON()
	for _, sub := range []string{"list", "assign", "unassign", "join", "end", "screenshare", "sysinfo", "close", "note", "transfer", "invite", "leave", "status",
		"link", "invite-customer", "help", "setup", "notify", `"autocomplete":true`, `"name":"mine"`, `"name":"customer"`} {
		if !strings.Contains(js, sub) {
			t.Errorf("the registration lacks %s", sub)
		}
	}
}

// TestCommands runs /support over HTTP: help, linking, refusals for the
// unlinked and the unauthorised, setup, list, the request subcommands and
// autocomplete, each answered ephemerally.
func TestCommands(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		h := newHarness(t, d, options{noRun: true})
		o := d.Open(t, d.Acme, "tess@example.com", "Printer")

		if got := h.command(strangerU, "list"); !strings.Contains(got, "not linked") {
			t.Errorf("a stranger's list answered %q", got)
		}
		if got := h.command(strangerU, "help"); !strings.Contains(got, "/support list") {
			t.Errorf("help answered %q", got)
		}
		code := must[string](t)(bots.NewLinkCode(ctx, d.Store, discord.Platform, d.Admin.ID, bots.LinkCodeTTL))
		if got := h.command(strangerU, "link", "code", strings.ToLower(code)); !strings.Contains(got, "now linked to Admin") {
			t.Fatalf("link answered %q", got)
		}
		if got := h.command(carolU, "link", "code", code); !strings.Contains(got, "not valid") {
			t.Errorf("a used code answered %q", got)
		}
		if got := h.command(aliceU, "setup", "company", "globex"); !strings.Contains(got, "only relaydesk admins") {
			t.Errorf("Alice's setup answered %q", got)
		}
		if got := h.post(h.slash(strangerU, "999", "setup", "company", "globex")); !strings.Contains(got.Data.Content, "Globex's queue") {
			t.Errorf("the admin's setup answered %+v", got)
		}
		if got := h.command(aliceU, "list", "view", "new", "sort", "number", "order", "desc"); !strings.Contains(got, "#1001") {
			t.Errorf("list answered %q", got)
		}
		if got := h.command(carolU, "assign", "request", "1001"); !strings.Contains(got, "That did not work") {
			t.Errorf("Carol (Globex only) assigning Acme's #1001 answered %q", got)
		}
		if got := h.command(aliceU, "assign", "request", "acme#1001"); got != "You took request #1001." {
			t.Errorf("assign answered %q", got)
		}
		if got := h.command(aliceU, "note", "request", "1001", "text", "called back"); got != "Private note added to request #1001." {
			t.Errorf("note answered %q", got)
		}
		if got := h.command(aliceU, "transfer", "request", "1001", "colleague", "<@"+bobU+">"); got != "Bob now owns request #1001." {
			t.Errorf("transfer answered %q", got)
		}
		if got := h.command(aliceU, "status", "status", "busy"); got != "You are now busy." {
			t.Errorf("status answered %q", got)
		}
		ac := h.slash(bobU, channel, "join", "request", "10")
		ac["type"] = 4
		if res := h.post(ac); res.Type != 8 || len(res.Data.Choices) != 1 || res.Data.Choices[0].Value != "1001" {
			t.Errorf("autocomplete answered %+v", res)
		}
		if r := must[core.Request](t)(d.Store.Request(ctx, o.Request.ID)); r.OwnerID != d.Bob.ID {
			t.Errorf("the owner is %s, want Bob", r.OwnerName)
		}
	})
}

// TestRefusedInThread: a stranger's message in a thread and a file the
// company does not allow are answered with a reply in the thread, and
// nothing is relayed.
func TestRefusedInThread(t *testing.T) {
	t.Parallel()
	d := storetest.NewDesk(t, storetest.SQLite(t))
	h := newHarness(t, d, options{})
	o := d.Live(t)
	_, thread := h.card(1001)
	h.say(strangerU, thread, "let me in")
	h.waitThread(thread, "not linked to a relaydesk technician")
	url := h.dc.Attachment("1180000000000000999", "tool.exe", []byte("MZ..."))
	h.say(aliceU, thread, "", map[string]any{"id": "1180000000000000999", "filename": "tool.exe", "size": 5, "url": url})
	h.waitThread(thread, "The file tool.exe was not passed on")
	v := must[core.RequestView](t)(d.Engine.ViewRequest(ctx, storetest.Actor(d.Admin), o.Request.ID))
	for _, m := range v.Messages {
		if strings.Contains(m.Body, "let me in") || strings.Contains(m.Body, "tool.exe") {
			t.Errorf("relayed: %+v", m)
		}
	}
}

// TestRateLimit: a 429 is a dispatch.RetryAfterError with Discord's
// retry_after, returned at once (discordgo's own retry is off).
func TestRateLimit(t *testing.T) {
	t.Parallel()
	d := storetest.NewDesk(t, storetest.SQLite(t))
	h := newHarness(t, d, options{noDispatch: true, noRun: true})
	o := d.Open(t, d.Acme, "tess@example.com", "Printer")
	h.dc.Fail("createMessage", discordtest.TooManyRequests(7.5))
	evs, _, err := d.Store.EventsAfter(ctx, core.Position{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	var ev core.Event
	for _, e := range evs {
		if e.RequestID == o.Request.ID && e.Type == core.EventCreated {
			ev = e
		}
	}
	err = h.a.Deliver(ctx, dispatch.NewDelivery(ev))
	var ra *dispatch.RetryAfterError
	if !errors.As(err, &ra) || ra.After.Seconds() != 7.5 {
		t.Fatalf("Deliver returned %v, want a RetryAfterError of 7.5s", err)
	}
}
