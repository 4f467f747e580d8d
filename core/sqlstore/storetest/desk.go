package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/blob"
	"github.com/relaydesk/relaydesk/core/sqlstore"
)

// Desk is a support desk with two companies and five technicians, for tests:
//
//	Acme:   Alice and Bob (available), Dave (away)
//	Globex: Carol (available)
//	Admin:  an admin (available), who serves every company
type Desk struct {
	Store  *sqlstore.Store
	Engine *core.Engine
	Blobs  *blob.Dir

	Acme, Globex                   core.Company
	Alice, Bob, Carol, Dave, Admin core.Technician
}

// NewDesk seeds s with the Desk's companies and technicians.
func NewDesk(tb testing.TB, s *sqlstore.Store) *Desk {
	tb.Helper()
	ctx := context.Background()
	blobs := blob.NewDir(filepath.Join(tb.TempDir(), "blobs"))
	d := &Desk{Store: s, Blobs: blobs, Engine: core.NewEngine(core.Config{Store: s, Blobs: blobs})}
	sys := core.SystemActor()
	var err error
	if d.Acme, err = d.Engine.CreateCompany(ctx, sys, core.NewCompany{Name: "Acme"}); err != nil {
		tb.Fatal(err)
	}
	if d.Globex, err = d.Engine.CreateCompany(ctx, sys, core.NewCompany{Name: "Globex", MaxFileBytes: 64 << 10}); err != nil {
		tb.Fatal(err)
	}
	tech := func(name string, role core.Role, av core.Availability, cos ...core.Company) core.Technician {
		t, err := d.Engine.CreateTechnician(ctx, sys, core.NewTechnician{Email: name + "@desk.test", Name: name, Role: role})
		if err != nil {
			tb.Fatal(err)
		}
		for _, c := range cos {
			if err := d.Engine.GrantAccess(ctx, sys, t.ID, c.ID); err != nil {
				tb.Fatal(err)
			}
		}
		if t, err = d.Engine.SetAvailability(ctx, core.TechnicianActor(t.ID), av); err != nil {
			tb.Fatal(err)
		}
		return t
	}
	d.Alice = tech("Alice", core.RoleTechnician, core.Available, d.Acme)
	d.Bob = tech("Bob", core.RoleTechnician, core.Available, d.Acme)
	d.Carol = tech("Carol", core.RoleTechnician, core.Available, d.Globex)
	d.Dave = tech("Dave", core.RoleTechnician, core.Away, d.Acme)
	d.Admin = tech("Admin", core.RoleAdmin, core.Available)
	return d
}

// Open opens a request at company c as customer email with message msg.
func (d *Desk) Open(tb testing.TB, c core.Company, email, msg string) core.Opened {
	tb.Helper()
	o, err := d.Engine.OpenRequest(context.Background(), core.OpenRequest{CompanyID: c.ID, Email: email,
		Message: msg, Source: core.Source{Channel: "web", Device: "desktop", OS: "Windows", Browser: "Firefox"}})
	if err != nil {
		tb.Fatalf("open request: %v", err)
	}
	return o
}

// Live opens a request at Acme, assigned to Alice with the chat joined.
func (d *Desk) Live(tb testing.TB) core.Opened {
	tb.Helper()
	ctx := context.Background()
	o := d.Open(tb, d.Acme, "customer@example.com", "my printer is on fire")
	alice := core.TechnicianActor(d.Alice.ID)
	if _, err := d.Engine.AssignToMe(ctx, alice, o.Request.ID); err != nil {
		tb.Fatal(err)
	}
	r, err := d.Engine.JoinChat(ctx, alice, o.Request.ID)
	if err != nil {
		tb.Fatal(err)
	}
	o.Request = r
	return o
}

// Actor is t as an engine actor.
func Actor(t core.Technician) core.Actor { return core.TechnicianActor(t.ID) }
