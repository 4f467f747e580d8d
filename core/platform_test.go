package core_test

import (
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestConversationOf follows one chat account through its requests: the
// latest one is where its messages go, until it is closed or left.
func TestConversationOf(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		e := d.Engine
		alice := storetest.Actor(d.Alice)
		chat := &core.Identity{Platform: "telegram", ExternalID: "4242"}
		open := func(msg, key string) core.Opened {
			t.Helper()
			return try(e.OpenRequest(ctx, core.OpenRequest{CompanyID: d.Acme.ID, Name: "Tess", Message: msg,
				EmailOptional: true, Identity: chat, Source: core.Source{Channel: "telegram", Language: "de"},
				Key: core.Idempotency{Source: "telegram", ExternalID: key}})).must(t)
		}

		if _, err := e.ConversationOf(ctx, "telegram", "4242"); core.ErrorCode(err) != core.CodeNotFound {
			t.Fatalf("a chat with no request: %v", err)
		}
		first := open("help", "1")
		c := try(e.ConversationOf(ctx, "telegram", "4242")).must(t)
		if c.Request.ID != first.Request.ID || c.Participant.ID != first.Participant.ID || !c.Open() || c.Participant.TokenHash != "" {
			t.Fatalf("conversation %+v", c)
		}
		if id := try(d.Store.IdentityOf(ctx, "telegram", first.Participant.SubjectID)).must(t); id.ExternalID != "4242" {
			t.Fatalf("IdentityOf = %+v", id)
		}
		if _, err := d.Store.IdentityOf(ctx, "slack", first.Participant.SubjectID); core.ErrorCode(err) != core.CodeNotFound {
			t.Fatalf("IdentityOf another platform: %v", err)
		}

		try(e.AssignToMe(ctx, alice, first.Request.ID)).must(t)
		try(e.Close(ctx, alice, first.Request.ID, "")).must(t)
		if c := try(e.ConversationOf(ctx, "telegram", "4242")).must(t); c.Open() || c.Request.ID != first.Request.ID {
			t.Fatalf("after close: open %v, request %s", c.Open(), c.Request.ID)
		}

		second := open("again", "2")
		c = try(e.ConversationOf(ctx, "telegram", "4242")).must(t)
		if c.Request.ID != second.Request.ID || !c.Open() {
			t.Fatalf("after a new request: %+v", c.Request)
		}
		if err := e.Leave(ctx, core.CustomerActor(second.Participant.ID)); err != nil {
			t.Fatal(err)
		}
		if c := try(e.ConversationOf(ctx, "telegram", "4242")).must(t); c.Open() {
			t.Fatal("a request the customer left is still open to them")
		}

		// Joining a technician's invite makes that session the latest one.
		inv := try(e.InviteCustomer(ctx, alice, d.Acme.ID, "")).must(t)
		joined := try(e.JoinInvite(ctx, core.JoinInvite{Code: inv.Code, EmailOptional: true, Identity: chat})).must(t)
		if c := try(e.ConversationOf(ctx, "telegram", "4242")).must(t); c.Request.ID != inv.Request.ID || c.Participant.ID != joined.Participant.ID {
			t.Fatalf("after joining an invite: %+v", c)
		}
	})
}

// TestAddSystemNote: relaydesk's own notes are private, idempotent, and
// possible on closed requests.
func TestAddSystemNote(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		e := d.Engine
		o := d.Live(t)
		alice := storetest.Actor(d.Alice)
		try(e.Close(ctx, alice, o.Request.ID, "")).must(t)
		key := core.Idempotency{Source: "telegram", ExternalID: "blocked:1"}
		m := try(e.AddSystemNote(ctx, o.Request.ID, "the customer blocked the bot", key)).must(t)
		again := try(e.AddSystemNote(ctx, o.Request.ID, "the customer blocked the bot", key)).must(t)
		if again.ID != m.ID || m.AuthorKind != core.ActorSystem || m.AuthorName != core.SystemName || m.Audience != core.AudienceTechnicians {
			t.Fatalf("note %+v, again %+v", m, again)
		}
		v := try(e.ViewRequest(ctx, alice, o.Request.ID)).must(t)
		notes := 0
		for _, x := range v.Messages {
			if x.Body == "the customer blocked the bot" {
				notes++
			}
		}
		if notes != 1 {
			t.Fatalf("%d notes stored, want 1", notes)
		}
		cv := try(e.ViewRequest(ctx, core.CustomerActor(o.Participant.ID), o.Request.ID)).must(t)
		for _, x := range cv.Messages {
			if x.AuthorKind == core.ActorSystem {
				t.Fatal("the customer sees a system note")
			}
		}
		if _, err := e.AddSystemNote(ctx, "req_nope", "x", core.Idempotency{}); core.ErrorCode(err) != core.CodeNotFound {
			t.Fatalf("note on a missing request: %v", err)
		}
		if _, err := e.AddSystemNote(ctx, o.Request.ID, "  ", core.Idempotency{}); core.ErrorCode(err) != core.CodeInvalid {
			t.Fatalf("empty note: %v", err)
		}
	})
}

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
