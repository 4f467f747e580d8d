package core

import (
	"context"
	"strings"
	"sync"
	"time"
)

// Typing says that someone is writing in a request's chat. It is shown
// live (the console's "Carol is typing…", the widget's, a Telegram chat
// action) and never stored: no event, no row, nothing to catch up on.
type Typing struct {
	RequestID string
	CompanyID string
	// Actor is who types: a technician, or a customer by their participant
	// ID. A stream leaves out its own viewer's signals by it.
	Actor Actor
	// Name is how the typist is shown: a technician's name, a customer's
	// name in the request, or "Customer" when they gave none. Never an
	// e-mail address: the other customers of a shared session see it.
	Name string
	At   time.Time
}

// TypingInterval is the least time between two typing signals of one
// actor in one request: Engine.Typing passes one, and ignores the calls
// that follow it within the interval.
const TypingInterval = 2 * time.Second

// TypingShown is how long a surface shows that someone is typing after
// their last signal, unless a message of theirs arrives first: a little
// over two intervals, so that one lost signal does not make the indicator
// flicker.
const TypingShown = 3 * TypingInterval

// Signals carries what is shown live and never stored (typing) to whoever
// follows the request: in this process, and in the other processes sharing
// the store when there are any. Delivery is best effort: a signal may be
// lost, is never stored and never replayed. The store implements it; an
// Engine whose store does not carries signals within its own process.
type Signals interface {
	// SendTyping hands t to the followers of its request and company. It
	// must not block: what cannot go at once may be dropped.
	SendTyping(t Typing)
	// OnTyping calls fn with every typing signal, sent here or in another
	// process, until stop is called. fn runs on the sender's goroutine: it
	// must return quickly and block on nothing.
	OnTyping(fn func(Typing)) (stop func())
}

// Typing tells the others in a request's chat that by is writing: the
// technicians when a customer types, the customers and the other
// technicians when a technician does. Whoever may post a chat message in
// the request may signal: its customers while it is open and they have not
// left, and the technicians who write to them (the owner, or one invited
// in, once the chat is live); anyone else is refused as PostMessage refuses
// them, and nothing is sent. Nothing is stored.
//
// Surfaces call it while their user types, at most every TypingInterval;
// of the calls of one actor in one request, one per TypingInterval passes
// and the others return nil and do nothing.
func (e *Engine) Typing(ctx context.Context, by Actor, requestID string) error {
	k := typingKey{actor: by, request: requestID}
	now := e.now()
	// A typist who passed within the interval was allowed then: the calls
	// that follow cost no read of the store.
	if !e.typists.due(k, now) {
		return nil
	}
	r, name, _, err := e.author(ctx, e.store, by, requestID, "", asMessage)
	if err != nil {
		return err
	}
	if !e.typists.take(k, now) {
		return nil
	}
	if by.Kind == ActorCustomer && (name == "" || strings.Contains(name, "@")) {
		name = "Customer"
	}
	e.signals.SendTyping(Typing{RequestID: r.ID, CompanyID: r.CompanyID, Actor: by, Name: name, At: now.UTC()})
	return nil
}

// typingBacklog is how many signals wait for an OnTyping function that is
// busy; more are dropped.
const typingBacklog = 64

// OnTyping calls fn with every typing signal that Typing passed, in this
// process or in another one sharing the store, for every request, until
// stop is called: one adapter per process hears them all and picks its
// own. fn runs on a goroutine of its own, one signal at a time, so it may
// call a platform; signals that arrive while it is busy wait, up to a few
// dozen, and the rest are dropped (typing is best effort). stop waits for a
// running fn to return: do not call it from fn.
func (e *Engine) OnTyping(fn func(Typing)) (stop func()) {
	queue := make(chan Typing, typingBacklog)
	quit, done := make(chan struct{}), make(chan struct{})
	cancel := e.signals.OnTyping(func(t Typing) {
		select {
		case queue <- t:
		default:
		}
	})
	go func() {
		defer close(done)
		for {
			select {
			case <-quit:
				return
			case t := <-queue:
				fn(t)
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			close(quit)
			<-done
		})
	}
}

// maxTypists bounds the actors and requests the rate limit remembers at
// once: past it, new typists are dropped until the old ones expire.
const maxTypists = 1 << 16

type typingKey struct {
	actor   Actor
	request string
}

// typingGate lets one signal per actor and request through every
// TypingInterval. It remembers a typist for one interval: entries expire,
// and are swept out at most once an interval.
type typingGate struct {
	mu    sync.Mutex
	last  map[typingKey]time.Time
	swept time.Time
}

// fresh reports whether a signal sent at then still holds back one at now.
// A clock that went back lets the next one through.
func fresh(then, now time.Time) bool {
	d := now.Sub(then)
	return d >= 0 && d < TypingInterval
}

// due reports whether k may signal at now, without taking its turn.
func (g *typingGate) due(k typingKey, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	t, ok := g.last[k]
	return !ok || !fresh(t, now)
}

// take takes k's turn at now; it reports false when k signalled within the
// interval, or when too many typists are remembered already.
func (g *typingGate) take(k typingKey, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.last == nil {
		g.last = map[typingKey]time.Time{}
	}
	if !fresh(g.swept, now) {
		for k, t := range g.last {
			if !fresh(t, now) {
				delete(g.last, k)
			}
		}
		g.swept = now
	}
	if t, ok := g.last[k]; ok && fresh(t, now) {
		return false
	}
	if _, ok := g.last[k]; !ok && len(g.last) >= maxTypists {
		return false
	}
	g.last[k] = now
	return true
}

// remembered is how many typists the gate holds now, for tests.
func (g *typingGate) remembered() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.last)
}

// localSignals carries signals within one process, for a store that does
// not carry them itself.
type localSignals struct {
	mu   sync.RWMutex
	next int
	subs map[int]func(Typing)
}

func (l *localSignals) SendTyping(t Typing) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	for _, fn := range l.subs {
		fn(t)
	}
}

func (l *localSignals) OnTyping(fn func(Typing)) (stop func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.subs == nil {
		l.subs = map[int]func(Typing){}
	}
	id := l.next
	l.next++
	l.subs[id] = fn
	return func() {
		l.mu.Lock()
		delete(l.subs, id)
		l.mu.Unlock()
	}
}
