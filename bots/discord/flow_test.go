package discord_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/bots/discord"
	"github.com/relaydesk/relaydesk/bots/discord/discordtest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestCardAndThread is what Discord adds to the conversation every
// adapter passes (TestConversation): the card's content and the gateway's
// intents; buttons answered as deferred updates, over HTTP and over the
// gateway; a message the gateway delivers twice relayed once and not
// echoed; a colleague outside the chat kept to a private note; an edit
// that edits the customer's copy; a 429 storm; end and close, with the one card
// edited in place each time and every line in the thread once, in order.
func TestCardAndThread(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		h := newHarness(t, d, options{})
		e := d.Engine

		o := d.Open(t, d.Acme, "tess@example.com", "My printer prints everything twice.")
		r, cust := o.Request, core.CustomerActor(o.Participant.ID)
		cardID, thread := h.card(1001)
		post := h.dc.Calls("createMessage")[0]
		body := post.JSON()
		for _, want := range []string{"Request #1001", "Acme", "tess@example.com", "New", "unassigned",
			"via web", "Windows", "Firefox", "My printer prints everything twice.", `"custom_id":"assign:` + r.ID} {
			if !strings.Contains(body, want) {
				t.Errorf("the card lacks %q:\n%s", want, body)
			}
		}
		if thread != cardID {
			t.Errorf("the thread %s is not the card's %s", thread, cardID)
		}
		h.waitThread(thread, "(customer): My printer prints everything twice.")
		if ids := h.dc.Identifies(); len(ids) != 1 || ids[0]["intents"] != float64(discord.Intents) {
			t.Errorf("identified with %v, want intents %d", ids, discord.Intents)
		}

		if res := h.click(aliceU, string(core.ActionAssign), r.ID); res.Type != 6 {
			t.Fatalf("the assign button answered %+v, want a deferred update", res)
		}
		h.waitCard(cardID, "owner Alice")
		if cb := h.clickGateway(aliceU, string(core.ActionJoin), r.ID); cb.Body["type"] != float64(6) {
			t.Fatalf("the join button over the gateway answered %v", cb.Body)
		}
		h.waitCard(cardID, "chat live")
		h.waitThread(thread, "Alice joined the chat")

		// Alice writes in the thread; the gateway delivers it twice.
		m := fixture(t, "message_create.json", map[string]any{"id": "1180000000000000777", "channel_id": thread,
			"author.id": aliceU, "content": "Hi Tess, Alice here."})
		h.dc.Dispatch(t, "MESSAGE_CREATE", m)
		h.dc.Dispatch(t, "MESSAGE_CREATE", m)
		h.waitView(cust, r.ID, "Alice's reply", hasBody("Hi Tess, Alice here."))

		// The customer writes.
		must[core.Message](t)(e.PostMessage(ctx, cust, r.ID, core.Post{Body: "It is an HP LaserJet."}))

		// Bob is not in the chat: his message stays a note.
		h.say(bobU, thread, "PRIVATE-BOB: I fixed one of these last week")
		h.waitThread(thread, "🔒 Private note by Bob saved")

		// An edit of Alice's reply changes the customer's copy in place.
		m["content"], m["edited_timestamp"] = "Hi Tess, Alice from Acme here.", "2026-01-01T12:01:00.000000+00:00"
		h.dc.Dispatch(t, "MESSAGE_UPDATE", m)
		h.waitView(cust, r.ID, "the edit", hasBody("Hi Tess, Alice from Acme here."))

		// A 429 storm: every message still arrives once, in order.
		h.dc.Fail("createMessage", discordtest.TooManyRequests(0.05), discordtest.TooManyRequests(0.05),
			discordtest.TooManyRequests(0.02), discordtest.TooManyRequests(0.01))
		for i := 1; i <= 5; i++ {
			must[core.Message](t)(e.PostMessage(ctx, cust, r.ID, core.Post{Body: fmt.Sprintf("storm %d", i)}))
		}
		h.waitThread(thread, "(customer): storm 5")
		if n := len(h.dc.Calls("createMessage")) - len(h.thread(thread)) - 1; n < 4 {
			t.Errorf("%d rate-limited posts, want the 4 asked for", n)
		}

		if res := h.click(aliceU, string(core.ActionEnd), r.ID); res.Type != 6 {
			t.Fatalf("end answered %+v", res)
		}
		h.waitCard(cardID, "chat ended")
		h.click(aliceU, string(core.ActionClose), r.ID)
		h.waitCard(cardID, "Completed")

		// What the customer sees: Alice's reply once, as edited, never Bob's note.
		cv := must[core.RequestView](t)(e.ViewRequest(ctx, cust, r.ID))
		var seen []string
		for _, m := range cv.Messages {
			seen = append(seen, m.Body)
		}
		want := []string{"My printer prints everything twice.", "Hi Tess, Alice from Acme here.", "It is an HP LaserJet.", "storm 1", "storm 2", "storm 3", "storm 4", "storm 5"}
		if !slices.Equal(seen, want) {
			t.Fatalf("the customer sees\n%q\nwant\n%q", seen, want)
		}

		// One card, edited in place; the thread in order, each line once,
		// Alice's own messages not echoed.
		cards := 0
		for _, c := range h.dc.Calls("createMessage") {
			if c.Channel == channel && !c.Failed {
				cards++
			}
			if strings.Contains(c.Content(), "PRIVATE-") {
				t.Errorf("a note's text was posted: %q", c.Content())
			}
		}
		if cards != 1 {
			t.Errorf("%d cards posted, want 1", cards)
		}
		for _, c := range h.dc.Calls("editMessage") {
			if c.Message != cardID {
				t.Errorf("an edit of another message: %+v", c)
			}
		}
		joined := strings.Join(h.thread(thread), "\n")
		for i := 1; i <= 5; i++ {
			if n := strings.Count(joined, fmt.Sprintf("storm %d", i)); n != 1 {
				t.Errorf("storm %d is in the thread %d times", i, n)
			}
		}
		if strings.Contains(joined, "Alice here") || !(strings.Index(joined, "storm 1") < strings.Index(joined, "storm 2") &&
			strings.Index(joined, "storm 4") < strings.Index(joined, "storm 5")) {
			t.Errorf("the thread:\n%s", joined)
		}
		edits := h.dc.Calls("editMessage")
		final := edits[len(edits)-1].JSON()
		if strings.Contains(final, `"custom_id"`) || !strings.Contains(final, "Completed") {
			t.Errorf("the final card:\n%s", final)
		}
	})
}
