package web

import (
	"bufio"
	"net"
	"net/http"
	"time"

	"github.com/relaydesk/relaydesk/web/slowbody"
)

// middleware sets the headers every response carries, bounds the time the
// request's body may take (slowbody), counts the request and logs it at
// debug level. It logs the path without the query string,
// which may carry portal keys or invite codes.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		// Browsers must not guess a content type: an uploaded file served
		// as text/plain must never run as HTML or script.
		w.Header().Set("X-Content-Type-Options", "nosniff")
		rec := &recorder{ResponseWriter: w}
		slowbody.Limit(rec, r, s.cfg.Bodies)
		next.ServeHTTP(rec, r)
		code := rec.code
		if code == 0 {
			code = http.StatusOK
		}
		// ServeMux stored the matched pattern on r; a bounded label.
		if s.cfg.Requests != nil {
			s.cfg.Requests.Request(r.Pattern, code)
		}
		s.log.Debug("http request", "method", r.Method, "path", r.URL.Path, "route", r.Pattern,
			"status", code, "bytes", rec.bytes, "duration", time.Since(start))
	})
}

// recorder remembers the status code and size of a response. Unwrap lets
// http.ResponseController reach the real writer's Flush and Hijack, which
// live event streams and sockets need.
type recorder struct {
	http.ResponseWriter
	code  int
	bytes int64
}

func (r *recorder) WriteHeader(code int) {
	// 1xx responses are interim; the final status comes after them.
	if r.code == 0 && code >= 200 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Hijack hands the connection to a WebSocket: gorilla/websocket looks for
// http.Hijacker on the writer itself rather than through Unwrap.
func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	r.code = http.StatusSwitchingProtocols
	return http.NewResponseController(r.ResponseWriter).Hijack()
}
