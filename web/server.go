// Package web is relaydesk's one HTTP listener. For now it answers health
// and metrics probes; the widget, portal, console and the platforms'
// webhooks are mounted on it by later work, adapters through Mount, so web
// never imports an adapter.
package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/relaydesk/relaydesk/web/slowbody"
)

// Pinger is what readiness needs of the store: does the database answer.
type Pinger interface {
	Ping(ctx context.Context) error
}

// RequestCounter is told of every answered request, by the ServeMux
// pattern that matched ("" when none did) and the status code.
type RequestCounter interface {
	Request(route string, code int)
}

// Config is what a Server needs. Logger, Requests, ShutdownTimeout and the
// limits on clients are optional.
type Config struct {
	Logger *slog.Logger
	// DB answers /readyz.
	DB Pinger
	// Metrics is the registry /metrics exposes; the caller creates it, so
	// nothing lands on Prometheus's global default registry.
	Metrics  prometheus.Gatherer
	Requests RequestCounter
	// ShutdownTimeout bounds how long Serve waits for requests in flight
	// once its context ends; default 10s.
	ShutdownTimeout time.Duration

	// Bodies bounds how long a client may take to send a request body: a
	// few seconds for the small ones, a minimum rate for uploads (see
	// slowbody). The zero Policy takes slowbody's defaults.
	Bodies slowbody.Policy
	// ConnsPerClient caps the connections one client address holds open
	// at once; default DefaultConnsPerClient.
	ConnsPerClient int
	// Uncapped exempts addresses from ConnsPerClient: the trusted reverse
	// proxies, whose connections carry many clients'.
	Uncapped func(netip.Addr) bool
	// IdleTimeout closes a kept-alive connection that sends no new request;
	// default 2 minutes.
	IdleTimeout time.Duration
}

// DefaultConnsPerClient is high enough for an office behind one NAT
// address, each person with a chat and a console open, and low enough that
// one client cannot take the server's every file descriptor.
const DefaultConnsPerClient = 256

// readyTimeout bounds a readiness probe: a database that takes longer is
// as good as down for a load balancer deciding where to send traffic.
const readyTimeout = 2 * time.Second

// Server routes relaydesk's HTTP requests.
type Server struct {
	cfg Config
	log *slog.Logger
	mux *http.ServeMux
	// platforms reports the chat platforms' links for /readyz; nil for none.
	platforms func() map[string]string
	// onShutdown run when Serve starts shutting down.
	onShutdown []func()
}

// OnShutdown has fn run when Serve starts shutting down, beside waiting for
// requests in flight: for connections the server does not track, such as
// live streams' WebSockets, which fn tells to go elsewhere. Call it before
// Serve.
func (s *Server) OnShutdown(fn func()) { s.onShutdown = append(s.onShutdown, fn) }

// New returns a server with the health and metrics routes. It does no I/O:
// listening starts in Serve.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	if cfg.ConnsPerClient <= 0 {
		cfg.ConnsPerClient = DefaultConnsPerClient
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 2 * time.Minute
	}
	s := &Server{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	// The bare address is where people land first: the console is what
	// they are after. 303, so that no browser caches it for good.
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/console", http.StatusSeeOther)
	})
	if cfg.Metrics != nil {
		s.mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Metrics, promhttp.HandlerOpts{
			ErrorLog: slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
		}))
	}
	return s
}

// Platforms makes /readyz also show how each chat platform's link is
// (bots.Health's states, by adapter name). Call it before Serve.
func (s *Server) Platforms(states func() map[string]string) { s.platforms = states }

// Mount routes requests matching pattern (an http.ServeMux pattern such as
// "POST /slack/events") to h. Adapters mount their webhooks this way. Like
// ServeMux.Handle it panics on a pattern that is malformed or taken.
func (s *Server) Mount(pattern string, h http.Handler) {
	s.mux.Handle(pattern, h)
}

// Handler returns the server's routes wrapped in the middleware every
// response goes through.
func (s *Server) Handler() http.Handler {
	return s.middleware(http.HandlerFunc(s.route))
}

// route serves r through the mux. A path no route matches gets a page that
// names where relaydesk's pages are, instead of the mux's bare "404 page
// not found"; a route's own 404 (an unknown request ID) is left alone.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern == "" {
		w = &notFoundWriter{ResponseWriter: w}
	}
	s.mux.ServeHTTP(w, r)
}

// notFoundPage is what a path no route matches shows. It does not echo the
// path, which is whatever anyone typed.
const notFoundPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Not found - relaydesk</title></head>
<body><h1>Not found</h1>
<p>There is no page at this address. relaydesk serves:</p>
<ul>
<li><a href="/console">/console</a>: the Support Center, where technicians sign in;</li>
<li>/widget.js: the chat widget's script for a website, and /c/COMPANY: a company's support portal.</li>
</ul></body></html>
`

// notFoundWriter replaces the mux's 404 body with notFoundPage; any other
// answer (405 for a wrong method, a redirect) passes through.
type notFoundWriter struct {
	http.ResponseWriter
	replaced bool
}

func (w *notFoundWriter) WriteHeader(code int) {
	if code != http.StatusNotFound {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.replaced = true
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.ResponseWriter.WriteHeader(code)
	io.WriteString(w.ResponseWriter, notFoundPage)
}

func (w *notFoundWriter) Write(b []byte) (int, error) {
	if w.replaced {
		return len(b), nil // the mux's own text: notFoundPage went instead
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *notFoundWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Serve answers requests on ln until ctx ends, then stops accepting, waits
// up to the shutdown timeout for requests in flight and returns. It closes
// ln. One client address holds at most ConnsPerClient connections.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	ln = newClientListener(ln, s.cfg.ConnsPerClient, s.cfg.Uncapped, s.log)
	srv := &http.Server{
		Handler: s.Handler(),
		// Slow-header clients must not hold connections forever; bodies
		// are bounded by the middleware (slowbody): a few seconds for small
		// ones, a minimum rate for uploads. No ReadTimeout or WriteTimeout:
		// live streams and downloads run long.
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       s.cfg.IdleTimeout,
		// Per-connection noise (a client that hung up, a bad TLS
		// handshake) is for debugging; accept errors are logged at warn
		// by the listener.
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		// Requests keep running during shutdown; their contexts end when
		// the shutdown timeout does, not when ctx does.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	for _, fn := range s.onShutdown {
		srv.RegisterOnShutdown(fn)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	serr := srv.Shutdown(sctx)
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	if serr != nil {
		srv.Close()
		return fmt.Errorf("http server shutdown: %w", serr)
	}
	return nil
}

// healthz is liveness: the process answers HTTP. It checks nothing else, so
// a database outage does not get every relaydesk process restarted.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(w, "ok")
}

// readyz is readiness: the database answers within readyTimeout.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if s.cfg.DB == nil {
		writeJSON(w, http.StatusServiceUnavailable, status{Status: "unavailable", Reason: "no database configured"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := s.cfg.DB.Ping(ctx); err != nil {
		// The details (host, driver error) go to the log, not to whoever
		// can reach the probe.
		s.log.Warn("readiness probe: the database does not answer", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, status{Status: "unavailable", Reason: "the database does not answer"})
		return
	}
	st := status{Status: "ready"}
	if s.platforms != nil {
		st.Platforms = s.platforms()
	}
	writeJSON(w, http.StatusOK, st)
}

type status struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	// Platforms is how each chat platform's link is. A platform that
	// cannot be reached does not make the desk unready: the widget and
	// the console serve without it.
	Platforms map[string]string `json:"platforms,omitempty"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
