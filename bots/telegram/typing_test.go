package telegram_test

import (
	"testing"

	"github.com/relaydesk/relaydesk/bots/telegram/telegramtest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestTypingShown: a technician typing in the request's chat shows the
// Telegram customer "typing…" once (the engine lets one signal through per
// two seconds); the customer's own typing sends the chat nothing.
func TestTypingShown(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		h := newHarness(t, d, options{})
		e, alice := d.Engine, storetest.Actor(d.Alice)
		h.text(1, "Tess here: the printer prints twice.")
		conv, err := e.ConversationOf(ctx, "telegram", "5551234001")
		if err != nil {
			t.Fatal(err)
		}
		id := conv.Request.ID
		must[core.Request](t)(e.AssignToMe(ctx, alice, id))
		must[core.Request](t)(e.JoinChat(ctx, alice, id))
		if err := e.Typing(ctx, core.CustomerActor(conv.Participant.ID), id); err != nil {
			t.Fatal(err)
		}
		if err := e.Typing(ctx, alice, id); err != nil {
			t.Fatal(err)
		}
		e.Typing(ctx, alice, id) // within two seconds: not sent again
		calls := h.tg.Wait(t, "typing shown to Tess", func(calls []telegramtest.Call) bool {
			for _, c := range calls {
				if c.Method == "sendChatAction" && c.Chat() == chat && c.Fields["action"] == "typing" {
					return true
				}
			}
			return false
		})
		n := 0
		for _, c := range calls {
			if c.Method == "sendChatAction" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d chat actions, want 1", n)
		}
	})
}
