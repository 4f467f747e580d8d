package core_test

import (
	"bytes"
	"io"
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
		_, f, err := d.Engine.AttachFile(ctx, core.CustomerActor(o.Participant.ID), "", core.Upload{Name: "a.png", Body: bytes.NewReader(img)})
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
		if v := try(d.Engine.ViewRequest(ctx, cust, "")).must(t); len(v.Files) != 0 {
			t.Fatalf("the customer sees %d files", len(v.Files))
		}
		for _, ev := range try(d.Engine.Events(ctx, cust, "", 0, 0)).must(t) {
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

// TestWritesToCustomer: in a platform thread, only the owner and invited
// technicians, in a live chat, write to the customer; everyone else writes
// private notes.
func TestWritesToCustomer(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		o := d.Live(t)
		writes := func(who core.Technician) bool {
			ok, err := d.Engine.WritesToCustomer(ctx, storetest.Actor(who), o.Request.ID)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !writes(d.Alice) || writes(d.Bob) || writes(d.Carol) {
			t.Fatal("owner should write to the customer, a colleague and an outsider should not")
		}
		try(d.Engine.InviteTechnician(ctx, storetest.Actor(d.Alice), o.Request.ID, d.Bob.ID)).must(t)
		if !writes(d.Bob) {
			t.Fatal("an invited colleague should write to the customer")
		}
		try(d.Engine.EndChat(ctx, storetest.Actor(d.Alice), o.Request.ID)).must(t)
		if writes(d.Alice) || writes(d.Bob) {
			t.Fatal("after the chat ended nobody should write to the customer")
		}
		if _, err := d.Engine.WritesToCustomer(ctx, storetest.Actor(d.Alice), "req_nope"); core.ErrorCode(err) != core.CodeNotFound {
			t.Fatalf("unknown request: %v", err)
		}
	})
}
