package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// plan is what the server side hands the client: where to connect, with
// what credentials, and the load to offer.
type plan struct {
	URL      string        `json:"url"`
	Widgets  []widgetPlan  `json:"widgets"`
	Consoles []string      `json:"consoles"` // session cookies
	Followed []string      `json:"followed"` // the companies the consoles follow
	Rate     float64       `json:"rate"`     // messages a second, over all widget sockets
	Duration time.Duration `json:"duration"`
}

// widgetPlan is one customer: the token of their request, its company and
// the rseq of its last event.
type widgetPlan struct {
	Token   string `json:"token"`
	Company string `json:"company"`
	Last    int64  `json:"last"`
}

// result is what the client measured.
type result struct {
	ConnectSeconds  float64 `json:"connect_seconds"`
	Sent            int     `json:"sent"`
	PostErrors      int     `json:"post_errors"`
	FirstPostError  string  `json:"first_post_error,omitempty"`
	Received        int     `json:"received"`
	ConsoleExpected int     `json:"console_expected"`
	ConsoleReceived int     `json:"console_received"`
	SocketErrors    int     `json:"socket_errors"`
	Post            summary `json:"post"`
	Socket          summary `json:"socket"`
	Console         summary `json:"console"`
	ClientRSSMB     float64 `json:"client_rss_mb"`
}

// frame is the part of a live frame the client reads, from the widget's
// stream and from the console's.
type frame struct {
	Type   string `json:"type"`
	Error  string `json:"error"`
	Events []struct {
		Type      string `json:"type"`
		Body      string `json:"body"`
		CompanyID string `json:"company_id"`
		Data      struct {
			Body string `json:"body"`
		} `json:"data"`
	} `json:"events"`
}

const bodyPrefix = "bench "

// load is the client's state while it runs.
type load struct {
	p     plan
	order []int // message i goes to the customer of widget order[i mod N]
	base  time.Time
	sent  []atomic.Int64 // when message i was posted, ns after base; 0 before
	got   []atomic.Bool  // message i reached its socket
	mu    sync.Mutex
	post  []float64
	sock  []float64
	cons  []float64
	// arrived is signalled (coalesced) whenever a message reaches a socket.
	arrived chan struct{}
	serrs   atomic.Int64
}

// runClient is the client process: it reads the plan, opens the sockets,
// says "connected" on stdout, waits for "go" on stdin, offers the load and
// writes "result {...}".
func runClient(ctx context.Context, planPath string, stdin io.Reader, stdout io.Writer) error {
	if _, err := raiseFileLimit(); err != nil {
		return err
	}
	b, err := os.ReadFile(planPath)
	if err != nil {
		return fmt.Errorf("read plan: %w", err)
	}
	var p plan
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("decode plan: %w", err)
	}
	total := int(p.Rate * p.Duration.Seconds())
	l := &load{p: p, base: time.Now(), sent: make([]atomic.Int64, total), got: make([]atomic.Bool, total),
		order: rand.Perm(len(p.Widgets)), arrived: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	start := time.Now()
	conns, err := l.connect(ctx)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	if err != nil {
		return err
	}
	res := result{ConnectSeconds: time.Since(start).Seconds()}
	fmt.Fprintf(stdout, "connected %d\n", len(conns))
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "go" {
		return fmt.Errorf("waiting for go: %q %v", line, err)
	}

	res.Sent, res.PostErrors, res.FirstPostError = l.offer(ctx, total)
	// Wait for the last messages to arrive, within reason.
	deadline := time.After(15 * time.Second)
	want := res.Sent - res.PostErrors // each message reaches its own socket
	l.await(deadline, func() bool { return len(l.sock) >= want })
	followed := map[string]bool{}
	for _, c := range p.Followed {
		followed[c] = true
	}
	for i := range res.Sent {
		if followed[l.target(i).Company] {
			res.ConsoleExpected += len(p.Consoles)
		}
	}
	l.await(deadline, func() bool { return len(l.cons) >= res.ConsoleExpected })
	l.mu.Lock()
	res.Received, res.ConsoleReceived = len(l.sock), len(l.cons)
	res.Post, res.Socket, res.Console = summarize(l.post), summarize(l.sock), summarize(l.cons)
	l.mu.Unlock()
	res.SocketErrors = int(l.serrs.Load())
	res.ClientRSSMB = float64(rss().rss) / (1 << 20)
	out, _ := json.Marshal(res)
	fmt.Fprintf(stdout, "result %s\n", out)
	return nil
}

// await waits until done, which reads l under l.mu, or until deadline.
func (l *load) await(deadline <-chan time.Time, done func() bool) {
	for {
		l.mu.Lock()
		ok := done()
		l.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-l.arrived:
		case <-deadline:
			return
		}
	}
}

