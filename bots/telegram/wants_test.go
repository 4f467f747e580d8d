package telegram_test

import (
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestWants: the dispatcher keeps conversations only for what a Telegram
// customer may see: a web customer's request and technicians' notes are
// none of the bot's business.
func TestWants(t *testing.T) {
	t.Parallel()
	d := storetest.NewDesk(t, storetest.SQLite(t))
	e, alice := d.Engine, storetest.Actor(d.Alice)
	h := newHarness(t, d, options{noDispatch: true})
	var _ dispatch.Selective = h.a

	h.text(1, "my printer is on fire")
	tg := h.conversation().Request
	web := d.Open(t, d.Acme, "wendy@example.com", "from the widget")
	for _, r := range []core.Request{tg, web.Request} {
		must[core.Request](t)(e.AssignToMe(ctx, alice, r.ID))
		must[core.Request](t)(e.JoinChat(ctx, alice, r.ID))
		must[core.Message](t)(e.PostMessage(ctx, alice, r.ID, core.Post{Body: "on it"}))
		must[core.Message](t)(e.AddNote(ctx, alice, r.ID, core.Note{Body: "between us"}))
	}
	for _, c := range []struct {
		request string
		typ     core.EventType
		want    bool
	}{
		{tg.ID, core.EventJoined, true},
		{tg.ID, core.EventMessage, true},
		{tg.ID, core.EventNote, false},
		{web.Request.ID, core.EventJoined, false},
		{web.Request.ID, core.EventMessage, false},
		{web.Request.ID, core.EventNote, false},
	} {
		evs, err := d.Store.RequestEvents(ctx, c.request, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, ev := range evs {
			if ev.Type != c.typ {
				continue
			}
			found = true
			got, err := h.a.Wants(ctx, ev)
			if err != nil || got != c.want {
				t.Errorf("%s event of the %s request: wanted %v (%v), want %v", c.typ, map[bool]string{true: "Telegram", false: "web"}[c.request == tg.ID], got, err, c.want)
			}
		}
		if !found {
			t.Fatalf("no %s event in request %s", c.typ, c.request)
		}
	}
}
