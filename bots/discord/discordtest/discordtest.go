// Package discordtest is a fake Discord for tests, over real HTTP on
// loopback: a REST API (under /api/v9, as discordgo calls it) that records
// every call, gives every created message a unique snowflake, starts
// threads from messages, answers lookups of the members, users, channels
// and roles a test adds (AddMember, AddUser, AddChannel, AddRole), accepts multipart uploads (payload_json and
// files[n]), serves attachments for download and answers 429 with a JSON
// retry_after or any other status on demand; and a gateway WebSocket on
// the same server, whose URL GET /api/v9/gateway returns, that plays
// Discord's script: Hello (op 10), the client's Identify (op 2) recorded,
// READY, heartbeat ACKs (op 11), and dispatches pushed by the test. Point
// the adapter's APIURL at URL. Sign requests for relaydesk's interactions
// endpoint with Signed. Optionally the REST API answers after an API's
// latency (SetDelay) and enforces Discord's rate limits itself, with their
// headers (EnforceLimits, Throttled), as a benchmark needs.
package discordtest

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/internal/testwait"
)

// Call is one REST call the fake received.
type Call struct {
	// Route is createMessage, editMessage, startThread, history, callback,
	// commands, dm, gateway, or a lookup: member, user, channel, roles.
	Route   string
	Channel string         // the path's channel ID; a guild's for member and roles
	Message string         // the path's message ID (edits, threads); a user's for member and user
	ID      string         // the ID the fake gave a created message or thread
	Body    map[string]any // the JSON body (or payload_json) when it is an object
	Raw     []byte         // the JSON body (or payload_json) as sent
	Files   []File
	Failed  bool      // answered an error on demand (or a wrong token, or refused by the enforced limits)
	At      time.Time // when it was accepted: answered, after the delay
}

// Content is the call's "content" field.
func (c Call) Content() string { s, _ := c.Body["content"].(string); return s }

// JSON is the call's body as JSON text, for looking into embeds and components.
func (c Call) JSON() string { return string(c.Raw) }

// File is a file part of a multipart call.
type File struct {
	Field, Name, ContentType string
	Data                     []byte
}

// App is the application a bot token belongs to.
type App struct {
	ID        string
	PublicKey string // hex, Discord's verify_key
	Flags     int    // 1<<19: the Message Content intent is on (under 100 servers)
}

// Failure is an answer given instead of the real one.
type Failure struct {
	Status     int
	RetryAfter float64 // seconds, with Status 429
	Code       int     // Discord's JSON error code, other statuses
}

// TooManyRequests is a 429 whose JSON body says retry_after seconds.
func TooManyRequests(seconds float64) Failure {
	return Failure{Status: http.StatusTooManyRequests, RetryAfter: seconds}
}

// Server is the fake Discord.
type Server struct {
	URL   string // the adapter's APIURL
	token string
	srv   *httptest.Server

	mu       sync.Mutex
	calls    []Call
	fail     map[string][]Failure
	seq      int64
	threads  map[string]bool // message IDs a thread was started from
	messages map[string][]map[string]any
	files    map[string][]byte // attachment path -> bytes

	gw  gatewayState
	dir directory // see directory.go

	// App is the bot's application, as GET /oauth2/applications/@me shows
	// it; set it before the first call.
	App App

	now       func() time.Time // the clock of the limits and of Call.At
	delay     time.Duration    // see SetDelay
	limits    *limits          // nil unless EnforceLimits
	throttled int
}

// New starts a fake Discord that accepts bot token, stopped when the test ends.
func New(tb testing.TB, token string) *Server {
	s := &Server{token: token, fail: map[string][]Failure{}, threads: map[string]bool{}, seq: 1300000000000000000,
		messages: map[string][]map[string]any{}, files: map[string][]byte{}, now: time.Now}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v9/", s.serveREST)
	mux.HandleFunc("GET /attachments/", s.serveAttachment)
	mux.HandleFunc("GET /gw/", s.serveGateway)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL + "/api/v10"
	tb.Cleanup(s.srv.Close)
	tb.Cleanup(s.closeGateways) // before the server: Close waits for its connections
	return s
}

// Fail makes the next calls of route answer fs, one each, in order.
func (s *Server) Fail(route string, fs ...Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[route] = append(s.fail[route], fs...)
}

