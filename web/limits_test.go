package web_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/web"
	"github.com/relaydesk/relaydesk/web/slowbody"
)

// serve runs a Server with cfg on a loopback port until the test ends and
// returns its address. mount adds routes.
func serve(t *testing.T, cfg web.Config, mount func(*web.Server)) string {
	t.Helper()
	cfg.ShutdownTimeout = 2 * time.Second
	srv := web.New(cfg)
	if mount != nil {
		mount(srv)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// healthz asks the server's liveness probe from the address from.
func healthz(t *testing.T, addr, from string) int {
	t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
	res, err := c.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("healthz from %s: %v", from, err)
	}
	res.Body.Close()
	return res.StatusCode
}

// readAll reads what the server sends on c until it closes the connection,
// waiting at most limit.
func readAll(c net.Conn, limit time.Duration) (string, error) {
	c.SetReadDeadline(time.Now().Add(limit))
	b, err := io.ReadAll(c)
	return string(b), err
}

// TestStalledBodiesAreClosed: clients that send their headers and then stall
// in the middle of a body, 50 of them, are cut off by the body deadlines (a
// fixed one for small bodies, a minimum rate for uploads, the fixed one too
// for a body the handler left unread) and their connections closed, while
// the server goes on answering; bodies that come in time are read whole.
func TestStalledBodiesAreClosed(t *testing.T) {
	read := func(upload bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if upload {
				slowbody.Upload(r)
			}
			b, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, "body: "+err.Error(), http.StatusRequestTimeout)
				return
			}
			fmt.Fprintf(w, "read %d bytes", len(b))
		}
	}
	addr := serve(t, web.Config{Bodies: slowbody.Policy{Timeout: 300 * time.Millisecond, Grace: 300 * time.Millisecond, MinRate: 1 << 20}},
		func(s *web.Server) {
			s.Mount("POST /json", read(false))
			s.Mount("POST /upload", read(true))
			// Refused before its body is read, as without a session.
			s.Mount("POST /refuse", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "sign in first", http.StatusUnauthorized)
			}))
		})

	const stalled = 50
	conns := make([]net.Conn, stalled)
	for i := range conns {
		path := []string{"/json", "/upload", "/refuse"}[i%3]
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if _, err := fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: relaydesk\r\nContent-Length: 100000\r\n\r\n{\"body\": \"a", path); err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	if code := healthz(t, addr, ""); code != http.StatusOK {
		t.Fatalf("/healthz beside %d stalled bodies: %d", stalled, code)
	}
	var wg sync.WaitGroup
	errs := make([]error, stalled)
	for i, c := range conns {
		wg.Go(func() {
			// The server's deadline is 300ms: 10s is only the test's bound.
			if _, err := readAll(c, 10*time.Second); err != nil {
				errs[i] = err
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("stalled connection %d was not closed: %v", i, err)
		}
	}
	if code := healthz(t, addr, ""); code != http.StatusOK {
		t.Fatalf("/healthz after the stalled bodies: %d", code)
	}

	for _, path := range []string{"/json", "/upload"} {
		res, err := http.Post("http://"+addr+path, "application/json", strings.NewReader(strings.Repeat("x", 200000)))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || string(b) != "read 200000 bytes" {
			t.Errorf("a body sent at once to %s: %d %s", path, res.StatusCode, b)
		}
	}
}

// TestConnectionsPerClient: one client address holds at most
// ConnsPerClient connections; past that its new ones are closed at once,
// other clients are served, and a connection it closes makes room again.
func TestConnectionsPerClient(t *testing.T) {
	addr := serve(t, web.Config{ConnsPerClient: 5}, nil)
	const greedy = "127.0.0.2"
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(greedy)}, Timeout: 5 * time.Second}
	var held []net.Conn
	for range 5 {
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Skipf("cannot dial from %s: %v", greedy, err)
		}
		t.Cleanup(func() { c.Close() })
		held = append(held, c)
	}
	extra, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	fmt.Fprint(extra, "GET /healthz HTTP/1.1\r\nHost: relaydesk\r\n\r\n")
	// Closed with the request unread: an end of file, or a reset.
	if got, err := readAll(extra, 10*time.Second); got != "" || (err != nil && !errors.Is(err, syscall.ECONNRESET)) {
		t.Fatalf("the sixth connection: %q %v, want closed unanswered", got, err)
	}
	if code := healthz(t, addr, "127.0.0.1"); code != http.StatusOK {
		t.Fatalf("another client: %d", code)
	}
	// One held connection ends; its place is free once the client sees
	// it closed.
	fmt.Fprint(held[0], "GET /healthz HTTP/1.1\r\nHost: relaydesk\r\nConnection: close\r\n\r\n")
	if got, err := readAll(held[0], 10*time.Second); err != nil || !strings.HasPrefix(got, "HTTP/1.1 200") {
		t.Fatalf("a held connection: %q %v", got, err)
	}
	if code := healthz(t, addr, greedy); code != http.StatusOK {
		t.Fatalf("after a connection closed: %d", code)
	}
}

// failingListener fails every Accept with err.
type failingListener struct {
	net.Listener
	err error
}

func (l failingListener) Accept() (net.Conn, error) { return nil, l.err }

// TestAcceptErrorsAreWarned: an accept error is logged at warn level.
func TestAcceptErrorsAreWarned(t *testing.T) {
	var logs bytes.Buffer
	srv := web.New(web.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	boom := errors.New("too many open files (a test)")
	if err := srv.Serve(context.Background(), failingListener{ln, boom}); !errors.Is(err, boom) {
		t.Fatalf("serve: %v", err)
	}
	sc := bufio.NewScanner(&logs)
	for sc.Scan() {
		if l := sc.Text(); strings.Contains(l, "level=WARN") && strings.Contains(l, "too many open files") {
			return
		}
	}
	t.Fatalf("no warning in the log:\n%s", logs.String())
}
