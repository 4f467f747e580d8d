package dispatch_test

import (
	"context"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// listen runs a store's LISTEN/NOTIFY loop for the test and waits until it
// hears other processes.
func listen(t *testing.T, s *sqlstore.Store) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.Run(ctx); err != nil {
			t.Errorf("listener: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-s.Listening():
	case <-time.After(10 * time.Second):
		t.Fatal("the listener did not start")
	}
}

// TestNotifyWakesAnotherProcess: an event committed through one connection
// pool wakes the subscribers of another, as in another process; a
// dispatcher there that polls only once an hour delivers it at once.
func TestNotifyWakesAnotherProcess(t *testing.T) {
	url := storetest.PostgresURL(t)
	writer, reader := storetest.Open(t, url), storetest.Open(t, url)
	wake, unsubscribe := reader.Subscribe()
	defer unsubscribe()
	listen(t, writer)
	listen(t, reader)
	select { // the "rescan" every listener start signals
	case <-wake:
	default:
	}
	desk := storetest.NewDesk(t, writer)
	select {
	case <-wake:
		t.Fatal("woken before any event was committed")
	default:
	}

	k := newSink()
	disp := dispatch.New(reader, dispatch.Options{Poll: time.Hour, LeaseTTL: 3 * time.Hour})
	disp.Register(&dest{name: "far", sink: k})
	run(t, disp)
	fill(t, desk, 1, 0)
	select {
	case <-wake:
	case <-time.After(10 * time.Second):
		t.Fatal("a commit through another pool did not wake this one")
	}
	k.wait(t, 2)
	checkExactlyOnceInOrder(t, k.events(), logOrder(t, writer))
}

// TestTwoProcessesShareADestination runs two dispatchers on two connection
// pools of one database, as two relaydesk processes: between them every
// event goes out exactly once. Then the one delivering stops, and the other
// takes over where it left off.
func TestTwoProcessesShareADestination(t *testing.T) {
	url := storetest.PostgresURL(t)
	a, b := storetest.Open(t, url), storetest.Open(t, url)
	listen(t, a)
	listen(t, b)
	deskA := storetest.NewDesk(t, a)
	deskB := &storetest.Desk{Store: b, Engine: core.NewEngine(core.Config{Store: b, Blobs: deskA.Blobs}),
		Acme: deskA.Acme}

	k := newSink()
	opts := fast()
	opts.LeaseTTL = time.Minute
	opts.Owner = "process-a"
	da := dispatch.New(a, opts)
	da.Register(&dest{name: "shared", tag: "a", sink: k})
	opts.Owner = "process-b"
	db := dispatch.New(b, opts)
	db.Register(&dest{name: "shared", tag: "b", sink: k})
	stopA, stopB := run(t, da), run(t, db)

	// Both processes write; both dispatchers are woken by every commit.
	fill(t, deskA, 15, 0)
	fill(t, deskB, 15, 100)
	want := logOrder(t, a)
	k.wait(t, len(want))
	checkExactlyOnceInOrder(t, k.events(), want)

	// Stop whoever delivered; the other carries on from the same cursor.
	k.mu.Lock()
	holder := k.by[len(k.by)-1]
	k.mu.Unlock()
	stop := map[string]func(){"a": stopA, "b": stopB}[holder]
	stop()
	fill(t, deskA, 10, 200)
	want = logOrder(t, a)
	k.wait(t, len(want))
	checkExactlyOnceInOrder(t, k.events(), want)
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, tag := range k.by[len(k.by)-20:] {
		if tag == holder {
			t.Fatalf("the stopped process %s still delivered", holder)
		}
	}
}
