// Package cobrowse carries co-browsing of the page the widget sits on: the
// customer's page records its DOM (rrweb) and sends it on the widget's live
// WebSocket; the manager forwards it to the technicians who may watch, on
// the console's live WebSockets. Who takes part is the engine's word
// (core.CobrowseSession), asked when a client starts and again after every
// commit on the request.
//
// The browsers speak in "cobrowse" frames. The customer's page sends
//
//	{"type":"cobrowse","op":"share"}
//	{"type":"cobrowse","op":"data","seq":7,"part":0,"parts":3,"data":"…"}
//
// where data is a piece of a JSON array of rrweb events (a large full
// snapshot is cut into pieces under live.MaxClientFrame); a technician's
// console sends
//
//	{"type":"cobrowse","request":"<id>","op":"watch"}
//	{"type":"cobrowse","request":"<id>","op":"point","x":120,"y":480}
//	{"type":"cobrowse","request":"<id>","op":"leave"}
//
// Pushed frames are {"type":"cobrowse","body":{"request":"<id>","op":…}}:
// "sharing" and "watching" (the client's start was accepted), "data" (to
// viewers, as the customer sent it), "snapshot" (to the
// customer: a viewer joined and needs a full snapshot), "point" (to the
// customer: where the technician points), "ended" (co-browsing is over for
// this client) and "error" (a sentence for the user; nothing changed).
//
// The server keeps no page content: a viewer who joins late is served by
// asking the customer's page for a new full snapshot.
package cobrowse

import (
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/hub"
	"github.com/relaydesk/relaydesk/web/live"
	"github.com/relaydesk/relaydesk/web/liveroute"
)

// Engine is what the manager asks of the engine.
type Engine interface {
	CobrowseSession(ctx context.Context, requestID string) (core.CobrowseSession, error)
}

// Config is what a Manager needs. Logger and Received are optional.
type Config struct {
	Engine Engine
	// Hub announces commits: a session follows its request.
	Hub    *hub.Hub
	Logger *slog.Logger
	// Received, when set, is handed every frame a client sent before it is
	// checked: tests assert on what reached the server.
	Received func(who Who, data []byte)
	// Router passes frames between processes on one PostgreSQL database;
	// nil: this process is the only one.
	Router *liveroute.Router
}

// Who is the authenticated client a frame came from: a technician, or a
// customer, who takes part in RequestID alone.
type Who struct {
	Actor     core.Actor
	RequestID string // a customer's request; "" for a technician
}

// Manager runs this process's co-browsing sessions.
type Manager struct {
	eng      Engine
	hub      *hub.Hub
	log      *slog.Logger
	received func(Who, []byte)

	router *liveroute.Router // nil: one process

	mu       sync.Mutex
	sessions map[string]*session // by request ID
	closed   bool
	// remote names, for this process's clients in a session another
	// process holds, that process: by client, then request ID.
	remote map[client]map[string]string
}

// client is a browser's live stream: here (a *live.Conn) or in another
// process (a liveroute.Remote).
type client interface {
	Push(live.Frame) error
}

// topic is this manager's mail (package liveroute).
const topic = "cobrowse"

// roomKey names a request's co-browsing session among the processes.
func roomKey(requestID string) string { return "cobrowse:" + requestID }

// New returns a manager; it does no I/O.
func New(cfg Config) *Manager {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Manager{eng: cfg.Engine, hub: cfg.Hub, log: log, received: cfg.Received, router: cfg.Router,
		sessions: make(map[string]*session), remote: make(map[client]map[string]string)}
	if m.router != nil {
		m.router.Register(topic, liveroute.Topic{
			Frame: func(ctx context.Context, ml liveroute.Mail, rc *liveroute.Remote) {
				actor, requestID := ml.Who()
				m.receive(ctx, Who{Actor: actor, RequestID: requestID}, rc, ml.Data, true)
			},
			Gone: func(rc *liveroute.Remote) { m.leaveAll(rc) },
			Held: func() []string {
				m.mu.Lock()
				defer m.mu.Unlock()
				keys := make([]string, 0, len(m.sessions))
				for id := range m.sessions {
					keys = append(keys, roomKey(id))
				}
				return keys
			},
		})
	}
	return m
}

