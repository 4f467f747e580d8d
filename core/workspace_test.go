package core_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// rowOf finds request id among a page's rows.
func rowOf(t *testing.T, p core.QueuePage, id string) (core.QueueRow, bool) {
	t.Helper()
	i := slices.IndexFunc(p.Rows, func(r core.QueueRow) bool { return r.ID == id })
	if i < 0 {
		return core.QueueRow{}, false
	}
	if p.Requests[i].ID != id {
		t.Fatalf("Rows and Requests disagree at %d", i)
	}
	return p.Rows[i], true
}

// TestAwayHidesNew: a technician who is not available sees no New request
// in any view, admins as much as technicians; the New view is then an empty
// page, not a refusal. Available again, they see them.
func TestAwayHidesNew(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		e := d.Engine
		fresh := d.Open(t, d.Acme, "new@example.com", "nobody has this yet")
		live := d.Live(t)
		for _, tech := range []core.Technician{d.Dave, d.Admin} {
			by := storetest.Actor(tech)
			try(e.SetAvailability(ctx, by, core.Away)).must(t)
			for _, v := range core.Views() {
				p, err := e.Queue(ctx, by, core.QueueRequest{View: v})
				if err != nil {
					t.Fatalf("%s away, %s: %v", tech.Name, v, err)
				}
				for _, r := range p.Rows {
					if r.Status == core.StatusNew {
						t.Errorf("%s away sees New request #%d in %s", tech.Name, r.Number, v)
					}
				}
			}
			for _, sort := range core.SortColumns() {
				p := try(e.Queue(ctx, by, core.QueueRequest{View: core.ViewAll, Sort: sort})).must(t)
				if _, ok := rowOf(t, p, live.Request.ID); !ok {
					t.Errorf("%s away, all by %s: the active request is missing", tech.Name, sort)
				}
			}
			try(e.SetAvailability(ctx, by, core.Available)).must(t)
			for _, v := range []core.View{core.ViewAll, core.ViewNew} {
				p := try(e.Queue(ctx, by, core.QueueRequest{View: v})).must(t)
				if _, ok := rowOf(t, p, fresh.Request.ID); !ok {
					t.Errorf("%s available does not see the New request in %s", tech.Name, v)
				}
			}
		}
	})
}

// TestMineHoldsCollaborations: Mine lists what a technician owns and what
// they were invited to and are still in, each row saying which; leaving the
// chat takes the request out of it, tells everyone, and the owner cannot
// leave.
func TestMineHoldsCollaborations(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		e := d.Engine
		alice, bob := storetest.Actor(d.Alice), storetest.Actor(d.Bob)
		live := d.Live(t)
		own := d.Open(t, d.Acme, "bobs@example.com", "Bob's own")
		try(e.AssignToMe(ctx, bob, own.Request.ID)).must(t)
		try(e.InviteTechnician(ctx, alice, live.Request.ID, d.Bob.ID)).must(t)

		mine := try(e.Queue(ctx, bob, core.QueueRequest{View: core.ViewMine})).must(t)
		if len(mine.Rows) != 2 {
			t.Fatalf("Bob's Mine has %d rows, want his own and the shared one", len(mine.Rows))
		}
		for id, want := range map[string]string{live.Request.ID: core.PartCollaborator, own.Request.ID: core.PartOwner} {
			r, ok := rowOf(t, mine, id)
			if !ok || r.Part != want {
				t.Errorf("row %s: %+v, want part %q", id, r.Part, want)
			}
		}
		if r, _ := rowOf(t, mine, live.Request.ID); !slices.Contains(r.Actions, core.ActionLeave) || slices.Contains(r.Actions, core.ActionClose) {
			t.Errorf("a collaborator's actions: %v, want leave and not close", r.Actions)
		}
		if v := try(e.ViewRequest(ctx, alice, live.Request.ID)).must(t); slices.Contains(v.Actions, core.ActionLeave) {
			t.Errorf("the owner is offered %v", v.Actions)
		}
		if v := try(e.ViewRequest(ctx, bob, live.Request.ID)).must(t); !slices.Contains(v.Actions, core.ActionLeave) {
			t.Errorf("the collaborator is offered %v", v.Actions)
		}
		// Dave serves Acme but has no part: the same row says so.
		try(e.SetAvailability(ctx, storetest.Actor(d.Dave), core.Available)).must(t)
		all := try(e.Queue(ctx, storetest.Actor(d.Dave), core.QueueRequest{View: core.ViewAll})).must(t)
		if r, ok := rowOf(t, all, live.Request.ID); !ok || r.Part != "" {
			t.Errorf("Dave's row: %+v", r)
		}

		r := try(e.Act(ctx, bob, live.Request.ID, core.ActionLeave, core.ActionArgs{})).must(t)
		mine = try(e.Queue(ctx, bob, core.QueueRequest{View: core.ViewMine})).must(t)
		if _, ok := rowOf(t, mine, live.Request.ID); ok || len(mine.Rows) != 1 {
			t.Errorf("after leaving, Bob's Mine is %v", numbers(mine.Requests))
		}
		evs := try(e.Events(ctx, alice, live.Request.ID, r.Version-1, 10)).must(t)
		if len(evs) != 1 || evs[0].Type != core.EventTechnicianLeft || evs[0].Data.ActorName != "Bob" || evs[0].Audience != core.AudienceAll {
			t.Errorf("the leave's event: %+v", evs)
		}
		if _, err := e.PostMessage(ctx, bob, live.Request.ID, core.Post{Body: "still here?"}); err == nil {
			t.Error("Bob chats on after leaving")
		}
		if _, err := e.LeaveChat(ctx, bob, live.Request.ID); core.ErrorCode(err) != core.CodeInvalidState {
			t.Errorf("leaving twice: %v", err)
		}
		// Invited again, he is back.
		try(e.InviteTechnician(ctx, alice, live.Request.ID, d.Bob.ID)).must(t)
		mine = try(e.Queue(ctx, bob, core.QueueRequest{View: core.ViewMine})).must(t)
		if r, ok := rowOf(t, mine, live.Request.ID); !ok || r.Part != core.PartCollaborator {
			t.Errorf("invited again: %+v", mine.Rows)
		}
	})
}

