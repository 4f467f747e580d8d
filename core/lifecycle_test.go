package core_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestLifecycleRules: who may deactivate, reactivate, re-role, rename and
// archive whom, and the clear refusals of everyone else.
func TestLifecycleRules(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		e := d.Engine
		admin, alice := storetest.Actor(d.Admin), storetest.Actor(d.Alice)
		tests := []struct {
			name string
			op   func() error
			code core.Code
			msg  string // substring of the refusal
		}{
			{"a technician deactivates", func() error { _, err := e.DeactivateTechnician(ctx, alice, d.Bob.ID); return err },
				core.CodeForbidden, "only an admin"},
			{"an admin deactivates themself", func() error { _, err := e.DeactivateTechnician(ctx, admin, d.Admin.ID); return err },
				core.CodeForbidden, "cannot deactivate yourself"},
			{"the CLI deactivates the last admin", func() error {
				_, err := e.DeactivateTechnician(ctx, core.SystemActor(), d.Admin.ID)
				return err
			}, core.CodeInvalidState, "Admin is the last active admin"},
			{"the last admin makes themself a technician", func() error {
				_, err := e.SetRole(ctx, admin, d.Admin.ID, core.RoleTechnician)
				return err
			}, core.CodeInvalidState, "last active admin"},
			{"a technician makes themself an admin", func() error { _, err := e.SetRole(ctx, alice, d.Alice.ID, core.RoleAdmin); return err },
				core.CodeForbidden, "only an admin"},
			{"an unknown role", func() error { _, err := e.SetRole(ctx, admin, d.Alice.ID, "boss"); return err },
				core.CodeInvalid, `"boss" is not a role`},
			{"the same role", func() error { _, err := e.SetRole(ctx, admin, d.Alice.ID, core.RoleTechnician); return err },
				core.CodeInvalidState, "Alice is a technician already"},
			{"reactivating an active technician", func() error { _, err := e.ReactivateTechnician(ctx, admin, d.Bob.ID); return err },
				core.CodeInvalidState, "Bob is active already"},
			{"an unknown technician", func() error { _, err := e.DeactivateTechnician(ctx, admin, "tec_nope"); return err },
				core.CodeNotFound, "no such technician"},
			{"a technician renames a company", func() error { _, err := e.RenameCompany(ctx, alice, d.Acme.ID, "Acme Inc"); return err },
				core.CodeForbidden, "only an admin"},
			{"an empty name", func() error { _, err := e.RenameCompany(ctx, admin, d.Acme.ID, "  "); return err },
				core.CodeInvalid, "needs a name"},
			{"a technician archives a company", func() error { _, err := e.ArchiveCompany(ctx, alice, d.Acme.ID, true); return err },
				core.CodeForbidden, "only an admin"},
			{"unarchiving an open company", func() error { _, err := e.ArchiveCompany(ctx, admin, d.Acme.ID, false); return err },
				core.CodeInvalidState, "Acme is not archived"},
			{"an unknown company", func() error { _, err := e.ArchiveCompany(ctx, admin, "cmp_nope", true); return err },
				core.CodeNotFound, "no such company"},
		}
		for _, tt := range tests {
			err := tt.op()
			if core.ErrorCode(err) != tt.code || !strings.Contains(core.ErrorMessage(err), tt.msg) {
				t.Errorf("%s: %v, want %s %q", tt.name, err, tt.code, tt.msg)
			}
		}
		// With a second admin, either may step down, and then the other is
		// the last again.
		two := try(e.SetRole(ctx, admin, d.Bob.ID, core.RoleAdmin)).must(t)
		if two.Role != core.RoleAdmin {
			t.Fatalf("Bob's role: %s", two.Role)
		}
		try(e.SetRole(ctx, admin, d.Admin.ID, core.RoleTechnician)).must(t)
		if _, err := e.DeactivateTechnician(ctx, storetest.Actor(d.Bob), d.Bob.ID); core.ErrorCode(err) != core.CodeForbidden {
			t.Fatalf("Bob deactivates himself: %v", err)
		}
		if _, err := e.SetRole(ctx, core.SystemActor(), d.Bob.ID, core.RoleTechnician); core.ErrorCode(err) != core.CodeInvalidState {
			t.Fatalf("the CLI demotes the last admin: %v", err)
		}
		// A deactivated admin does not count: the one active admin left
		// stays one.
		try(e.SetRole(ctx, core.SystemActor(), d.Admin.ID, core.RoleAdmin)).must(t)
		try(e.DeactivateTechnician(ctx, storetest.Actor(d.Bob), d.Admin.ID)).must(t)
		if _, err := e.SetRole(ctx, core.SystemActor(), d.Bob.ID, core.RoleTechnician); core.ErrorCode(err) != core.CodeInvalidState {
			t.Fatalf("demoting the last active admin beside a deactivated one: %v", err)
		}
		log := try(e.AdminLog(ctx, core.SystemActor(), 3)).must(t)
		want := []string{core.AuditTechDeactivate, core.AuditTechRole, core.AuditTechRole}
		var got []string
		for _, x := range log {
			got = append(got, x.Action)
		}
		if !slices.Equal(got, want) || log[0].ActorName != "Bob" || log[0].TargetName != "Admin" || log[1].ActorName != "relaydesk CLI" {
			t.Fatalf("admin log: %+v", log)
		}
		if _, err := e.AdminLog(ctx, alice, 10); core.ErrorCode(err) != core.CodeForbidden {
			t.Fatalf("a technician reads the admin log: %v", err)
		}
	})
}

