package telegram_test

import (
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/testwait"
)

// TestTypingShown: a technician typing in the request's chat shows the
// Telegram customer "typing…".
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
		// The relay subscribes once this process leads it, which on
		// PostgreSQL may come after the first signal: Alice types on (the
		// engine lets a signal through every two seconds) until Tess sees it.
		testwait.Eventually(t, "typing shown to Tess", func() bool {
			if err := e.Typing(ctx, alice, id); err != nil {
				t.Fatal(err)
			}
			for _, c := range h.tg.Calls("sendChatAction") {
				if c.Chat() == chat && c.Fields["action"] == "typing" {
					return true
				}
			}
			return false
		})
	})
}
