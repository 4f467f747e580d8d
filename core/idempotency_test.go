package core_test

import (
	"bytes"
	"sync"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestInboundIdempotency delivers the same platform event twice, in turn and
// at once: one message, one event, the same answer every time.
func TestInboundIdempotency(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		e := d.Engine
		o := d.Live(t)
		alice := storetest.Actor(d.Alice)
		key := core.Idempotency{Source: "slack", ExternalID: "Ev0001"}

		first := try(e.PostMessage(ctx, alice, o.Request.ID, core.Post{Body: "once", Key: key})).must(t)
		before := storetest.Snapshot(t, d.Store)
		again := try(e.PostMessage(ctx, alice, o.Request.ID, core.Post{Body: "once", Key: key})).must(t)
		if again.ID != first.ID {
			t.Fatalf("retry made message %s, first was %s", again.ID, first.ID)
		}
		if storetest.Snapshot(t, d.Store) != before {
			t.Fatal("a repeated platform event changed the database")
		}
		evs := try(e.Events(ctx, alice, o.Request.ID, 0, 0)).must(t)
		if ev := evs[len(evs)-1]; ev.Data.Origin == nil || *ev.Data.Origin != key {
			t.Fatalf("the event does not say where it came from: %+v", ev.Data.Origin)
		}

		// Concurrent deliveries of one event (a webhook retried while the
		// first is still in flight) also make one message.
		const n = 6
		ids := make([]string, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				m, err := e.PostMessage(ctx, core.CustomerActor(o.Participant.ID), o.Request.ID, core.Post{Body: "dup",
					Key: core.Idempotency{Source: "telegram", ExternalID: "update-77"}})
				if err != nil {
					t.Error(err)
				}
				ids[i] = m.ID
			})
		}
		close(start)
		wg.Wait()
		for _, id := range ids[1:] {
			if id != ids[0] {
				t.Fatalf("concurrent duplicates answered %v", ids)
			}
		}
		ms := try(d.Store.Messages(ctx, o.Request.ID)).must(t)
		dups := 0
		for _, m := range ms {
			if m.Body == "dup" {
				dups++
			}
		}
		if dups != 1 {
			t.Fatalf("%d copies of one platform event", dups)
		}

		// The same holds for files and for opening requests.
		up := func() core.Upload {
			return core.Upload{Name: "a.png", Body: bytes.NewReader(pngBytes(t)), Key: core.Idempotency{Source: "telegram", ExternalID: "update-78"}}
		}
		m1, f1, err := e.AttachFile(ctx, core.CustomerActor(o.Participant.ID), o.Request.ID, up())
		if err != nil {
			t.Fatal(err)
		}
		m2, f2, err := e.AttachFile(ctx, core.CustomerActor(o.Participant.ID), o.Request.ID, up())
		if err != nil || m1.ID != m2.ID || f1.ID != f2.ID {
			t.Fatalf("file retried: %v %s/%s %s/%s", err, m1.ID, m2.ID, f1.ID, f2.ID)
		}
		open := core.OpenRequest{CompanyID: d.Acme.ID, Message: "from telegram", EmailOptional: true,
			Source: core.Source{Channel: "telegram"}, Key: core.Idempotency{Source: "telegram", ExternalID: "update-79"},
			Identity: &core.Identity{Platform: "telegram", ExternalID: "chat-5"}}
		o1 := try(e.OpenRequest(ctx, open)).must(t)
		o2 := try(e.OpenRequest(ctx, open)).must(t)
		if o1.Request.ID != o2.Request.ID || o1.Request.Number != o2.Request.Number {
			t.Fatalf("open retried: %d then %d", o1.Request.Number, o2.Request.Number)
		}
		if id := try(d.Store.Identity(ctx, "telegram", "chat-5")).must(t); id.SubjectID != o1.Request.CustomerID {
			t.Fatalf("telegram chat linked to %s", id.SubjectID)
		}
	})
}
