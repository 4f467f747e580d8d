package sqlstore_test

import (
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/hub"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/testwait"
)

// signalLog records the signals a watch hears.
type signalLog struct {
	mu  sync.Mutex
	got []core.Typing
}

func listenFor(s *sqlstore.Store, keys ...hub.Key) *signalLog {
	l := &signalLog{}
	w := s.Hub().Watch(nil, keys...)
	w.OnSignal(func(p any) {
		l.mu.Lock()
		l.got = append(l.got, p.(core.Typing))
		l.mu.Unlock()
	})
	return l
}

func (l *signalLog) take() []core.Typing {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.got
	l.got = nil
	return out
}

func typing(requestID, companyID, name string) core.Typing {
	return core.Typing{RequestID: requestID, CompanyID: companyID, Actor: core.TechnicianActor("tec_" + name),
		Name: name, At: time.Now().UTC().Truncate(time.Microsecond)}
}

// TestSignalsInProcess: a typing signal reaches this process's watchers of
// its request and of its company at once, and nobody else; it writes
// nothing.
func TestSignalsInProcess(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		s := newStore(t)
		storetest.NewDesk(t, s)
		before := storetest.Snapshot(t, s)
		widget := listenFor(s, hub.Request("req_1"))
		other := listenFor(s, hub.Request("req_2"))
		console := listenFor(s, hub.Technician("tec_bob"), hub.Company("co_1"))
		elsewhere := listenFor(s, hub.Company("co_2"))
		var adapter []core.Typing
		stop := s.OnTyping(func(ty core.Typing) { adapter = append(adapter, ty) })
		defer stop()

		ty := typing("req_1", "co_1", "Alice")
		s.SendTyping(ty)
		for name, l := range map[string]*signalLog{"the request's": widget, "the company's": console} {
			if got := l.take(); len(got) != 1 || got[0] != ty {
				t.Errorf("%s watcher heard %+v", name, got)
			}
		}
		if len(adapter) != 1 || adapter[0] != ty {
			t.Errorf("OnTyping heard %+v", adapter)
		}
		if got := append(other.take(), elsewhere.take()...); len(got) != 0 {
			t.Errorf("watchers of other requests and companies heard %+v", got)
		}
		if after := storetest.Snapshot(t, s); after != before {
			t.Error("a signal wrote to the database")
		}
	})
}

// TestSignalsReachAnotherProcess: on PostgreSQL a typing signal sent in one
// process reaches the watchers of its request in another, as it was sent,
// and is heard once in the process that sent it.
func TestSignalsReachAnotherProcess(t *testing.T) {
	t.Parallel()
	url := storetest.MigratedPostgresURL(t)
	a, b := storetest.Open(t, url), storetest.Open(t, url)
	storetest.Listen(t, a)
	storetest.Listen(t, b)
	req, co := core.NewID("req"), core.NewID("co")
	atA, atB := listenFor(a, hub.Request(req)), listenFor(b, hub.Company(co))

	fromA := typing(req, co, "Alice")
	fromA.Name = strings.Repeat("é", 300) // cut to fit, on a character's boundary
	a.SendTyping(fromA)
	var got []core.Typing
	testwait.Eventually(t, "process b hears process a's signal", func() bool {
		got = append(got, atB.take()...)
		return len(got) > 0
	})
	want := fromA
	want.Name = strings.Repeat("é", sqlstore.MaxSignalName/2)
	if len(got) != 1 || got[0] != want || !got[0].At.Equal(fromA.At) {
		t.Fatalf("process b heard %+v", got)
	}

	// PostgreSQL delivers notifications in commit order: once a hears b's
	// signal, it has read its own NOTIFY too, and must not have passed it
	// on a second time.
	fromB := typing(req, co, "Bob")
	b.SendTyping(fromB)
	got = nil
	testwait.Eventually(t, "process a hears process b's signal", func() bool {
		got = append(got, atA.take()...)
		return len(got) >= 2
	})
	if len(got) != 2 || got[0].Name != fromA.Name || got[1] != fromB {
		t.Fatalf("process a heard %+v, want its own signal once, then b's", got)
	}
}

// TestSignalPayloads: what travels is small, names no more than a signal
// holds, and what is not a signal of this version is ignored.
func TestSignalPayloads(t *testing.T) {
	ty := typing("req_1", "co_1", "Alice")
	ty.Actor = core.CustomerActor("par_1")
	p, ok := sqlstore.EncodeTyping("p_origin", ty)
	if !ok || len(p) > sqlstore.MaxSignalPayload {
		t.Fatalf("encoded %q, %v", p, ok)
	}
	origin, back, ok := sqlstore.DecodeTyping(p)
	if !ok || origin != "p_origin" || back != ty {
		t.Fatalf("read back %q %+v %v", origin, back, ok)
	}
	long := ty
	long.Name = strings.Repeat("x", 10*sqlstore.MaxSignalPayload)
	if p, ok := sqlstore.EncodeTyping("p_origin", long); !ok || len(p) > sqlstore.MaxSignalPayload {
		t.Fatalf("a long name: %d bytes, %v", len(p), ok)
	}
	huge := ty
	huge.RequestID = strings.Repeat("r", 2*sqlstore.MaxSignalPayload)
	if _, ok := sqlstore.EncodeTyping("p_origin", huge); ok {
		t.Fatal("a payload over the bound was encoded")
	}
	for _, bad := range []string{
		"", "p_origin r:req_1", "{}", `{"o":"p","k":"seen","r":"req_1","c":"co_1","ak":"customer","ai":"par_1"}`,
		`{"o":"p","k":"typing","r":"req_1","c":"co_1","ak":"system","ai":"sys"}`,
		`{"o":"p","k":"typing","c":"co_1","ak":"customer","ai":"par_1"}`,
		strings.Repeat(" ", sqlstore.MaxSignalPayload+1) + p,
	} {
		if _, _, ok := sqlstore.DecodeTyping(bad); ok {
			t.Errorf("%.60q read as a signal", bad)
		}
	}
	if !utf8.ValidString(p) {
		t.Fatal("an invalid payload")
	}
}
