package core_test

import (
	"context"
	"slices"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestScreenShare walks a share from the owner's ask to the customer's
// Stop, and checks who ScreenSession lets take part at each step.
func TestScreenShare(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		ctx := context.Background()
		d := storetest.NewDesk(t, newStore(t))
		e := d.Engine
		alice, bob := storetest.Actor(d.Alice), storetest.Actor(d.Bob)
		o := d.Live(t)
		id, cust := o.Request.ID, core.CustomerActor(o.Participant.ID)
		try(e.InviteTechnician(ctx, alice, id, d.Bob.ID)).must(t)

		if s := try(e.ScreenSession(ctx, id)).must(t); s.Live || s.MayTechnician(d.Alice.ID) {
			t.Fatalf("before the ask: %+v", s)
		}
		r := try(e.RequestScreenShare(ctx, alice, id)).must(t)
		if r.Screen != core.ScreenAsked || slices.Contains(core.OwnerActions(r), core.ActionScreenShare) ||
			!slices.Contains(core.OwnerActions(r), core.ActionScreenStop) {
			t.Fatalf("after the ask: screen %q, owner actions %v", r.Screen, core.OwnerActions(r))
		}
		if s := try(e.ScreenSession(ctx, id)).must(t); s.MayTechnician(d.Alice.ID) || s.MayCustomer(o.Participant.ID) {
			t.Fatalf("asked is not live: %+v", s)
		}
		info := core.ScreenInfo{Width: 1920, Height: 1080, DPR: 1.25, Browser: "Chrome 131", OS: "Windows 11"}
		r = try(e.AnswerScreenShare(ctx, cust, true, info)).must(t)
		if r.Screen != core.ScreenLive || r.ScreenBy != o.Participant.ID {
			t.Fatalf("after consent: %q by %q", r.Screen, r.ScreenBy)
		}
		s := try(e.ScreenSession(ctx, id)).must(t)
		if !s.MayCustomer(o.Participant.ID) || !s.MayTechnician(d.Alice.ID) || !s.MayTechnician(d.Bob.ID) ||
			s.MayTechnician(d.Carol.ID) || s.MayTechnician(d.Dave.ID) || s.MayCustomer("par_other") {
			t.Fatalf("live session: %+v", s)
		}
		if err := e.ScreenViewed(ctx, bob, id); err != nil {
			t.Fatal(err)
		}
		// Bob leaves: he may watch no more.
		try(e.LeaveChat(ctx, bob, id)).must(t)
		if s := try(e.ScreenSession(ctx, id)).must(t); s.MayTechnician(d.Bob.ID) || !s.MayTechnician(d.Alice.ID) {
			t.Fatalf("after Bob left: %+v", s)
		}
		r = try(e.StopScreenShare(ctx, cust, "")).must(t)
		if r.Screen != core.ScreenNone || r.ScreenBy != "" {
			t.Fatalf("after stop: %q by %q", r.Screen, r.ScreenBy)
		}

		evs := try(e.Events(ctx, alice, id, o.Request.Version, 0)).must(t)
		want := []core.EventType{core.EventInvited, core.EventScreenShareAsked, core.EventScreenStarted,
			core.EventScreenViewed, core.EventTechnicianLeft, core.EventScreenStopped}
		if got := eventTypes(evs); !slices.Equal(got, want) {
			t.Fatalf("events\n got %v\nwant %v", got, want)
		}
		if got := evs[2].Data.Screen; got == nil || *got != info {
			t.Errorf("started event's screen %+v", got)
		}
		// Who watched is for technicians only.
		for _, ev := range try(e.Events(ctx, cust, id, 0, 0)).must(t) {
			if ev.Type == core.EventScreenViewed {
				t.Error("the customer sees who watched")
			}
		}
	})
}

// TestScreenShareEnds: a share lasts only while the chat is live, under
// the same owner, with the sharing customer in it; a decline shares nothing.
func TestScreenShareEnds(t *testing.T) {
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
			{"customer left", func(_ string, cust core.Actor) error { return e.Leave(ctx, cust) }, "the customer left"},
			{"owner stopped", func(id string, _ core.Actor) error { _, err := e.StopScreenShare(ctx, alice, id); return err }, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				o := d.Live(t)
				id, cust := o.Request.ID, core.CustomerActor(o.Participant.ID)
				try(e.RequestScreenShare(ctx, alice, id)).must(t)
				try(e.AnswerScreenShare(ctx, cust, true, core.ScreenInfo{})).must(t)
				if err := tc.end(id, cust); err != nil {
					t.Fatal(err)
				}
				if s := try(e.ScreenSession(ctx, id)).must(t); s.Live || s.MayTechnician(d.Alice.ID) || s.MayCustomer(o.Participant.ID) {
					t.Fatalf("share survived: %+v", s)
				}
				evs := try(e.Events(ctx, alice, id, 0, 0)).must(t)
				last := evs[len(evs)-1]
				if last.Type != core.EventScreenStopped || last.Data.Note != tc.reason {
					t.Fatalf("last event %s %q, want stopped %q", last.Type, last.Data.Note, tc.reason)
				}
			})
		}

		t.Run("declined", func(t *testing.T) {
			o := d.Live(t)
			id, cust := o.Request.ID, core.CustomerActor(o.Participant.ID)
			try(e.RequestScreenShare(ctx, alice, id)).must(t)
			r := try(e.AnswerScreenShare(ctx, cust, false, core.ScreenInfo{})).must(t)
			if r.Screen != core.ScreenNone {
				t.Fatalf("declined share is %q", r.Screen)
			}
			// The owner may ask again.
			try(e.RequestScreenShare(ctx, alice, id)).must(t)
		})
	})
}

