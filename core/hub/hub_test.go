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

// heard records the signals watchers received, by name.
type heard struct {
	mu  sync.Mutex
	got []string
}

func (h *heard) fn(name string) func(any) {
	return func(p any) {
		h.mu.Lock()
		h.got = append(h.got, name+"="+p.(string))
		h.mu.Unlock()
	}
}

func (h *heard) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.got
	h.got = nil
	slices.Sort(out)
	return out
}

// TestSignalReachesWhatFollows: a signal goes to the watchers of its keys
// that listen for signals, once each, and wakes nobody to read.
func TestSignalReachesWhatFollows(t *testing.T) {
	var (
		reqA, reqB = hub.Request("req_a"), hub.Request("req_b")
		acme       = hub.Company("co_acme")
	)
	h := hub.New()
	var w woken
	var s heard
	h.Watch(w.fn("widget a"), reqA).OnSignal(s.fn("widget a"))
	h.Watch(w.fn("widget b"), reqB).OnSignal(s.fn("widget b"))
	h.Watch(w.fn("deaf"), reqA) // follows, hears no signals
	h.Watch(w.fn("acme console"), hub.Technician("tec_alice"), acme, reqA).OnSignal(s.fn("acme console"))
	h.Watch(w.fn("admin console"), hub.Everything()).OnSignal(s.fn("admin console"))
	h.Watch(nil, hub.Everything()).OnSignal(s.fn("adapter"))
	sub, cancel := h.Subscribe()
	defer cancel()

	h.Signal("typing", reqA, acme)
	if got, want := s.take(), []string{"acme console=typing", "adapter=typing", "admin console=typing", "widget a=typing"}; !slices.Equal(got, want) {
		t.Errorf("a signal to request a reached %q, want %q", got, want)
	}
	h.Signal("hello", hub.Everything())
	if got, want := s.take(), []string{"acme console=hello", "adapter=hello", "admin console=hello", "widget a=hello", "widget b=hello"}; !slices.Equal(got, want) {
		t.Errorf("a signal to everything reached %q, want %q", got, want)
	}
	h.Signal("nobody")
	if got := s.take(); len(got) != 0 {
		t.Errorf("a signal to no key reached %q", got)
	}
	if got := w.take(); len(got) != 0 {
		t.Errorf("signals woke %q", got)
	}
	select {
	case <-sub:
		t.Error("a signal woke the subscriber")
	default:
	}
	if n := h.Published(); n != 0 {
		t.Errorf("signals counted as %d publications", n)
	}
	// A commit still wakes a signal-only watch's followers, and not the
	// signal-only watch itself (it has nothing to call).
	h.Publish(reqB)
	if got, want := w.take(), []string{"admin console", "widget b"}; !slices.Equal(got, want) {
		t.Errorf("a commit woke %q, want %q", got, want)
	}
}

func TestSignalAfterStop(t *testing.T) {
	h := hub.New()
	var s heard
	x := h.Watch(nil, hub.Request("req_1"))
	x.OnSignal(s.fn("x"))
	h.Signal("one", hub.Request("req_1"))
	x.OnSignal(nil)
	h.Signal("two", hub.Request("req_1"))
	x.OnSignal(s.fn("x"))
	x.Stop()
	h.Signal("three", hub.Request("req_1"))
	x.OnSignal(s.fn("x")) // after Stop: nothing
	x.Follow(hub.Request("req_1"))
	h.Signal("four", hub.Request("req_1"))
	if got := s.take(); !slices.Equal(got, []string{"x=one"}) {
		t.Fatalf("heard %q, want only the signal sent while listening", got)
	}
}
