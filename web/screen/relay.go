package screen

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/web/live"
)

// With several relaydesk processes on one PostgreSQL database, a share's
// media lives in the process that first had a browser join it: it claims
// the share's room under a lease (renewed while the room is open). A
// browser connected to another process has its frames passed to that one
// as mail (rows, announced by NOTIFY), and what the room sends it comes
// back the same way. Signalling is a few dozen small messages a share, all
// at set-up; the media itself goes straight between the browser and the
// room's process (or through TURN). When that process dies, its lease
// lapses, the browsers' connections fail, they join again and another
// process takes the room over.

// Relay passes mail between processes and says which holds a room: the
// store (sqlstore.Store).
type Relay interface {
	Process() string
	ClaimRoom(ctx context.Context, requestID string, ttl time.Duration) (owner string, err error)
	RenewRooms(ctx context.Context, requestIDs []string, ttl time.Duration) error
	ReleaseRoom(ctx context.Context, requestID string) error
	SendMail(ctx context.Context, to, body string) error
	TakeMail(ctx context.Context) ([]string, error)
	OnMail(fn func()) (stop func())
}

const (
	// roomLease is how long a process holds a room it no longer renews.
	roomLease = 30 * time.Second
	// renewEvery is how often the leases of open rooms are renewed.
	renewEvery = 10 * time.Second
	// mailCheck is how often mail is looked for without a NOTIFY, one of
	// which may have been lost.
	mailCheck = 5 * time.Second
	// mailTimeout bounds sending one piece of mail.
	mailTimeout = 10 * time.Second
)

// Kinds of mail.
const (
	mailFrame = "frame" // a browser's frame, for the room's process
	mailGone  = "gone"  // a browser's stream ended, for the room's process
	mailPush  = "push"  // a frame for a browser, for its stream's process
)

// mail is one message between processes.
type mail struct {
	Kind      string          `json:"kind"`
	From      string          `json:"from"`                 // the sending process
	Conn      string          `json:"conn"`                 // the browser's stream, as its process names it
	ActorKind core.ActorKind  `json:"actor_kind,omitempty"` // who the stream's process authenticated
	ActorID   string          `json:"actor_id,omitempty"`
	RequestID string          `json:"request_id,omitempty"` // a customer's own request
	Data      json.RawMessage `json:"data,omitempty"`       // the frame
}

// route passes a frame to the process holding its room, if that is not
// this one; done says it went.
func (m *Manager) route(ctx context.Context, p peerOf, op string, data []byte) (done bool, err error) {
	switch op {
	case "join":
		owner, err := m.relay.ClaimRoom(ctx, p.key(), roomLease)
		if err != nil {
			return true, err
		}
		m.mu.Lock()
		m.conns[p.c] = slices.DeleteFunc(m.conns[p.c], func(mb member) bool {
			return mb.room == p.key() && mb.peer == p.name()
		})
		if owner != m.relay.Process() {
			m.conns[p.c] = append(m.conns[p.c], member{room: p.key(), peer: p.name(), remote: owner})
		}
		m.mu.Unlock()
		if owner == m.relay.Process() {
			return false, nil
		}
		return true, m.forward(ctx, owner, p, data)
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
		return true, m.forward(ctx, owner, p, data)
	}
	return false, nil
}

// forward mails a browser's frame to the process holding its room.
func (m *Manager) forward(ctx context.Context, owner string, p peerOf, data []byte) error {
	c, ok := p.c.(*live.Conn)
	if !ok {
		return nil // mail is never passed on twice
	}
	return m.mailTo(ctx, owner, mail{Kind: mailFrame, Conn: m.idOf(c), ActorKind: p.who.Actor.Kind,
		ActorID: p.who.Actor.ID, RequestID: p.who.RequestID, Data: data})
}

func (m *Manager) mailTo(ctx context.Context, to string, ml mail) error {
	ml.From = m.relay.Process()
	b, err := json.Marshal(ml)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), mailTimeout)
	defer cancel()
	return m.relay.SendMail(ctx, to, string(b))
}

// idOf names one of this process's streams to the others.
func (m *Manager) idOf(c *live.Conn) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if id, ok := m.ids[c]; ok {
		return id
	}
	m.lastID++
	id := strconv.FormatUint(m.lastID, 10)
	m.ids[c], m.byID[id] = id, c
	return id
}

// remoteClient is a browser's stream in another process: what is pushed
// to it goes there as mail.
type remoteClient struct {
	m             *Manager
	process, conn string
}

func (r *remoteClient) Push(fr live.Frame) error {
	b, err := json.Marshal(fr)
	if err != nil {
		return err
	}
	return r.m.mailTo(context.Background(), r.process, mail{Kind: mailPush, Conn: r.conn, Data: b})
}

func (m *Manager) remoteClient(process, conn string) *remoteClient {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := process + "/" + conn
	rc := m.remotes[k]
	if rc == nil {
		rc = &remoteClient{m: m, process: process, conn: conn}
		m.remotes[k] = rc
	}
	return rc
}

// Run passes mail and keeps this process's rooms claimed until ctx ends.
// Without a Relay it only waits.
func (m *Manager) Run(ctx context.Context) error {
	if m.relay == nil {
		<-ctx.Done()
		return nil
	}
	stop := m.relay.OnMail(func() {
		select {
		case m.mailed <- true:
		default:
		}
	})
	defer stop()
	renew := time.NewTicker(renewEvery)
	defer renew.Stop()
	check := time.NewTicker(mailCheck)
	defer check.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-renew.C:
			m.renew(ctx)
			continue
		case <-m.mailed:
		case <-check.C:
		}
		msgs, err := m.relay.TakeMail(ctx)
		if err != nil {
			if ctx.Err() == nil {
				m.log.Warn("live mail not read", "err", err)
			}
			continue
		}
		for _, b := range msgs {
			m.deliver(ctx, b)
		}
	}
}

func (m *Manager) renew(ctx context.Context) {
	m.mu.Lock()
	ids := make([]string, 0, len(m.rooms))
	for id := range m.rooms {
		ids = append(ids, id)
	}
	m.mu.Unlock()
	if err := m.relay.RenewRooms(ctx, ids, roomLease); err != nil && ctx.Err() == nil {
		m.log.Warn("screen share leases not renewed", "err", err)
	}
}

// deliver acts on one piece of mail.
func (m *Manager) deliver(ctx context.Context, body string) {
	var ml mail
	if err := json.Unmarshal([]byte(body), &ml); err != nil {
		m.log.Warn("live mail not understood", "err", err)
		return
	}
	switch ml.Kind {
	case mailFrame:
		who := Who{Actor: core.Actor{Kind: ml.ActorKind, ID: ml.ActorID}, RequestID: ml.RequestID}
		m.receive(ctx, who, m.remoteClient(ml.From, ml.Conn), ml.Data, true)
	case mailGone:
		m.mu.Lock()
		k := ml.From + "/" + ml.Conn
		rc := m.remotes[k]
		delete(m.remotes, k)
		m.mu.Unlock()
		if rc != nil {
			m.gone(rc)
		}
	case mailPush:
		m.mu.Lock()
		c := m.byID[ml.Conn]
		m.mu.Unlock()
		var fr struct {
			Type string          `json:"type"`
			Body json.RawMessage `json:"body"`
		}
		if c != nil && json.Unmarshal(ml.Data, &fr) == nil {
			_ = c.Push(live.Frame{Type: fr.Type, Body: fr.Body})
		}
	}
}
