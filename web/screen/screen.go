// Package screen carries a request's screen share between the customer's
// browser and the technicians' viewers: one media room (package sfu) per
// live share, its signalling on the widget's and console's live WebSockets,
// and who takes part decided by the engine (core.LiveSession), asked again
// after every commit on the request.
//
// The browsers speak in "rtc" frames. A client sends
//
//	{"type":"rtc","request":"<id>","op":"join"}
//	{"type":"rtc","request":"<id>","op":"signal","msg":{"kind":"offer","sdp":"…"}}
//	{"type":"rtc","request":"<id>","op":"leave"}
//
// and is pushed frames {"type":"rtc","body":{"request":"<id>","op":…}}:
// "joined" (with the ICE servers to use), "signal" (the room's offer,
// answer, candidate or stop), or "error" (a sentence for the user; nothing
// changed). The customer joins to publish the screen they consented to
// share; a technician joins to watch it. The engine's actions (ask, answer,
// stop) stay HTTP calls: only media set-up rides on the socket.
package screen

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/hub"
	"github.com/relaydesk/relaydesk/web/live"
	"github.com/relaydesk/relaydesk/web/liveroute"
	"github.com/relaydesk/relaydesk/web/sfu"
)

// Engine is what the manager asks of the engine.
type Engine interface {
	LiveSession(ctx context.Context, kind core.LiveKind, requestID string) (core.LiveSession, error)
	ScreenViewed(ctx context.Context, by core.Actor, requestID string) error
	StoreRecording(ctx context.Context, requestID, name string, body io.Reader) (core.Message, core.File, error)
}

// Config is what a Manager needs. Logger is optional.
type Config struct {
	Engine Engine
	// Hub announces commits: a share's room follows its request.
	Hub *hub.Hub
	// SFU is how media reaches browsers (ICE, public IPs, UDP ports).
	SFU sfu.Config
	// ICEServers are the STUN and TURN URLs browsers are told to use.
	ICEServers []string
	// TURNSecret makes the TURN servers' short-lived credentials, one per
	// join (coturn's use-auth-secret, the "TURN REST API" scheme).
	TURNSecret string
	Logger     *slog.Logger
	// Now is the clock TURN credentials expire by; default time.Now.
	Now func() time.Time
	// Router passes signalling between processes on one PostgreSQL
	// database; nil: this process is the only one.
	Router *liveroute.Router
}

// Manager runs the rooms of this process's live shares.
type Manager struct {
	eng Engine
	hub *hub.Hub
	sfu *sfu.Server
	ice []string
	key []byte // TURNSecret
	now func() time.Time
	log *slog.Logger

	router *liveroute.Router // nil: one process

	follows sync.WaitGroup // the rooms' follow goroutines

	mu     sync.Mutex
	rooms  map[string]*room    // by request ID
	conns  map[client][]member // the peers each client joined as
	closed bool
}

// client is a browser's live stream: here (a *live.Conn) or in another
// process (a remoteClient).
type client interface {
	Push(live.Frame) error
}

// member is one peer of one room (by its key), joined from one client.
// remote names the process that holds the room when it is not this one.
type member struct {
	room, peer, remote string
}

type iceJSON struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// New returns a manager; it does no I/O.
func New(cfg Config) (*Manager, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srv, err := sfu.New(cfg.SFU, log.With("part", "sfu"))
	if err != nil {
		return nil, err
	}
	m := &Manager{eng: cfg.Engine, hub: cfg.Hub, sfu: srv, log: log, ice: cfg.ICEServers, key: []byte(cfg.TURNSecret),
		now: cfg.Now, router: cfg.Router, rooms: make(map[string]*room), conns: make(map[client][]member)}
	if m.now == nil {
		m.now = time.Now
	}
	if m.router != nil {
		m.register()
	}
	return m, nil
}

// turnLifetime is how long a browser's TURN credentials work: longer than
// any share, short enough that a leaked one soon stops working.
const turnLifetime = 12 * time.Hour

// iceFor is the ICE servers a browser joining as peer is told: the STUN
// servers as they are, the TURN servers with credentials of its own
// (username "<expiry unix time>:<peer>", password the base64 HMAC-SHA1 of
// the username under the shared secret), which coturn checks without
// asking relaydesk.
func (m *Manager) iceFor(peer string) []iceJSON {
	var out []iceJSON
	var turn iceJSON
	for _, u := range m.ice {
		if strings.HasPrefix(u, "turn") {
			turn.URLs = append(turn.URLs, u)
		} else {
			out = append(out, iceJSON{URLs: []string{u}})
		}
	}
	if len(turn.URLs) > 0 && len(m.key) > 0 {
		turn.Username = strconv.FormatInt(m.now().Add(turnLifetime).Unix(), 10) + ":" + peer
		mac := hmac.New(sha1.New, m.key)
		mac.Write([]byte(turn.Username))
		turn.Credential = base64.StdEncoding.EncodeToString(mac.Sum(nil))
		out = append(out, turn)
	}
	return out
}

