package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/web"
	"github.com/relaydesk/relaydesk/web/metrics"
)

type response struct {
	code int
	body string
	hdr  http.Header
}

func get(t *testing.T, h http.Handler, method, path string) response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return response{code: rec.Code, body: rec.Body.String(), hdr: rec.Header()}
}

func newServer(t *testing.T, db web.Pinger) (*web.Server, *metrics.Metrics) {
	srv, m, _ := newServerReg(t, db)
	return srv, m
}

func newServerReg(t *testing.T, db web.Pinger) (*web.Server, *metrics.Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, "test")
	return web.New(web.Config{DB: db, Metrics: reg, Requests: m}), m, reg
}

func TestRoutes(t *testing.T) {
	srv, _ := newServer(t, storetest.SQLite(t))
	srv.Mount("POST /hook", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	}))
	h := srv.Handler()
	tests := []struct {
		name, method, path string
		code               int
		body               string // substring
	}{
		{"liveness", "GET", "/healthz", 200, "ok"},
		{"readiness with a live store", "GET", "/readyz", 200, `"status":"ready"`},
		{"metrics", "GET", "/metrics", 200, "relaydesk_build_info"},
		{"mounted handler", "POST", "/hook", 202, ""},
		{"wrong method", "POST", "/healthz", 405, ""},
		{"unknown path", "GET", "/nope", 404, `href="/console"`},
		{"unknown path names the widget", "GET", "/nope/deeper", 404, "/widget.js"},
		{"unknown path, HEAD", "HEAD", "/nope", 404, ""},
		{"bare address goes to the console", "GET", "/", 303, ""},
		{"bare address, HEAD", "HEAD", "/", 303, ""},
		{"bare address, wrong method", "POST", "/", 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, h, tt.method, tt.path)
			if r.code != tt.code {
				t.Errorf("status %d, want %d (body %q)", r.code, tt.code, r.body)
			}
			if !strings.Contains(r.body, tt.body) {
				t.Errorf("body %q does not contain %q", r.body, tt.body)
			}
			if got := r.hdr.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
			}
		})
	}
}

func TestReadyzFailsWhenTheStoreIsClosed(t *testing.T) {
	s := storetest.SQLite(t)
	srv, _ := newServer(t, s)
	h := srv.Handler()
	if r := get(t, h, "GET", "/readyz"); r.code != http.StatusOK {
		t.Fatalf("before close: status %d, want 200", r.code)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r := get(t, h, "GET", "/readyz")
	if r.code != http.StatusServiceUnavailable {
		t.Fatalf("after close: status %d, want 503", r.code)
	}
	var body struct{ Status, Reason string }
	if err := json.Unmarshal([]byte(r.body), &body); err != nil {
		t.Fatalf("body %q is not JSON: %v", r.body, err)
	}
	if body.Status != "unavailable" || body.Reason == "" {
		t.Errorf("body = %+v, want status unavailable with a reason", body)
	}
	if ct := r.hdr.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if r := get(t, h, "GET", "/healthz"); r.code != http.StatusOK {
		t.Errorf("liveness must not depend on the database: status %d", r.code)
	}
}

// slowDB answers only when its context ends.
type slowDB struct{}

func (slowDB) Ping(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }

func TestReadyzGivesUpOnASlowDatabase(t *testing.T) {
	srv, _ := newServer(t, slowDB{})
	start := time.Now()
	r := get(t, srv.Handler(), "GET", "/readyz")
	if r.code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", r.code)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the probe took %s; it must give up after about 2s", d)
	}
}

// TestReadyzShowsPlatforms: a chat platform that cannot be reached is shown
// in the readiness answer, and the desk stays ready for the web side.
func TestReadyzShowsPlatforms(t *testing.T) {
	srv, _ := newServer(t, storetest.SQLite(t))
	srv.Platforms(func() map[string]string {
		return map[string]string{"slack": "ok", "discord": "connecting: dial tcp: connection refused"}
	})
	r := get(t, srv.Handler(), "GET", "/readyz")
	want := `{"status":"ready","platforms":{"discord":"connecting: dial tcp: connection refused","slack":"ok"}}`
	if r.code != http.StatusOK || strings.TrimSpace(r.body) != want {
		t.Fatalf("readyz answered %d %s, want 200 %s", r.code, r.body, want)
	}
}

