package telegram_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/bots/telegram/telegramtest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// edited is fixture name as an edited_message: the message, changed by
// set, as Telegram sends it when its author edits it.
func edited(tb testing.TB, name string, id int64, set map[string]any) []byte {
	tb.Helper()
	var u map[string]any
	if err := json.Unmarshal(fixture(tb, name, id, set), &u); err != nil {
		tb.Fatal(err)
	}
	m, ok := u["message"].(map[string]any)
	if ok {
		delete(u, "message")
		u["edited_message"] = m
	}
	m, _ = u["edited_message"].(map[string]any)
	m["edit_date"] = m["date"].(float64) + 60
	out, err := json.Marshal(u)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestCustomerEdits: Tess edits what she wrote, within the engine's 15
// minutes: her message (a text, a photo's caption) is edited, every
// version kept for the technicians, and the edit appended as chat.edited
// for the other surfaces; an update Telegram delivers again adds no
// version. After 15 minutes, or for what relaydesk did not keep as a
// message of hers, she is told that the message can no longer be changed,
// and nothing changes. Edits of what relaydesk never relayed (a live
// location) are ignored.
func TestCustomerEdits(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		clk := &clock{}
		d.Engine = core.NewEngine(core.Config{Store: d.Store, Blobs: d.Blobs, Clock: clk.now})
		h := newHarness(t, d, options{noDispatch: true, webhook: secret})
		e, alice := d.Engine, storetest.Actor(d.Alice)
		mux := http.NewServeMux()
		h.a.Mount(mux.Handle)
		srv := httptest.NewServer(mux)
		defer srv.Close()
		post := func(update []byte) {
			t.Helper()
			if got := telegramtest.PostUpdate(t, srv.URL+"/telegram/webhook", secret, update); got != http.StatusOK {
				t.Fatalf("the webhook answered %d", got)
			}
		}

		post(fixture(t, "text.json", 1, map[string]any{"text": "My printer prints everything twice.", "message_id": 1}))
		post(fixture(t, "text.json", 2, map[string]any{"text": "It is an HP.", "message_id": 2}))
		h.tg.AddFile("AgACAgIAAxkBAAIBsmXphoto-x", "photos/file_7.jpg", jpegBytes(t))
		post(fixture(t, "photo.json", 3, nil)) // message_id 18, "This is what it prints."
		r := h.conversation().Request
		must[core.Request](t)(e.AssignToMe(ctx, alice, r.ID))
		sent := len(h.tg.Calls("sendMessage"))
		view := func() []core.Message {
			t.Helper()
			return must[core.RequestView](t)(e.ViewRequest(ctx, alice, r.ID)).Messages
		}
		second := view()[1]
		if second.Body != "It is an HP." {
			t.Fatalf("the second message is %q", second.Body)
		}

		// Within 15 minutes: an edit, with its formatting.
		clk.add(14 * time.Minute)
		fix := edited(t, "text.json", 4, map[string]any{"message_id": 2, "text": "It is a Canon.",
			"entities": []map[string]any{{"type": "bold", "offset": 8, "length": 5}}})
		post(fix)
		ms := view()
		if got := ms[1]; got.ID != second.ID || got.Body != "It is a **Canon**." || got.Version != 2 || !got.Edited() {
			t.Fatalf("after the edit the message is %+v", got)
		}
		var bodies []string
		for _, v := range must[[]core.MessageVersion](t)(e.MessageVersions(ctx, alice, second.ID)) {
			bodies = append(bodies, v.Body)
		}
		if want := []string{"It is an HP.", "It is a **Canon**."}; !slices.Equal(bodies, want) {
			t.Errorf("versions %q, want %q", bodies, want)
		}
		ev := h.event(r.ID, core.EventEdited, second.ID)
		if ev.Data.Body != "It is a **Canon**." || ev.Data.Version != 2 || ev.Actor.Kind != core.ActorCustomer ||
			ev.Data.Origin == nil || *ev.Data.Origin != (core.Idempotency{Source: "telegram", ExternalID: "123456789:4:edit"}) {
			t.Errorf("the chat.edited event %+v (origin %+v)", ev, ev.Data.Origin)
		}
		if n := len(h.tg.Calls("sendMessage")); n != sent {
			t.Errorf("an accepted edit was answered: %s", telegramtest.Describe(h.tg.Calls("sendMessage")[sent:]))
		}

		// Telegram delivers the update again: no second version.
		snap := storetest.Snapshot(t, d.Store)
		post(fix)
		if got := storetest.Snapshot(t, d.Store); got != snap {
			t.Fatalf("the update delivered again changed the database:\nbefore\n%s\nafter\n%s", snap, got)
		}

		// A photo's caption is a message of its own: edited.
		post(edited(t, "photo.json", 5, map[string]any{"caption": "This is what it prints on page 2."}))
		if got := view(); got[3].Body != "This is what it prints on page 2." || got[3].Version != 2 || got[2].FileID == "" {
			t.Errorf("after the caption's edit: %q, %q", got[2].Body, got[3].Body)
		}

		// After 15 minutes: refused, explained, nothing changed.
		clk.add(2 * time.Minute)
		snap = storetest.Snapshot(t, d.Store)
		post(edited(t, "text.json", 6, map[string]any{"message_id": 2, "text": "It is a Brother."}))
		h.next = sent
		h.waitSent("That message can no longer be changed (messages can be edited for 15 minutes after sending, while the request is open)")
		if got := storetest.Snapshot(t, d.Store); got != snap {
			t.Fatalf("a late edit changed the database:\nbefore\n%s\nafter\n%s", snap, got)
		}

		// What relaydesk did not store as her message (a command), or a
		// file without a caption, is no message to edit either.
		post(edited(t, "text.json", 7, map[string]any{"message_id": 40, "text": "/status please"}))
		h.waitSent("That message can no longer be changed")
		if got := storetest.Snapshot(t, d.Store); got != snap {
			t.Fatalf("an edit of a command changed the database:\nbefore\n%s\nafter\n%s", snap, got)
		}

		// A live location moving is an edit too: nothing to answer.
		n := len(h.tg.Calls("sendMessage"))
		post(edited(t, "text.json", 8, map[string]any{"message_id": 41, "text": nil,
			"location": map[string]any{"latitude": 48.2, "longitude": 16.37, "live_period": 900}}))
		if got := h.tg.Calls("sendMessage"); len(got) != n {
			t.Errorf("a live location's update was answered: %s", telegramtest.Describe(got[n:]))
		}
		for _, b := range h.bodies(r.ID) {
			if strings.Contains(b, "(edited)") {
				t.Errorf("an edit came as a message: %q", b)
			}
		}
	})
}

