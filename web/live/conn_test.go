package live_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/relaydesk/relaydesk/core/hub"
	"github.com/relaydesk/relaydesk/web/live"
)

// echo is a Source that answers each client frame on the client's own
// Conn, and says when the stream is gone.
func serveEcho(t *testing.T, s *live.Streamer, f *feed) (url string, gone <-chan *live.Conn) {
	t.Helper()
	g := make(chan *live.Conn, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.ServeSource(w, r, func(*http.Request) bool { return true }, func(ctx context.Context, h live.Hello, follow live.Follow) (live.Source, error) {
			follow(f.key)
			var first *live.Conn
			return live.Source{Fetch: f.fetch,
				Receive: func(c *live.Conn, data []byte) {
					if first == nil {
						first = c
					}
					if c != first {
						t.Error("a client's frames came with two different Conns")
					}
					if err := c.Push(live.Frame{Type: "echo", Body: string(data)}); err != nil {
						t.Error(err)
					}
				},
				Gone: func(c *live.Conn) { g <- c }}, nil
		})
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http"), g
}

// TestClientFrames: what a client sends after its Hello reaches Receive in
// order, a push reaches that client alone without moving its cursor, and
// the end of the stream is told once.
func TestClientFrames(t *testing.T) {
	h := hub.New()
	f := newFeed(h, "a", "a")
	url, gone := serveEcho(t, live.New(live.Config{Hub: h}), f)

	conn := dial(t, url, live.Hello{After: "0"})
	other := dial(t, url, live.Hello{After: "0"})
	var fr live.Frame
	for _, c := range []*websocket.Conn{conn, other} {
		if err := c.ReadJSON(&fr); err != nil || fr.Type != "events" {
			t.Fatalf("first frame %+v, %v", fr, err)
		}
	}
	for _, m := range []string{"one", "two", strings.Repeat("x", 6000)} {
		if err := conn.WriteMessage(websocket.TextMessage, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{"one", "two", strings.Repeat("x", 6000)} {
		if err := conn.ReadJSON(&fr); err != nil || fr.Type != "echo" || fr.Body != want || fr.Next != "1" {
			t.Fatalf("echo frame %.80v, %v; want %.20q with the cursor 1", fr, err, want)
		}
	}
	// The other client got no echo: its next frame is the next event.
	f.add("b")
	if err := other.ReadJSON(&fr); err != nil || fr.Type != "events" || fr.Next != "2" {
		t.Fatalf("the other client read %+v, %v", fr, err)
	}
	conn.Close()
	select {
	case c := <-gone:
		if err := c.Push(live.Frame{Type: "late"}); err != live.ErrGone {
			t.Errorf("push after the end: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Gone was not called")
	}
}

// TestClientFramesBounded: a frame over the limit, or a flood, ends the
// stream.
func TestClientFramesBounded(t *testing.T) {
	h := hub.New()
	f := newFeed(h, "a")
	url, gone := serveEcho(t, live.New(live.Config{Hub: h}), f)
	for _, tc := range []struct {
		name   string
		frames [][]byte
	}{
		{"oversized", [][]byte{make([]byte, live.MaxClientFrame+1)}},
		{"flood", func() [][]byte {
			out := make([][]byte, 300)
			for i := range out {
				out[i] = []byte("x")
			}
			return out
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn := dial(t, url, live.Hello{After: "0"})
			for _, m := range tc.frames {
				if conn.WriteMessage(websocket.TextMessage, m) != nil {
					break
				}
			}
			select {
			case <-gone:
			case <-time.After(10 * time.Second):
				t.Fatal("the stream goes on")
			}
			for {
				if _, _, err := conn.ReadMessage(); err != nil {
					break // echoes of what came before the end, then the close
				}
			}
		})
	}
}