// Recover drops the failures still queued for route: the platform is back.
func (s *Server) Recover(route string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.fail, route)
}

// Calls returns the calls received, of the given routes or all.
func (s *Server) Calls(routes ...string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if len(routes) == 0 || contains(routes, c.Route) {
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
		fmt.Fprintf(&b, "  %s failed=%v channel=%s message=%s id=%s content=%q files=%d\n", c.Route, c.Failed, c.Channel,
			c.Message, c.ID, c.Content(), len(c.Files))
	}
	return b.String()
}

// Attachment serves data for download and returns its URL, as in a
// message's attachments.
func (s *Server) Attachment(id, name string, data []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := "/attachments/" + id + "/" + name
	s.files[p] = data
	return s.srv.URL + p
}

func (s *Server) serveAttachment(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	b, ok := s.files[r.URL.Path]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Write(b)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// NextID returns a fresh snowflake, for test fixtures.
func (s *Server) NextID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return strconv.FormatInt(s.seq, 10)
}

// route names a REST path: the route, the channel and the message.
func route(method, path string) (name, channel, message string) {
	p := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case method == "GET" && len(p) == 1 && p[0] == "gateway":
		return "gateway", "", ""
	case method == "PUT" && len(p) == 3 && p[0] == "applications" && p[2] == "commands":
		return "commands", "", ""
	case method == "POST" && len(p) == 3 && p[0] == "channels" && p[2] == "messages":
		return "createMessage", p[1], ""
	case method == "GET" && len(p) == 3 && p[0] == "channels" && p[2] == "messages":
		return "history", p[1], ""
	case method == "PATCH" && len(p) == 4 && p[0] == "channels" && p[2] == "messages":
		return "editMessage", p[1], p[3]
	case method == "POST" && len(p) == 5 && p[0] == "channels" && p[4] == "threads":
		return "startThread", p[1], p[3]
	case method == "POST" && len(p) == 4 && p[0] == "interactions" && p[3] == "callback":
		return "callback", "", p[1]
	case method == "POST" && len(p) == 3 && p[0] == "users" && p[2] == "channels":
		return "dm", "", ""
	case method == "GET" && len(p) == 2 && p[0] == "users" && p[1] == "@me":
		return "me", "", ""
	case method == "GET" && len(p) == 2 && p[0] == "users":
		return "user", "", p[1]
	case method == "GET" && len(p) == 2 && p[0] == "channels":
		return "channel", p[1], ""
	case method == "GET" && len(p) == 4 && p[0] == "guilds" && p[2] == "members":
		return "member", p[1], p[3]
	case method == "GET" && len(p) == 3 && p[0] == "guilds" && p[2] == "roles":
		return "roles", p[1], ""
	case method == "GET" && len(p) == 3 && p[0] == "oauth2" && p[1] == "applications" && p[2] == "@me":
		return "application", "", ""
	}
	return "", "", ""
}