// IsFrame reports whether a client's frame is a co-browsing one, so that a
// live stream carrying several kinds routes it here.
func IsFrame(data []byte) bool {
	var f struct {
		Type string `json:"type"`
	}
	return json.Unmarshal(data, &f) == nil && f.Type == "cobrowse"
}

// clientFrame is what a browser sends.
type clientFrame struct {
	Type    string  `json:"type"`
	Request string  `json:"request"`
	Op      string  `json:"op"`
	Seq     int64   `json:"seq"`
	Part    int     `json:"part"`
	Parts   int     `json:"parts"`
	Data    string  `json:"data"`
	X       float64 `json:"x"`
	Y       float64 `json:"y"`
}

// Out is the body of a pushed "cobrowse" frame.
type Out struct {
	Request string  `json:"request"`
	Op      string  `json:"op"`
	Seq     int64   `json:"seq,omitempty"`
	Part    int     `json:"part,omitempty"`
	Parts   int     `json:"parts,omitempty"`
	Data    string  `json:"data,omitempty"`
	X       float64 `json:"x,omitempty"`
	Y       float64 `json:"y,omitempty"`
	Error   string  `json:"error,omitempty"`
}

func push(c client, o Out) { _ = c.Push(live.Frame{Type: "cobrowse", Body: o}) }

// errNotShown is what a client is told when the page it asks for is not
// shown, or not to it: the same words for both.
var errNotShown = core.Errorf(core.CodeForbidden, "this page is not shown to you")

// maxParts bounds the pieces of one batch: a page of 4 MB at 48 KiB each.
const maxParts = 100

// Receive acts on one frame a client sent on its live stream. Mistakes are
// answered on the client's own stream and change nothing.
func (m *Manager) Receive(ctx context.Context, who Who, c *live.Conn, data []byte) {
	m.receive(ctx, who, c, data, false)
}

// receive acts on a client's frame; one that came by mail is acted on
// here: this process holds its session.
func (m *Manager) receive(ctx context.Context, who Who, c client, data []byte, mailed bool) {
	if m.received != nil && !mailed {
		m.received(who, data)
	}
	var f clientFrame
	if err := json.Unmarshal(data, &f); err != nil || f.Type != "cobrowse" {
		push(c, Out{Op: "error", Error: "frames here are {\"type\":\"cobrowse\",...}"})
		return
	}
	requestID := f.Request
	if who.Actor.Kind == core.ActorCustomer {
		if f.Request != "" && f.Request != who.RequestID {
			push(c, Out{Request: f.Request, Op: "error", Error: core.ErrorMessage(errNotShown)})
			return
		}
		requestID = who.RequestID
	}
	if requestID == "" {
		push(c, Out{Op: "error", Error: "say which request: \"request\": ID"})
		return
	}
	if lc, ok := c.(*live.Conn); ok && !mailed && m.router != nil {
		done, err := m.route(ctx, who, lc, requestID, f.Op, data)
		if err != nil {
			m.log.WarnContext(ctx, "co-browsing frame not passed on", "request", requestID, "op", f.Op, "err", err)
			push(c, Out{Request: requestID, Op: "error", Error: "co-browsing could not be reached; try again"})
		}
		if done || err != nil {
			return
		}
	}
	var err error
	switch {
	case f.Op == "share" && who.Actor.Kind == core.ActorCustomer:
		err = m.join(ctx, requestID, who, c, false)
	case f.Op == "watch" && who.Actor.Kind == core.ActorTechnician:
		err = m.join(ctx, requestID, who, c, true)
	case f.Op == "data" && who.Actor.Kind == core.ActorCustomer:
		err = m.data(requestID, c, f)
	case f.Op == "point" && who.Actor.Kind == core.ActorTechnician:
		err = m.point(requestID, c, f)
	case f.Op == "leave":
		m.leave(requestID, c)
	default:
		err = core.Errorf(core.CodeInvalid, "unknown op %q for you", f.Op)
	}
	if err != nil {
		m.log.InfoContext(ctx, "co-browsing frame refused", "request", requestID, "op", f.Op, "err", err)
		push(c, Out{Request: requestID, Op: "error", Error: core.ErrorMessage(err)})
	}
}

