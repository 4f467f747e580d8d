// Package hub wakes the live readers of one process when events they follow
// commit: the sockets of one request, the consoles of a company, or (for the
// dispatcher) anything at all. The store publishes what each commit
// touched, its own at once and, on PostgreSQL, other processes' as they
// announce them, so a commit wakes only the readers it concerns.
//
// The same readers also hear signals: what is shown live and never stored
// (someone typing). A signal is handed to the watchers of the keys it is
// sent to, as a value, and wakes nobody to read the store.
package hub

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Key names something a commit can touch.
type Key struct {
	kind byte
	id   string
}

const (
	kindEverything = '*'
	kindRequest    = 'r'
	kindCompany    = 'c'
	kindTechnician = 't'
)

// Request is the key of a request's events.
func Request(id string) Key { return Key{kindRequest, id} }

// Company is the key of the events of every request of a company.
func Company(id string) Key { return Key{kindCompany, id} }

// Technician is the key of a change to what a technician may see: their
// access to a company, or their role.
func Technician(id string) Key { return Key{kindTechnician, id} }

// Everything is the key that matches every commit. Publishing it wakes
// every watcher (after a lost connection, say, when what was missed is
// unknown); following it is being woken by every commit.
func Everything() Key { return Key{kind: kindEverything} }

// String is the key as it travels between processes: "r:<request ID>",
// "c:<company ID>", "t:<technician ID>" or "*".
func (k Key) String() string {
	if k.kind == kindEverything {
		return "*"
	}
	return string(k.kind) + ":" + k.id
}

// ParseKey reads a key written by String.
func ParseKey(s string) (Key, bool) {
	if s == "*" {
		return Everything(), true
	}
	kind, id, ok := strings.Cut(s, ":")
	if !ok || len(kind) != 1 || id == "" {
		return Key{}, false
	}
	switch kind[0] {
	case kindRequest, kindCompany, kindTechnician:
		return Key{kind[0], id}, true
	}
	return Key{}, false
}

// Hub is one process's register of who follows what. The zero Hub is not
// usable; call New.
type Hub struct {
	mu       sync.RWMutex
	byKey    map[Key][]*Watch
	everyone []*Watch                   // following Everything
	subs     map[chan struct{}]struct{} // Subscribe: woken by every publication
	// published counts publications, each counted before it wakes anyone.
	published atomic.Uint64
}

// New returns an empty hub.
func New() *Hub {
	return &Hub{byKey: map[Key][]*Watch{}, subs: map[chan struct{}]struct{}{}}
}

// Watch is one follower: a function called whenever a commit touches one
// of the keys it follows, and optionally one that receives the signals
// sent to them.
type Watch struct {
	h       *Hub
	fn      func()
	signal  func(payload any)
	keys    []Key
	stopped bool
}

// Watch calls fn whenever a commit touching one of keys is published, until
// Stop. fn runs on the publisher's goroutine, with the hub locked for
// reading: it must return quickly and must not call the hub. Calls are not
// coalesced; two publications may call fn at the same time. A nil fn makes
// a watch that only hears signals (OnSignal).
func (h *Hub) Watch(fn func(), keys ...Key) *Watch {
	w := &Watch{h: h, fn: fn}
	w.Follow(keys...)
	return w
}

// Follow replaces what w follows with keys. Whatever commits after Follow
// returns wakes w if it touches one of them. After Stop it does nothing:
// a reader that is closing may still be reading, and follow what it found.
func (w *Watch) Follow(keys ...Key) {
	h := w.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if w.stopped {
		return
	}
	h.remove(w)
	w.keys = slices.Clone(keys)
	for _, k := range w.keys {
		if k.kind == kindEverything {
			h.everyone = append(h.everyone, w)
			continue
		}
		h.byKey[k] = append(h.byKey[k], w)
	}
}

// OnSignal sets the function that receives the signals sent to what w
// follows (Signal), replacing the one set before; nil stops them. fn runs
// like the watch's own function: on the sender's goroutine, with the hub
// locked for reading, so it must return quickly, block on nothing and not
// call the hub; two signals may call it at the same time.
func (w *Watch) OnSignal(fn func(payload any)) {
	w.h.mu.Lock()
	defer w.h.mu.Unlock()
	if !w.stopped {
		w.signal = fn
	}
}