// TestDeactivate: a deactivated technician can do nothing, is nobody's
// colleague, loses their platform links and keeps their requests; a
// reactivated one works again but must link anew.
func TestDeactivate(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		e, s := d.Engine, d.Store
		admin, alice, bob := storetest.Actor(d.Admin), storetest.Actor(d.Alice), storetest.Actor(d.Bob)
		live := d.Live(t) // Alice's
		other := d.Open(t, d.Acme, "b@example.com", "second")
		try(e.AssignToMe(ctx, bob, other.Request.ID)).must(t)
		slack := core.Identity{Platform: "slack", ExternalID: "U_ALICE", Subject: core.ActorTechnician, SubjectID: d.Alice.ID}
		if err := e.LinkIdentity(ctx, alice, slack); err != nil {
			t.Fatal(err)
		}

		out := try(e.DeactivateTechnician(ctx, admin, d.Alice.ID)).must(t)
		if out.Active() || out.Availability != core.Away || out.PasswordHash != "" {
			t.Fatalf("deactivated: %+v", out)
		}
		if _, err := s.Identity(ctx, "slack", "U_ALICE"); core.ErrorCode(err) != core.CodeNotFound {
			t.Fatalf("Alice's Slack link after deactivation: %v", err)
		}
		for name, op := range map[string]func() error{
			"post": func() error {
				_, err := e.PostMessage(ctx, alice, live.Request.ID, core.Post{Body: "still here?"})
				return err
			},
			"availability":  func() error { _, err := e.SetAvailability(ctx, alice, core.Available); return err },
			"queue":         func() error { _, err := e.Queue(ctx, alice, core.QueueRequest{}); return err },
			"link":          func() error { return e.LinkIdentity(ctx, alice, slack) },
			"link by admin": func() error { return e.LinkIdentity(ctx, admin, slack) },
		} {
			if err := op(); core.ErrorCode(err) != core.CodeForbidden || !strings.Contains(core.ErrorMessage(err), "deactivated") {
				t.Errorf("%s as deactivated Alice: %v", name, err)
			}
		}
		cols := try(e.Colleagues(ctx, bob, other.Request.ID)).must(t)
		for _, c := range cols {
			if c.ID == d.Alice.ID {
				t.Fatalf("Alice is offered as a colleague: %+v", cols)
			}
		}
		if _, err := e.Transfer(ctx, bob, other.Request.ID, d.Alice.ID); core.ErrorCode(err) != core.CodeForbidden ||
			!strings.Contains(core.ErrorMessage(err), "Alice is deactivated") {
			t.Fatalf("transfer to deactivated Alice: %v", err)
		}
		avail := try(s.AvailableTechnicians(ctx, d.Acme.ID)).must(t)
		if slices.ContainsFunc(avail, func(x core.Technician) bool { return x.ID == d.Alice.ID }) {
			t.Fatal("Alice is told of new requests")
		}
		// Her request stays hers, and its history stays.
		r := try(s.Request(ctx, live.Request.ID)).must(t)
		if r.OwnerID != d.Alice.ID {
			t.Fatalf("owner after deactivation: %q", r.OwnerID)
		}
		if n := try(e.OpenOwned(ctx, admin)).must(t)[d.Alice.ID]; n != 1 {
			t.Fatalf("Alice owns %d open requests, want 1", n)
		}
		if v := try(e.ViewRequest(ctx, admin, live.Request.ID)).must(t); len(v.Messages) == 0 {
			t.Fatal("history gone")
		}

		try(e.ReactivateTechnician(ctx, admin, d.Alice.ID)).must(t)
		try(e.SetAvailability(ctx, alice, core.Available)).must(t)
		if _, err := s.Identity(ctx, "slack", "U_ALICE"); core.ErrorCode(err) != core.CodeNotFound {
			t.Fatalf("the link came back by itself: %v", err)
		}
		if err := e.LinkIdentity(ctx, alice, slack); err != nil {
			t.Fatalf("link after reactivation: %v", err)
		}
	})
}