func (s *Server) serveREST(w http.ResponseWriter, r *http.Request) {
	name, channel, message := route(r.Method, strings.TrimPrefix(r.URL.Path, "/api/v9"))
	if name == "" {
		http.NotFound(w, r)
		return
	}
	c := Call{Route: name, Channel: channel, Message: message, Body: map[string]any{}}
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		c.Raw, _ = io.ReadAll(r.Body)
		json.Unmarshal(c.Raw, &c.Body)
	case "multipart/form-data":
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if err != nil {
				break
			}
			b, _ := io.ReadAll(part)
			if part.FormName() == "payload_json" {
				c.Raw = b
				json.Unmarshal(b, &c.Body)
				continue
			}
			c.Files = append(c.Files, File{Field: part.FormName(), Name: part.FileName(),
				ContentType: part.Header.Get("Content-Type"), Data: b})
		}
	}
	authorized := r.Header.Get("Authorization") == "Bot "+s.token || name == "callback" // callbacks use the interaction's token

	// The call arrives: the failure asked for, or the limits, decide on it
	// now; it is answered (and recorded) after the delay.
	s.mu.Lock()
	var f *Failure
	if q := s.fail[name]; len(q) > 0 && authorized {
		f, s.fail[name] = &q[0], q[1:]
	}
	major := channel
	if name == "callback" {
		major = message // the interaction
	}
	var lim *verdict
	if authorized && s.limits != nil {
		v := s.limits.peek(name, major, s.now()) // a failure on demand is not counted
		if f == nil {
			v = s.limits.admit(name, major, s.now())
		}
		lim = &v
	}
	delay := s.delay
	s.mu.Unlock()
	if !pause(r.Context(), delay) {
		return
	}

	s.mu.Lock()
	c.At = s.now()
	throttled := lim != nil && lim.refused
	if throttled {
		s.throttled++
	}
	c.Failed = f != nil || !authorized || throttled
	if !c.Failed && (name == "createMessage" || name == "dm") {
		s.seq++
		c.ID = strconv.FormatInt(s.seq, 10)
	}
	var threadExists bool
	if !c.Failed && name == "startThread" {
		threadExists = s.threads[message]
		s.threads[message] = true
		c.ID = message // Discord gives a message's thread the message's ID
	}
	if !c.Failed && name == "createMessage" {
		m := map[string]any{"id": c.ID, "channel_id": channel, "content": c.Body["content"], "embeds": c.Body["embeds"],
			"author": map[string]any{"id": "111", "username": "relaydesk", "bot": true}}
		s.messages[channel] = append([]map[string]any{m}, s.messages[channel]...)
	}
	history := s.messages[channel]
	s.calls = append(s.calls, c)
	if lim != nil {
		lim.headers(w.Header(), c.At)
	}
	s.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	switch {
	case !authorized:
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"message":"401: Unauthorized","code":0}`)
		return
	case throttled:
		w.WriteHeader(http.StatusTooManyRequests)
		json.NewEncoder(w).Encode(map[string]any{"message": "You are being rate limited.",
			"retry_after": lim.retryAfter(c.At), "global": lim.global})
		return
	case f != nil && f.Status == http.StatusTooManyRequests:
		w.Header().Set("Retry-After", strconv.Itoa(int(f.RetryAfter+0.999)))
		w.WriteHeader(f.Status)
		json.NewEncoder(w).Encode(map[string]any{"message": "You are being rate limited.", "retry_after": f.RetryAfter, "global": false})
		return
	case f != nil:
		w.WriteHeader(f.Status)
		json.NewEncoder(w).Encode(map[string]any{"message": http.StatusText(f.Status), "code": f.Code})
		return
	case threadExists:
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"message":"A thread has already been created for this message","code":160004}`)
		return
	}
	if status, out, ok := s.directoryAnswer(name, channel, message); ok {
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(out)
		return
	}
	var out any = map[string]any{}
	switch name {
	case "gateway":
		out = map[string]any{"url": "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/gw"}
	case "commands":
		out = []any{map[string]any{"id": "900", "name": "support", "type": 1}}
	case "createMessage":
		out = map[string]any{"id": c.ID, "channel_id": channel, "content": c.Body["content"], "type": 0}
	case "editMessage":
		out = map[string]any{"id": message, "channel_id": channel, "content": c.Body["content"], "type": 0}
	case "startThread":
		out = map[string]any{"id": message, "type": 11, "parent_id": channel, "name": c.Body["name"]}
	case "history":
		out = history
	case "dm":
		out = map[string]any{"id": "dm" + c.ID, "type": 1}
	case "me":
		out = map[string]any{"id": "1180000000000000777", "username": "relaydesk", "bot": true}
	case "application":
		s.mu.Lock()
		out = map[string]any{"id": s.App.ID, "name": "relaydesk", "verify_key": s.App.PublicKey, "flags": s.App.Flags}
		s.mu.Unlock()
	case "callback":
		w.WriteHeader(http.StatusNoContent)
		return
	}
	json.NewEncoder(w).Encode(out)
}

// Signed is a request to relaydesk's interactions endpoint signed as
// Discord signs it (Ed25519 over the timestamp and the body), at time at.
func Signed(tb testing.TB, url string, key ed25519.PrivateKey, body []byte, at time.Time) *http.Request {
	tb.Helper()
	r, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Signature-Timestamp", ts)
	r.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(key, append([]byte(ts), body...))))
	return r
}

// Post sends body signed now with key and returns the status and body.
func Post(tb testing.TB, url string, key ed25519.PrivateKey, body []byte) (int, string) {
	tb.Helper()
	res, err := http.DefaultClient.Do(Signed(tb, url, key, body, time.Now()))
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}