// Stop ends the watch: neither fn nor the signal function is called once
// Stop has returned.
func (w *Watch) Stop() {
	w.h.mu.Lock()
	defer w.h.mu.Unlock()
	w.h.remove(w)
	w.keys, w.signal, w.stopped = nil, nil, true
}

func (h *Hub) remove(w *Watch) {
	for _, k := range w.keys {
		if k.kind == kindEverything {
			h.everyone = without(h.everyone, w)
			continue
		}
		if ws := without(h.byKey[k], w); len(ws) > 0 {
			h.byKey[k] = ws
		} else {
			delete(h.byKey, k)
		}
	}
}

func without(ws []*Watch, w *Watch) []*Watch {
	i := slices.Index(ws, w)
	if i < 0 {
		return ws
	}
	ws[i] = ws[len(ws)-1]
	ws[len(ws)-1] = nil
	return ws[:len(ws)-1]
}

// Subscribe returns a channel that receives a value (coalesced) at every
// publication that may mean new events: all but those that touch
// technicians alone (a change of access appends no event). It is the
// dispatcher's wake-up. Call cancel when done.
func (h *Hub) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs, ch)
		h.mu.Unlock()
	}
}

// Publish says that a commit touched keys: it wakes the watchers of each of
// them, those that follow Everything, and the subscribers. A watcher that
// follows several of the keys is woken once for each. Publishing
// Everything wakes every watcher; publishing no key wakes the subscribers
// alone (a commit that no reader follows, but the dispatchers need to hear
// of).
func (h *Hub) Publish(keys ...Key) {
	h.published.Add(1)
	h.mu.RLock()
	defer h.mu.RUnlock()
	if slices.Contains(keys, Everything()) {
		h.wakeAll()
		return
	}
	for _, k := range keys {
		for _, w := range h.byKey[k] {
			w.wake()
		}
	}
	if len(keys) > 0 {
		for _, w := range h.everyone {
			w.wake()
		}
	}
	if len(keys) == 0 || slices.ContainsFunc(keys, func(k Key) bool { return k.kind != kindTechnician }) {
		h.wakeSubs()
	}
}

// Published counts the publications so far. What committed before the
// publications counted when a read of the store begins, that read sees: a
// reader woken by a publication may use a read that began after it, however
// many readers share it.
func (h *Hub) Published() uint64 { return h.published.Load() }

// wakeAll wakes every watcher once, and every subscriber.
func (h *Hub) wakeAll() {
	seen := map[*Watch]bool{}
	for _, ws := range h.byKey {
		for _, w := range ws {
			if !seen[w] {
				seen[w] = true
				w.wake()
			}
		}
	}
	for _, w := range h.everyone {
		if !seen[w] {
			seen[w] = true
			w.wake()
		}
	}
	h.wakeSubs()
}

func (w *Watch) wake() {
	if w.fn != nil {
		w.fn()
	}
}

// Signal hands payload to the signal function (OnSignal) of every watcher
// that follows one of keys, or Everything, once each however many of keys
// it follows. A signal is what is shown live and never stored (someone
// typing): it wakes no reader, counts as no publication, and reaches only
// the watchers of this process; the store carries it to other processes.
// Sending Everything hands it to every watcher. payload must not be
// changed once sent: watchers may keep it.
func (h *Hub) Signal(payload any, keys ...Key) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if len(keys) == 0 {
		return
	}
	seen := map[*Watch]bool{}
	send := func(w *Watch) {
		if w.signal != nil && !seen[w] {
			seen[w] = true
			w.signal(payload)
		}
	}
	if slices.Contains(keys, Everything()) {
		for _, ws := range h.byKey {
			for _, w := range ws {
				send(w)
			}
		}
	} else {
		for _, k := range keys {
			for _, w := range h.byKey[k] {
				send(w)
			}
		}
	}
	for _, w := range h.everyone {
		send(w)
	}
}

func (h *Hub) wakeSubs() {
	for ch := range h.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
