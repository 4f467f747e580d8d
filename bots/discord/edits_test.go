package discord_test

import (
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/bots/discord/discordtest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestEditsBothWays: MESSAGE_UPDATE of a technician's message in the
// thread edits the message the customer has, a note's edit stays a note,
// MESSAGE_DELETE withdraws it; the gateway delivering any of them again
// changes nothing. The other way, an edit or withdrawal made elsewhere
// edits the thread line relaydesk posted for the message, never deletes
// it.
func TestEditsBothWays(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		h := newHarness(t, d, options{})
		o := d.Open(t, d.Acme, "tess@example.com", "The printer jams.")
		r, cust, alice := o.Request, core.CustomerActor(o.Participant.ID), storetest.Actor(d.Alice)
		_, thread := h.card(1001)
		h.click(aliceU, string(core.ActionAssign), r.ID)
		h.click(aliceU, string(core.ActionJoin), r.ID)
		h.waitThread(thread, "Alice joined the chat")

		reply := fixture(t, "message_create.json", map[string]any{"id": "1180000000000000777", "channel_id": thread,
			"author.id": aliceU, "content": "Hi Tess, Alice here."})
		h.dc.Dispatch(t, "MESSAGE_CREATE", reply)
		h.waitView(cust, r.ID, "Alice's reply", hasBody("Hi Tess, Alice here."))
		note := fixture(t, "message_create.json", map[string]any{"id": "1180000000000000778", "channel_id": thread,
			"author.id": aliceU, "content": "!note PRIVATE-ALICE: out of warranty"})
		h.dc.Dispatch(t, "MESSAGE_CREATE", note)

		reply["content"], reply["edited_timestamp"] = "Hi Tess, Alice from Acme here.", "2026-01-01T12:01:00.000000+00:00"
		h.dc.Dispatch(t, "MESSAGE_UPDATE", reply)
		h.dc.Dispatch(t, "MESSAGE_UPDATE", reply)
		note["content"], note["edited_timestamp"] = "PRIVATE-ALICE: out of warranty since May", "2026-01-01T12:02:00.000000+00:00"
		h.dc.Dispatch(t, "MESSAGE_UPDATE", note)
		h.waitView(alice, r.ID, "the note edited", hasBody("PRIVATE-ALICE: out of warranty since May"))
		v := h.waitView(cust, r.ID, "the reply edited", hasBody("Hi Tess, Alice from Acme here."))
		if len(v.Messages) != 2 || v.Messages[1].Version != 2 {
			t.Fatalf("the customer sees %+v", v.Messages)
		}

		del := map[string]any{"id": "1180000000000000777", "channel_id": thread, "guild_id": "290926798626357999"}
		h.dc.Dispatch(t, "MESSAGE_DELETE", del)
		h.dc.Dispatch(t, "MESSAGE_DELETE", del)
		h.waitView(cust, r.ID, "the reply withdrawn", func(v core.RequestView) bool {
			return len(v.Messages) == 2 && v.Messages[1].Withdrawn() && v.Messages[1].Body == ""
		})
		h.a.Idle()
		n := map[core.EventType]int{}
		for _, ev := range must[[]core.Event](t)(d.Store.RequestEvents(ctx, r.ID, 0, 100)) {
			n[ev.Type]++
		}
		if n[core.EventEdited] != 2 || n[core.EventWithdrawn] != 1 {
			t.Errorf("%d edits and %d withdrawals logged, want 2 and 1", n[core.EventEdited], n[core.EventWithdrawn])
		}

		// The other way.
		cm := must[core.Message](t)(d.Engine.PostMessage(ctx, cust, r.ID, core.Post{Body: "It is an HP LaserJet 1020."}))
		am := must[core.Message](t)(d.Engine.PostMessage(ctx, alice, r.ID, core.Post{Body: "Try the **new** driver."}))
		h.waitThread(thread, "(customer): It is an HP LaserJet 1020.")
		h.waitThread(thread, "Try the **new** driver.")
		custID, aliceID := lineID(h, thread, "LaserJet"), lineID(h, thread, "driver")
		must[core.Message](t)(d.Engine.EditMessage(ctx, cust, cm.ID, core.Edit{Body: "It is an HP LaserJet 1022.",
			Key: core.Idempotency{Source: "widget", ExternalID: "edit-1"}}))
		must[core.Message](t)(d.Engine.WithdrawMessage(ctx, alice, am.ID, core.Idempotency{Source: "console", ExternalID: "w-1"}))
		h.dc.Wait(t, "both lines edited", func(calls []discordtest.Call) bool {
			return len(edits(calls, custID)) == 1 && len(edits(calls, aliceID)) == 1
		})
		if got := edits(h.dc.Calls(), custID)[0]; !strings.Contains(got, "(customer): It is an HP LaserJet 1022. *(edited)*") {
			t.Errorf("the customer's line reads %q", got)
		}
		if got := edits(h.dc.Calls(), aliceID)[0]; !strings.Contains(got, "~~Try the new driver.~~ *(withdrawn by Alice") {
			t.Errorf("Alice's line reads %q", got)
		}
		if got := edits(h.dc.Calls(), "1180000000000000777"); len(got) != 0 {
			t.Errorf("Alice's own message was edited: %q", got)
		}
	})
}

// lineID is the ID of the message posted in thread containing want.
func lineID(h *harness, thread, want string) string {
	for _, c := range h.dc.Calls("createMessage") {
		if !c.Failed && c.Channel == thread && strings.Contains(c.Content(), want) {
			return c.ID
		}
	}
	h.t.Fatalf("no thread message says %q", want)
	return ""
}

// edits lists the contents message id was edited to.
func edits(calls []discordtest.Call, id string) []string {
	var out []string
	for _, c := range calls {
		if c.Route == "editMessage" && !c.Failed && c.Message == id {
			out = append(out, c.Content())
		}
	}
	return out
}
