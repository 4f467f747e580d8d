package main_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// TestHealthcheck runs `relaydesk healthcheck`, what a container's health
// check runs, against a serving relaydesk and against addresses where none
// serves or none is ready: exit 0 only for the first, and a message that
// says what was asked and why it failed otherwise.
func TestHealthcheck(t *testing.T) {
	t.Parallel()
	p := newProgram(t, "sqlite:"+filepath.Join(t.TempDir(), "relaydesk.db"))
	p.env["HTTP_ADDR"] = "127.0.0.1:0"
	srv := p.serve()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.base, "http://"))

	// A port nothing listens on: listen, note the port, close.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()

	notReady := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"status":"unavailable","reason":"the database does not answer"}` + "\n"))
	}))
	t.Cleanup(notReady.Close)
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(silent.Close)

	tests := []struct {
		name     string
		httpAddr string
		args     []string
		code     int
		stdout   string
		stderr   []string
	}{
		{name: "serving, asked on HTTP_ADDR", httpAddr: strings.TrimPrefix(srv.base, "http://"),
			stdout: srv.base + `/readyz: 200 {"status":"ready"}`},
		{name: "serving on every interface, asked on loopback", httpAddr: ":" + port,
			stdout: srv.base + `/readyz: 200 {"status":"ready"}`},
		{name: "liveness by --url", args: []string{"--url", srv.base + "/healthz"},
			stdout: srv.base + "/healthz: 200 ok"},
		{name: "nothing listens", httpAddr: closed, code: 1,
			stderr: []string{"relaydesk: healthcheck: no answer from http://" + closed + "/readyz (HTTP_ADDR is " + closed + ")",
				"connection refused", "is relaydesk serving there?"}},
		{name: "not ready", args: []string{"--url", notReady.URL + "/readyz"}, code: 1,
			stderr: []string{"relaydesk: healthcheck: " + notReady.URL + `/readyz answered 503 {"status":"unavailable","reason":"the database does not answer"}`}},
		{name: "no answer in time", args: []string{"--url", silent.URL + "/readyz", "--timeout", "200ms"}, code: 1,
			stderr: []string{"relaydesk: healthcheck: no answer from " + silent.URL + "/readyz within 200ms"}},
		{name: "not an http URL", args: []string{"--url", "tcp://127.0.0.1:8080"}, code: 2,
			stderr: []string{`--url "tcp://127.0.0.1:8080": must be an absolute http:// or https:// URL`, "usage: relaydesk healthcheck"}},
		{name: "invalid settings", httpAddr: "8080", code: 1, stderr: []string{"HTTP_ADDR"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hc := newProgram(t, p.env["DATABASE_URL"])
			if tt.httpAddr != "" {
				hc.env["HTTP_ADDR"] = tt.httpAddr
			}
			code, stdout, stderr := hc.run("", append([]string{"healthcheck"}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			if strings.TrimSpace(stdout) != tt.stdout {
				t.Errorf("stdout = %q, want %q", stdout, tt.stdout)
			}
			for _, want := range tt.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
		})
	}
}
