package core_test

import (
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestBindChannel: only admins bind; a company has one queue channel per
// platform and a channel is one company's queue, so binding moves either
// side away from its former partner; refusals change nothing.
func TestBindChannel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		s := newStore(t)
		d := storetest.NewDesk(t, s)
		e, admin := d.Engine, storetest.Actor(d.Admin)
		channel := func(platform, companyID string) string {
			t.Helper()
			ch, err := s.QueueChannel(ctx, platform, companyID)
			if core.ErrorCode(err) == core.CodeNotFound {
				return ""
			} else if err != nil {
				t.Fatal(err)
			}
			return ch
		}
		before := storetest.Snapshot(t, s)
		for _, tt := range []struct {
			name          string
			by            core.Actor
			company, chnl string
			code          core.Code
		}{
			{"a technician", storetest.Actor(d.Alice), d.Acme.ID, "C1", core.CodeForbidden},
			{"an unknown company", admin, "cmp_nope", "C1", core.CodeNotFound},
			{"no channel", admin, d.Acme.ID, " ", core.CodeInvalid},
		} {
			if _, err := e.BindChannel(ctx, tt.by, "slack", tt.company, tt.chnl); core.ErrorCode(err) != tt.code {
				t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
			}
		}
		if after := storetest.Snapshot(t, s); after != before {
			t.Fatalf("refused bindings changed the database:\n%s\n---\n%s", before, after)
		}

		try(e.BindChannel(ctx, admin, "slack", d.Acme.ID, "C1")).must(t)
		try(e.BindChannel(ctx, admin, "discord", d.Acme.ID, "C1")).must(t) // another platform's C1
		try(e.BindChannel(ctx, core.SystemActor(), "slack", d.Globex.ID, "C1")).must(t)
		if got := channel("slack", d.Acme.ID); got != "" {
			t.Errorf("Acme kept Slack channel %q after Globex took it", got)
		}
		if co, err := s.ChannelCompany(ctx, "slack", "C1"); err != nil || co != d.Globex.ID {
			t.Errorf("Slack C1 is the queue of %q (%v), want Globex", co, err)
		}
		if got := channel("discord", d.Acme.ID); got != "C1" {
			t.Errorf("Acme's Discord channel is %q, want C1", got)
		}
		try(e.BindChannel(ctx, admin, "slack", d.Globex.ID, "C2")).must(t)
		if _, err := s.ChannelCompany(ctx, "slack", "C1"); core.ErrorCode(err) != core.CodeNotFound {
			t.Errorf("C1 is still a queue after Globex moved to C2: %v", err)
		}
	})
}
