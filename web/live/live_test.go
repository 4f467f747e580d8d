package live_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/relaydesk/relaydesk/web/live"
)

// feed is a growing list of strings with a wake-up channel, standing in for
// the event log.
type feed struct {
	mu    sync.Mutex
	items []string
	subs  []chan struct{}
}

func (f *feed) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	f.mu.Lock()
	f.subs = append(f.subs, ch)
	f.mu.Unlock()
	return ch, func() {}
}

func (f *feed) add(s string) {
	f.mu.Lock()
	f.items = append(f.items, s)
	subs := f.subs
	f.mu.Unlock()
	for _, ch := range subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (f *feed) fetch(_ context.Context, after string) ([]any, string, error) {
	n, err := strconv.Atoi(after)
	if err != nil {
		return nil, "", errors.New("bad cursor")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if n >= len(f.items) {
		return nil, after, nil
	}
	return live.Encode(f.items[n:]), strconv.Itoa(len(f.items)), nil
}

func TestWebSocketCatchesUpThenFollows(t *testing.T) {
	f := &feed{items: []string{"a", "b"}}
	s := live.Streamer{Wake: f}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.ServeWS(w, r, func(*http.Request) bool { return true }, func(ctx context.Context, h live.Hello) (live.Fetch, error) {
			if h.Token != "secret" {
				return nil, errors.New("bad token")
			}
			return f.fetch, nil
		})
	}))
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")

	conn, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := conn.WriteJSON(live.Hello{After: "1", Token: "secret"}); err != nil {
		t.Fatal(err)
	}
	var fr live.Frame
	if err := conn.ReadJSON(&fr); err != nil || fr.Type != "events" || len(fr.Items) != 1 || fr.Items[0] != "b" || fr.Next != "2" {
		t.Fatalf("catch-up frame %+v, %v", fr, err)
	}
	f.add("c")
	if err := conn.ReadJSON(&fr); err != nil || len(fr.Items) != 1 || fr.Items[0] != "c" || fr.Next != "3" {
		t.Fatalf("live frame %+v, %v", fr, err)
	}

	// A bad credential gets an error frame and the stream is closed.
	bad, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	bad.SetReadDeadline(time.Now().Add(10 * time.Second))
	bad.WriteJSON(live.Hello{After: "0", Token: "wrong"})
	if err := bad.ReadJSON(&fr); err != nil || fr.Type != "error" || fr.Error != "bad token" {
		t.Fatalf("refusal frame %+v, %v", fr, err)
	}
	if _, _, err := bad.ReadMessage(); !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
		t.Fatalf("after a refusal: %v", err)
	}
}

func TestPollWaitsForNews(t *testing.T) {
	f := &feed{items: []string{"a"}}
	s := live.Streamer{Wake: f, PollWait: time.Minute}
	r := httptest.NewRequest("GET", "/", nil)
	fr, err := s.Poll(r, "0", f.fetch)
	if err != nil || len(fr.Items) != 1 || fr.Next != "1" {
		t.Fatalf("immediate poll %+v, %v", fr, err)
	}
	done := make(chan live.Frame)
	go func() {
		fr, _ := s.Poll(r, "1", f.fetch)
		done <- fr
	}()
	// The poll subscribed before looking, so an item added now wakes it
	// whether it is looking or already waiting.
	for {
		f.mu.Lock()
		n := len(f.subs)
		f.mu.Unlock()
		if n >= 2 {
			break
		}
		time.Sleep(time.Millisecond) // wait for the poller to subscribe (a condition, not a delay)
	}
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
	s.PollWait = 10 * time.Millisecond
	if fr, err := s.Poll(r, "2", f.fetch); err != nil || len(fr.Items) != 0 || fr.Next != "2" {
		t.Fatalf("empty poll %+v, %v", fr, err)
	}
}