// TestArchiveAndRename: an archived company takes no requests but keeps
// its history; a renamed one shows its new name on its requests.
func TestArchiveAndRename(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		e := d.Engine
		admin, alice := storetest.Actor(d.Admin), storetest.Actor(d.Alice)
		old := d.Open(t, d.Acme, "a@example.com", "before the archive")

		co := try(e.ArchiveCompany(ctx, admin, d.Acme.ID, true)).must(t)
		if !co.Archived() {
			t.Fatal("not archived")
		}
		_, err := e.OpenRequest(ctx, core.OpenRequest{CompanyID: d.Acme.ID, Email: "b@example.com", Message: "hello?"})
		if core.ErrorCode(err) != core.CodeForbidden || core.ErrorMessage(err) != "this support desk is closed" {
			t.Fatalf("open at an archived company: %v", err)
		}
		if _, err := e.InviteCustomer(ctx, alice, d.Acme.ID, "remote"); core.ErrorCode(err) != core.CodeInvalidState {
			t.Fatalf("invite at an archived company: %v", err)
		}
		if _, err := e.ViewRequest(ctx, alice, old.Request.ID); err != nil {
			t.Fatalf("an archived company's request: %v", err)
		}
		if _, err := e.ArchiveCompany(ctx, admin, d.Acme.ID, true); core.ErrorCode(err) != core.CodeInvalidState {
			t.Fatalf("archive twice: %v", err)
		}
		try(e.ArchiveCompany(ctx, admin, d.Acme.ID, false)).must(t)
		d.Open(t, d.Acme, "c@example.com", "open again")

		co = try(e.RenameCompany(ctx, admin, d.Acme.ID, " Acme Industries ")).must(t)
		if co.Name != "Acme Industries" || co.Slug != d.Acme.Slug {
			t.Fatalf("renamed: %+v", co)
		}
		if r := try(d.Store.Request(ctx, old.Request.ID)).must(t); r.CompanyName != "Acme Industries" {
			t.Fatalf("the request's company name: %q", r.CompanyName)
		}
		log := try(e.AdminLog(ctx, admin, 1)).must(t)
		if len(log) != 1 || log[0].Action != core.AuditCompanyRename || log[0].Detail != "Acme → Acme Industries" {
			t.Fatalf("admin log: %+v", log)
		}
	})
}

