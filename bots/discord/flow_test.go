package discord_test

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/bots/discord"
	"github.com/relaydesk/relaydesk/bots/discord/discordtest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestConversation is a request opened in the web widget and worked from
// Discord: card → assign (button, HTTP) → join (button, gateway) → chat
// both ways in the card's thread → files both ways → notes that must not
// leak → an edit → a 429 storm → end → close, with the one card edited in
// place each time and every line in the thread once, in order.
func TestConversation(t *testing.T) {
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

		// The customer writes; a file both ways.
		must[core.Message](t)(e.PostMessage(ctx, cust, r.ID, core.Post{Body: "It is an HP LaserJet."}))
		logBytes := []byte("2026-01-01 printer: paper jam in tray 2\n")
		if _, _, err := e.AttachFile(ctx, cust, r.ID, core.Upload{Name: "printer.log", Body: bytes.NewReader(logBytes),
			Size: int64(len(logBytes))}); err != nil {
			t.Fatal(err)
		}
		h.dc.Wait(t, "the customer's file in the thread", func(calls []discordtest.Call) bool {
			for _, c := range calls {
				if c.Route == "createMessage" && c.Channel == thread && len(c.Files) == 1 && !c.Failed {
					f := c.Files[0]
					return f.Field == "files[0]" && f.Name == "printer.log" && string(f.Data) == string(logBytes) &&
						strings.Contains(c.Content(), "(customer) sent a file: printer.log")
				}
			}
			return false
		})
		fix := []byte("driver 5.1 fixes the double printing\n")
		url := h.dc.Attachment("1180000000000000888", "fix.txt", fix)
		h.say(aliceU, thread, "", map[string]any{"id": "1180000000000000888", "filename": "fix.txt", "size": len(fix),
			"url": url, "proxy_url": url, "content_type": "text/plain"})
		v := h.waitView(cust, r.ID, "Alice's file", hasBody("fix.txt"))
		var got []byte
		for _, f := range v.Files {
			_, rc := must2[core.File, io.ReadCloser](t)(e.OpenFile(ctx, cust, f.ID))
			b := new(bytes.Buffer)
			b.ReadFrom(rc)
			rc.Close()
			if f.Name == "fix.txt" {
				got = b.Bytes()
			}
		}
		if string(got) != string(fix) {
			t.Errorf("the customer gets %q for fix.txt", got)
		}

		// Notes: Bob is not in the chat, and Alice marks hers.
		h.say(bobU, thread, "PRIVATE-BOB: I fixed one of these last week")
		h.say(aliceU, thread, "!note PRIVATE-ALICE: out of warranty")
		h.waitThread(thread, "🔒 Private note by Bob saved")
		h.waitThread(thread, "🔒 Private note by Alice saved")

		// An edit of Alice's reply reaches the customer as a correction.
		m["content"], m["edited_timestamp"] = "Hi Tess, Alice from Acme here.", "2026-01-01T12:01:00.000000+00:00"
		h.dc.Dispatch(t, "MESSAGE_UPDATE", m)
		h.waitView(cust, r.ID, "the correction", hasBody("(edited) Hi Tess, Alice from Acme here."))

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

		// What the customer sees: Alice's reply once, the correction, never a note.
		cv := must[core.RequestView](t)(e.ViewRequest(ctx, cust, r.ID))
		var seen []string
		for _, m := range cv.Messages {
			seen = append(seen, m.Body)
		}
		want := []string{"My printer prints everything twice.", "Hi Tess, Alice here.", "It is an HP LaserJet.", "printer.log",
			"fix.txt", "(edited) Hi Tess, Alice from Acme here.", "storm 1", "storm 2", "storm 3", "storm 4", "storm 5"}
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

func must2[A, B any](t testing.TB) func(a A, b B, err error) (A, B) {
	return func(a A, b B, err error) (A, B) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return a, b
	}
}