// TestCustomerEditRelayed: an edit Tess makes reaches the other surfaces
// through chat.edited, but not her own chat, where Telegram shows it
// already; a second Telegram customer of the request sees their copy of
// her message edited.
func TestCustomerEditRelayed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		h := newHarness(t, d, options{})
		e, alice := d.Engine, storetest.Actor(d.Alice)
		const theo = 5551234002
		inv := must[core.Invited](t)(e.InviteCustomer(ctx, alice, d.Acme.ID, "Printer"))
		h.say("start_deeplink.json", 1, map[string]any{"text": "/start " + inv.Code, "message_id": 1,
			"from": map[string]any{"id": theo, "is_bot": false, "first_name": "Theo", "language_code": "en"},
			"chat": map[string]any{"id": theo, "first_name": "Theo", "type": "private"}})
		h.text(2, "/start "+inv.Code)
		h.waitSent("You joined support session #1001 with Acme.")

		h.text(3, "It is an HP.")
		theos := func() []telegramtest.Message { return h.tg.Messages(theo) }
		var copyOf telegramtest.Message
		h.tg.Wait(t, "Theo to get Tess's message", func([]telegramtest.Call) bool {
			for _, m := range theos() {
				if m.Text == "Tess Tester: It is an HP." {
					copyOf = m
					return true
				}
			}
			return false
		})
		h.say("edited_message.json", 4, map[string]any{"message_id": 3, "text": "It is a Canon."})
		h.tg.Wait(t, "Theo's copy edited", func([]telegramtest.Call) bool {
			m, _ := h.tg.Message(theo, copyOf.ID)
			return m.Text == "Tess Tester: It is a Canon."
		})
		for _, c := range h.tg.Calls("editMessageText") {
			if c.Chat() == chat {
				t.Errorf("Tess's own message was edited by the bot: %v", c.Fields)
			}
		}
	})
}
