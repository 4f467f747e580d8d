package slacktest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/relaydesk/relaydesk/internal/testwait"
)

const socketPath = "/socket"

// PingEvery is how often the fake pings a Socket Mode client; slack-go
// reconnects when no ping came for 30 seconds.
const PingEvery = 500 * time.Millisecond

// Ack is a Socket Mode acknowledgement the fake received.
type Ack struct {
	EnvelopeID string
	Payload    json.RawMessage // "" when the ack had none
}

type socketState struct {
	appToken string
	opens    int // apps.connections.open calls answered with a URL
	conns    []*sockConn
	acks     []Ack
	env      int
}

type sockConn struct {
	ws     *websocket.Conn
	origin string
	wmu    sync.Mutex
	closed chan struct{}
}

func (c *sockConn) live() bool {
	select {
	case <-c.closed:
		return false
	default:
		return true
	}
}

func (c *sockConn) write(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.ws.WriteJSON(v)
}

// SocketMode makes apps.connections.open accept appToken (as Bearer) and
// answer the URL of the fake's WebSocket, on the same server.
func (s *Server) SocketMode(appToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sock.appToken = appToken
}

func (s *Server) openConnection(w http.ResponseWriter, token string) {
	s.mu.Lock()
	ok := s.sock.appToken != "" && token == s.sock.appToken
	s.calls = append(s.calls, Call{Method: "apps.connections.open", Failed: !ok})
	if ok {
		s.sock.opens++
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		io.WriteString(w, `{"ok":false,"error":"invalid_auth"}`)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"ok": true, "url": "ws" + strings.TrimPrefix(s.srv.URL, "http") + socketPath})
}

// serveSocket is Socket Mode's WebSocket: hello, then pings every
// PingEvery, envelopes when the test pushes them, and every frame the
// client sends recorded as an acknowledgement.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	// slack-go sends Origin: https://api.slack.com, which gorilla's default
	// check refuses.
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &sockConn{ws: ws, origin: r.Header.Get("Origin"), closed: make(chan struct{})}
	s.mu.Lock()
	s.sock.conns = append(s.sock.conns, c)
	s.mu.Unlock()
	defer func() {
		close(c.closed)
		ws.Close()
	}()
	if err := c.write(map[string]any{"type": "hello", "num_connections": 1}); err != nil {
		return
	}
	go func() {
		t := time.NewTicker(PingEvery)
		defer t.Stop()
		for {
			select {
			case <-c.closed:
				return
			case <-t.C:
				if ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second)) != nil {
					return
				}
			}
		}
	}()
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			return
		}
		var a struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(b, &a) == nil && a.EnvelopeID != "" {
			s.mu.Lock()
			s.sock.acks = append(s.sock.acks, Ack{EnvelopeID: a.EnvelopeID, Payload: a.Payload})
			s.mu.Unlock()
		}
	}
}

func (s *Server) closeSockets() {
	s.mu.Lock()
	conns := s.sock.conns
	s.mu.Unlock()
	for _, c := range conns {
		c.ws.Close()
	}
}

// Connections is how many Socket Mode WebSockets the fake accepted, and
// how many of them are still open.
func (s *Server) Connections() (accepted, open int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.sock.conns {
		if c.live() {
			open++
		}
	}
	return len(s.sock.conns), open
}

// Origin is the Origin header of the latest Socket Mode connection.
func (s *Server) Origin() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sock.conns) == 0 {
		return ""
	}
	return s.sock.conns[len(s.sock.conns)-1].origin
}

// WaitConnections waits until the fake has accepted at least accepted
// WebSockets and exactly open of them are open.
func (s *Server) WaitConnections(tb testing.TB, accepted, open int) {
	tb.Helper()
	testwait.Until(tb, fmt.Sprintf("%d Socket Mode connections with %d open", accepted, open), func() error {
		if a, o := s.Connections(); a < accepted || o != open {
			return fmt.Errorf("%d accepted, %d open", a, o)
		}
		return nil
	})
}

// latest is the newest open connection, waiting for one.
func (s *Server) latest(tb testing.TB) *sockConn {
	tb.Helper()
	var c *sockConn
	testwait.Eventually(tb, "an open Socket Mode connection", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		for i := len(s.sock.conns) - 1; i >= 0; i-- {
			if c = s.sock.conns[i]; c.live() {
				return true
			}
		}
		return false
	})
	return c
}

// Push sends an envelope of type typ ("slash_commands", "interactive" or
// "events_api") carrying payload over the newest open connection and
// returns its envelope ID.
func (s *Server) Push(tb testing.TB, typ string, payload any) string {
	tb.Helper()
	c := s.latest(tb)
	s.mu.Lock()
	s.sock.env++
	id := fmt.Sprintf("env-%d", s.sock.env)
	s.mu.Unlock()
	if err := c.write(map[string]any{"type": typ, "envelope_id": id, "accepts_response_payload": typ != "events_api",
		"payload": payload}); err != nil {
		tb.Fatalf("push %s: %v", typ, err)
	}
	return id
}

// Disconnect asks the newest open connection's client to reconnect, as
// Slack does before it rotates its servers.
func (s *Server) Disconnect(tb testing.TB) {
	tb.Helper()
	if err := s.latest(tb).write(map[string]any{"type": "disconnect", "reason": "refresh_requested"}); err != nil {
		tb.Fatalf("disconnect: %v", err)
	}
}

// Acks returns the acknowledgements received, in order.
func (s *Server) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Ack(nil), s.sock.acks...)
}

// WaitAck waits for the acknowledgement of envelope id.
func (s *Server) WaitAck(tb testing.TB, id string) Ack {
	tb.Helper()
	var ack Ack
	testwait.Until(tb, "the acknowledgement of envelope "+id, func() error {
		acks := s.Acks()
		for _, a := range acks {
			if a.EnvelopeID == id {
				ack = a
				return nil
			}
		}
		return fmt.Errorf("acks: %+v", acks)
	})
	return ack
}
