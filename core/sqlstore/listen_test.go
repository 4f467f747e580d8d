package sqlstore_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/hub"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

func requestKeys(n int) []hub.Key {
	keys := make([]hub.Key, n)
	for i := range keys {
		keys[i] = hub.Request(core.NewID("req"))
	}
	return keys
}

// TestPayloads: what a burst of commits touched travels in NOTIFYs under
// PostgreSQL's 8000-byte limit, as few as fit, or as "everything" when
// naming it would take too many.
func TestPayloads(t *testing.T) {
	const origin = "p_origin"
	perPayload := (sqlstore.MaxPayload - len(origin)) / (len(hub.Request(core.NewID("req")).String()) + 1)
	for _, tc := range []struct {
		name     string
		keys     []hub.Key
		payloads int
		all      bool
	}{
		{"nothing named: the dispatchers' wake-up", nil, 1, false},
		{"one commit", []hub.Key{hub.Request("req_1"), hub.Company("co_1")}, 1, false},
		{"a busy burst", requestKeys(perPayload), 1, false},
		{"a burst over one payload", requestKeys(perPayload + 1), 2, false},
		{"as many as may go", requestKeys(perPayload * sqlstore.MaxNotifies), sqlstore.MaxNotifies, false},
		{"more: everything", requestKeys(perPayload*sqlstore.MaxNotifies + 1), 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := sqlstore.Payloads(origin, tc.keys)
			if len(ps) != tc.payloads {
				t.Fatalf("%d payloads, want %d", len(ps), tc.payloads)
			}
			var got []hub.Key
			for _, p := range ps {
				if len(p) >= 8000 || len(p) > sqlstore.MaxPayload {
					t.Fatalf("a payload of %d bytes", len(p))
				}
				from, keys, all := sqlstore.Announced(p)
				if from != origin || all != tc.all {
					t.Fatalf("payload %.60q read as from %q, all %v", p, from, all)
				}
				got = append(got, keys...)
			}
			if !tc.all && !slices.Equal(got, tc.keys) {
				t.Fatalf("read back %d keys of %d", len(got), len(tc.keys))
			}
		})
	}
}

// TestAnnounced reads payloads, including those of older relaydesk
// versions and of keys this one does not know: those wake everything.
func TestAnnounced(t *testing.T) {
	for _, tc := range []struct {
		payload string
		origin  string
		keys    []hub.Key
		all     bool
	}{
		{"", "", nil, true}, // relaydesk before keys
		{"p_1", "p_1", nil, false},
		{"p_1 r:req_1 c:co_1", "p_1", []hub.Key{hub.Request("req_1"), hub.Company("co_1")}, false},
		{"p_1 *", "p_1", nil, true},
		{"p_1 r:req_1 z:what", "p_1", nil, true},
	} {
		origin, keys, all := sqlstore.Announced(tc.payload)
		if origin != tc.origin || all != tc.all || !slices.Equal(keys, tc.keys) {
			t.Errorf("%q: %q %v %v", tc.payload, origin, keys, all)
		}
	}
}