// TestScreenShareRefusals: what may not happen changes nothing.
func TestScreenShareRefusals(t *testing.T) {
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
			{"answer without an ask", core.CodeInvalidState, func() error {
				_, err := e.AnswerScreenShare(ctx, cust, true, core.ScreenInfo{})
				return err
			}},
			{"stop with nothing shared", core.CodeInvalidState, func() error { _, err := e.StopScreenShare(ctx, cust, ""); return err }},
			{"owner stops nothing", core.CodeInvalidState, func() error { _, err := e.StopScreenShare(ctx, alice, id); return err }},
			{"viewed with nothing shared", core.CodeInvalidState, func() error { return e.ScreenViewed(ctx, alice, id) }},
			{"a colleague asks", core.CodeForbidden, func() error { _, err := e.RequestScreenShare(ctx, bob, id); return err }},
			{"another company's technician asks", core.CodeForbidden, func() error {
				_, err := e.RequestScreenShare(ctx, carol, id)
				return err
			}},
			{"a technician answers for the customer", core.CodeForbidden, func() error {
				_, err := e.AnswerScreenShare(ctx, alice, true, core.ScreenInfo{})
				return err
			}},
			{"an absurd screen", core.CodeInvalid, func() error {
				_, err := e.AnswerScreenShare(ctx, cust, true, core.ScreenInfo{Width: -1})
				return err
			}},
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

		try(e.RequestScreenShare(ctx, alice, id)).must(t)
		if _, err := e.RequestScreenShare(ctx, alice, id); core.ErrorCode(err) != core.CodeInvalidState {
			t.Fatalf("asked twice: %v", err)
		}
		// Another request's customer answers their own request, which
		// nobody asked: this request's ask stays open.
		if _, err := e.AnswerScreenShare(ctx, otherCust, true, core.ScreenInfo{}); core.ErrorCode(err) != core.CodeInvalidState {
			t.Fatalf("another request's customer answered: %v", err)
		}
		if _, err := e.StopScreenShare(ctx, otherCust, id); core.ErrorCode(err) != core.CodeNotFound {
			t.Fatalf("another request's customer stopped this share: %v", err)
		}
		try(e.AnswerScreenShare(ctx, cust, true, core.ScreenInfo{})).must(t)
		if _, err := e.AnswerScreenShare(ctx, cust, true, core.ScreenInfo{}); core.ErrorCode(err) != core.CodeInvalidState {
			t.Fatalf("answered twice: %v", err)
		}
		if s := try(e.ScreenSession(ctx, other.Request.ID)).must(t); s.Live {
			t.Fatalf("the other request shares: %+v", s)
		}
	})
}

// TestWebToken: a platform's customer gets a web token for their own open
// request; nobody else, and not once the request closed.
func TestWebToken(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		ctx := context.Background()
		d := storetest.NewDesk(t, newStore(t))
		e := d.Engine
		alice := storetest.Actor(d.Alice)
		o := d.Live(t)
		tok := try(e.WebToken(ctx, o.Participant.ID)).must(t)
		if cs := try(e.CustomerByToken(ctx, tok)).must(t); cs.RequestID != o.Request.ID || cs.Actor != core.CustomerActor(o.Participant.ID) {
			t.Fatalf("the token stands for %+v", cs)
		}
		if _, err := e.WebToken(ctx, "par_nobody"); core.ErrorCode(err) != core.CodeNotFound {
			t.Fatalf("a token for nobody: %v", err)
		}
		try(e.InviteTechnician(ctx, alice, o.Request.ID, d.Bob.ID)).must(t)
		v := try(e.ViewRequest(ctx, alice, o.Request.ID)).must(t)
		for _, p := range v.Participants {
			if p.Role == core.RoleCollaborator {
				if _, err := e.WebToken(ctx, p.ID); core.ErrorCode(err) != core.CodeNotFound {
					t.Fatalf("a technician got a customer's token: %v", err)
				}
			}
		}
		try(e.EndChat(ctx, alice, o.Request.ID)).must(t)
		try(e.Close(ctx, alice, o.Request.ID, "")).must(t)
		if _, err := e.WebToken(ctx, o.Participant.ID); core.ErrorCode(err) != core.CodeInvalidState {
			t.Fatalf("a token for a closed request: %v", err)
		}
	})
}
