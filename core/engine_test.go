package core_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"slices"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

var ctx = context.Background()

func pngBytes(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func eventTypes(evs []core.Event) []core.EventType {
	out := make([]core.EventType, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}

// TestConversation walks one request through every action of its life and
// checks what technicians and the customer each see.
func TestConversation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		e := d.Engine
		alice, bob := storetest.Actor(d.Alice), storetest.Actor(d.Bob)

		o := d.Open(t, d.Acme, "Customer@Example.com", "my printer is on fire")
		cust := core.CustomerActor(o.Participant.ID)
		if o.Request.Status != core.StatusNew || o.Request.Number != 1001 || o.Request.CustomerEmail != "customer@example.com" {
			t.Fatalf("opened %+v", o.Request)
		}
		if len(o.Token) < 22 {
			t.Fatalf("token %q is too short to be unguessable", o.Token)
		}
		if got, err := e.CustomerByToken(ctx, o.Token); err != nil || got.Actor != cust || got.RequestID != o.Request.ID {
			t.Fatalf("token resolves to %v, %v", got, err)
		}
		// Messages before anyone joined are kept.
		try(e.PostMessage(ctx, cust, o.Request.ID, core.Post{Body: "hello?"})).must(t)

		r := try(e.AssignToMe(ctx, alice, o.Request.ID)).must(t)
		if r.Status != core.StatusActive || r.OwnerID != d.Alice.ID {
			t.Fatalf("assigned %+v", r)
		}
		mine := try(e.Queue(ctx, alice, core.QueueRequest{View: core.ViewMine})).must(t)
		if len(mine.Requests) != 1 || mine.Requests[0].ID != r.ID {
			t.Fatalf("mine = %v", mine.Requests)
		}
		try(e.JoinChat(ctx, alice, r.ID)).must(t)
		try(e.PostMessage(ctx, alice, r.ID, core.Post{Body: "I'm here, Alice"})).must(t)
		try(e.PostMessage(ctx, cust, r.ID, core.Post{Body: "thanks"})).must(t)
		m, f, err := e.AttachFile(ctx, cust, r.ID, core.Upload{Name: "shot.png", Body: bytes.NewReader(pngBytes(t))})
		if err != nil || m.FileID != f.ID || f.ContentType != "image/png" {
			t.Fatalf("attach: %v %+v %+v", err, m, f)
		}
		try(e.AddNote(ctx, alice, r.ID, core.Note{Body: "customer seems to be on an old driver"})).must(t)
		try(e.AddNote(ctx, storetest.Actor(d.Admin), r.ID, core.Note{Body: "admins may note too"})).must(t)
		try(e.RequestScreenShare(ctx, alice, r.ID)).must(t)
		try(e.RequestSystemInfo(ctx, alice, r.ID)).must(t)
		try(e.ProvideSystemInfo(ctx, cust, core.SystemInfo{OS: "Windows 11", Browser: "Firefox 140"})).must(t)
		try(e.InviteTechnician(ctx, alice, r.ID, d.Bob.ID)).must(t)
		try(e.PostMessage(ctx, bob, r.ID, core.Post{Body: "Bob here too"})).must(t)
		r = try(e.Transfer(ctx, alice, r.ID, d.Bob.ID)).must(t)
		if r.OwnerID != d.Bob.ID {
			t.Fatalf("after transfer owner = %s", r.OwnerName)
		}
		// Alice keeps read access after the transfer but no longer owns it.
		if _, err := e.ViewRequest(ctx, alice, r.ID); err != nil {
			t.Fatalf("former owner cannot read: %v", err)
		}
		if _, err := e.EndChat(ctx, alice, r.ID); core.ErrorCode(err) != core.CodeForbidden {
			t.Fatalf("former owner ended the chat: %v", err)
		}
		try(e.EndChat(ctx, bob, r.ID)).must(t)
		r = try(e.Close(ctx, bob, r.ID, "replaced the driver")).must(t)
		if r.Status != core.StatusCompleted || r.ClosedAt.IsZero() {
			t.Fatalf("closed %+v", r)
		}
		mine = try(e.Queue(ctx, bob, core.QueueRequest{View: core.ViewMine})).must(t)
		if len(mine.Requests) != 0 {
			t.Fatalf("closed request still in My Support Requests: %v", mine.Requests)
		}
		done := try(e.Queue(ctx, bob, core.QueueRequest{View: core.ViewCompleted})).must(t)
		if len(done.Requests) != 1 || done.Requests[0].ID != r.ID {
			t.Fatalf("completed view = %v", done.Requests)
		}

		evs := try(e.Events(ctx, bob, r.ID, 0, 0)).must(t)
		want := []core.EventType{core.EventCreated, core.EventMessage, core.EventMessage, core.EventAssigned,
			core.EventJoined, core.EventMessage, core.EventMessage, core.EventFile, core.EventNote, core.EventNote,
			core.EventScreenShareAsked, core.EventSystemInfoAsked, core.EventSystemInfoGiven, core.EventInvited,
			core.EventMessage, core.EventTransferred, core.EventScreenStopped, core.EventEnded, core.EventClosed}
		if got := eventTypes(evs); !slices.Equal(got, want) {
			t.Fatalf("technician events\n got %v\nwant %v", got, want)
		}
		for i, ev := range evs {
			if ev.RSeq != int64(i+1) {
				t.Fatalf("event %d has rseq %d", i, ev.RSeq)
			}
		}

		// The customer sees no note, no assignment and no closing note.
		cevs := try(e.Events(ctx, cust, o.Request.ID, 0, 0)).must(t)
		for _, ev := range cevs {
			if ev.Type == core.EventNote || ev.Type == core.EventAssigned || ev.Data.Note != "" {
				t.Fatalf("customer sees %s %+v", ev.Type, ev.Data)
			}
		}
		v := try(e.ViewRequest(ctx, cust, o.Request.ID)).must(t)
		for _, m := range v.Messages {
			if strings.Contains(m.Body, "driver") || strings.Contains(m.Body, "admins") {
				t.Fatalf("customer sees a private note: %q", m.Body)
			}
		}
		if v.Request.ClosingNote != "" || len(v.Messages) != 6 || len(v.Files) != 1 {
			t.Fatalf("customer view: note %q, %d messages, %d files", v.Request.ClosingNote, len(v.Messages), len(v.Files))
		}
		tv := try(e.ViewRequest(ctx, bob, r.ID)).must(t)
		if len(tv.Messages) != 8 || tv.Request.ClosingNote != "replaced the driver" || tv.Request.Source.Reported.OS != "Windows 11" || tv.Request.Source.OS != "Windows" {
			t.Fatalf("technician view: %d messages, note %q, source %+v", len(tv.Messages), tv.Request.ClosingNote, tv.Request.Source)
		}
	})
}

// result lets a test take a (value, error) pair in one expression:
// try(e.AssignToMe(...)).must(t).
type result[T any] struct {
	v   T
	err error
}

func try[T any](v T, err error) result[T] { return result[T]{v, err} }

func (r result[T]) must(t testing.TB) T {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.v
}

// TestSubjectIsPlainText: a request's subject is the words of the first
// line, without the markup a customer's app sent.
func TestSubjectIsPlainText(t *testing.T) {
	t.Parallel()
	d := storetest.NewDesk(t, storetest.SQLite(t))
	for body, want := range map[string]string{
		"**Urgent**: the printer\nmore":        "Urgent: the printer",
		"see [status](https://status.example)": "see status (https://status.example)",
		"2\\*3 is not 6":                       "2*3 is not 6",
		"plain words":                          "plain words",
	} {
		o := d.Open(t, d.Acme, "c@example.com", body)
		if o.Request.Subject != want {
			t.Errorf("the subject of %q is %q, want %q", body, o.Request.Subject, want)
		}
	}
}