// TestNotifyNamesWhatChanged: a commit in one process wakes, in another,
// the readers of the request and the company it touched, and no other.
func TestNotifyNamesWhatChanged(t *testing.T) {
	t.Parallel()
	url := storetest.MigratedPostgresURL(t)
	writer, reader := storetest.Open(t, url), storetest.Open(t, url)
	storetest.Listen(t, writer)
	storetest.Listen(t, reader)
	d := storetest.NewDesk(t, writer)
	a := d.Open(t, d.Acme, "a@example.com", "a")
	b := d.Open(t, d.Acme, "b@example.com", "b")
	c := d.Open(t, d.Globex, "c@example.com", "c")

	woke := map[string]chan struct{}{}
	watch := func(name string, k hub.Key) {
		ch := make(chan struct{}, 100)
		woke[name] = ch
		w := reader.Hub().Watch(func() { ch <- struct{}{} }, k)
		t.Cleanup(w.Stop)
	}
	watch("a", hub.Request(a.Request.ID))
	watch("b", hub.Request(b.Request.ID))
	watch("c", hub.Request(c.Request.ID))
	watch("acme", hub.Company(d.Acme.ID))
	// Other processes on the test server (other tests) may send NOTIFYs
	// that name nothing, which wake everything: a wake-up of this key,
	// which no commit touches, says one came.
	watch("nobody", hub.Request("req_nobody"))
	drain := func() {
		for _, ch := range woke {
			for len(ch) > 0 {
				<-ch
			}
		}
	}
	wait := func(name string) {
		t.Helper()
		select {
		case <-woke[name]:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s was not woken", name)
		}
	}
	post := func(o core.Opened, body string) {
		t.Helper()
		if _, err := d.Engine.PostMessage(context.Background(), core.CustomerActor(o.Participant.ID), o.Request.ID, core.Post{Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	for attempt := range 50 {
		// The NOTIFYs of earlier commits (the requests' opening) may still
		// be on their way: once c's reader hears a commit made now, they
		// have all been heard.
		post(c, fmt.Sprint("before ", attempt))
		wait("c")
		drain()
		post(a, fmt.Sprint("to a ", attempt))
		post(c, fmt.Sprint("to c ", attempt))
		// The listener hears NOTIFYs in commit order: once c's reader is
		// woken, a's commit has been heard too.
		wait("c")
		wait("a")
		wait("acme")
		if len(woke["nobody"]) > 0 {
			continue // everything was woken by someone else: look again
		}
		if n := len(woke["b"]); n > 0 {
			t.Fatalf("commits on requests a and c woke request b's reader %d times", n)
		}
		return
	}
	t.Fatal("other processes on the test server woke everything in every attempt")
}

// TestOwnNotifyIsNotHeardTwice: a process's own commit wakes its readers
// once, when it commits, and not again when its NOTIFY comes back.
func TestOwnNotifyIsNotHeardTwice(t *testing.T) {
	t.Parallel()
	url := storetest.MigratedPostgresURL(t)
	here, there := storetest.Open(t, url), storetest.Open(t, url)
	storetest.Listen(t, here)
	storetest.Listen(t, there)
	d := storetest.NewDesk(t, here)
	elsewhere := core.NewEngine(core.Config{Store: there})
	a := d.Open(t, d.Acme, "a@example.com", "a")
	c := d.Open(t, d.Globex, "c@example.com", "c")
	watch := func(s *sqlstore.Store, k hub.Key) chan struct{} {
		ch := make(chan struct{}, 100)
		w := s.Hub().Watch(func() { ch <- struct{}{} }, k)
		t.Cleanup(w.Stop)
		return ch
	}
	wokeA, wokeC := watch(here, hub.Request(a.Request.ID)), watch(here, hub.Request(c.Request.ID))
	nobody := watch(here, hub.Request("req_nobody")) // see TestNotifyNamesWhatChanged
	heardA := watch(there, hub.Request(a.Request.ID))
	heardC := watch(there, hub.Request(c.Request.ID))
	wait := func(ch chan struct{}, what string) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s did not happen", what)
		}
	}
	for attempt := range 50 {
		// Once the other process hears a commit made here now, it has heard
		// the earlier ones (the requests' opening).
		if _, err := d.Engine.PostMessage(context.Background(), core.CustomerActor(c.Participant.ID), c.Request.ID, core.Post{Body: fmt.Sprint("before ", attempt)}); err != nil {
			t.Fatal(err)
		}
		wait(heardC, "the other process hearing the commit before")
		for _, ch := range []chan struct{}{wokeA, wokeC, nobody, heardA, heardC} {
			for len(ch) > 0 {
				<-ch
			}
		}
		if _, err := d.Engine.PostMessage(context.Background(), core.CustomerActor(a.Participant.ID), a.Request.ID, core.Post{Body: fmt.Sprint("a ", attempt)}); err != nil {
			t.Fatal(err)
		}
		wait(wokeA, "the commit's wake-up here")
		// Once the other process heard a's NOTIFY, a commit there comes
		// back here after it: by then this process has heard its own.
		wait(heardA, "the other process hearing the commit")
		if _, err := elsewhere.PostMessage(context.Background(), core.CustomerActor(c.Participant.ID), c.Request.ID, core.Post{Body: fmt.Sprint("c ", attempt)}); err != nil {
			t.Fatal(err)
		}
		wait(wokeC, "the other process's commit waking this one")
		if len(nobody) > 0 {
			continue // someone else's NOTIFY woke everything: look again
		}
		if n := len(wokeA); n > 0 {
			t.Fatalf("this process's own NOTIFY woke a's reader again (%d times)", n)
		}
		return
	}
	t.Fatal("other processes on the test server woke everything in every attempt")
}

// TestSchemasHearOnlyThemselves: two desks kept in two schemas of one
// PostgreSQL database do not wake each other: each NOTIFYs on channels of
// its own, while a second process of the same desk hears every commit.
func TestSchemasHearOnlyThemselves(t *testing.T) {
	t.Parallel()
	urlA, urlB := storetest.MigratedPostgresURL(t), storetest.MigratedPostgresURL(t)
	a, aListens := storetest.Open(t, urlA), storetest.Open(t, urlA)
	b, bListens := storetest.Open(t, urlB), storetest.Open(t, urlB)
	for _, s := range []*sqlstore.Store{a, aListens, b, bListens} {
		storetest.Listen(t, s) // Run: each sends its NOTIFYs and hears the others'
	}
	deskA, deskB := storetest.NewDesk(t, a), storetest.NewDesk(t, b)
	x, y := deskA.Open(t, deskA.Acme, "x@example.com", "x"), deskB.Open(t, deskB.Acme, "y@example.com", "y")
	watch := func(s *sqlstore.Store, k hub.Key) chan struct{} {
		ch := make(chan struct{}, 100)
		w := s.Hub().Watch(func() { ch <- struct{}{} }, k)
		t.Cleanup(w.Stop)
		return ch
	}
	wait := func(ch chan struct{}, what string) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s did not happen", what)
		}
	}
	heardX, heardY := watch(aListens, hub.Request(x.Request.ID)), watch(bListens, hub.Request(y.Request.ID))
	leakedX, nobody := watch(bListens, hub.Request(x.Request.ID)), watch(bListens, hub.Request("req_nobody"))
	for attempt := range 20 {
		post := func(d *storetest.Desk, o core.Opened) {
			if _, err := d.Engine.PostMessage(context.Background(), core.CustomerActor(o.Participant.ID), o.Request.ID,
				core.Post{Body: fmt.Sprint("m ", attempt)}); err != nil {
				t.Fatal(err)
			}
		}
		post(deskA, x)
		wait(heardX, "desk A's second process hearing its commit")
		// NOTIFYs reach a listener in commit order: once desk B's listener
		// hears a commit of B made after A's, it would have heard A's.
		post(deskB, y)
		wait(heardY, "desk B's second process hearing its commit")
		if len(nobody) > 0 { // an everything-wake (a listener starting): look again
			for _, ch := range []chan struct{}{leakedX, nobody} {
				for len(ch) > 0 {
					<-ch
				}
			}
			continue
		}
		if len(leakedX) > 0 {
			t.Fatal("a commit of desk A woke desk B's reader")
		}
		if ev, sig := sqlstore.Channels("public"); ev != "relaydesk_events" || sig != "relaydesk_signals" {
			t.Errorf("the public schema's channels are %s and %s; older processes use relaydesk_events and relaydesk_signals", ev, sig)
		}
		return
	}
	t.Fatal("everything-wakes in every attempt")
}
