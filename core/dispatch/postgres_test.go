package dispatch_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/testwait"
)

// TestNotifyWakesAnotherProcess: an event committed through one connection
// pool wakes the subscribers of another, as in another process; a
// dispatcher there that polls only once an hour delivers it at once.
func TestNotifyWakesAnotherProcess(t *testing.T) {
	t.Parallel()
	// Parallel: the other tests' NOTIFYs are on their own schemas'
	// channels (TestSchemasHearOnlyThemselves in sqlstore).
	url := storetest.MigratedPostgresURL(t)
	writer, reader := storetest.Open(t, url), storetest.Open(t, url)
	wake, unsubscribe := reader.Subscribe()
	defer unsubscribe()
	storetest.Listen(t, writer)
	storetest.Listen(t, reader)
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
	checkDelivered(t, k, logged(t, writer), "")
}

// TestTwoProcessesShareADestination runs two dispatchers on two connection
// pools of one database, as two relaydesk processes. The destination lets
// no call finish until four are in flight while each process may have only
// two: both must deliver at once. Between them every event goes out
// exactly once, each request's in order. Then one is killed (it stops
// writing and never releases anything) and the other delivers what the
// dead one held once its leases lapse.
func TestTwoProcessesShareADestination(t *testing.T) {
	t.Parallel()
	url := storetest.MigratedPostgresURL(t)
	a, b := storetest.Open(t, url), storetest.Open(t, url)
	storetest.Listen(t, a)
	storetest.Listen(t, b)
	deskA := storetest.NewDesk(t, a)
	deskB := &storetest.Desk{Store: b, Engine: core.NewEngine(core.Config{Store: b, Blobs: deskA.Blobs}),
		Acme: deskA.Acme}

	const together = 4
	var inside atomic.Int32
	all := make(chan struct{})
	var once sync.Once
	barrier := func(core.Event) {
		if inside.Add(1) >= together {
			once.Do(func() { close(all) })
		}
		select {
		case <-all:
		case <-time.After(20 * time.Second):
		}
	}
	k := newSink()
	opts := fast()
	// Leases are renewed every third of their time: a second (renewed every
	// 333 ms) lapsed now and then on a loaded two-core machine, and a lapsed
	// lease is a takeover, which may deliver twice by design.
	opts.LeaseTTL = 3 * time.Second
	opts.InFlight = together / 2
	opts.Owner = "process-a"
	logA := &crashingLog{Log: a}
	da := dispatch.New(logA, opts)
	da.Register(&dest{name: "shared", tag: "a", sink: k, before: barrier})
	opts.Owner = "process-b"
	db := dispatch.New(b, opts)
	db.Register(&dest{name: "shared", tag: "b", sink: k, before: barrier})
	stopA := run(t, da)
	run(t, db)

	fill(t, deskA, 10, 0)
	fill(t, deskB, 10, 100)
	want := logged(t, a)
	k.wait(t, len(want))
	checkDelivered(t, k, want, "")
	testwait.Eventually(t, "each process to count two", func() bool { return da.Peers("shared") == 2 && db.Peers("shared") == 2 })

	// Kill a while it holds conversations: b takes them over.
	logA.crashed.Store(true)
	stopA()
	fill(t, deskA, 10, 200)
	want = logged(t, a)
	k.wait(t, len(want))
	checkDelivered(t, k, want, "a")
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, tag := range k.by[len(k.by)-20:] {
		if tag == "a" {
			t.Fatal("the killed process still delivered")
		}
	}
}