// TestLastAdminRace: two admins deactivating each other at once leave one
// of them active, on PostgreSQL's concurrent transactions too.
func TestLastAdminRace(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		for round := range 5 {
			d := storetest.NewDesk(t, newStore(t))
			e := d.Engine
			try(e.SetRole(ctx, core.SystemActor(), d.Bob.ID, core.RoleAdmin)).must(t)
			start := make(chan struct{})
			errs := make(chan error, 2)
			for _, pair := range [][2]core.Technician{{d.Admin, d.Bob}, {d.Bob, d.Admin}} {
				go func() {
					<-start
					_, err := e.DeactivateTechnician(ctx, storetest.Actor(pair[0]), pair[1].ID)
					errs <- err
				}()
			}
			close(start)
			var ok, refused int
			for range 2 {
				switch err := <-errs; {
				case err == nil:
					ok++
				case core.ErrorCode(err) == core.CodeInvalidState || core.ErrorCode(err) == core.CodeForbidden:
					refused++ // the last admin, or an admin deactivated meanwhile
				default:
					t.Fatalf("round %d: %v", round, err)
				}
			}
			admins := 0
			for _, id := range []string{d.Admin.ID, d.Bob.ID} {
				if x := try(d.Store.Technician(ctx, id)).must(t); x.Active() {
					admins++
				}
			}
			if ok != 1 || refused != 1 || admins != 1 {
				t.Fatalf("round %d: %d done, %d refused, %d active admins left", round, ok, refused, admins)
			}
		}
	})
}

// TestReturnRequests: an admin puts a deactivated technician's open
// requests back in the queue; the customer reads that the technician
// left; nobody else may, and an active technician's stay theirs.
func TestReturnRequests(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		ctx := context.Background()
		d := storetest.NewDesk(t, newStore(t))
		e := d.Engine
		bob, admin := storetest.Actor(d.Bob), storetest.Actor(d.Admin)
		var ids []string
		for _, msg := range []string{"printer", "scanner", "closed one"} {
			o := d.Open(t, d.Acme, "c@example.com", msg)
			try(e.AssignToMe(ctx, bob, o.Request.ID)).must(t)
			ids = append(ids, o.Request.ID)
		}
		try(e.JoinChat(ctx, bob, ids[0])).must(t)
		try(e.Close(ctx, bob, ids[2], "")).must(t)

		if _, err := e.ReturnRequests(ctx, admin, d.Bob.ID); core.ErrorCode(err) != core.CodeInvalidState {
			t.Fatalf("an active technician's requests: %v", err)
		}
		try(e.DeactivateTechnician(ctx, admin, d.Bob.ID)).must(t)
		if _, err := e.ReturnRequests(ctx, storetest.Actor(d.Alice), d.Bob.ID); core.ErrorCode(err) != core.CodeForbidden {
			t.Fatalf("a technician returned them: %v", err)
		}
		if n := try(e.ReturnRequests(ctx, admin, d.Bob.ID)).must(t); n != 2 {
			t.Fatalf("returned %d, want 2 (the closed one stays)", n)
		}
		for i, id := range ids {
			r := try(e.ViewRequest(ctx, admin, id)).must(t).Request
			wantNew := i < 2
			if (r.Status == core.StatusNew) != wantNew || (wantNew && (r.OwnerID != "" || r.Chat != core.ChatWaiting)) {
				t.Fatalf("request %d: %s owned by %q, chat %s", i, r.Status, r.OwnerID, r.Chat)
			}
		}
		evs := try(e.Events(ctx, admin, ids[0], 0, 0)).must(t)
		last := evs[len(evs)-1]
		if last.Type != core.EventUnassigned || last.Actor != admin || last.Data.ActorName != "Bob" {
			t.Fatalf("last event %s by %v named %q", last.Type, last.Actor, last.Data.ActorName)
		}
		if n := try(e.ReturnRequests(ctx, admin, d.Bob.ID)).must(t); n != 0 {
			t.Fatalf("returned %d the second time", n)
		}
		log := try(e.AdminLog(ctx, admin, 10)).must(t)
		if len(log) < 2 || log[0].Action != core.AuditTechRequeue {
			t.Fatalf("admin log %+v", log)
		}
	})
}
