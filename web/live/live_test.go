package live_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/relaydesk/relaydesk/core/hub"
	"github.com/relaydesk/relaydesk/internal/testwait"
	"github.com/relaydesk/relaydesk/web/live"
)

// feed is a growing list of strings under one hub key, standing in for a
// request's events.
type feed struct {
	h     *hub.Hub
	key   hub.Key
	mu    sync.Mutex
	items []string
	reads atomic.Int64 // fetches, counted
}

func newFeed(h *hub.Hub, name string, items ...string) *feed {
	return &feed{h: h, key: hub.Request(name), items: items}
}

func (f *feed) add(s string) {
	f.mu.Lock()
	f.items = append(f.items, s)
	f.mu.Unlock()
	f.h.Publish(f.key)
}

func (f *feed) fetch(_ context.Context, after string) ([]any, string, bool, error) {
	f.reads.Add(1)
	n, err := strconv.Atoi(after)
	if err != nil {
		return nil, "", false, errors.New("bad cursor")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if n >= len(f.items) {
		return nil, after, false, nil
	}
	return live.Encode(f.items[n:]), strconv.Itoa(len(f.items)), false, nil
}

// open follows the feed for a client holding the token "secret".
func (f *feed) open(_ context.Context, h live.Hello, follow live.Follow) (live.Fetch, error) {
	if h.Token != "secret" {
		return nil, errors.New("bad token")
	}
	follow(f.key)
	return f.fetch, nil
}

// serveWS serves s's WebSockets with open on loopback; returned receives a
// value whenever a handler returns.
func serveWS(t *testing.T, s *live.Streamer, open func(context.Context, live.Hello, live.Follow) (live.Fetch, error)) (url string, returned <-chan struct{}) {
	t.Helper()
	ret := make(chan struct{}, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { ret <- struct{}{} }()
		s.ServeWS(w, r, func(*http.Request) bool { return true }, open)
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http"), ret
}

func dial(t *testing.T, url string, hello live.Hello) *websocket.Conn {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := conn.WriteJSON(hello); err != nil {
		t.Fatal(err)
	}
	return conn
}

func TestWebSocketCatchesUpThenFollows(t *testing.T) {
	h := hub.New()
	f := newFeed(h, "a", "a", "b")
	url, _ := serveWS(t, live.New(live.Config{Hub: h}), f.open)

	conn := dial(t, url, live.Hello{After: "1", Token: "secret"})
	var fr live.Frame
	if err := conn.ReadJSON(&fr); err != nil || fr.Type != "events" || len(fr.Items) != 1 || fr.Items[0] != "b" || fr.Next != "2" {
		t.Fatalf("catch-up frame %+v, %v", fr, err)
	}
	f.add("c")
	if err := conn.ReadJSON(&fr); err != nil || len(fr.Items) != 1 || fr.Items[0] != "c" || fr.Next != "3" {
		t.Fatalf("live frame %+v, %v", fr, err)
	}

	// A bad credential gets an error frame and the stream is closed.
	bad := dial(t, url, live.Hello{After: "0", Token: "wrong"})
	if err := bad.ReadJSON(&fr); err != nil || fr.Type != "error" || fr.Error != "bad token" {
		t.Fatalf("refusal frame %+v, %v", fr, err)
	}
	if _, _, err := bad.ReadMessage(); !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
		t.Fatalf("after a refusal: %v", err)
	}
}

// TestWebSocketWokenByWhatItFollows: a commit wakes the streams that
// follow what it touched; the others do not even look.
func TestWebSocketWokenByWhatItFollows(t *testing.T) {
	h := hub.New()
	a, b := newFeed(h, "a", "a1"), newFeed(h, "b", "b1")
	s := live.New(live.Config{Hub: h})
	urlA, _ := serveWS(t, s, a.open)
	urlB, _ := serveWS(t, s, b.open)
	connA := dial(t, urlA, live.Hello{After: "0", Token: "secret"})
	connB := dial(t, urlB, live.Hello{After: "0", Token: "secret"})
	var fr live.Frame
	for _, c := range []*websocket.Conn{connA, connB} {
		if err := c.ReadJSON(&fr); err != nil || len(fr.Items) != 1 {
			t.Fatalf("catch-up frame %+v, %v", fr, err)
		}
	}
	// Each stream read once to catch up, and wrote what it read: a frame
	// that said nothing more. It reads again only when woken.
	if n := b.reads.Load(); n != 1 {
		t.Fatalf("b read %d times to catch up", n)
	}
	for i := range 20 {
		a.add("a" + strconv.Itoa(i+2))
		if err := connA.ReadJSON(&fr); err != nil || len(fr.Items) != 1 {
			t.Fatalf("a's frame %+v, %v", fr, err)
		}
	}
	if n := b.reads.Load(); n != 1 {
		t.Fatalf("20 commits on a made b's stream read %d times", n-1)
	}
	b.add("b2")
	if err := connB.ReadJSON(&fr); err != nil || len(fr.Items) != 1 || fr.Items[0] != "b2" {
		t.Fatalf("b's frame %+v, %v", fr, err)
	}
}

// TestWebSocketReadsOnWhileMore: a Fetch that says there is more is asked
// again at once, without a wake-up.
func TestWebSocketReadsOnWhileMore(t *testing.T) {
	h := hub.New()
	const total = 5
	var reads atomic.Int64
	url, _ := serveWS(t, live.New(live.Config{Hub: h}), func(context.Context, live.Hello, live.Follow) (live.Fetch, error) {
		return func(_ context.Context, after string) ([]any, string, bool, error) {
			reads.Add(1)
			n, _ := strconv.Atoi(after)
			if n >= total {
				return nil, after, false, nil
			}
			return []any{n + 1}, strconv.Itoa(n + 1), n+1 < total, nil
		}, nil
	})
	conn := dial(t, url, live.Hello{After: "0"})
	for want := 1; want <= total; want++ {
		var fr live.Frame
		if err := conn.ReadJSON(&fr); err != nil || fr.Next != strconv.Itoa(want) {
			t.Fatalf("frame %d: %+v, %v", want, fr, err)
		}
	}
	if n := reads.Load(); n != total {
		t.Fatalf("%d reads for %d batches", n, total)
	}
}

// TestWebSocketFollowsWhatFetchSays: a Fetch that finds that what it
// follows changed says so, and commits on the new key wake the stream.
func TestWebSocketFollowsWhatFetchSays(t *testing.T) {
	h := hub.New()
	moved := newFeed(h, "new")
	url, _ := serveWS(t, live.New(live.Config{Hub: h}), func(_ context.Context, _ live.Hello, follow live.Follow) (live.Fetch, error) {
		follow(hub.Request("old"))
		followed := false
		return func(ctx context.Context, after string) ([]any, string, bool, error) {
			if !followed {
				follow(moved.key)
				followed = true
				return nil, after, true, nil
			}
			return moved.fetch(ctx, after)
		}, nil
	})
	conn := dial(t, url, live.Hello{After: "0"})
	moved.add("x")
	var fr live.Frame
	if err := conn.ReadJSON(&fr); err != nil || len(fr.Items) != 1 || fr.Items[0] != "x" {
		t.Fatalf("frame %+v, %v", fr, err)
	}
}

// TestWebSocketIdleHoldsNoHandler: the handler returns once the stream
// runs, the stream goes on, and pings keep it alive.
func TestWebSocketIdleHoldsNoHandler(t *testing.T) {
	h := hub.New()
	f := newFeed(h, "a", "a")
	url, returned := serveWS(t, live.New(live.Config{Hub: h, Ping: 20 * time.Millisecond}), f.open)
	conn := dial(t, url, live.Hello{After: "0", Token: "secret"})
	pinged := make(chan struct{}, 10)
	conn.SetPingHandler(func(data string) error {
		select {
		case pinged <- struct{}{}:
		default:
		}
		return conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	var fr live.Frame
	if err := conn.ReadJSON(&fr); err != nil || len(fr.Items) != 1 {
		t.Fatalf("catch-up frame %+v, %v", fr, err)
	}
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler still runs while the stream is idle")
	}
	f.add("b")
	if err := conn.ReadJSON(&fr); err != nil || len(fr.Items) != 1 || fr.Items[0] != "b" {
		t.Fatalf("live frame %+v, %v", fr, err)
	}
	// Pings are control frames: the client reads on until it has two.
	read := make(chan error, 1)
	go func() {
		_, _, err := conn.ReadMessage()
		read <- err
	}()
	for range 2 {
		select {
		case <-pinged:
		case err := <-read:
			t.Fatalf("read %v before two pings", err)
		case <-time.After(10 * time.Second):
			t.Fatal("no ping")
		}
	}
}

func TestPollWaitsForNews(t *testing.T) {
	h := hub.New()
	f := newFeed(h, "a", "a")
	s := live.New(live.Config{Hub: h, PollWait: time.Minute})
	r := httptest.NewRequest("GET", "/", nil)
	following := make(chan struct{}, 1)
	open := func(follow live.Follow) (live.Fetch, error) {
		follow(f.key)
		following <- struct{}{}
		return f.fetch, nil
	}
	fr, err := s.Poll(r, "0", open)
	if err != nil || len(fr.Items) != 1 || fr.Next != "1" {
		t.Fatalf("immediate poll %+v, %v", fr, err)
	}
	<-following
	done := make(chan live.Frame)
	go func() {
		fr, _ := s.Poll(r, "1", open)
		done <- fr
	}()
	// The poll follows before it looks, so an item added now wakes it
	// whether it is looking or already waiting.
	<-following
	f.add("b")
	select {
	case fr := <-done:
		if len(fr.Items) != 1 || fr.Items[0] != "b" {
			t.Fatalf("woken poll %+v", fr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the poll was not woken")
	}
	// Nothing new: the poll ends empty at its deadline with the same cursor.
	s = live.New(live.Config{Hub: h, PollWait: 10 * time.Millisecond})
	if fr, err := s.Poll(r, "2", open); err != nil || len(fr.Items) != 0 || fr.Next != "2" {
		t.Fatalf("empty poll %+v, %v", fr, err)
	}
}

// TestClientsCounted: a WebSocket counts while it follows, a refused one
// never does, and one that leaves stops counting.
func TestClientsCounted(t *testing.T) {
	h := hub.New()
	f := newFeed(h, "a", "a")
	s := live.New(live.Config{Hub: h})
	url, _ := serveWS(t, s, f.open)
	conn := dial(t, url, live.Hello{After: "0", Token: "secret"})
	var fr live.Frame
	if err := conn.ReadJSON(&fr); err != nil {
		t.Fatal(err)
	}
	bad := dial(t, url, live.Hello{After: "0", Token: "wrong"})
	bad.ReadJSON(&fr)
	if ws, polls := s.Clients(); ws != 1 || polls != 0 {
		t.Fatalf("clients %d WebSockets, %d polls; want 1, 0", ws, polls)
	}
	conn.Close()
	testwait.Eventually(t, "the closed WebSocket to stop counting", func() bool { ws, _ := s.Clients(); return ws == 0 })
}

// TestShutdown: at shutdown a WebSocket client is told to go away (1001)
// at once, a new one is turned away the same way, and a long poll answers
// at once instead of holding the shutdown for its whole wait.
func TestShutdown(t *testing.T) {
	h := hub.New()
	f := newFeed(h, "a", "a")
	s := live.New(live.Config{Hub: h, PollWait: time.Minute})
	url, _ := serveWS(t, s, f.open)
	conn := dial(t, url, live.Hello{After: "0", Token: "secret"})
	var fr live.Frame
	if err := conn.ReadJSON(&fr); err != nil {
		t.Fatal(err)
	}
	polled := make(chan live.Frame, 1)
	go func() {
		req := httptest.NewRequest("GET", "/poll", nil)
		fr, _ := s.Poll(req, "1", func(follow live.Follow) (live.Fetch, error) { follow(f.key); return f.fetch, nil })
		polled <- fr
	}()
	testwait.Eventually(t, "the long poll to wait", func() bool { _, p := s.Clients(); return p == 1 })

	s.Shutdown()
	if _, _, err := conn.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Fatalf("after Shutdown the WebSocket read %v, want a going-away close", err)
	}
	select {
	case fr := <-polled:
		if fr.Next != "1" || len(fr.Items) != 0 {
			t.Errorf("the long poll answered %+v", fr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the long poll still waits after Shutdown")
	}
	late := dial(t, url, live.Hello{After: "0", Token: "secret"})
	if _, _, err := late.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Fatalf("a WebSocket opened after Shutdown read %v, want a going-away close", err)
	}
}
