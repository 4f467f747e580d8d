package slack_test

import (
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestWants: the dispatcher keeps conversations for every event of a
// company with a queue channel, and for the opening of every request (the
// notices to technicians), but none for the rest of a company that has no
// channel in this workspace.
func TestWants(t *testing.T) {
	t.Parallel()
	d := storetest.NewDesk(t, storetest.SQLite(t))
	h := newHarness(t, d, options{noDispatch: true}) // binds Acme only
	var _ dispatch.Selective = h.a
	acme := d.Open(t, d.Acme, "a@example.com", "hello")
	globex := d.Open(t, d.Globex, "g@example.com", "hello")
	for _, c := range []struct {
		o    core.Opened
		typ  core.EventType
		want bool
	}{
		{acme, core.EventCreated, true},
		{acme, core.EventMessage, true},
		{globex, core.EventCreated, true},
		{globex, core.EventMessage, false},
	} {
		evs, err := d.Store.RequestEvents(ctx, c.o.Request.ID, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, ev := range evs {
			if ev.Type != c.typ {
				continue
			}
			found = true
			if got, err := h.a.Wants(ctx, ev); err != nil || got != c.want {
				t.Errorf("%s event of company %s: wanted %v (%v), want %v", c.typ, ev.CompanyID, got, err, c.want)
			}
		}
		if !found {
			t.Fatalf("no %s event in request %s", c.typ, c.o.Request.ID)
		}
	}
}
