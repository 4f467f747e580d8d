package core_test

import (
	"context"
	"slices"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestCall: the owner rings, the customer answers, the invited technician
// takes part, and the call ends with a hang-up or with the chat.
func TestCall(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		ctx := context.Background()
		d := storetest.NewDesk(t, newStore(t))
		e := d.Engine
		alice, bob := storetest.Actor(d.Alice), storetest.Actor(d.Bob)
		o := d.Live(t)
		id, cust := o.Request.ID, core.CustomerActor(o.Participant.ID)
		try(e.InviteTechnician(ctx, alice, id, d.Bob.ID)).must(t)

		for _, tc := range []struct {
			name string
			code core.Code
			act  func() error
		}{
			{"answer unrung", core.CodeInvalidState, func() error { _, err := e.AnswerCall(ctx, cust, true); return err }},
			{"hang up nothing", core.CodeInvalidState, func() error { _, err := e.EndCall(ctx, cust, ""); return err }},
			{"a colleague rings", core.CodeForbidden, func() error { _, err := e.StartCall(ctx, bob, id); return err }},
			{"another company's technician rings", core.CodeForbidden, func() error {
				_, err := e.StartCall(ctx, storetest.Actor(d.Carol), id)
				return err
			}},
		} {
			if err := tc.act(); core.ErrorCode(err) != tc.code {
				t.Fatalf("%s: %v, want %s", tc.name, err, tc.code)
			}
		}
		r := try(e.StartCall(ctx, alice, id)).must(t)
		if r.Call != core.CallRinging || slices.Contains(core.OwnerActions(r), core.ActionCall) || !slices.Contains(core.OwnerActions(r), core.ActionCallEnd) {
			t.Fatalf("ringing: %q, actions %v", r.Call, core.OwnerActions(r))
		}
		if s := try(e.CallSession(ctx, id)).must(t); s.Live || s.MayTechnician(d.Alice.ID) {
			t.Fatalf("a ringing call is live: %+v", s)
		}
		try(e.AnswerCall(ctx, cust, true)).must(t)
		s := try(e.CallSession(ctx, id)).must(t)
		if !s.MayCustomer(o.Participant.ID) || !s.MayTechnician(d.Alice.ID) || !s.MayTechnician(d.Bob.ID) || s.MayTechnician(d.Carol.ID) {
			t.Fatalf("live call: %+v", s)
		}
		if sc := try(e.ScreenSession(ctx, id)).must(t); sc.Live {
			t.Fatal("a call made a screen share live")
		}
		try(e.EndCall(ctx, cust, "")).must(t)
		if s := try(e.CallSession(ctx, id)).must(t); s.Live {
			t.Fatal("the call survived the hang-up")
		}
		// Declined, then rung again and ended with the chat.
		try(e.StartCall(ctx, alice, id)).must(t)
		try(e.AnswerCall(ctx, cust, false)).must(t)
		try(e.StartCall(ctx, alice, id)).must(t)
		try(e.AnswerCall(ctx, cust, true)).must(t)
		try(e.EndChat(ctx, alice, id)).must(t)
		if s := try(e.CallSession(ctx, id)).must(t); s.Live {
			t.Fatal("the call survived the chat")
		}
		evs := try(e.Events(ctx, alice, id, o.Request.Version+1, 0)).must(t)
		want := []core.EventType{core.EventCallStarted, core.EventCallAnswered, core.EventCallEnded,
			core.EventCallStarted, core.EventCallDeclined, core.EventCallStarted, core.EventCallAnswered,
			core.EventEnded, core.EventCallEnded}
		if got := eventTypes(evs); !slices.Equal(got, want) {
			t.Fatalf("events\n got %v\nwant %v", got, want)
		}
	})
}

// TestCallNeedsACustomer: as the seed says, no call before a customer is
// in the chat.
func TestCallNeedsACustomer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := storetest.NewDesk(t, storetest.SQLite(t))
	alice := storetest.Actor(d.Alice)
	o := d.Live(t)
	if err := d.Engine.Leave(ctx, core.CustomerActor(o.Participant.ID)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Engine.StartCall(ctx, alice, o.Request.ID); core.ErrorCode(err) != core.CodeInvalidState {
		t.Fatalf("a call with nobody to answer: %v", err)
	}
}

// TestCallRecording: a live call is recorded with the customer's consent,
// and the recording stops with the call.
func TestCallRecording(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := storetest.NewDesk(t, storetest.SQLite(t))
	e := d.Engine
	alice := storetest.Actor(d.Alice)
	o := d.Live(t)
	id, cust := o.Request.ID, core.CustomerActor(o.Participant.ID)
	try(e.StartCall(ctx, alice, id)).must(t)
	try(e.AnswerCall(ctx, cust, true)).must(t)
	try(e.RequestRecording(ctx, alice, id)).must(t)
	try(e.AnswerRecording(ctx, cust, true)).must(t)
	if s := try(e.CallSession(ctx, id)).must(t); !s.Recording {
		t.Fatal("the call is not recorded")
	}
	if s := try(e.ScreenSession(ctx, id)).must(t); s.Recording {
		t.Fatal("a share nobody started is recorded")
	}
	r := try(e.EndCall(ctx, cust, "")).must(t)
	if r.Recording != core.RecordingNone {
		t.Fatalf("recording %q after the call", r.Recording)
	}
	evs := try(e.Events(ctx, alice, id, r.Version-2, 0)).must(t)
	if len(evs) != 2 || evs[0].Type != core.EventRecordingStopped || evs[0].Data.Note != "the call ended" || evs[1].Type != core.EventCallEnded {
		t.Fatalf("events %v", eventTypes(evs))
	}
}
