package slack_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/bots/slack"
	"github.com/relaydesk/relaydesk/bots/slack/slacktest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestCardAndThread is what Slack adds to the conversation every adapter
// passes (TestConversation): the card's content, one card updated in place
// until it closes without buttons; a reply Slack delivers twice relayed
// once and not echoed; the customer's messages in the thread in order
// through a 429; a colleague outside the chat kept to a private note; an
// edit relayed as a correction.
func TestCardAndThread(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		h := newHarness(t, d, options{})
		e := d.Engine

		o := d.Open(t, d.Acme, "tess@example.com", "My printer prints everything twice.")
		r, cust := o.Request, core.CustomerActor(o.Participant.ID)
		cardTS := h.card(1001)
		post := h.sl.Calls("chat.postMessage")[0]
		if post.Fields["channel"] != channel {
			t.Fatalf("the card went to %q, want the queue channel", post.Fields["channel"])
		}
		blocks := post.Fields["blocks"]
		for _, want := range []string{"Request #1001", "Acme", "tess@example.com", "New", "unassigned",
			"via web", "Windows", "Firefox", "My printer prints everything twice.", `"action_id":"assign"`} {
			if !strings.Contains(blocks, want) {
				t.Errorf("the card lacks %q:\n%s", want, blocks)
			}
		}
		h.waitThread(cardTS, "(customer): My printer prints everything twice.")

		h.click(aliceU, string(core.ActionAssign), r.ID)
		h.waitCard(cardTS, "owner Alice")
		h.click(aliceU, string(core.ActionJoin), r.ID)
		h.waitCard(cardTS, "chat live")
		h.waitThread(cardTS, "Alice joined the chat")

		// Alice replies in the thread; Slack delivers the event twice.
		h.reply(aliceU, cardTS, "1767225700.000100", "Hi Tess, Alice here.")
		h.reply(aliceU, cardTS, "1767225700.000100", "Hi Tess, Alice here.", "X-Slack-Retry-Num", "1", "X-Slack-Retry-Reason", "http_timeout")

		// The customer writes twice, through a rate limit.
		h.sl.Fail("chat.postMessage", slacktest.TooManyRequests(1))
		must[core.Message](t)(e.PostMessage(ctx, cust, r.ID, core.Post{Body: "It is an HP LaserJet."}))
		must[core.Message](t)(e.PostMessage(ctx, cust, r.ID, core.Post{Body: "Model 1020."}))
		h.waitThread(cardTS, "(customer): Model 1020.")

		// Bob is not in the chat: his reply stays a note.
		h.reply(bobU, cardTS, "1767225700.000200", "PRIVATE-BOB: I fixed one of these last week")
		h.waitThread(cardTS, ":lock: Private note by Bob saved")

		// An edit of Alice's reply changes the customer's copy in place.
		ed := fixture(t, "message_changed.json", map[string]any{"event.message.thread_ts": cardTS,
			"event.message.text": "Hi Tess, Alice from Acme here."})
		b := mustJSON(t, ed)
		if code, body := slacktest.Post(t, h.url+slack.EventsPath, secret, "application/json", b); code != 200 {
			t.Fatalf("edit: %d %s", code, body)
		}

		h.click(aliceU, string(core.ActionClose), r.ID)
		h.waitCard(cardTS, "Completed")

		// What the customer sees: Alice's reply once, as edited, never Bob's note.
		v := must[core.RequestView](t)(e.ViewRequest(ctx, cust, r.ID))
		var seen []string
		for _, m := range v.Messages {
			seen = append(seen, m.Body)
		}
		want := []string{"My printer prints everything twice.", "Hi Tess, Alice from Acme here.", "It is an HP LaserJet.", "Model 1020."}
		if !slices.Equal(seen, want) {
			t.Fatalf("the customer sees\n%q\nwant\n%q", seen, want)
		}
		tv := must[core.RequestView](t)(e.ViewRequest(ctx, storetest.Actor(d.Admin), r.ID))
		notes := 0
		for _, m := range tv.Messages {
			if m.Audience == core.AudienceTechnicians {
				notes++
			}
		}
		if notes != 1 {
			t.Errorf("%d notes stored, want Bob's", notes)
		}

		// One card, updated in place; the thread in order, each line once,
		// Alice's own reply not echoed.
		var cards int
		var thread []string
		for _, c := range h.sl.Calls("chat.postMessage", "chat.update") {
			switch {
			case c.Failed:
			case c.Method == "chat.postMessage" && c.Fields["thread_ts"] == "":
				cards++
			case c.Method == "chat.update" && c.Fields["ts"] != cardTS:
				t.Errorf("an update of another message: %+v", c.Fields)
			case c.Method == "chat.postMessage":
				thread = append(thread, c.Fields["text"])
			}
		}
		if cards != 1 {
			t.Errorf("%d cards posted, want 1", cards)
		}
		joined := strings.Join(thread, "\n")
		if strings.Count(joined, "Alice here") != 0 || strings.Count(joined, "Model 1020.") != 1 ||
			strings.Index(joined, "HP LaserJet") > strings.Index(joined, "Model 1020.") {
			t.Errorf("the thread:\n%s", joined)
		}
		last := h.sl.Calls("chat.update")
		final := last[len(last)-1].Fields["blocks"]
		if strings.Contains(final, `"type":"button"`) || !strings.Contains(final, "Completed") || !strings.Contains(final, "Alice") {
			t.Errorf("the final card:\n%s", final)
		}
		for _, c := range h.sl.Calls() {
			if strings.Contains(c.Fields["text"], "PRIVATE-") && c.Fields["thread_ts"] != cardTS {
				t.Errorf("a note left the thread: %+v", c.Fields)
			}
		}
	})
}
