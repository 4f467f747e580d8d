package core_test

import (
	"slices"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestInviteCustomer: a technician starts a session and several customers
// join it with the invite code; the first is primary; one leaves.
func TestInviteCustomer(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		e := d.Engine
		alice := storetest.Actor(d.Alice)
		inv := try(e.InviteCustomer(ctx, alice, d.Acme.ID, "VPN setup")).must(t)
		if inv.Request.Status != core.StatusActive || inv.Request.OwnerID != d.Alice.ID || inv.Request.Chat != core.ChatLive {
			t.Fatalf("invite request %+v", inv.Request)
		}
		if _, err := e.InviteCustomer(ctx, storetest.Actor(d.Carol), d.Acme.ID, ""); core.ErrorCode(err) != core.CodeForbidden {
			t.Fatalf("Carol invited to Acme: %v", err)
		}
		if _, err := e.JoinInvite(ctx, core.JoinInvite{Code: "wrong", Email: "a@example.com"}); core.ErrorCode(err) != core.CodeNotFound {
			t.Fatalf("wrong code: %v", err)
		}
		first := try(e.JoinInvite(ctx, core.JoinInvite{Code: inv.Code, Email: "first@example.com", Name: "First",
			Source: core.Source{Channel: "web", Device: "desktop"}})).must(t)
		second := try(e.JoinInvite(ctx, core.JoinInvite{Code: inv.Code, Email: "second@example.com"})).must(t)
		if !first.Participant.Primary || second.Participant.Primary {
			t.Fatal("the first customer to join must be the primary one, and only they")
		}
		r := try(d.Store.Request(ctx, inv.Request.ID)).must(t)
		if r.CustomerEmail != "first@example.com" || r.Source.Channel != "web" {
			t.Fatalf("request customer %q source %+v", r.CustomerEmail, r.Source)
		}
		// A message to one customer reaches only that customer.
		try(e.PostMessage(ctx, alice, r.ID, core.Post{Body: "just for you", To: second.Participant.ID})).must(t)
		try(e.PostMessage(ctx, alice, r.ID, core.Post{Body: "for everyone"})).must(t)
		bodies := func(p core.Participant) []string {
			v := try(e.ViewRequest(ctx, core.CustomerActor(p.ID), p.RequestID)).must(t)
			var out []string
			for _, m := range v.Messages {
				out = append(out, m.Body)
			}
			return out
		}
		if got := bodies(first.Participant); !slices.Equal(got, []string{"for everyone"}) {
			t.Fatalf("first customer sees %q", got)
		}
		if got := bodies(second.Participant); !slices.Equal(got, []string{"just for you", "for everyone"}) {
			t.Fatalf("second customer sees %q", got)
		}
		evs := try(e.Events(ctx, core.CustomerActor(first.Participant.ID), first.Request.ID, 0, 0)).must(t)
		for _, ev := range evs {
			if ev.Data.Body == "just for you" {
				t.Fatal("the first customer's event stream has the second's direct message")
			}
		}

		if err := e.Leave(ctx, core.CustomerActor(second.Participant.ID)); err != nil {
			t.Fatal(err)
		}
		if err := e.Leave(ctx, core.CustomerActor(second.Participant.ID)); core.ErrorCode(err) != core.CodeInvalidState {
			t.Fatalf("left twice: %v", err)
		}
		if _, err := e.PostMessage(ctx, core.CustomerActor(second.Participant.ID), second.Request.ID, core.Post{Body: "back?"}); core.ErrorCode(err) != core.CodeInvalidState {
			t.Fatalf("wrote after leaving: %v", err)
		}
		if _, err := e.PostMessage(ctx, alice, r.ID, core.Post{Body: "x", To: second.Participant.ID}); core.ErrorCode(err) != core.CodeInvalid {
			t.Fatalf("wrote to a customer who left: %v", err)
		}
		try(e.Close(ctx, alice, r.ID, "")).must(t)
		if _, err := e.JoinInvite(ctx, core.JoinInvite{Code: inv.Code, Email: "late@example.com"}); core.ErrorCode(err) != core.CodeInvalidState {
			t.Fatalf("joined a closed session: %v", err)
		}
	})
}

// TestWhoIsNotified: only available technicians with access hear of a new
// request.
func TestWhoIsNotified(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		ts := try(d.Store.AvailableTechnicians(ctx, d.Acme.ID)).must(t)
		var names []string
		for _, x := range ts {
			names = append(names, x.Name)
		}
		if !slices.Equal(names, []string{"Admin", "Alice", "Bob"}) {
			t.Fatalf("notified: %v", names)
		}
	})
}

// TestUnassignKeepsTheChat: a request given back to the queue after its chat
// ended keeps every message, and the next technician continues it.
func TestUnassignKeepsTheChat(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		e := d.Engine
		o := d.Live(t)
		alice, bob := storetest.Actor(d.Alice), storetest.Actor(d.Bob)
		try(e.PostMessage(ctx, alice, o.Request.ID, core.Post{Body: "let me check"})).must(t)
		try(e.EndChat(ctx, alice, o.Request.ID)).must(t)
		r := try(e.Unassign(ctx, alice, o.Request.ID)).must(t)
		if r.Status != core.StatusNew || r.OwnerID != "" {
			t.Fatalf("unassigned %+v", r)
		}
		try(e.AssignToMe(ctx, bob, r.ID)).must(t)
		try(e.JoinChat(ctx, bob, r.ID)).must(t)
		v := try(e.ViewRequest(ctx, bob, r.ID)).must(t)
		if len(v.Messages) != 2 || v.Messages[1].Body != "let me check" {
			t.Fatalf("messages after hand-over: %+v", v.Messages)
		}
	})
}