// join adds the client to the request's session: a customer's page to
// send it, a technician's console to watch it. A viewer's arrival asks the
// customer's page for a full snapshot.
func (m *Manager) join(ctx context.Context, requestID string, who Who, c client, viewer bool) error {
	s, err := m.eng.CobrowseSession(ctx, requestID)
	if core.ErrorCode(err) == core.CodeNotFound {
		return errNotShown
	} else if err != nil {
		return err
	}
	if (viewer && !s.MayView(who.Actor.ID)) || (!viewer && !s.MayShare(who.Actor.ID)) {
		return errNotShown
	}
	var ss *session
	var sharers []client
	// A session that ended between the lookup and the lock is replaced by
	// a new one: the engine just said co-browsing is live.
	for ss == nil {
		if ss, err = m.session(s); err != nil {
			return err
		}
		ss.mu.Lock()
		if ss.ended {
			ss.mu.Unlock()
			m.drop(s.RequestID, ss)
			ss = nil
			continue
		}
		ss.policy = s
		if viewer {
			ss.viewers[c] = who.Actor.ID
		} else {
			ss.sharers[c] = who.Actor.ID
		}
		sharers = ss.sharerConns()
		ss.mu.Unlock()
	}
	if viewer {
		push(c, Out{Request: requestID, Op: "watching"})
		for _, sc := range sharers {
			push(sc, Out{Request: requestID, Op: "snapshot"})
		}
	} else {
		push(c, Out{Request: requestID, Op: "sharing"})
	}
	m.log.InfoContext(ctx, "joined co-browsing", "request", requestID, "viewer", viewer)
	return nil
}

// data forwards a piece of the customer's page to the viewers.
func (m *Manager) data(requestID string, c client, f clientFrame) error {
	if f.Parts < 1 || f.Parts > maxParts || f.Part < 0 || f.Part >= f.Parts || f.Data == "" {
		return core.Errorf(core.CodeInvalid, "a data frame needs 0 <= part < parts <= %d and data", maxParts)
	}
	ss := m.get(requestID)
	if ss == nil {
		return errNotShown
	}
	ss.mu.Lock()
	p, ok := ss.sharers[c]
	allowed := ok && ss.policy.MayShare(p)
	viewers := ss.viewerConns()
	ss.mu.Unlock()
	if !allowed {
		return errNotShown
	}
	o := Out{Request: requestID, Op: "data", Seq: f.Seq, Part: f.Part, Parts: f.Parts, Data: f.Data}
	for _, vc := range viewers {
		push(vc, o)
	}
	return nil
}

// point shows the customer where the technician points: a highlight, never
// an input.
func (m *Manager) point(requestID string, c client, f clientFrame) error {
	if math.IsNaN(f.X) || math.IsNaN(f.Y) || math.Abs(f.X) > 1e6 || math.Abs(f.Y) > 1e6 {
		return core.Errorf(core.CodeInvalid, "x and y are page coordinates in CSS pixels")
	}
	ss := m.get(requestID)
	if ss == nil {
		return errNotShown
	}
	ss.mu.Lock()
	t, ok := ss.viewers[c]
	allowed := ok && ss.policy.MayView(t)
	sharers := ss.sharerConns()
	ss.mu.Unlock()
	if !allowed {
		return errNotShown
	}
	for _, sc := range sharers {
		push(sc, Out{Request: requestID, Op: "point", X: f.X, Y: f.Y})
	}
	return nil
}

