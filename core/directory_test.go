package core_test

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestFeed: the console's live feed carries the events of the companies a
// technician serves and no others.
func TestFeed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		start := try(d.Engine.LogEnd(ctx)).must(t)
		acme := d.Open(t, d.Acme, "a@example.com", "acme")
		d.Open(t, d.Globex, "g@example.com", "globex")
		// Other tests' transactions on the same server may hold the log
		// back for a moment (the horizon is server-wide): ask until not held.
		feed := func(who core.Technician, from core.Position) ([]core.Event, core.Position) {
			for {
				page, err := d.Engine.Feed(ctx, storetest.Actor(who), from, 0)
				if err != nil {
					t.Fatal(err)
				}
				if !page.Held {
					return page.Events, page.Next
				}
			}
		}
		evs, next := feed(d.Carol, start)
		if len(evs) != 2 || evs[0].CompanyID != d.Globex.ID {
			t.Fatalf("Carol's feed: %v", eventTypes(evs))
		}
		evs, _ = feed(d.Bob, start)
		if len(evs) != 2 || evs[0].RequestID != acme.Request.ID {
			t.Fatalf("Bob's feed: %v", eventTypes(evs))
		}
		if more, _ := feed(d.Bob, next); len(more) != 0 {
			t.Fatalf("feed after its end: %v", eventTypes(more))
		}
		if p, err := core.ParsePosition(next.String()); err != nil || p != next {
			t.Fatalf("position round trip: %v %v", p, err)
		}
		if _, err := core.ParsePosition("1.x"); core.ErrorCode(err) != core.CodeInvalid {
			t.Fatalf("bad position: %v", err)
		}
	})
}

// TestOpenFile: a file is served to whoever may see its message and to
// nobody else, without saying that it exists.
func TestOpenFile(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		o := d.Live(t)
		other := d.Open(t, d.Acme, "other@example.com", "other")
		img := pngBytes(t)
		_, f, err := d.Engine.AttachFile(ctx, core.CustomerActor(o.Participant.ID), o.Request.ID, core.Upload{Name: "a.png", Body: bytes.NewReader(img)})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			by   core.Actor
			ok   bool
		}{
			{"its customer", core.CustomerActor(o.Participant.ID), true},
			{"a technician with access", storetest.Actor(d.Bob), true},
			{"another request's customer", core.CustomerActor(other.Participant.ID), false},
			{"a technician without access", storetest.Actor(d.Carol), false},
		} {
			got, rc, err := d.Engine.OpenFile(ctx, c.by, f.ID)
			if !c.ok {
				if core.ErrorCode(err) != core.CodeNotFound {
					t.Errorf("%s: %v", c.name, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			if !bytes.Equal(b, img) || got.Name != "a.png" {
				t.Errorf("%s got %d bytes named %q", c.name, len(b), got.Name)
			}
		}
	})
}

// TestUpdateCompany: admins change a company's file policy and portal key;
// nobody else can.
func TestUpdateCompany(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		limit := int64(1 << 20)
		c := try(d.Engine.UpdateCompany(ctx, storetest.Actor(d.Admin), d.Acme.ID, core.CompanySettings{
			AllowedExts: []string{"PNG", ".pdf"}, MaxFileBytes: &limit, RotateKey: true})).must(t)
		if c.PortalKey == d.Acme.PortalKey || c.MaxFileBytes != limit || len(c.AllowedExts) != 2 {
			t.Fatalf("updated %+v", c)
		}
		if got := try(d.Store.Company(ctx, d.Acme.ID)).must(t); got.PortalKey != c.PortalKey || got.AllowedExts[0] != ".png" {
			t.Fatalf("stored %+v", got)
		}
		if _, err := d.Engine.UpdateCompany(ctx, storetest.Actor(d.Alice), d.Acme.ID, core.CompanySettings{RotateKey: true}); core.ErrorCode(err) != core.CodeForbidden {
			t.Fatalf("a technician changed a company: %v", err)
		}
		if _, err := d.Engine.UpdateCompany(ctx, storetest.Actor(d.Admin), d.Acme.ID, core.CompanySettings{AllowedExts: []string{".exe"}}); core.ErrorCode(err) != core.CodeInvalid {
			t.Fatalf("allowed .exe: %v", err)
		}
		cs := try(d.Engine.Companies(ctx, storetest.Actor(d.Carol))).must(t)
		if len(cs) != 1 || cs[0].ID != d.Globex.ID {
			t.Fatalf("Carol's companies: %v", cs)
		}
		col := try(d.Engine.Colleagues(ctx, storetest.Actor(d.Alice), d.Open(t, d.Acme, "x@example.com", "x").Request.ID)).must(t)
		if len(col) != 3 { // Bob, Dave and the admin; not Carol
			t.Fatalf("colleagues: %v", col)
		}
	})
}

