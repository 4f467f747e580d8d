package core_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestClaimRace has two technicians claim the same request at the same
// moment, many times over: the database settles it, exactly one wins, and
// the other is told who did.
func TestClaimRace(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		claimers := []core.Technician{d.Alice, d.Bob, d.Admin}
		const rounds = 40
		for i := range rounds {
			o := d.Open(t, d.Acme, fmt.Sprintf("c%d@example.com", i), "race me")
			start := make(chan struct{})
			errs := make([]error, len(claimers))
			var wg sync.WaitGroup
			for j, tech := range claimers {
				wg.Go(func() {
					<-start
					_, errs[j] = d.Engine.AssignToMe(ctx, storetest.Actor(tech), o.Request.ID)
				})
			}
			close(start)
			wg.Wait()
			winners := 0
			for _, err := range errs {
				switch core.ErrorCode(err) {
				case "":
					winners++
				case core.CodeConflict:
				default:
					t.Fatalf("round %d: unexpected error %v", i, err)
				}
			}
			r := try(d.Store.Request(ctx, o.Request.ID)).must(t)
			if winners != 1 || r.Status != core.StatusActive || r.OwnerID == "" {
				t.Fatalf("round %d: %d winners, request %s owned by %q", i, winners, r.Status, r.OwnerName)
			}
			evs := try(d.Store.RequestEvents(ctx, r.ID, 0, 100)).must(t)
			if n := countType(evs, core.EventAssigned); n != 1 {
				t.Fatalf("round %d: %d assigned events", i, n)
			}
		}
	})
}

// TestConcurrentChat has the customer and the technician write at once:
// nobody gets an error, every message is stored once, in a single order.
func TestConcurrentChat(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		o := d.Live(t)
		writers := []core.Actor{core.CustomerActor(o.Participant.ID), storetest.Actor(d.Alice)}
		const each = 25
		var wg sync.WaitGroup
		errs := make(chan error, len(writers)*each)
		for _, w := range writers {
			wg.Go(func() {
				for i := range each {
					if _, err := d.Engine.PostMessage(ctx, w, o.Request.ID, core.Post{Body: fmt.Sprintf("%s %d", w.Kind, i)}); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		ms := try(d.Store.Messages(ctx, o.Request.ID)).must(t)
		if len(ms) != 1+len(writers)*each {
			t.Fatalf("%d messages stored", len(ms))
		}
		evs := try(d.Store.RequestEvents(ctx, o.Request.ID, 0, 1000)).must(t)
		for i, ev := range evs {
			if ev.RSeq != int64(i+1) {
				t.Fatalf("event %d has rseq %d: the request's log has a gap or a repeat", i, ev.RSeq)
			}
		}
		// Each writer's messages keep their own order.
		next := map[core.ActorKind]int{}
		for _, m := range ms[1:] {
			var k string
			var n int
			fmt.Sscanf(m.Body, "%s %d", &k, &n)
			if n != next[m.AuthorKind] {
				t.Fatalf("%s message %d came before %d", m.AuthorKind, n, next[m.AuthorKind])
			}
			next[m.AuthorKind]++
		}
	})
}

func countType(evs []core.Event, typ core.EventType) int {
	n := 0
	for _, e := range evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// TestSameCustomerAtOnce: one customer opening several requests at the same
// moment (two tabs) gets them all, under one customer record.
func TestSameCustomerAtOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		const n = 6
		customers := make([]string, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				o, err := d.Engine.OpenRequest(ctx, core.OpenRequest{CompanyID: d.Acme.ID, Email: "twotabs@example.com", Message: "hi"})
				if err != nil {
					t.Error(err)
				}
				customers[i] = o.Request.CustomerID
			})
		}
		close(start)
		wg.Wait()
		for _, c := range customers {
			if c != customers[0] || c == "" {
				t.Fatalf("customers %v", customers)
			}
		}
	})
}