// Who is the authenticated client a frame came from: a technician, or a
// customer, who takes part in RequestID alone.
type Who struct {
	Actor     core.Actor
	RequestID string // a customer's request; "" for a technician
}

// peerName names who in a room: one peer per customer participant or
// technician, whatever the number of tabs (the newest takes over).
func (w Who) peerName() string {
	if w.Actor.Kind == core.ActorCustomer {
		return "c:" + w.Actor.ID
	}
	return "t:" + w.Actor.ID
}

// clientFrame is what a browser sends.
type clientFrame struct {
	Type    string `json:"type"`
	Request string `json:"request"`
	Session string `json:"session"` // "screen" (the default) or "call"
	// Publish, on a join, says the browser offers its own tracks first.
	Publish bool         `json:"publish"`
	Op      string       `json:"op"`
	Msg     *sfu.Message `json:"msg,omitempty"`
}

// Out is the body of a pushed "rtc" frame.
type Out struct {
	Request    string       `json:"request"`
	Session    string       `json:"session,omitempty"` // "call" for a call's frames
	Op         string       `json:"op"`                // "joined", "signal" or "error"
	Msg        *sfu.Message `json:"msg,omitempty"`
	ICEServers []iceJSON    `json:"ice_servers,omitempty"`
	Error      string       `json:"error,omitempty"`
}

// Receive acts on one frame a client sent on its live stream. Mistakes are
// answered on the client's own stream and change nothing. A customer may
// leave the request out: theirs is the only one they take part in.
func (m *Manager) Receive(ctx context.Context, who Who, c *live.Conn, data []byte) {
	m.receive(ctx, who, c, data, false)
}

// receive acts on a client's frame. A frame that came by mail from the
// client's process is acted on here: this process holds the room.
func (m *Manager) receive(ctx context.Context, who Who, c client, data []byte, mailed bool) {
	var f clientFrame
	if err := json.Unmarshal(data, &f); err != nil || f.Type != "rtc" {
		peerOf{c: c}.out(Out{Op: "error", Error: "frames on this stream are {\"type\":\"rtc\",...}"})
		return
	}
	p := peerOf{who: who, c: c, requestID: f.Request, echo: f.Request, kind: core.LiveScreen}
	switch f.Session {
	case "", "screen":
	case "call":
		p.kind = core.LiveCall
	default:
		p.out(Out{Op: "error", Error: "session must be screen or call"})
		return
	}
	if who.Actor.Kind == core.ActorCustomer {
		if f.Request != "" && f.Request != who.RequestID {
			p.out(Out{Op: "error", Error: core.ErrorMessage(errNotShared)})
			return
		}
		p.requestID = who.RequestID
	}
	if p.requestID == "" {
		p.out(Out{Op: "error", Error: "say which request's screen share: \"request\": ID"})
		return
	}
	if !mailed && m.router != nil {
		if done, err := m.route(ctx, p, f.Op, data); done || err != nil {
			if err != nil {
				m.log.WarnContext(ctx, "screen share frame not passed on", "request", p.requestID, "op", f.Op, "err", err)
				p.out(Out{Op: "error", Error: "the screen share could not be reached; try again"})
			}
			return
		}
	}
	var err error
	switch f.Op {
	case "join":
		err = m.join(ctx, p, f.Publish)
	case "signal":
		err = m.signal(ctx, p, f.Msg)
	case "leave":
		m.leave(ctx, p)
	default:
		err = fmt.Errorf("unknown op %q: use join, signal or leave", f.Op)
	}
	if err != nil {
		m.log.InfoContext(ctx, "screen share frame refused", "request", p.requestID, "op", f.Op, "err", err)
		p.out(Out{Op: "error", Error: publicError(err)})
	}
}

// peerOf is one client acting in one request's share.
type peerOf struct {
	who       Who
	c         client
	requestID string
	echo      string // the request as the client named it, for its answers
	kind      core.LiveKind
}

func (p peerOf) name() string { return p.who.peerName() }

// key names the room: a share's is its request's ID, a call's is prefixed.
func (p peerOf) key() string { return roomKey(p.kind, p.requestID) }

func roomKey(kind core.LiveKind, requestID string) string {
	if kind == core.LiveCall {
		return "call:" + requestID
	}
	return requestID
}

// out pushes o to the client; one that has gone needs no answer.
func (p peerOf) out(o Out) {
	o.Request = p.echo
	if p.kind == core.LiveCall {
		o.Session = "call"
	}
	_ = p.c.Push(live.Frame{Type: "rtc", Body: o})
}

// errNotShared is what a client is told when the share it asks for is
// not live, or not for it: the same words for both.
var errNotShared = core.Errorf(core.CodeForbidden, "this screen is not shared with you")

func publicError(err error) string {
	var ce *core.Error
	switch {
	case errors.As(err, &ce):
		return core.ErrorMessage(err)
	case errors.Is(err, sfu.ErrRefused):
		return core.ErrorMessage(errNotShared)
	case errors.Is(err, sfu.ErrClosed):
		return "the screen share has ended"
	}
	return "the screen share could not go on: " + err.Error()
}

