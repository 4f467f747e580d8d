package slack_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// endsChat is the desk's store, except that right after the first time a
// technician's request is looked up outside a transaction, the chat is
// ended from elsewhere: its owner ends it in the console at the moment a
// reply arrives in the thread.
type endsChat struct {
	core.Store
	armed atomic.Bool
	once  sync.Once
	end   func()
}

func (s *endsChat) TechnicianRequest(ctx context.Context, technicianID, requestID string) (core.Technician, core.Request, bool, error) {
	t, r, ok, err := s.Store.TechnicianRequest(ctx, technicianID, requestID)
	if s.armed.Load() {
		s.once.Do(s.end)
	}
	return t, r, ok, err
}

// TestReplyWhileTheChatEnds: a thread reply is stored by the rule that
// holds when it is stored, never lost: when the chat ends as it arrives,
// it reaches the customer if it was stored first, and is kept as a private
// note otherwise.
func TestReplyWhileTheChatEnds(t *testing.T) {
	d := storetest.NewDesk(t, storetest.SQLite(t))
	alice := storetest.Actor(d.Alice)
	var requestID string
	st := &endsChat{Store: d.Store, end: func() {
		if _, err := d.Engine.EndChat(ctx, alice, requestID); err != nil {
			t.Errorf("end the chat: %v", err)
		}
	}}
	eng := core.NewEngine(core.Config{Store: st, Blobs: d.Blobs})
	h := newHarness(t, d, options{engine: eng})
	o := d.Live(t)
	requestID = o.Request.ID
	cardTS := h.card(1001)
	h.waitThread(cardTS, "Alice joined the chat")
	st.armed.Store(true)

	h.reply(aliceU, cardTS, "1767225800.000100", "The new driver is on its way.")

	v, err := d.Engine.ViewRequest(ctx, alice, o.Request.ID)
	if err != nil {
		t.Fatal(err)
	}
	stored := false
	for _, m := range v.Messages {
		stored = stored || m.Body == "The new driver is on its way."
	}
	if !stored {
		t.Error("the reply is stored nowhere, not even as a note")
	}
	for _, c := range h.sl.Calls("chat.postEphemeral") {
		if strings.Contains(c.Fields["text"], "not passed on") {
			t.Errorf("Alice was told: %s", c.Fields["text"])
		}
	}
}