// TestQueuePreviewAndUnread: a row previews the last chat line either side
// wrote, never a private note or a withdrawn message, as plain text cut to
// 140 runes; it counts the customer's lines after the viewer's read mark,
// for the owner and collaborators only; the mark never goes back and
// viewing the request does not move it.
func TestQueuePreviewAndUnread(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		e := d.Engine
		alice, bob := storetest.Actor(d.Alice), storetest.Actor(d.Bob)
		live := d.Live(t)
		id := live.Request.ID
		cust := core.CustomerActor(live.Participant.ID)
		row := func(by core.Actor, view core.View) core.QueueRow {
			t.Helper()
			r, ok := rowOf(t, try(e.Queue(ctx, by, core.QueueRequest{View: view})).must(t), id)
			if !ok {
				t.Fatalf("the request is not in %s", view)
			}
			return r
		}
		check := func(step string, by core.Actor, view core.View, preview string, author core.ActorKind, unread int) {
			t.Helper()
			r := row(by, view)
			if r.Preview != preview || r.PreviewAuthor != author || r.Unread != unread {
				t.Errorf("%s: preview %q by %q, %d unread; want %q by %q, %d", step, r.Preview, r.PreviewAuthor, r.Unread,
					preview, author, unread)
			}
		}
		// The opening message is the customer's first line.
		check("opened", alice, core.ViewMine, "my printer is on fire", core.ActorCustomer, 1)
		try(e.PostMessage(ctx, cust, id, core.Post{Body: "it **smells**\nof _smoke_"})).must(t)
		check("markup", alice, core.ViewMine, "it smells of smoke", core.ActorCustomer, 2)
		check("no part", bob, core.ViewAll, "it smells of smoke", core.ActorCustomer, 0)
		m := try(e.PostMessage(ctx, alice, id, core.Post{Body: "unplug it"})).must(t)
		check("technician", alice, core.ViewMine, "unplug it", core.ActorTechnician, 2)
		try(e.AddNote(ctx, alice, id, core.Note{Body: "third fire this month"})).must(t)
		check("a note is not previewed", alice, core.ViewMine, "unplug it", core.ActorTechnician, 2)
		try(e.WithdrawMessage(ctx, alice, m.ID, core.Idempotency{})).must(t)
		check("withdrawn", alice, core.ViewMine, "it smells of smoke", core.ActorCustomer, 2)
		if _, _, err := e.AttachFile(ctx, cust, id, core.Upload{Name: "photo_of_it.png", Body: bytes.NewReader(pngBytes(t))}); err != nil {
			t.Fatal(err)
		}
		check("a file", alice, core.ViewMine, "photo_of_it.png", core.ActorCustomer, 3)
		long := strings.Repeat("ü", 200)
		last := try(e.PostMessage(ctx, cust, id, core.Post{Body: long})).must(t)
		r := row(alice, core.ViewMine)
		if n := utf8.RuneCountInString(r.Preview); n != core.PreviewRunes || !strings.HasSuffix(r.Preview, "…") ||
			!utf8.ValidString(r.Preview) || r.Unread != 4 {
			t.Errorf("long: %d runes, %q, %d unread", n, r.Preview, r.Unread)
		}

		// Read marks: viewing does not read; a mark moves forward only.
		if v := try(e.ViewRequest(ctx, alice, id)).must(t); v.ReadRSeq != 0 {
			t.Errorf("read mark before any: %d", v.ReadRSeq)
		}
		if got := try(e.MarkRead(ctx, alice, id, m.RSeq)).must(t); got != m.RSeq {
			t.Errorf("mark: %d, want %d", got, m.RSeq)
		}
		check("read up to Alice's line", alice, core.ViewMine, core.PreviewOf(long, ""), core.ActorCustomer, 2)
		if got := try(e.MarkRead(ctx, alice, id, 1)).must(t); got != m.RSeq {
			t.Errorf("an older mark moved it back to %d", got)
		}
		if v := try(e.ViewRequest(ctx, alice, id)).must(t); v.ReadRSeq != m.RSeq {
			t.Errorf("the view's read mark: %d, want %d", v.ReadRSeq, m.RSeq)
		}
		try(e.MarkRead(ctx, alice, id, last.RSeq)).must(t)
		check("all read", alice, core.ViewMine, core.PreviewOf(long, ""), core.ActorCustomer, 0)
		// Bob's marks are his own: invited, he has all four to read.
		try(e.InviteTechnician(ctx, alice, id, d.Bob.ID)).must(t)
		check("collaborator", bob, core.ViewMine, core.PreviewOf(long, ""), core.ActorCustomer, 4)
		try(e.PostMessage(ctx, cust, id, core.Post{Body: "hello?"})).must(t)
		check("one more for Alice", alice, core.ViewMine, "hello?", core.ActorCustomer, 1)
		check("one more for Bob", bob, core.ViewMine, "hello?", core.ActorCustomer, 5)

		// A New request previews its opening; nobody has a part to count for.
		fresh := d.Open(t, d.Acme, "other@example.com", "the fax")
		if r, ok := rowOf(t, try(e.Queue(ctx, alice, core.QueueRequest{View: core.ViewNew})).must(t), fresh.Request.ID); !ok ||
			r.Unread != 0 || r.Part != "" || r.Preview != "the fax" || r.CustomerLeft {
			t.Errorf("a fresh request: %+v", r)
		}
	})
}

