package bots_test

import (
	"context"
	"testing"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/bots/discord"
	"github.com/relaydesk/relaydesk/bots/slack"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// Slack and Discord let the dispatcher skip what they would not show.
var (
	_ dispatch.Selective = (*slack.Adapter)(nil)
	_ dispatch.Selective = (*discord.Adapter)(nil)
)

// TestTechnicianWants: a technician platform wants every event of a
// company with a queue channel there, and the opening of every request
// (the notices to technicians), but nothing else of a company without one.
func TestTechnicianWants(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := storetest.NewDesk(t, storetest.SQLite(t))
	if _, err := d.Engine.BindChannel(ctx, core.SystemActor(), "slack", d.Acme.ID, "C1"); err != nil {
		t.Fatal(err)
	}
	acme := d.Open(t, d.Acme, "a@example.com", "hello")
	globex := d.Open(t, d.Globex, "g@example.com", "hello")
	for _, c := range []struct {
		platform string
		o        core.Opened
		typ      core.EventType
		want     bool
	}{
		{"slack", acme, core.EventCreated, true},
		{"slack", acme, core.EventMessage, true},
		{"slack", globex, core.EventCreated, true},
		{"slack", globex, core.EventMessage, false},
		{"discord", acme, core.EventMessage, false}, // bound in Slack only
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
			if got, err := bots.TechnicianWants(ctx, d.Store, c.platform, ev); err != nil || got != c.want {
				t.Errorf("%s, %s event of company %s: wanted %v (%v), want %v", c.platform, c.typ, ev.CompanyID, got, err, c.want)
			}
		}
		if !found {
			t.Fatalf("no %s event in request %s", c.typ, c.o.Request.ID)
		}
	}
}