func TestMetricsNames(t *testing.T) {
	st := storetest.SQLite(t)
	storetest.NewDesk(t, st).Live(t)
	srv, m, reg := newServerReg(t, st)
	metrics.Live(reg, "widget", func() (int64, int64) { return 3, 1 })
	metrics.Sessions(reg, "media", func() int { return 2 })
	metrics.Requests(reg, st.RequestCounts)
	h := srv.Handler()
	m.Delivered("slack:T1", core.Event{}, 1, 30*time.Millisecond)
	m.Failed("slack:T1", errors.New("boom"))
	m.Failed("telegram", fmt.Errorf("send: %w", &dispatch.RetryAfterError{After: time.Second}))
	m.Failed("telegram", &dispatch.PermanentError{Err: errors.New("blocked")})
	get(t, h, "GET", "/healthz")
	get(t, h, "GET", "/nope")
	body := get(t, h, "GET", "/metrics").body
	for _, want := range []string{
		`relaydesk_build_info{version="test"} 1`,
		`relaydesk_dispatch_delivered_total{destination="slack:T1"} 1`,
		`relaydesk_dispatch_failures_total{destination="slack:T1",kind="retry"} 1`,
		`relaydesk_dispatch_failures_total{destination="telegram",kind="rate_limited"} 1`,
		`relaydesk_dispatch_failures_total{destination="telegram",kind="permanent"} 1`,
		`relaydesk_live_clients{surface="widget",transport="websocket"} 3`,
		`relaydesk_live_clients{surface="widget",transport="poll"} 1`,
		`relaydesk_live_sessions{kind="media"} 2`,
		`relaydesk_requests{status="active"} 1`,
		`relaydesk_requests{status="new"} 0`,
		`relaydesk_dispatch_lag_seconds_count{destination="slack:T1"} 1`,
		`relaydesk_http_requests_total{code="200",route="GET /healthz"} 1`,
		`relaydesk_http_requests_total{code="404",route="unmatched"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(body, "go_goroutines") {
		t.Error("/metrics exposes the global default registry; it must expose only the caller's")
	}
}

func TestServeStopsWhenTheContextEnds(t *testing.T) {
	srv, _ := newServer(t, storetest.SQLite(t))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()

	res, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(b) != "ok" {
		t.Fatalf("GET /healthz = %d %q", res.StatusCode, b)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve returned %v, want nil after a clean shutdown", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		t.Error("the listener still answers after shutdown")
	}
}

// TestNotFoundAndRoot: the bare address sends browsers to the console, a
// path nobody serves gets a page naming relaydesk's pages, and a route's
// own 404 (an unknown ID) keeps its body.
func TestNotFoundAndRoot(t *testing.T) {
	srv, _ := newServer(t, storetest.SQLite(t))
	srv.Mount("GET /thing/{id}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"no such thing"}`, http.StatusNotFound)
	}))
	h := srv.Handler()
	tests := []struct {
		name, method, path string
		code               int
		location, ctype    string
		body, notBody      string
	}{
		{"root", "GET", "/", 303, "/console", "", "", ""},
		{"root, HEAD", "HEAD", "/", 303, "/console", "", "", ""},
		{"unknown", "GET", "/nope", 404, "", "text/html; charset=utf-8", "/console", "404 page not found"},
		{"route's own 404", "GET", "/thing/42", 404, "", "text/plain; charset=utf-8", "no such thing", "/console"},
		{"wrong method", "DELETE", "/healthz", 405, "", "", "", "/console"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, h, tt.method, tt.path)
			if r.code != tt.code {
				t.Fatalf("status %d, want %d (body %q)", r.code, tt.code, r.body)
			}
			if got := r.hdr.Get("Location"); got != tt.location {
				t.Errorf("Location %q, want %q", got, tt.location)
			}
			if got := r.hdr.Get("Content-Type"); tt.ctype != "" && got != tt.ctype {
				t.Errorf("Content-Type %q, want %q", got, tt.ctype)
			}
			if !strings.Contains(r.body, tt.body) {
				t.Errorf("body %q lacks %q", r.body, tt.body)
			}
			if tt.notBody != "" && strings.Contains(r.body, tt.notBody) {
				t.Errorf("body %q has %q", r.body, tt.notBody)
			}
		})
	}
}
