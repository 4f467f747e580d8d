package core_test

import (
	"bytes"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestRevokedFormerOwnerReadsNothing: a technician who owned a request,
// handed it over and then lost the company's grant reads nothing more of
// it through any of the engine's reads, while they read on as long as
// they keep the grant.
func TestRevokedFormerOwnerReadsNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		e := d.Engine
		alice, bob := storetest.Actor(d.Alice), storetest.Actor(d.Bob)
		o := d.Live(t)
		id := o.Request.ID
		cust := core.CustomerActor(o.Participant.ID)
		_, before, err := e.AttachFile(ctx, cust, id, core.Upload{Name: "before.png", Body: bytes.NewReader(pngBytes(t))})
		if err != nil {
			t.Fatal(err)
		}
		try(e.Transfer(ctx, alice, id, d.Bob.ID)).must(t)
		if _, err := e.ViewRequest(ctx, alice, id); err != nil {
			t.Fatalf("a former owner who serves the company cannot read: %v", err)
		}
		pos := try(e.LogEnd(ctx)).must(t)

		if err := e.RevokeAccess(ctx, core.SystemActor(), d.Alice.ID, d.Acme.ID); err != nil {
			t.Fatal(err)
		}
		try(e.PostMessage(ctx, cust, id, core.Post{Body: "after the revocation"})).must(t)
		try(e.AddNote(ctx, bob, id, core.Note{Body: "a note after the revocation"})).must(t)
		_, after, err := e.AttachFile(ctx, cust, id, core.Upload{Name: "after.png", Body: bytes.NewReader(pngBytes(t))})
		if err != nil {
			t.Fatal(err)
		}

		reads := []struct {
			name string
			read func() error
		}{
			{"details", func() error { _, err := e.ViewRequest(ctx, alice, id); return err }},
			{"events", func() error { _, err := e.Events(ctx, alice, id, 0, 0); return err }},
			{"a file from before", func() error { _, _, err := e.OpenFile(ctx, alice, before.ID); return err }},
			{"a file from after", func() error { _, _, err := e.OpenFile(ctx, alice, after.ID); return err }},
			{"colleagues", func() error { _, err := e.Colleagues(ctx, alice, id); return err }},
		}
		for _, r := range reads {
			if err := r.read(); err == nil {
				t.Errorf("%s: the revoked former owner still reads", r.name)
			}
		}
		feed, err := e.Feed(ctx, alice, pos, 0)
		if err != nil || len(feed.Events) != 0 {
			t.Errorf("feed after the revocation: %v %v", eventTypes(feed.Events), err)
		}
		page := try(e.Queue(ctx, alice, core.QueueRequest{View: core.ViewAll})).must(t)
		if len(page.Requests) != 0 {
			t.Errorf("the revoked former owner still lists %d requests", len(page.Requests))
		}
	})
}

// TestUnreadableRequestIsNotFound: every read of a request of a company the
// technician does not serve fails exactly as the read of an unknown ID.
func TestUnreadableRequestIsNotFound(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		e := d.Engine
		carol := storetest.Actor(d.Carol)
		id := d.Open(t, d.Acme, "customer@example.com", "hello").Request.ID
		const unknown = "req_00000000000000000000000000"
		reads := []struct {
			name string
			read func(id string) error
		}{
			{"details", func(id string) error { _, err := e.ViewRequest(ctx, carol, id); return err }},
			{"events", func(id string) error { _, err := e.Events(ctx, carol, id, 0, 0); return err }},
			{"colleagues", func(id string) error { _, err := e.Colleagues(ctx, carol, id); return err }},
		}
		for _, r := range reads {
			other, missing := r.read(id), r.read(unknown)
			if core.ErrorCode(other) != core.CodeNotFound || core.ErrorMessage(other) != core.ErrorMessage(missing) {
				t.Errorf("%s: another company's request: %v; an unknown one: %v", r.name, other, missing)
			}
		}
	})
}
