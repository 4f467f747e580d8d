package discordtest

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/relaydesk/relaydesk/internal/testwait"
)

// gatewayState is the gateway's side of the fake.
type gatewayState struct {
	mu         sync.Mutex
	conns      []*gwConn
	identifies []map[string]any
	seq        int64
}

type gwConn struct {
	ws    *websocket.Conn
	wmu   sync.Mutex
	ready bool
	done  chan struct{}
}

func (c *gwConn) send(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.ws.WriteJSON(v)
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// serveGateway plays Discord's gateway script with one client: Hello, the
// client's Identify (or Resume), READY (or RESUMED), then heartbeat ACKs
// while the test pushes dispatches.
func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &gwConn{ws: ws, done: make(chan struct{})}
	defer close(c.done)
	defer ws.Close()
	if c.send(map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": 45000}}) != nil {
		return
	}
	s.gw.mu.Lock()
	s.gw.conns = append(s.gw.conns, c)
	s.gw.mu.Unlock()
	for {
		var p struct {
			Op int             `json:"op"`
			D  json.RawMessage `json:"d"`
		}
		if err := ws.ReadJSON(&p); err != nil {
			s.gw.mu.Lock()
			c.ready = false
			s.gw.mu.Unlock()
			return
		}
		switch p.Op {
		case 1: // heartbeat
			c.send(map[string]any{"op": 11})
		case 2, 6: // identify, resume
			var d map[string]any
			json.Unmarshal(p.D, &d)
			s.gw.mu.Lock()
			s.gw.seq++
			seq := s.gw.seq
			if p.Op == 2 {
				s.gw.identifies = append(s.gw.identifies, d)
			}
			s.gw.mu.Unlock()
			ev := map[string]any{"op": 0, "s": seq, "t": "READY", "d": map[string]any{"v": 9, "session_id": "fake-session",
				"user": map[string]any{"id": "111", "username": "relaydesk", "bot": true}, "guilds": []any{}}}
			if p.Op == 6 {
				ev["t"], ev["d"] = "RESUMED", map[string]any{}
			}
			c.send(ev)
			s.gw.mu.Lock()
			c.ready = true
			s.gw.mu.Unlock()
		}
	}
}

// Identifies returns the d of each Identify (op 2) received.
func (s *Server) Identifies() []map[string]any {
	s.gw.mu.Lock()
	defer s.gw.mu.Unlock()
	return append([]map[string]any(nil), s.gw.identifies...)
}

// Connected reports how many gateway clients are connected and ready.
func (s *Server) Connected() int {
	s.gw.mu.Lock()
	defer s.gw.mu.Unlock()
	n := 0
	for _, c := range s.gw.conns {
		if c.ready {
			n++
		}
	}
	return n
}

// WaitConnected waits until a gateway client is ready.
func (s *Server) WaitConnected(tb testing.TB) {
	tb.Helper()
	testwait.Eventually(tb, "a gateway client to connect", func() bool { return s.Connected() > 0 })
}

// Dispatch sends the event t with data d (op 0, the next sequence number)
// to every ready gateway client, waiting for one first.
func (s *Server) Dispatch(tb testing.TB, t string, d any) {
	tb.Helper()
	s.WaitConnected(tb)
	s.gw.mu.Lock()
	s.gw.seq++
	seq := s.gw.seq
	var conns []*gwConn
	for _, c := range s.gw.conns {
		if c.ready {
			conns = append(conns, c)
		}
	}
	s.gw.mu.Unlock()
	for _, c := range conns {
		if err := c.send(map[string]any{"op": 0, "s": seq, "t": t, "d": d}); err != nil {
			tb.Errorf("dispatch %s: %v", t, err)
		}
	}
}

// DropGateway closes every gateway connection, as Discord does on a
// failure, and reports how many there were.
func (s *Server) DropGateway() int {
	s.gw.mu.Lock()
	conns := s.gw.conns
	s.gw.conns = nil
	s.gw.mu.Unlock()
	for _, c := range conns {
		c.ws.Close()
	}
	return len(conns)
}

func (s *Server) closeGateways() {
	s.gw.mu.Lock()
	conns := s.gw.conns
	s.gw.mu.Unlock()
	for _, c := range conns {
		c.ws.Close()
		<-c.done
	}
}