// leave takes the client out of the request's session; it goes on.
func (m *Manager) leave(requestID string, c client) {
	if ss := m.get(requestID); ss != nil {
		ss.mu.Lock()
		delete(ss.viewers, c)
		delete(ss.sharers, c)
		ss.mu.Unlock()
	}
}

// Gone takes a client that went away out of every session: its browser
// starts again when it reconnects.
func (m *Manager) Gone(c *live.Conn) {
	m.mu.Lock()
	var processes []string
	for _, p := range m.remote[c] {
		if !slices.Contains(processes, p) {
			processes = append(processes, p)
		}
	}
	delete(m.remote, c)
	m.mu.Unlock()
	if m.router != nil {
		m.router.Gone(topic, c, processes)
	}
	m.leaveAll(c)
}

// leaveAll takes c out of every session here.
func (m *Manager) leaveAll(c client) {
	m.mu.Lock()
	all := make([]*session, 0, len(m.sessions))
	for _, ss := range m.sessions {
		all = append(all, ss)
	}
	m.mu.Unlock()
	for _, ss := range all {
		ss.mu.Lock()
		delete(ss.viewers, c)
		delete(ss.sharers, c)
		ss.mu.Unlock()
	}
}

func (m *Manager) get(requestID string) *session {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sessions[requestID]
}

// Sessions says how many co-browsing sessions this process carries now.
func (m *Manager) Sessions() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sessions)
}

// Close ends every session (at shutdown).
func (m *Manager) Close() {
	m.mu.Lock()
	m.closed = true
	all := m.sessions
	m.sessions = make(map[string]*session)
	m.mu.Unlock()
	for _, ss := range all {
		ss.end("relaydesk is restarting")
	}
}

// refreshTimeout bounds one read of the session after a commit.
const refreshTimeout = 10 * time.Second

// Attach makes a live stream carry co-browsing beside what it carries
// already: "cobrowse" frames go to m, every other frame to the receiver src
// had (the screen share's "rtc" frames). A nil m leaves src as it is.
func (m *Manager) Attach(src *live.Source, who Who) {
	if m == nil {
		return
	}
	prev, prevGone := src.Receive, src.Gone
	src.Receive = func(c *live.Conn, data []byte) {
		if IsFrame(data) {
			m.Receive(context.Background(), who, c, data)
		} else if prev != nil {
			prev(c, data)
		}
	}
	src.Gone = func(c *live.Conn) {
		m.Gone(c)
		if prevGone != nil {
			prevGone(c)
		}
	}
}

// route passes a frame to the process holding its session, if that is not
// this one; done says it went. Joining (share, watch) claims the session
// for this process when nobody holds it.
func (m *Manager) route(ctx context.Context, who Who, c *live.Conn, requestID, op string, data []byte) (done bool, err error) {
	var owner string
	switch op {
	case "share", "watch":
		if owner, err = m.router.Claim(ctx, roomKey(requestID)); err != nil {
			return true, err
		}
		m.mu.Lock()
		if owner == m.router.Process() {
			delete(m.remote[c], requestID)
		} else {
			if m.remote[c] == nil {
				m.remote[c] = map[string]string{}
			}
			m.remote[c][requestID] = owner
		}
		m.mu.Unlock()
	default:
		m.mu.Lock()
		owner = m.remote[c][requestID]
		if op == "leave" {
			delete(m.remote[c], requestID)
		}
		m.mu.Unlock()
		if owner == "" {
			return false, nil
		}
	}
	if owner == m.router.Process() {
		return false, nil
	}
	return true, m.router.Forward(ctx, topic, owner, c, who.Actor, who.RequestID, data)
}
