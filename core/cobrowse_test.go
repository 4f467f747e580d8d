package core_test

import (
	"context"
	"slices"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestCobrowse walks co-browsing from the owner's ask to the customer's
// Stop, and checks who CobrowseSession lets take part at each step.
func TestCobrowse(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		ctx := context.Background()
		d := storetest.NewDesk(t, newStore(t))
		e := d.Engine
		alice, bob := storetest.Actor(d.Alice), storetest.Actor(d.Bob)
		o := d.Live(t)
		id, cust := o.Request.ID, core.CustomerActor(o.Participant.ID)
		try(e.InviteTechnician(ctx, alice, id, d.Bob.ID)).must(t)

		if s := try(e.CobrowseSession(ctx, id)).must(t); s.State != core.ScreenNone || s.MayView(d.Alice.ID) {
			t.Fatalf("before the ask: %+v", s)
		}
		r := try(e.RequestCobrowse(ctx, alice, id)).must(t)
		if r.Cobrowse != core.ScreenAsked || slices.Contains(core.OwnerActions(r), core.ActionCobrowse) ||
			!slices.Contains(core.OwnerActions(r), core.ActionCobrowseStop) {
			t.Fatalf("after the ask: cobrowse %q, owner actions %v", r.Cobrowse, core.OwnerActions(r))
		}
		if s := try(e.CobrowseSession(ctx, id)).must(t); s.MayView(d.Alice.ID) || s.MayShare(o.Participant.ID) {
			t.Fatalf("asked is not live: %+v", s)
		}
		r = try(e.AnswerCobrowse(ctx, cust, true)).must(t)
		if r.Cobrowse != core.ScreenLive || r.CobrowseBy != o.Participant.ID || r.Screen != core.ScreenNone {
			t.Fatalf("after consent: %q by %q (screen %q)", r.Cobrowse, r.CobrowseBy, r.Screen)
		}
		s := try(e.CobrowseSession(ctx, id)).must(t)
		if !s.MayShare(o.Participant.ID) || !s.MayView(d.Alice.ID) || !s.MayView(d.Bob.ID) ||
			s.MayView(d.Carol.ID) || s.MayView(d.Dave.ID) || s.MayShare("par_other") {
			t.Fatalf("live session: %+v", s)
		}
		try(e.LeaveChat(ctx, bob, id)).must(t)
		if s := try(e.CobrowseSession(ctx, id)).must(t); s.MayView(d.Bob.ID) || !s.MayView(d.Alice.ID) {
			t.Fatalf("after Bob left: %+v", s)
		}
		r = try(e.StopCobrowse(ctx, cust, "")).must(t)
		if r.Cobrowse != core.ScreenNone || r.CobrowseBy != "" {
			t.Fatalf("after stop: %q by %q", r.Cobrowse, r.CobrowseBy)
		}
		evs := try(e.Events(ctx, alice, id, o.Request.Version, 0)).must(t)
		want := []core.EventType{core.EventInvited, core.EventCobrowseAsked, core.EventCobrowseStarted,
			core.EventTechnicianLeft, core.EventCobrowseStopped}
		if got := eventTypes(evs); !slices.Equal(got, want) {
			t.Fatalf("events\n got %v\nwant %v", got, want)
		}
		// The customer hears of every step of their own consent.
		var seen []core.EventType
		for _, ev := range try(e.Events(ctx, cust, id, o.Request.Version, 0)).must(t) {
			seen = append(seen, ev.Type)
		}
		for _, typ := range []core.EventType{core.EventCobrowseAsked, core.EventCobrowseStarted, core.EventCobrowseStopped} {
			if !slices.Contains(seen, typ) {
				t.Errorf("the customer did not see %s: %v", typ, seen)
			}
		}
	})
}

