package core_test

import (
	"bytes"
	"context"
	"io"
	"slices"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestRecording: a share is recorded only once the customer allowed it;
// the recording stops with the share, and its file is the technicians'.
func TestRecording(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		ctx := context.Background()
		d := storetest.NewDesk(t, newStore(t))
		e := d.Engine
		alice, bob := storetest.Actor(d.Alice), storetest.Actor(d.Bob)
		o := d.Live(t)
		id, cust := o.Request.ID, core.CustomerActor(o.Participant.ID)

		refused := func(name string, code core.Code, act func() error) {
			t.Helper()
			before := try(e.ViewRequest(ctx, alice, id)).must(t).Request.Version
			if err := act(); core.ErrorCode(err) != code {
				t.Fatalf("%s: %v, want %s", name, err, code)
			}
			if after := try(e.ViewRequest(ctx, alice, id)).must(t).Request.Version; after != before {
				t.Fatalf("%s: a refusal wrote events", name)
			}
		}
		refused("record with nothing shared", core.CodeInvalidState, func() error { _, err := e.RequestRecording(ctx, alice, id); return err })
		try(e.RequestScreenShare(ctx, alice, id)).must(t)
		try(e.AnswerScreenShare(ctx, cust, true, core.ScreenInfo{})).must(t)
		refused("allow unasked", core.CodeInvalidState, func() error { _, err := e.AnswerRecording(ctx, cust, true); return err })
		refused("a colleague records", core.CodeForbidden, func() error { _, err := e.RequestRecording(ctx, bob, id); return err })
		refused("stop nothing", core.CodeInvalidState, func() error { _, err := e.StopRecording(ctx, alice, id); return err })

		try(e.RequestRecording(ctx, alice, id)).must(t)
		if s := try(e.ScreenSession(ctx, id)).must(t); s.Recording {
			t.Fatal("recording before the customer allowed it")
		}
		refused("ask twice", core.CodeInvalidState, func() error { _, err := e.RequestRecording(ctx, alice, id); return err })
		try(e.AnswerRecording(ctx, cust, false)).must(t)
		if s := try(e.ScreenSession(ctx, id)).must(t); s.Recording {
			t.Fatal("recording after the customer declined")
		}
		try(e.RequestRecording(ctx, alice, id)).must(t)
		r := try(e.AnswerRecording(ctx, cust, true)).must(t)
		if s := try(e.ScreenSession(ctx, id)).must(t); !s.Recording || r.Recording != core.RecordingOn ||
			!slices.Contains(core.OwnerActions(r), core.ActionRecordStop) || slices.Contains(core.OwnerActions(r), core.ActionRecord) {
			t.Fatalf("allowed: session %+v, actions %v", s, core.OwnerActions(r))
		}
		// The share ends: the recording with it.
		try(e.StopScreenShare(ctx, cust, "")).must(t)
		if r := try(e.ViewRequest(ctx, alice, id)).must(t).Request; r.Recording != core.RecordingNone {
			t.Fatalf("recording %q after the share ended", r.Recording)
		}
		evs := try(e.Events(ctx, alice, id, o.Request.Version, 0)).must(t)
		want := []core.EventType{core.EventScreenShareAsked, core.EventScreenStarted, core.EventRecordingAsked,
			core.EventRecordingDeclined, core.EventRecordingAsked, core.EventRecordingAllowed, core.EventRecordingStopped,
			core.EventScreenStopped}
		if got := eventTypes(evs); !slices.Equal(got, want) {
			t.Fatalf("events\n got %v\nwant %v", got, want)
		}

		// The file is a private one, larger than the company's upload limit
		// allows (Acme's is the default 25 MB; Globex's 64 KB), and of a
		// type no customer may upload.
		webm := append([]byte{0x1a, 0x45, 0xdf, 0xa3}, bytes.Repeat([]byte{1}, 100<<10)...)
		m, f := try2(e.StoreRecording(ctx, id, "screen-1001.webm", bytes.NewReader(webm)))(t)
		if f.ContentType != "video/webm" || f.Size != int64(len(webm)) || m.Audience != core.AudienceTechnicians {
			t.Fatalf("stored %+v in %+v", f, m)
		}
		if _, _, err := e.OpenFile(ctx, cust, f.ID); core.ErrorCode(err) != core.CodeNotFound && core.ErrorCode(err) != core.CodeForbidden {
			t.Fatalf("the customer opens the recording: %v", err)
		}
		_, rc, err := e.OpenFile(ctx, alice, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(got, webm) {
			t.Fatal("the recording's bytes changed")
		}
		if _, _, err := e.StoreRecording(ctx, id, "empty.webm", bytes.NewReader(nil)); core.ErrorCode(err) != core.CodeInvalid {
			t.Fatalf("an empty recording: %v", err)
		}
	})
}

func try2[A, B any](a A, b B, err error) func(testing.TB) (A, B) {
	return func(t testing.TB) (A, B) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return a, b
	}
}
