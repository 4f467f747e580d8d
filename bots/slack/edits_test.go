package slack_test

import (
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/bots/slack/slacktest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/testwait"
)

// TestEditsBothWays: an edit of a technician's reply in the thread edits
// the message the customer has, a note's edit stays a note, a deleted
// reply is withdrawn; Slack delivering any of them again changes nothing.
// The other way, an edit or withdrawal made elsewhere edits the thread line
// relaydesk posted for the message (chat.update), never deletes it.
func TestEditsBothWays(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		h := newHarness(t, d, options{})
		o := d.Open(t, d.Acme, "tess@example.com", "The printer jams.")
		r, cust, alice := o.Request, core.CustomerActor(o.Participant.ID), storetest.Actor(d.Alice)
		cardTS := h.card(1001)
		h.click(aliceU, string(core.ActionAssign), r.ID)
		h.click(aliceU, string(core.ActionJoin), r.ID)
		h.waitThread(cardTS, "Alice joined the chat")

		const (
			reply = "1767225700.000100"
			note  = "1767225700.000200"
		)
		retry := []string{"X-Slack-Retry-Num", "1", "X-Slack-Retry-Reason", "http_timeout"}
		h.reply(aliceU, cardTS, reply, "Hi Tess, Alice here.")
		h.reply(aliceU, cardTS, note, "!note PRIVATE-ALICE: out of warranty")
		edit := func(ts, text, editedTS, eventID string, header ...string) {
			h.t.Helper()
			h.event("message_changed.json", map[string]any{"event.message.ts": ts, "event.message.thread_ts": cardTS,
				"event.message.text": text, "event.message.edited.ts": editedTS, "event_id": eventID}, header...)
		}
		edit(reply, "Hi Tess, Alice from Acme here.", "1767225800.000000", "EvEdit1")
		edit(reply, "Hi Tess, Alice from Acme here.", "1767225800.000000", "EvEdit1", retry...)
		edit(note, "PRIVATE-ALICE: out of warranty since May", "1767225800.000001", "EvEdit2")

		v := must[core.RequestView](t)(d.Engine.ViewRequest(ctx, cust, r.ID))
		if len(v.Messages) != 2 || v.Messages[1].Body != "Hi Tess, Alice from Acme here." || v.Messages[1].Version != 2 {
			t.Fatalf("the customer sees %+v", v.Messages)
		}
		tv := must[core.RequestView](t)(d.Engine.ViewRequest(ctx, alice, r.ID))
		var noteMsg core.Message
		for _, m := range tv.Messages {
			if m.Audience == core.AudienceTechnicians && m.AuthorKind == core.ActorTechnician {
				noteMsg = m
			}
		}
		if noteMsg.Body != "PRIVATE-ALICE: out of warranty since May" {
			t.Errorf("the note reads %+v", noteMsg)
		}
		vs := must[[]core.MessageVersion](t)(d.Engine.MessageVersions(ctx, alice, v.Messages[1].ID))
		if len(vs) != 2 || vs[0].Body != "Hi Tess, Alice here." {
			t.Errorf("versions %+v, want the original and the edit", vs)
		}

		// Alice deletes her reply; Slack delivers it twice.
		del := map[string]any{"event.deleted_ts": reply, "event.previous_message.ts": reply, "event.previous_message.subtype": "",
			"event.previous_message.thread_ts": cardTS, "event.previous_message.text": "Hi Tess, Alice from Acme here."}
		h.event("message_deleted.json", del)
		h.event("message_deleted.json", del, retry...)
		v = must[core.RequestView](t)(d.Engine.ViewRequest(ctx, cust, r.ID))
		if m := v.Messages[1]; !m.Withdrawn() || m.Body != "" {
			t.Errorf("the customer still has %+v", m)
		}
		evs := must[[]core.Event](t)(d.Store.RequestEvents(ctx, r.ID, 0, 100))
		n := map[core.EventType]int{}
		for _, ev := range evs {
			n[ev.Type]++
		}
		if n[core.EventEdited] != 2 || n[core.EventWithdrawn] != 1 {
			t.Errorf("%d edits and %d withdrawals logged, want 2 and 1", n[core.EventEdited], n[core.EventWithdrawn])
		}
		if told := h.ephemerals(aliceU); len(told) != 0 {
			t.Errorf("Alice was told %q", told)
		}

		// The other way: the customer's message, edited in the widget, and
		// Alice's console message, withdrawn there.
		cm := must[core.Message](t)(d.Engine.PostMessage(ctx, cust, r.ID, core.Post{Body: "It is an HP LaserJet 1020."}))
		am := must[core.Message](t)(d.Engine.PostMessage(ctx, alice, r.ID, core.Post{Body: "Try the **new** driver."}))
		h.waitThread(cardTS, "(customer): It is an HP LaserJet 1020.")
		h.waitThread(cardTS, "Try the *new* driver.")
		custTS, aliceTS := lineTS(h, cardTS, "LaserJet"), lineTS(h, cardTS, "driver")
		must[core.Message](t)(d.Engine.EditMessage(ctx, cust, cm.ID, core.Edit{Body: "It is an HP LaserJet 1022.",
			Key: core.Idempotency{Source: "widget", ExternalID: "edit-1"}}))
		must[core.Message](t)(d.Engine.WithdrawMessage(ctx, alice, am.ID, core.Idempotency{Source: "console", ExternalID: "w-1"}))
		h.sl.Wait(t, "both lines edited", func(calls []slacktest.Call) bool {
			return len(updates(calls, custTS)) == 1 && len(updates(calls, aliceTS)) == 1
		})
		if got := updates(h.sl.Calls(), custTS)[0]; !strings.Contains(got, "(customer): It is an HP LaserJet 1022. _(edited)_") {
			t.Errorf("the customer's line reads %q", got)
		}
		if got := updates(h.sl.Calls(), aliceTS)[0]; !strings.Contains(got, "~Try the new driver.~ _(withdrawn by Alice") {
			t.Errorf("Alice's line reads %q", got)
		}
		if dels := h.sl.Calls("chat.delete"); len(dels) != 0 {
			t.Errorf("relaydesk deleted %d lines", len(dels))
		}
		// Alice's reply, written in the thread, has no line of relaydesk's
		// to edit.
		if got := updates(h.sl.Calls(), reply); len(got) != 0 {
			t.Errorf("Alice's own reply was edited: %q", got)
		}

		// Once the request is closed, what the customer has stays: Alice is
		// told, only her.
		const late = "1767225700.000300"
		h.reply(aliceU, cardTS, late, "Unplug it, please.")
		h.click(aliceU, string(core.ActionClose), r.ID)
		h.waitCard(cardTS, "Completed")
		edit(late, "Unplug it now, please.", "1767226000.000000", "EvEdit3")
		h.event("message_deleted.json", map[string]any{"event.deleted_ts": late, "event.previous_message.ts": late,
			"event.previous_message.subtype": "", "event.previous_message.thread_ts": cardTS, "event.previous_message.text": "Unplug it, please."})
		testwait.Eventually(t, "Alice told twice", func() bool { return len(h.ephemerals(aliceU)) == 2 })
		told := h.ephemerals(aliceU)
		if !strings.Contains(told[0], "Your edit was not passed on") || !strings.Contains(told[1], "The customer still has the message you deleted") {
			t.Errorf("Alice was told %q", told)
		}
		v = must[core.RequestView](t)(d.Engine.ViewRequest(ctx, cust, r.ID))
		if m := v.Messages[len(v.Messages)-1]; m.Body != "Unplug it, please." || m.Withdrawn() {
			t.Errorf("the customer's last message is %+v", m)
		}
	})
}

