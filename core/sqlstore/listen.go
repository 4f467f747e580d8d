package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/lib/pq"

	"github.com/relaydesk/relaydesk/core/hub"
)

// A NOTIFY's payload names what a burst of commits touched: the sending
// process's origin, then keys ("r:<request>", "c:<company>",
// "t:<technician>"), space-separated. An origin alone wakes only the
// dispatchers; "*" for a key, or an empty payload (as relaydesk sent before
// it named keys), wakes every reader.
const (
	// maxPayload keeps a payload under PostgreSQL's limit of 8000 bytes.
	maxPayload = 7900
	// maxNotifies bounds the NOTIFYs of one burst: a burst that touched
	// more is announced as "*" instead.
	maxNotifies = 8
	// maxAnnounced bounds how many keys wait to be announced (while the
	// database is away, say); past it the burst is announced as "*".
	maxAnnounced = maxNotifies * maxPayload / 16
)

// announcements gathers what this process's commits touched until the
// notifier announces it.
type announcements struct {
	mu      sync.Mutex
	keys    map[hub.Key]struct{}
	any     bool // something committed since the last take
	overrun bool // more than maxAnnounced keys: announce everything
}

func (a *announcements) add(keys []hub.Key) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.any = true
	if a.overrun {
		return
	}
	if a.keys == nil {
		a.keys = map[hub.Key]struct{}{}
	}
	for _, k := range keys {
		a.keys[k] = struct{}{}
	}
	if len(a.keys) > maxAnnounced {
		a.overrun, a.keys = true, nil
	}
}

// take returns the payloads that announce everything added since the last
// take, and forgets it.
func (a *announcements) take(origin string) []string {
	a.mu.Lock()
	some, overrun, keys := a.any, a.overrun, a.keys
	a.any, a.overrun, a.keys = false, false, nil
	a.mu.Unlock()
	if !some {
		return nil
	}
	if overrun {
		return []string{origin + " *"}
	}
	ks := make([]hub.Key, 0, len(keys))
	for k := range keys {
		ks = append(ks, k)
	}
	return payloads(origin, ks)
}

// payloads writes keys into as few payloads as fit, each within
// maxPayload, or into one "*" when more than maxNotifies would be needed.
func payloads(origin string, keys []hub.Key) []string {
	var out []string
	var b strings.Builder
	b.WriteString(origin)
	for _, k := range keys {
		s := k.String()
		if b.Len()+1+len(s) > maxPayload {
			out = append(out, b.String())
			if len(out) == maxNotifies {
				return []string{origin + " *"}
			}
			b.Reset()
			b.WriteString(origin)
		}
		b.WriteByte(' ')
		b.WriteString(s)
	}
	return append(out, b.String())
}

// announced reads a payload: who sent it, and what it touched. all says
// that it may have touched anything.
func announced(payload string) (origin string, keys []hub.Key, all bool) {
	fields := strings.Fields(payload)
	if len(fields) == 0 {
		return "", nil, true
	}
	for _, f := range fields[1:] {
		k, ok := hub.ParseKey(f)
		if !ok || k == hub.Everything() {
			return fields[0], nil, true // a key this version does not know: better wake too many
		}
		keys = append(keys, k)
	}
	return fields[0], keys, false
}

// listen wakes this process's readers of what other processes' commits
// touched, as their NOTIFYs name it, and hands them the other processes'
// signals (signals.go). A nil notification is lib/pq saying
// the connection was lost and re-established: anything may have been
// missed, so it wakes every reader.
func (s *Store) listen(ctx context.Context) error {
	l := pq.NewListener(s.dsn, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventConnectionAttemptFailed, pq.ListenerEventDisconnected:
			s.log.Warn("event listener lost the database", "err", err)
		case pq.ListenerEventReconnected:
			s.log.Info("event listener reconnected")
		}
	})
	defer l.Close()
	for _, ch := range []string{s.eventsChannel, s.signalsChannel, s.liveChannel} {
		if err := l.Listen(ch); err != nil {
			return fmt.Errorf("listen for other relaydesk processes: %w", err)
		}
	}
	// Commits made before LISTEN took effect were not announced to us.
	s.hub.Publish(hub.Everything())
	s.markListening()
	// Pings find a dead connection even when nobody writes.
	ping := time.NewTicker(30 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case n := <-l.Notify:
			if n == nil {
				s.hub.Publish(hub.Everything())
				s.mail.heard("", s.origin)
				continue
			}
			if n.Channel == s.liveChannel {
				s.mail.heard(n.Extra, s.origin)
				continue
			}
			if n.Channel == s.signalsChannel {
				s.heard(n.Extra)
				continue
			}
			origin, keys, all := announced(n.Extra)
			switch {
			case origin == s.origin:
				// Our own: its readers were woken when it committed.
			case all:
				s.hub.Publish(hub.Everything())
			default:
				s.hub.Publish(keys...)
			}
		case <-ping.C:
			go l.Ping()
		}
	}
}