// connect opens every widget and console socket and waits for each one's
// first frame, which says the server follows it.
func (l *load) connect(ctx context.Context) ([]*websocket.Conn, error) {
	ws := "ws" + strings.TrimPrefix(l.p.URL, "http")
	dialer := &websocket.Dialer{HandshakeTimeout: time.Minute, ReadBufferSize: 1024, WriteBufferSize: 512}
	n := len(l.p.Widgets) + len(l.p.Consoles)
	conns := make([]*websocket.Conn, n)
	var (
		ready   sync.WaitGroup
		mu      sync.Mutex
		firstEr error
	)
	ready.Add(n)
	jobs := make(chan int)
	var dialers sync.WaitGroup
	for range 16 {
		dialers.Go(func() {
			for i := range jobs {
				hdr := http.Header{"Origin": {l.p.URL}}
				path, hello := "/api/widget/live", map[string]string{}
				if i < len(l.p.Widgets) {
					w := l.p.Widgets[i]
					hello["token"], hello["after"] = w.Token, strconv.FormatInt(w.Last-1, 10)
				} else {
					path = "/console/api/live"
					hdr.Set("Cookie", "relaydesk_session="+l.p.Consoles[i-len(l.p.Widgets)])
					hello["after"] = ""
				}
				c, _, err := dialer.DialContext(ctx, ws+path, hdr)
				if err == nil {
					err = c.WriteJSON(hello)
				}
				if err != nil {
					mu.Lock()
					if firstEr == nil {
						firstEr = fmt.Errorf("socket %d: %w", i, err)
					}
					mu.Unlock()
					ready.Done()
					continue
				}
				conns[i] = c
				go l.read(c, i < len(l.p.Widgets), ready.Done)
			}
		})
	}
	for i := range n {
		if i > 0 && i%2000 == 0 {
			fmt.Fprintf(os.Stderr, "fanout client: %d sockets\n", i)
		}
		jobs <- i
	}
	close(jobs)
	dialers.Wait()
	ready.Wait()
	out := conns[:0]
	for _, c := range conns {
		if c != nil {
			out = append(out, c)
		}
	}
	return out, firstEr
}

// read reads one socket's frames until it closes. ready is called after
// the first frame.
func (l *load) read(c *websocket.Conn, widget bool, ready func()) {
	first := true
	defer func() {
		if first {
			ready()
		}
	}()
	for {
		_, msg, err := c.ReadMessage()
		if err != nil {
			return
		}
		now := time.Since(l.base)
		var fr frame
		if err := json.Unmarshal(msg, &fr); err != nil || fr.Type != "events" {
			l.serrs.Add(1)
			fmt.Fprintf(os.Stderr, "fanout client: frame %.200s (%v)\n", msg, err)
			return
		}
		if first {
			first = false
			ready()
		}
		for _, ev := range fr.Events {
			body := ev.Body
			if !widget {
				body = ev.Data.Body
			}
			i, ok := seqOf(body)
			if !ok || i >= len(l.sent) {
				continue
			}
			at := l.sent[i].Load()
			if at == 0 {
				continue
			}
			ms := float64(now.Nanoseconds()-at) / 1e6
			l.mu.Lock()
			if widget {
				if !l.got[i].Swap(true) {
					l.sock = append(l.sock, ms)
				}
			} else {
				l.cons = append(l.cons, ms)
			}
			l.mu.Unlock()
			select {
			case l.arrived <- struct{}{}:
			default:
			}
		}
	}
}

// target is the customer who posts message i: every socket in turn, in a
// random order.
func (l *load) target(i int) widgetPlan { return l.p.Widgets[l.order[i%len(l.order)]] }

func seqOf(body string) (int, bool) {
	s, ok := strings.CutPrefix(body, bodyPrefix)
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(s)
	return i, err == nil
}

// offer posts total messages at the plan's rate, message i by the customer
// of widget i mod N (open loop: a slow answer does not slow the offer).
func (l *load) offer(ctx context.Context, total int) (sent, errs int, first string) {
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxIdleConns: 256}}
	interval := time.Duration(float64(time.Second) / l.p.Rate)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		firstEr string
		nerr    int
	)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for i := range total {
		if i > 0 {
			select {
			case <-ctx.Done():
				return i, nerr, firstEr
			case <-tick.C:
			}
		}
		w := l.target(i)
		wg.Go(func() {
			body, _ := json.Marshal(map[string]string{"body": bodyPrefix + strconv.Itoa(i)})
			req, _ := http.NewRequestWithContext(ctx, "POST", l.p.URL+"/api/widget/messages", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+w.Token)
			req.Header.Set("Content-Type", "application/json")
			t0 := time.Since(l.base)
			l.sent[i].Store(t0.Nanoseconds())
			res, err := client.Do(req)
			if err == nil {
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusCreated {
					err = errors.New(res.Status)
				}
			}
			ms := float64((time.Since(l.base) - t0).Nanoseconds()) / 1e6
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				nerr++
				if firstEr == "" {
					firstEr = err.Error()
				}
				return
			}
			l.mu.Lock()
			l.post = append(l.post, ms)
			l.mu.Unlock()
		})
	}
	wg.Wait()
	return total, nerr, firstEr
}