// join connects the client to the request's share: a customer to send
// it, a technician to watch it.
func (m *Manager) join(ctx context.Context, p peerOf, publish bool) error {
	s, err := m.eng.LiveSession(ctx, p.kind, p.requestID)
	if core.ErrorCode(err) == core.CodeNotFound {
		return errNotShared
	} else if err != nil {
		return err
	}
	rm, err := m.room(s)
	if err != nil {
		return err
	}
	// A second tab of the same person takes over from the first.
	m.forget(p.key(), p.name())
	_ = rm.r.Remove(ctx, p.name(), "opened in another window")
	// The browser learns its ICE servers before the room's first offer,
	// which Join may send at once.
	p.out(Out{Op: "joined", ICEServers: m.iceFor(p.name())})
	send := sfu.SenderFunc(func(_ context.Context, msg sfu.Message) error {
		o := Out{Request: p.echo, Op: "signal", Msg: &msg}
		if p.kind == core.LiveCall {
			o.Session = "call"
		}
		return p.c.Push(live.Frame{Type: "rtc", Body: o})
	})
	join := rm.r.Join
	if publish {
		join = rm.r.JoinPublisher // it offers its own tracks first
	}
	if err := join(ctx, p.name(), send); err != nil {
		return err
	}
	m.mu.Lock()
	m.conns[p.c] = append(m.conns[p.c], member{room: p.key(), peer: p.name()})
	m.mu.Unlock()
	if p.kind == core.LiveScreen && p.who.Actor.Kind == core.ActorTechnician && rm.firstView(p.who.Actor.ID) {
		if err := m.eng.ScreenViewed(ctx, p.who.Actor, p.requestID); err != nil {
			m.log.WarnContext(ctx, "screen view not recorded", "request", p.requestID, "err", err)
		}
	}
	m.log.InfoContext(ctx, "joined screen share", "request", p.requestID, "peer", p.name())
	return nil
}

func (m *Manager) signal(ctx context.Context, p peerOf, msg *sfu.Message) error {
	if msg == nil {
		return errors.New("a signal frame needs msg")
	}
	if msg.Kind == sfu.Stop {
		return errors.New("leave with op leave; stop the share with the Stop button")
	}
	rm := m.joined(p.c, p.key(), p.name())
	if rm == nil {
		return errors.New("join the screen share first")
	}
	return rm.r.Handle(ctx, p.name(), *msg)
}

// leave takes the client out of the share's room; the share goes on.
func (m *Manager) leave(ctx context.Context, p peerOf) {
	if rm := m.joined(p.c, p.key(), p.name()); rm != nil {
		m.forget(p.key(), p.name())
		_ = rm.r.Remove(ctx, p.name(), "left")
	}
}

// Gone takes a client that went away out of every room it joined: its
// browser joins again when it reconnects.
func (m *Manager) Gone(c *live.Conn) {
	remote := m.gone(c)
	if m.router != nil {
		m.router.Gone(topic, c, remote)
		m.router.Forget(c) // the last of a stream's managers to hear of its end
	}
}

// gone takes c out of the rooms it joined here, and returns the processes
// holding the others.
func (m *Manager) gone(c client) (remote []string) {
	m.mu.Lock()
	ms := m.conns[c]
	delete(m.conns, c)
	rooms := make([]*room, len(ms))
	for i, mb := range ms {
		if mb.remote == "" {
			rooms[i] = m.rooms[mb.room]
		} else if !slices.Contains(remote, mb.remote) {
			remote = append(remote, mb.remote)
		}
	}
	m.mu.Unlock()
	for i, mb := range ms {
		if rooms[i] != nil {
			_ = rooms[i].r.Remove(context.Background(), mb.peer, "disconnected")
		}
	}
	return remote
}

// joined returns the room c joined as peer, or nil.
func (m *Manager) joined(c client, key, peer string) *room {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, mb := range m.conns[c] {
		if mb.room == key && mb.peer == peer && mb.remote == "" {
			return m.rooms[key]
		}
	}
	return nil
}

// forget drops every client's claim to peer in the request's room.
func (m *Manager) forget(key, peer string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for c, ms := range m.conns {
		kept := ms[:0]
		for _, mb := range ms {
			if mb.room != key || mb.peer != peer {
				kept = append(kept, mb)
			}
		}
		if len(kept) == 0 {
			delete(m.conns, c)
		} else {
			m.conns[c] = kept
		}
	}
}

// Rooms says how many shares this process carries now.
func (m *Manager) Rooms() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.rooms)
}

// Close ends every room (at shutdown).
func (m *Manager) Close(ctx context.Context) {
	m.mu.Lock()
	m.closed = true
	rooms := make([]*room, 0, len(m.rooms))
	for _, rm := range m.rooms {
		rooms = append(rooms, rm)
	}
	m.mu.Unlock()
	for _, rm := range rooms {
		rm.r.Close(ctx, "relaydesk is restarting")
	}
	// Recordings under way are stored before the process goes.
	m.follows.Wait()
}

// peerKind splits a peer's name into its kind and ID.
func peerKind(peer string) (kind, id string) {
	kind, id, _ = strings.Cut(peer, ":")
	return kind, id
}