// TestPreviewOf cuts on a rune boundary and keeps file names as they are.
func TestPreviewOf(t *testing.T) {
	for _, c := range []struct{ name, body, file, want string }{
		{"plain", "hello", "", "hello"},
		{"markup and lines", "**Urgent**:\n\n- one\n- two", "", "Urgent: - one - two"},
		{"file name is not markup", "", "a_b_c*.txt", "a_b_c*.txt"},
		{"exactly 140", strings.Repeat("x", 140), "", strings.Repeat("x", 140)},
		{"141 cut", strings.Repeat("x", 141), "", strings.Repeat("x", 139) + "…"},
		{"multi-byte cut", strings.Repeat("日本", 100), "", strings.Repeat("日本", 69) + "日…"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := core.PreviewOf(c.body, c.file); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// TestCloseWhenCustomersLeft: a New request whose customers all left may be
// closed by any technician serving its company, from the list (its row
// offers close) or its details; while a customer is still there only an
// admin may, and another company's technician never.
func TestCloseWhenCustomersLeft(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		e := d.Engine
		bob, carol := storetest.Actor(d.Bob), storetest.Actor(d.Carol)
		o := d.Open(t, d.Acme, "gone@example.com", "never mind")
		id := o.Request.ID
		offered := func(step string, want bool) {
			t.Helper()
			r, ok := rowOf(t, try(e.Queue(ctx, bob, core.QueueRequest{View: core.ViewNew})).must(t), id)
			v := try(e.ViewRequest(ctx, bob, id)).must(t)
			if !ok || slices.Contains(r.Actions, core.ActionClose) != want || slices.Contains(v.Actions, core.ActionClose) != want {
				t.Errorf("%s: row actions %v, detail actions %v; want close offered: %v", step, r.Actions, v.Actions, want)
			}
		}
		offered("customer present", false)
		if _, err := e.Close(ctx, bob, id, ""); core.ErrorCode(err) != core.CodeForbidden || !strings.Contains(core.ErrorMessage(err), "still in the chat") {
			t.Fatalf("closing while the customer is there: %v", err)
		}
		if err := e.Leave(ctx, core.CustomerActor(o.Participant.ID)); err != nil {
			t.Fatal(err)
		}
		r, _ := rowOf(t, try(e.Queue(ctx, bob, core.QueueRequest{View: core.ViewNew})).must(t), id)
		if !r.CustomerLeft {
			t.Errorf("the row does not say the customer left: %+v", r)
		}
		offered("customer left", true)
		if _, err := e.Close(ctx, carol, id, ""); core.ErrorCode(err) != core.CodeForbidden {
			t.Fatalf("another company's technician closes: %v", err)
		}
		closed := try(e.Act(ctx, bob, id, core.ActionClose, core.ActionArgs{Note: "customer left"})).must(t)
		if closed.Status != core.StatusCompleted || closed.ClosingNote != "customer left" {
			t.Fatalf("closed: %+v", closed)
		}
		done, _ := rowOf(t, try(e.Queue(ctx, bob, core.QueueRequest{View: core.ViewCompleted})).must(t), id)
		if done.CustomerLeft {
			t.Error("a closed request's row says its customer left")
		}
	})
}
