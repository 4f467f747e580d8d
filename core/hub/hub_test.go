package hub_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/relaydesk/relaydesk/core/hub"
)

// woken records which watchers were called, by name.
type woken struct {
	mu    sync.Mutex
	names []string
}

func (w *woken) fn(name string) func() {
	return func() {
		w.mu.Lock()
		w.names = append(w.names, name)
		w.mu.Unlock()
	}
}

func (w *woken) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.names
	w.names = nil
	slices.Sort(out)
	return out
}

func TestPublishWakesWhatFollows(t *testing.T) {
	var (
		reqA, reqB = hub.Request("req_a"), hub.Request("req_b")
		acme       = hub.Company("co_acme")
		alice      = hub.Technician("tec_alice")
	)
	for _, tc := range []struct {
		name    string
		publish []hub.Key
		want    []string
		sub     bool // the subscriber (the dispatcher) is woken
	}{
		{"a request's commit", []hub.Key{reqA, acme}, []string{"acme console", "admin console", "widget a", "widget a too"}, true},
		{"another request's", []hub.Key{reqB}, []string{"admin console", "widget b"}, true},
		{"an access change: no event", []hub.Key{alice}, []string{"acme console", "admin console"}, false},
		{"nothing anyone follows", []hub.Key{hub.Request("req_other")}, []string{"admin console"}, true},
		{"no key: the dispatchers alone", nil, nil, true},
		{"everything", []hub.Key{hub.Everything()}, []string{"acme console", "admin console", "widget a", "widget a too", "widget b"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := hub.New()
			var w woken
			h.Watch(w.fn("widget a"), reqA)
			h.Watch(w.fn("widget a too"), reqA)
			h.Watch(w.fn("widget b"), reqB)
			h.Watch(w.fn("acme console"), alice, acme)
			h.Watch(w.fn("admin console"), hub.Technician("tec_admin"), hub.Everything())
			sub, cancel := h.Subscribe()
			defer cancel()

			h.Publish(tc.publish...)
			if got := w.take(); !slices.Equal(got, tc.want) {
				t.Errorf("woke %q, want %q", got, tc.want)
			}
			select {
			case <-sub:
				if !tc.sub {
					t.Error("the subscriber was woken")
				}
			default:
				if tc.sub {
					t.Error("the subscriber was not woken")
				}
			}
			if n := h.Published(); n != 1 {
				t.Errorf("Published %d after one publication", n)
			}
		})
	}
}

func TestFollowAndStop(t *testing.T) {
	h := hub.New()
	var w woken
	x := h.Watch(w.fn("x"), hub.Company("co_1"))
	x.Follow(hub.Company("co_2"), hub.Technician("tec_1"))
	h.Publish(hub.Company("co_1"))
	h.Publish(hub.Company("co_2"))
	if got := w.take(); !slices.Equal(got, []string{"x"}) {
		t.Fatalf("after Follow: woke %q", got)
	}
	x.Stop()
	h.Publish(hub.Company("co_2"), hub.Everything())
	if got := w.take(); len(got) != 0 {
		t.Fatalf("after Stop: woke %q", got)
	}
	// A stopped watch stays stopped: a reader closing while it reads may
	// still follow what it found. A second Stop is harmless.
	x.Follow(hub.Company("co_1"))
	h.Publish(hub.Company("co_1"))
	x.Stop()
	if got := w.take(); len(got) != 0 {
		t.Fatalf("a stopped watch that followed again woke %q", got)
	}
}

func TestKeyRoundTrip(t *testing.T) {
	for _, k := range []hub.Key{hub.Request("req_1"), hub.Company("co_1"), hub.Technician("tec_1"), hub.Everything()} {
		got, ok := hub.ParseKey(k.String())
		if !ok || got != k {
			t.Errorf("%s read back as %v, %v", k, got, ok)
		}
	}
	for _, s := range []string{"", "r:", "x:req_1", "req_1", "rr:req_1"} {
		if k, ok := hub.ParseKey(s); ok {
			t.Errorf("%q read as %v", s, k)
		}
	}
}
