// Package slacktest is a fake Slack for tests, over real HTTP on loopback:
// a Web API server that records every call (chat.postMessage, chat.update,
// chat.postEphemeral, conversations.*, files.*), gives every posted message
// a unique ts, answers users.info and conversations.info for the users
// and channels a test adds (AddUser, AddChannel), and answers 429 with
// Retry-After or 500 on demand; a Socket
// Mode endpoint on the same server (apps.connections.open and its
// WebSocket: hello, pings, envelopes pushed by the test, the client's
// acknowledgements recorded, disconnect on demand); and requests signed
// exactly as Slack signs them for relaydesk's endpoints. Optionally the
// Web API answers after an API's latency (SetDelay) and enforces Slack's
// rate limits itself (EnforceLimits, Throttled), as a benchmark needs.
package slacktest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/internal/testwait"
)

// Call is one Web API call the fake received.
type Call struct {
	Method string
	Fields map[string]string // the form fields (JSON bodies: top-level values as JSON text)
	TS     string            // the ts the fake gave a posted message
	Failed bool              // the fake answered an error on demand (or refused it by the enforced limits)
	At     time.Time         // when it was accepted: answered, after the delay
}

// Blocks decodes the call's blocks field.
func (c Call) Blocks() []map[string]any {
	var b []map[string]any
	json.Unmarshal([]byte(c.Fields["blocks"]), &b)
	return b
}

// Failure is an answer given instead of the real one.
type Failure struct {
	Status     int
	RetryAfter int    // seconds; with Status 429
	Error      string // {"ok":false,"error":...} with status 200
}

// TooManyRequests is a 429 with Retry-After.
func TooManyRequests(seconds int) Failure {
	return Failure{Status: http.StatusTooManyRequests, RetryAfter: seconds}
}

// Server is the fake Web API.
type Server struct {
	URL   string // the API base for OptionAPIURL, ending in "/"
	token string
	srv   *httptest.Server

	mu    sync.Mutex
	calls []Call
	fail  map[string][]Failure
	seq   int

	sock  socketState                 // Socket Mode, see socket.go
	files fileState                   // uploads and downloads, see files.go
	dir   directory                   // users and channels, see directory.go
	msgs  map[string][]map[string]any // posted messages by channel, newest last

	// Scopes are the bot token's scopes, sent as X-OAuth-Scopes with every
	// answer to it, as Slack does; New sets those relaydesk needs.
	Scopes []string

	now       func() time.Time // the clock of the limits and of Call.At
	delay     time.Duration    // see SetDelay
	limits    *limits          // nil unless EnforceLimits
	throttled int
}

// New starts a fake Web API that accepts token, stopped when the test ends.
func New(tb testing.TB, token string) *Server {
	s := &Server{token: token, fail: map[string][]Failure{}, msgs: map[string][]map[string]any{}, now: time.Now,
		Scopes: []string{"chat:write", "chat:write.public", "commands", "channels:history", "groups:history",
			"files:read", "files:write", "im:write", "users:read", "channels:read"}}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serve)
	mux.HandleFunc("GET "+socketPath, s.serveSocket)
	mux.HandleFunc("POST "+uploadPath+"{id}", s.serveUpload)
	mux.HandleFunc("GET "+filesPath+"{id}/{name}", s.serveDownload)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL + "/api/"
	tb.Cleanup(s.srv.Close)
	tb.Cleanup(s.closeSockets) // before the server: Close waits for its connections
	return s
}

// Fail makes the next calls of method answer fs, one each, in order.
func (s *Server) Fail(method string, fs ...Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[method] = append(s.fail[method], fs...)
}

// Calls returns the calls received, of the given methods or all.
func (s *Server) Calls(methods ...string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if len(methods) == 0 || contains(methods, c.Method) {
			out = append(out, c)
		}
	}
	return out
}

// Wait waits until cond holds for the calls received.
func (s *Server) Wait(tb testing.TB, what string, cond func([]Call) bool) {
	tb.Helper()
	testwait.Until(tb, what, func() error {
		if calls := s.Calls(); !cond(calls) {
			return fmt.Errorf("calls:\n%s", Describe(calls))
		}
		return nil
	})
}