// lineTS is the ts of the thread post under cardTS containing want.
func lineTS(h *harness, cardTS, want string) string {
	for _, c := range h.sl.Calls("chat.postMessage") {
		if !c.Failed && c.Fields["thread_ts"] == cardTS && strings.Contains(c.Fields["text"], want) {
			return c.TS
		}
	}
	h.t.Fatalf("no thread post says %q", want)
	return ""
}

// updates lists the texts chat.update gave the message ts.
func updates(calls []slacktest.Call, ts string) []string {
	var out []string
	for _, c := range calls {
		if c.Method == "chat.update" && !c.Failed && c.Fields["ts"] == ts {
			out = append(out, c.Fields["text"])
		}
	}
	return out
}

// TestEditOfADeletedLine: a line relaydesk posted that someone deleted
// from the thread is left so when its message is edited; the next line's
// edit goes on.
func TestEditOfADeletedLine(t *testing.T) {
	t.Parallel()
	d := storetest.NewDesk(t, storetest.SQLite(t))
	logs := &logBuffer{}
	h := newHarness(t, d, options{logs: logs})
	o := d.Open(t, d.Acme, "tess@example.com", "The printer jams.")
	r, cust := o.Request, core.CustomerActor(o.Participant.ID)
	cardTS := h.card(1001)
	one := must[core.Message](t)(d.Engine.PostMessage(ctx, cust, r.ID, core.Post{Body: "Line one."}))
	two := must[core.Message](t)(d.Engine.PostMessage(ctx, cust, r.ID, core.Post{Body: "Line two."}))
	h.waitThread(cardTS, "(customer): Line two.")
	twoTS := lineTS(h, cardTS, "Line two.")
	h.sl.Fail("chat.update", slacktest.Failure{Error: "message_not_found"})
	for i, m := range []core.Message{one, two} {
		must[core.Message](t)(d.Engine.EditMessage(ctx, cust, m.ID, core.Edit{Body: m.Body + " Edited.",
			Key: core.Idempotency{Source: "widget", ExternalID: "edit-" + m.ID + itoa(int64(i))}}))
	}
	h.sl.Wait(t, "line two edited", func(calls []slacktest.Call) bool { return len(updates(calls, twoTS)) == 1 })
	testwait.Eventually(t, "the deleted line logged", func() bool {
		return strings.Contains(logs.String(), "a line to edit was deleted from the thread")
	})
}
