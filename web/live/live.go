// Package live pushes relaydesk's events to browsers as they commit: over a
// WebSocket, or by long polling where WebSockets do not get through. Either
// way the client says where it is ("after"), so a reconnecting browser
// catches up from the event log and misses nothing.
package live

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
)

// Fetch returns what happened after the cursor after, and the cursor to
// continue from (after itself when nothing happened). It returns ErrHeld
// when nothing can be shown yet but something has happened: the wake-up for
// it came already, so the streamer looks again shortly instead of waiting.
type Fetch func(ctx context.Context, after string) (items []any, next string, err error)

// ErrHeld is Fetch's "look again in a moment" (on PostgreSQL, events wait
// until every older transaction has committed).
var ErrHeld = errors.New("events held back by an older transaction")

// heldRecheck is how soon a held stream looks again.
const heldRecheck = 20 * time.Millisecond

// Waker tells when there may be something new: the store's Subscribe.
type Waker interface {
	Subscribe() (<-chan struct{}, func())
}

// Frame is what the server sends: a batch of items and the cursor after
// them, or an error after which the server closes the stream.
type Frame struct {
	Type  string `json:"type"` // "events" or "error"
	Items []any  `json:"events,omitempty"`
	Next  string `json:"next,omitempty"`
	Error string `json:"error,omitempty"`
}

// Hello is the first frame a WebSocket client sends: where it is, and the
// credential of APIs whose browsers cannot set headers on a WebSocket.
type Hello struct {
	After string `json:"after"`
	Token string `json:"token,omitempty"`
}

// Streamer serves live streams.
type Streamer struct {
	Wake Waker
	Log  *slog.Logger
	// Ping is how often an idle WebSocket is pinged; default 25s.
	Ping time.Duration
	// PollWait is how long a long poll waits for something new; default 25s.
	PollWait time.Duration
}

func (s Streamer) ping() time.Duration {
	if s.Ping > 0 {
		return s.Ping
	}
	return 25 * time.Second
}

// ServeWS upgrades to a WebSocket, reads the client's Hello, asks open for
// the stream it may follow, and sends Frames until the client leaves.
// sameOrigin refuses pages of other sites: a browser sends cookies with a
// cross-site WebSocket too.
func (s Streamer) ServeWS(w http.ResponseWriter, r *http.Request, sameOrigin func(*http.Request) bool,
	open func(ctx context.Context, h Hello) (Fetch, error)) {
	up := websocket.Upgrader{CheckOrigin: sameOrigin}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader answered the client already
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()

	conn.SetReadLimit(4096)
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	var h Hello
	if err := conn.ReadJSON(&h); err != nil {
		s.closeWith(conn, "send {\"after\": \"...\"} first")
		return
	}
	fetch, err := open(ctx, h)
	if err != nil {
		s.closeWith(conn, err.Error())
		return
	}
	// The client sends nothing more; reading still handles pongs and close.
	conn.SetReadDeadline(time.Time{})
	conn.SetPongHandler(func(string) error { return nil })
	go func() {
		defer cancel()
		for {
			if _, _, err := conn.NextReader(); err != nil {
				return
			}
		}
	}()

	wake, unsubscribe := s.Wake.Subscribe()
	defer unsubscribe()
	ping := time.NewTicker(s.ping())
	defer ping.Stop()
	after := h.After
	for {
		items, next, err := fetch(ctx, after)
		var recheck <-chan time.Time
		if errors.Is(err, ErrHeld) {
			recheck, err = time.After(heldRecheck), nil
		}
		if err != nil {
			if ctx.Err() == nil {
				s.closeWith(conn, err.Error())
			}
			return
		}
		if len(items) > 0 || next != after {
			conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := conn.WriteJSON(Frame{Type: "events", Items: items, Next: next}); err != nil {
				return
			}
			after = next
			continue // there may be more than one batch
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-recheck:
		case <-ping.C:
			if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(10*time.Second)); err != nil {
				return
			}
		}
	}
}

func (s Streamer) closeWith(conn *websocket.Conn, reason string) {
	conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	conn.WriteJSON(Frame{Type: "error", Error: reason})
	if len(reason) > 120 {
		reason = reason[:120]
	}
	conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, reason),
		time.Now().Add(5*time.Second))
}

// Poll answers one long poll: what happened after after, waiting up to
// PollWait for something to happen if nothing has yet. The answer is a
// Frame, as JSON.
func (s Streamer) Poll(r *http.Request, after string, fetch Fetch) (Frame, error) {
	wait := s.PollWait
	if wait <= 0 {
		wait = 25 * time.Second
	}
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	wake, unsubscribe := s.Wake.Subscribe()
	defer unsubscribe()
	for {
		items, next, err := fetch(r.Context(), after)
		var recheck <-chan time.Time
		if errors.Is(err, ErrHeld) {
			recheck, err = time.After(heldRecheck), nil
		}
		if err != nil {
			return Frame{}, err
		}
		if len(items) > 0 || next != after {
			return Frame{Type: "events", Items: items, Next: next}, nil
		}
		select {
		case <-ctx.Done():
			return Frame{Type: "events", Next: after}, nil
		case <-wake:
		case <-recheck:
		}
	}
}

// Encode is a helper for Fetch implementations: it turns typed items into
// the []any a Frame carries.
func Encode[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}
