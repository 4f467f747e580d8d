package screen

import (
	"context"
	"slices"

	"github.com/relaydesk/relaydesk/web/live"
	"github.com/relaydesk/relaydesk/web/liveroute"
)

// topic is this manager's mail (package liveroute).
const topic = "screen"

// With several relaydesk processes on one PostgreSQL database, a session's
// media lives in the process that first had a browser join it; browsers
// connected elsewhere reach it through the router (package liveroute).
// The media itself goes straight between the browser and the room's
// process (or through TURN). When that process dies, its lease lapses, the
// browsers' connections fail, they join again and another process takes
// the room over.

// register hands the router this manager's mail.
func (m *Manager) register() {
	m.router.Register(topic, liveroute.Topic{
		Frame: func(ctx context.Context, ml liveroute.Mail, rc *liveroute.Remote) {
			actor, requestID := ml.Who()
			m.receive(ctx, Who{Actor: actor, RequestID: requestID}, rc, ml.Data, true)
		},
		Gone: func(rc *liveroute.Remote) { m.gone(rc) },
		Held: func() []string {
			m.mu.Lock()
			defer m.mu.Unlock()
			keys := make([]string, 0, len(m.rooms))
			for k := range m.rooms {
				keys = append(keys, k)
			}
			return keys
		},
	})
}

// route passes a frame to the process holding its room, if that is not
// this one; done says it went.
func (m *Manager) route(ctx context.Context, p peerOf, op string, data []byte) (done bool, err error) {
	c, ok := p.c.(*live.Conn)
	if !ok {
		return false, nil // mail is never passed on twice
	}
	switch op {
	case "join":
		owner, err := m.router.Claim(ctx, p.key())
		if err != nil {
			return true, err
		}
		m.mu.Lock()
		m.conns[p.c] = slices.DeleteFunc(m.conns[p.c], func(mb member) bool {
			return mb.room == p.key() && mb.peer == p.name()
		})
		if owner != m.router.Process() {
			m.conns[p.c] = append(m.conns[p.c], member{room: p.key(), peer: p.name(), remote: owner})
		}
		m.mu.Unlock()
		if owner == m.router.Process() {
			return false, nil
		}
		return true, m.router.Forward(ctx, topic, owner, c, p.who.Actor, p.who.RequestID, data)
	case "signal", "leave":
		m.mu.Lock()
		i := slices.IndexFunc(m.conns[p.c], func(mb member) bool {
			return mb.room == p.key() && mb.peer == p.name() && mb.remote != ""
		})
		var owner string
		if i >= 0 {
			owner = m.conns[p.c][i].remote
			if op == "leave" {
				m.conns[p.c] = slices.Delete(m.conns[p.c], i, i+1)
			}
		}
		m.mu.Unlock()
		if owner == "" {
			return false, nil
		}
		return true, m.router.Forward(ctx, topic, owner, c, p.who.Actor, p.who.RequestID, data)
	}
	return false, nil
}
