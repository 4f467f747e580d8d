package sqlstore

import (
	"context"
	"encoding/json"
	"time"
	"unicode/utf8"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/hub"
)

// Signals are what is shown live and never stored (someone typing). The
// store hands them to this process's watchers through the hub at once and,
// on PostgreSQL, to the other processes through NOTIFYs on a channel of
// their own, so that a burst of typing never holds up the announcements of
// commits, nor is read as one. Nothing is written to any table.
const (
	signalChannel = "relaydesk_signals"
	// signalBacklog is how many signals wait for their NOTIFY; past it
	// (the database is slow or away) they are dropped.
	signalBacklog = 256
	// signalStale is how long a signal may wait for its NOTIFY: one that
	// waited longer would tell of typing that may have stopped, and is
	// dropped.
	signalStale = core.TypingInterval
	// maxSignalPayload bounds a signal's NOTIFY: far under PostgreSQL's
	// 8000 bytes, as a signal names a request and a person, no more.
	maxSignalPayload = 1024
	// maxSignalName bounds, in bytes, the name a signal carries across.
	maxSignalName = 200
)

// wireSignal is a signal as it travels between processes: IDs, a display
// name and a time. It carries no message text, token or address.
type wireSignal struct {
	Origin    string         `json:"o"`
	Kind      string         `json:"k"` // "typing"; a kind this version does not know is ignored
	RequestID string         `json:"r"`
	CompanyID string         `json:"c"`
	ActorKind core.ActorKind `json:"ak"`
	ActorID   string         `json:"ai"`
	Name      string         `json:"n"`
	At        time.Time      `json:"t"`
}

const kindTyping = "typing"

// outgoing is a signal waiting for its NOTIFY.
type outgoing struct {
	payload string
	queued  time.Time
}

// typingKeys are the keys a typing signal goes to: the streams of its
// request (the widget) and of its company (the console).
func typingKeys(t core.Typing) []hub.Key {
	return []hub.Key{hub.Request(t.RequestID), hub.Company(t.CompanyID)}
}

// SendTyping hands t to this process's watchers of its request and
// company at once and, on PostgreSQL once Run is running, to the other
// processes'. It never blocks: a signal that cannot be queued is dropped.
func (s *Store) SendTyping(t core.Typing) {
	s.hub.Signal(t, typingKeys(t)...)
	if s.d.name != "postgres" {
		return
	}
	p, ok := encodeTyping(s.origin, t)
	if !ok {
		return
	}
	select {
	case s.outbox <- outgoing{p, time.Now()}:
	default:
	}
}

// OnTyping calls fn with every typing signal this process hears, its own
// and, once Run is running, other processes', until stop. fn runs on the
// sender's goroutine with the hub locked for reading (see hub.Watch).
func (s *Store) OnTyping(fn func(core.Typing)) (stop func()) {
	w := s.hub.Watch(nil, hub.Everything())
	w.OnSignal(func(p any) {
		if t, ok := p.(core.Typing); ok {
			fn(t)
		}
	})
	return w.Stop
}

// encodeTyping writes a typing signal as a NOTIFY payload; false when it
// would not fit.
func encodeTyping(origin string, t core.Typing) (string, bool) {
	name := t.Name
	if len(name) > maxSignalName {
		name = name[:maxSignalName]
		for !utf8.ValidString(name) {
			name = name[:len(name)-1]
		}
	}
	b, err := json.Marshal(wireSignal{Origin: origin, Kind: kindTyping, RequestID: t.RequestID, CompanyID: t.CompanyID,
		ActorKind: t.Actor.Kind, ActorID: t.Actor.ID, Name: name, At: t.At})
	if err != nil || len(b) > maxSignalPayload {
		return "", false
	}
	return string(b), true
}

// decodeTyping reads a payload written by encodeTyping: the sender's
// origin and the signal; ok is false for anything else.
func decodeTyping(payload string) (origin string, t core.Typing, ok bool) {
	var w wireSignal
	if len(payload) > maxSignalPayload || json.Unmarshal([]byte(payload), &w) != nil {
		return "", t, false
	}
	if w.Kind != kindTyping || w.RequestID == "" || w.CompanyID == "" || w.ActorID == "" ||
		(w.ActorKind != core.ActorCustomer && w.ActorKind != core.ActorTechnician) {
		return w.Origin, t, false
	}
	return w.Origin, core.Typing{RequestID: w.RequestID, CompanyID: w.CompanyID,
		Actor: core.Actor{Kind: w.ActorKind, ID: w.ActorID}, Name: w.Name, At: w.At}, true
}

// heard hands a signal another process sent to this process's watchers.
func (s *Store) heard(payload string) {
	origin, t, ok := decodeTyping(payload)
	if !ok || origin == s.origin {
		return // ours went out when it was sent; what is not understood is nobody's
	}
	s.hub.Signal(t, typingKeys(t)...)
}

// signaler NOTIFYs the other processes of this one's signals, in order,
// until ctx ends. A signal that waited too long (the database was slow or
// away) is dropped, and one that fails is not sent again: either would be
// stale.
func (s *Store) signaler(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case o := <-s.outbox:
			if time.Since(o.queued) > signalStale {
				continue
			}
			if _, err := s.db.ExecContext(ctx, "SELECT pg_notify($1, $2)", s.signalsChannel, o.payload); err != nil && ctx.Err() == nil {
				s.log.Debug("notify other relaydesk processes of a signal", "err", err)
			}
		}
	}
}

var _ core.Signals = (*Store)(nil)
