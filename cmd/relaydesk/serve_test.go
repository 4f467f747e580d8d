package main_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServe starts the real program as `relaydesk serve` on a free
// loopback port, checks what it answers, then stops it as SIGTERM would
// (by ending its context) and checks it exits 0 after a clean shutdown.
func TestServe(t *testing.T) {
	tests := []struct {
		name    string
		backend int // index in backends
		env     map[string]string
		off     []string // adapters that must say they are off
		secret  string   // must never appear in the log
	}{
		{name: "sqlite, no tokens", backend: 0, off: []string{"slack", "discord", "telegram"}},
		{name: "sqlite, slack token set", backend: 0, env: map[string]string{"SLACK_BOT_TOKEN": "xoxb-do-not-log-me", "LOG_LEVEL": "debug"},
			off: []string{"discord", "telegram"}, secret: "xoxb-do-not-log-me"},
		{name: "postgres, no tokens", backend: 1, off: []string{"slack", "discord", "telegram"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProgram(t, backends()[tt.backend].url(t))
			p.env["HTTP_ADDR"] = "127.0.0.1:0"
			for k, v := range tt.env {
				p.env[k] = v
			}
			var out, errb syncBuffer
			m := p.main("", &out, &errb)
			addrc := make(chan string, 1)
			m.OnListen = func(addr string) { addrc <- addr }

			ctx, stop := context.WithCancel(context.Background())
			defer stop()
			exited := make(chan int, 1)
			go func() { exited <- m.Run(ctx, []string{"serve"}) }()

			var base string
			select {
			case addr := <-addrc:
				base = "http://" + addr
			case code := <-exited:
				t.Fatalf("serve exited with %d before listening:\n%s", code, errb.String())
			case <-time.After(30 * time.Second):
				t.Fatalf("serve did not listen within 30s:\n%s", errb.String())
			}

			waitFor(t, base+"/healthz", http.StatusOK, 10*time.Second)
			if code, body := fetch(t, base+"/healthz"); code != 200 || body != "ok" {
				t.Errorf("/healthz = %d %q", code, body)
			}
			if code, body := fetch(t, base+"/readyz"); code != 200 || !strings.Contains(body, "ready") {
				t.Errorf("/readyz = %d %q", code, body)
			}
			code, body := fetch(t, base+"/metrics")
			if code != 200 {
				t.Errorf("/metrics = %d", code)
			}
			for _, name := range []string{"relaydesk_build_info", "relaydesk_http_requests_total", "go_goroutines"} {
				if !strings.Contains(body, name) {
					t.Errorf("/metrics lacks %s", name)
				}
			}

			stop()
			select {
			case code := <-exited:
				if code != 0 {
					t.Fatalf("serve exited with %d, want 0:\n%s", code, errb.String())
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("serve did not stop within 30s of its context ending:\n%s", errb.String())
			}

			log := errb.String()
			for _, want := range []string{"relaydesk is serving", "shutting down", "stopped"} {
				if !strings.Contains(log, want) {
					t.Errorf("the log lacks %q:\n%s", want, log)
				}
			}
			if strings.Contains(log, "level=ERROR") {
				t.Errorf("the log has errors:\n%s", log)
			}
			for _, a := range []string{"slack", "discord", "telegram"} {
				want := 0
				for _, o := range tt.off {
					if o == a {
						want = 1
					}
				}
				if n := strings.Count(log, a+" adapter is off"); n != want {
					t.Errorf("%d log lines say the %s adapter is off, want %d:\n%s", n, a, want, log)
				}
			}
			if tt.secret != "" && strings.Contains(log+out.String(), tt.secret) {
				t.Errorf("a token leaked into the output:\n%s", log)
			}
		})
	}
}

// waitFor polls url until it answers code or the deadline passes. The
// listener is bound before OnListen is called, so this normally succeeds
// at once; the loop only covers the server goroutine's start.
func waitFor(t *testing.T, url string, code int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == code {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer %d within %s (last error %v)", url, code, within, err)
		}
		<-tick.C
	}
}

func fetch(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("GET %s: no X-Content-Type-Options: nosniff", url)
	}
	return res.StatusCode, string(b)
}