// Describe renders calls for failure messages.
func Describe(calls []Call) string {
	var b strings.Builder
	for _, c := range calls {
		fmt.Fprintf(&b, "  %s failed=%v ts=%s channel=%s thread_ts=%s text=%q\n", c.Method, c.Failed, c.TS,
			c.Fields["channel"], c.Fields["thread_ts"], c.Fields["text"])
	}
	return b.String()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	method, ok := strings.CutPrefix(r.URL.Path, "/api/")
	if !ok || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	fields := map[string]string{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if ct == "application/json" {
		var m map[string]json.RawMessage
		body, _ := io.ReadAll(r.Body)
		json.Unmarshal(body, &m)
		for k, v := range m {
			var str string
			if json.Unmarshal(v, &str) == nil {
				fields[k] = str
			} else {
				fields[k] = string(v)
			}
		}
	} else {
		r.ParseForm()
		for k := range r.PostForm {
			fields[k] = r.PostForm.Get(k)
		}
		if t := fields["token"]; t != "" {
			token = t
		}
	}
	if method == "apps.connections.open" {
		s.openConnection(w, token)
		return
	}
	c := Call{Method: method, Fields: fields}
	// The call arrives: the failure asked for, or the limits, decide on it
	// now; it is answered (and recorded) after the delay.
	s.mu.Lock()
	var f *Failure
	if q := s.fail[method]; len(q) > 0 {
		f, s.fail[method] = &q[0], q[1:]
	}
	var until time.Time
	throttled := false
	if f == nil && token == s.token && s.limits != nil {
		var ok bool
		until, ok = s.limits.admit(method, fields["channel"], s.now())
		throttled = !ok
	}
	delay := s.delay
	s.mu.Unlock()
	if !pause(r.Context(), delay) {
		return
	}

	s.mu.Lock()
	c.At = s.now()
	if throttled {
		s.throttled++
		f = &Failure{Status: http.StatusTooManyRequests, RetryAfter: retryAfter(until, c.At)}
	}
	if f == nil && token == s.token && (method == "chat.postMessage" || method == "chat.update") {
		s.seq++
		c.TS = fmt.Sprintf("1767225600.%06d", s.seq)
		if method == "chat.update" {
			c.TS = fields["ts"]
		}
	}
	c.Failed = f != nil || token != s.token
	s.calls = append(s.calls, c)
	scopes := strings.Join(s.Scopes, ",")
	s.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	if token == s.token {
		w.Header().Set("X-OAuth-Scopes", scopes)
	}
	switch {
	case token != s.token:
		io.WriteString(w, `{"ok":false,"error":"invalid_auth"}`)
		return
	case f != nil && f.Status != 0 && f.Status != http.StatusOK:
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
		}
		w.WriteHeader(f.Status)
		io.WriteString(w, `{"ok":false,"error":"ratelimited"}`)
		return
	case f != nil:
		json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": f.Error})
		return
	}
	out := map[string]any{"ok": true}
	switch method {
	case "chat.postMessage", "chat.update":
		out["channel"], out["ts"] = fields["channel"], c.TS
		if method == "chat.postMessage" {
			s.remember(fields, c.TS)
		}
	case "conversations.history":
		out["messages"], out["has_more"] = s.history(fields["channel"], fields["include_all_metadata"] == "1"), false
	case "conversations.open":
		out["channel"] = map[string]any{"id": "D" + strings.TrimPrefix(fields["users"], "U"), "is_im": true}
	case "files.getUploadURLExternal":
		id := s.fileID()
		out["upload_url"], out["file_id"] = s.srv.URL+uploadPath+id, id
	case "files.completeUploadExternal":
		var fs []map[string]any
		json.Unmarshal([]byte(fields["files"]), &fs)
		out["files"] = fs
	case "chat.postEphemeral":
		out["message_ts"] = "1767225600.999999"
	case "auth.test":
		out["team_id"], out["user_id"], out["bot_id"] = "T0TEST", "UBOT", "BBOT"
		out["team"], out["user"] = "Test Workspace", "relaydesk"
	case "conversations.join":
		out["channel"] = map[string]any{"id": fields["channel"], "is_member": true}
	case "users.info", "conversations.info":
		out = s.directoryAnswer(method, fields)
	}
	json.NewEncoder(w).Encode(out)
}

// Signature is Slack's v0 request signature of body sent at ts.
func Signature(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:", ts)
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// Signed is a request to relaydesk signed as Slack signs it, at time at.
func Signed(tb testing.TB, url, secret, contentType string, body []byte, at time.Time) *http.Request {
	tb.Helper()
	r, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	r.Header.Set("Content-Type", contentType)
	r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(at.Unix(), 10))
	r.Header.Set("X-Slack-Signature", Signature(secret, at.Unix(), body))
	return r
}

// Post sends a request signed now and returns the status and body.
func Post(tb testing.TB, url, secret, contentType string, body []byte, header ...string) (int, string) {
	tb.Helper()
	r := Signed(tb, url, secret, contentType, body, time.Now())
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// Form encodes a slash command or interaction body.
func Form(kv ...string) []byte {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return []byte(v.Encode())
}