// TestNoteFile: a file kept as a private note is visible to technicians
// and never to the customer, in their view, their events or as a download.
func TestNoteFile(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		o := d.Live(t)
		cust := core.CustomerActor(o.Participant.ID)
		m, f, err := d.Engine.AttachNoteFile(ctx, storetest.Actor(d.Bob), o.Request.ID,
			core.Upload{Name: "internal.png", Body: bytes.NewReader(pngBytes(t)), To: o.Participant.ID})
		if err != nil {
			t.Fatal(err)
		}
		if m.Audience != core.AudienceTechnicians {
			t.Fatalf("note file audience %q", m.Audience)
		}
		if v := try(d.Engine.ViewRequest(ctx, cust, o.Request.ID)).must(t); len(v.Files) != 0 {
			t.Fatalf("the customer sees %d files", len(v.Files))
		}
		for _, ev := range try(d.Engine.Events(ctx, cust, o.Request.ID, 0, 0)).must(t) {
			if ev.Data.File != nil {
				t.Fatalf("the customer's events carry %s", ev.Data.File.Name)
			}
		}
		if _, _, err := d.Engine.OpenFile(ctx, cust, f.ID); core.ErrorCode(err) != core.CodeNotFound {
			t.Fatalf("the customer downloads the note file: %v", err)
		}
		if _, rc, err := d.Engine.OpenFile(ctx, storetest.Actor(d.Alice), f.ID); err != nil {
			t.Fatalf("a technician cannot open it: %v", err)
		} else {
			rc.Close()
		}
	})
}

// TestReplyInThread: in a platform thread, what the owner and invited
// technicians write in a live chat reaches the customer; everyone else's,
// and anything marked private, is a private note; a technician without
// access writes nothing (and, as with every action, is told why).
func TestReplyInThread(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		o := d.Live(t)
		n := 0
		reply := func(who core.Technician, private bool) (core.Audience, error) {
			n++
			m, err := d.Engine.ReplyInThread(ctx, storetest.Actor(who), o.Request.ID, core.Reply{Body: fmt.Sprintf("reply %d", n), Private: private})
			return m.Audience, err
		}
		check := func(what string, who core.Technician, private bool, want core.Audience) {
			t.Helper()
			if got, err := reply(who, private); err != nil || got != want {
				t.Errorf("%s: %q, %v; want %q", what, got, err, want)
			}
		}
		check("the owner", d.Alice, false, core.AudienceAll)
		check("the owner, marked private", d.Alice, true, core.AudienceTechnicians)
		check("a colleague not in the chat", d.Bob, false, core.AudienceTechnicians)
		if _, err := reply(d.Carol, false); core.ErrorCode(err) != core.CodeForbidden {
			t.Errorf("a technician of another company: %v, want forbidden", err)
		}
		try(d.Engine.InviteTechnician(ctx, storetest.Actor(d.Alice), o.Request.ID, d.Bob.ID)).must(t)
		check("an invited colleague", d.Bob, false, core.AudienceAll)
		try(d.Engine.EndChat(ctx, storetest.Actor(d.Alice), o.Request.ID)).must(t)
		check("the owner after the chat ended", d.Alice, false, core.AudienceTechnicians)
		check("the colleague after the chat ended", d.Bob, false, core.AudienceTechnicians)
		v := try(d.Engine.ViewRequest(ctx, core.CustomerActor(o.Participant.ID), o.Request.ID)).must(t)
		var seen []string
		for _, m := range v.Messages {
			if strings.HasPrefix(m.Body, "reply ") {
				seen = append(seen, m.Body)
			}
		}
		if want := []string{"reply 1", "reply 5"}; !slices.Equal(seen, want) {
			t.Errorf("the customer sees %q, want %q", seen, want)
		}
		if _, err := d.Engine.ReplyInThread(ctx, storetest.Actor(d.Alice), "req_nope", core.Reply{Body: "x"}); core.ErrorCode(err) != core.CodeNotFound {
			t.Fatalf("unknown request: %v", err)
		}
	})
}

// TestDeliveryFile: a destination reads the file an event carries, even
// after its sender lost access, and no file through an event of another
// request.
func TestDeliveryFile(t *testing.T) {
	d := storetest.NewDesk(t, storetest.SQLite(t))
	o := d.Live(t)
	other := d.Open(t, d.Acme, "other@example.com", "another problem")
	alice := storetest.Actor(d.Alice)
	m, f, err := d.Engine.AttachFile(ctx, alice, o.Request.ID, core.Upload{Name: "fix.txt", Body: strings.NewReader("do this")})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Engine.RevokeAccess(ctx, core.SystemActor(), d.Alice.ID, d.Acme.ID); err != nil {
		t.Fatal(err)
	}
	ref := &core.FileRef{ID: f.ID, Name: f.Name}
	ev := core.Event{RequestID: o.Request.ID, Type: core.EventFile, Actor: alice, Data: core.EventData{MessageID: m.ID, File: ref}}
	got, rc, err := d.Engine.DeliveryFile(ctx, ev)
	if err != nil {
		t.Fatalf("the file of a sender who lost access: %v", err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if got.ID != f.ID || string(b) != "do this" {
		t.Fatalf("got %+v %q", got, b)
	}
	ev.RequestID = other.Request.ID
	if _, _, err := d.Engine.DeliveryFile(ctx, ev); core.ErrorCode(err) != core.CodeNotFound {
		t.Fatalf("a file through another request's event: %v, want not found", err)
	}
}