// TestCobrowseEnds: co-browsing lasts only while the chat is live, under
// the same owner, with the customer in it, and alongside a screen share
// each ends on its own.
func TestCobrowseEnds(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		ctx := context.Background()
		d := storetest.NewDesk(t, newStore(t))
		e := d.Engine
		alice := storetest.Actor(d.Alice)
		for _, tc := range []struct {
			name   string
			end    func(id string, cust core.Actor) error
			reason string
		}{
			{"chat ended", func(id string, _ core.Actor) error { _, err := e.EndChat(ctx, alice, id); return err }, "the chat ended"},
			{"transferred", func(id string, _ core.Actor) error {
				_, err := e.Transfer(ctx, alice, id, d.Bob.ID)
				return err
			}, "the request changed hands"},
			{"unassigned", func(id string, _ core.Actor) error { _, err := e.Unassign(ctx, alice, id); return err }, "the request changed hands"},
			{"closed", func(id string, _ core.Actor) error {
				_, err := e.Close(ctx, alice, id, "done")
				return err
			}, "the request was closed"},
			{"customer left", func(_ string, cust core.Actor) error { return e.Leave(ctx, cust) }, "the customer left"},
			{"owner stopped", func(id string, _ core.Actor) error { _, err := e.StopCobrowse(ctx, alice, id); return err }, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				o := d.Live(t)
				id, cust := o.Request.ID, core.CustomerActor(o.Participant.ID)
				try(e.RequestCobrowse(ctx, alice, id)).must(t)
				try(e.AnswerCobrowse(ctx, cust, true)).must(t)
				if err := tc.end(id, cust); err != nil {
					t.Fatal(err)
				}
				if s := try(e.CobrowseSession(ctx, id)).must(t); s.State != core.ScreenNone || s.MayView(d.Alice.ID) || s.MayShare(o.Participant.ID) {
					t.Fatalf("co-browsing survived: %+v", s)
				}
				evs := try(e.Events(ctx, alice, id, 0, 0)).must(t)
				last := evs[len(evs)-1]
				if last.Type != core.EventCobrowseStopped || last.Data.Note != tc.reason {
					t.Fatalf("last event %s %q, want stopped %q", last.Type, last.Data.Note, tc.reason)
				}
			})
		}

		t.Run("with a screen share", func(t *testing.T) {
			o := d.Live(t)
			id, cust := o.Request.ID, core.CustomerActor(o.Participant.ID)
			try(e.RequestCobrowse(ctx, alice, id)).must(t)
			try(e.AnswerCobrowse(ctx, cust, true)).must(t)
			try(e.RequestScreenShare(ctx, alice, id)).must(t)
			try(e.AnswerScreenShare(ctx, cust, true, core.ScreenInfo{})).must(t)
			r := try(e.StopScreenShare(ctx, cust, "")).must(t)
			if r.Cobrowse != core.ScreenLive {
				t.Fatalf("stopping the screen share stopped co-browsing: %q", r.Cobrowse)
			}
			try(e.AnswerScreenShare(ctx, cust, false, core.ScreenInfo{})) // nobody asked: refused, changes nothing
			try(e.RequestScreenShare(ctx, alice, id)).must(t)
			try(e.AnswerScreenShare(ctx, cust, true, core.ScreenInfo{})).must(t)
			r = try(e.EndChat(ctx, alice, id)).must(t)
			if r.Cobrowse != core.ScreenNone || r.Screen != core.ScreenNone {
				t.Fatalf("after the chat ended: cobrowse %q, screen %q", r.Cobrowse, r.Screen)
			}
		})

		t.Run("declined", func(t *testing.T) {
			o := d.Live(t)
			id, cust := o.Request.ID, core.CustomerActor(o.Participant.ID)
			try(e.RequestCobrowse(ctx, alice, id)).must(t)
			r := try(e.AnswerCobrowse(ctx, cust, false)).must(t)
			if r.Cobrowse != core.ScreenNone {
				t.Fatalf("declined co-browsing is %q", r.Cobrowse)
			}
			try(e.RequestCobrowse(ctx, alice, id)).must(t)
		})
	})
}

// TestCobrowseRefusals: what may not happen changes nothing.
func TestCobrowseRefusals(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		ctx := context.Background()
		d := storetest.NewDesk(t, newStore(t))
		e := d.Engine
		alice, bob, carol := storetest.Actor(d.Alice), storetest.Actor(d.Bob), storetest.Actor(d.Carol)
		o := d.Live(t)
		id, cust := o.Request.ID, core.CustomerActor(o.Participant.ID)
		other := d.Live(t)
		otherCust := core.CustomerActor(other.Participant.ID)
		for _, tc := range []struct {
			name string
			code core.Code
			act  func() error
		}{
			{"answer without an ask", core.CodeInvalidState, func() error { _, err := e.AnswerCobrowse(ctx, cust, true); return err }},
			{"stop with nothing shown", core.CodeInvalidState, func() error { _, err := e.StopCobrowse(ctx, cust, ""); return err }},
			{"owner stops nothing", core.CodeInvalidState, func() error { _, err := e.StopCobrowse(ctx, alice, id); return err }},
			{"a colleague asks", core.CodeForbidden, func() error { _, err := e.RequestCobrowse(ctx, bob, id); return err }},
			{"another company's technician asks", core.CodeForbidden, func() error { _, err := e.RequestCobrowse(ctx, carol, id); return err }},
			{"a technician answers for the customer", core.CodeForbidden, func() error { _, err := e.AnswerCobrowse(ctx, alice, true); return err }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := try(e.ViewRequest(ctx, alice, id)).must(t).Request.Version
				if err := tc.act(); core.ErrorCode(err) != tc.code {
					t.Fatalf("got %v (%s), want %s", err, core.ErrorCode(err), tc.code)
				}
				if after := try(e.ViewRequest(ctx, alice, id)).must(t).Request.Version; after != before {
					t.Fatalf("refused action wrote events: version %d -> %d", before, after)
				}
			})
		}

		try(e.RequestCobrowse(ctx, alice, id)).must(t)
		if _, err := e.RequestCobrowse(ctx, alice, id); core.ErrorCode(err) != core.CodeInvalidState {
			t.Fatalf("asked twice: %v", err)
		}
		if _, err := e.AnswerCobrowse(ctx, otherCust, true); core.ErrorCode(err) != core.CodeInvalidState {
			t.Fatalf("another request's customer answered: %v", err)
		}
		if _, err := e.StopCobrowse(ctx, otherCust, id); core.ErrorCode(err) != core.CodeNotFound {
			t.Fatalf("another request's customer stopped this: %v", err)
		}
		try(e.AnswerCobrowse(ctx, cust, true)).must(t)
		if _, err := e.AnswerCobrowse(ctx, cust, true); core.ErrorCode(err) != core.CodeInvalidState {
			t.Fatalf("answered twice: %v", err)
		}
		if s := try(e.CobrowseSession(ctx, other.Request.ID)).must(t); s.State != core.ScreenNone {
			t.Fatalf("the other request is shown: %+v", s)
		}
	})
}
