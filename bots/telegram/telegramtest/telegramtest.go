// Package telegramtest is a fake Telegram Bot API server on loopback, for
// testing the Telegram adapter through the real go-telegram/bot client.
//
// It speaks the Bot API's wire format: every method is a multipart POST to
// /bot<token>/<method> answered with {"ok":true,"result":...} or
// {"ok":false,"error_code":...,"description":...,"parameters":...}; files
// are served at /file/bot<token>/<path>. getUpdates long-polls the updates
// a test pushes: it returns those with update_id >= offset, dropping (as
// confirmed) those below it, and otherwise waits for a push or its timeout
// (or, after AnswerAtOnce, answers at once with nothing, as a Bot API
// server that ignores the timeout does). Every other call is recorded for
// the test to inspect; calls can be made to fail with 429 (with
// retry_after) or 403 (a blocked bot). A message Telegram would refuse (too
// long, entities outside its text) is answered 400 as Telegram does. The
// fake keeps the messages it sent (Message, Messages), so that
// editMessageText, editMessageCaption and deleteMessage change them or
// are refused as Telegram refuses them (messages.go); the age of a
// message is read from the fake's clock (SetClock). Optionally it answers after an API's
// latency (SetDelay) and enforces Telegram's flood limits itself
// (EnforceLimits, Throttled), as a benchmark needs.
package telegramtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is a fake Bot API for one bot token.
type Server struct {
	URL   string
	Token string

	srv    *httptest.Server
	closed chan struct{}

	mu        sync.Mutex
	changed   chan struct{} // closed and replaced whenever something happens
	calls     []Call
	queue     []queued
	offsets   []int64
	files     map[string]file
	webhook   string // the URL setWebhook set, for getWebhookInfo
	fails     map[string][]Failure
	chatFails map[int64][]Failure // see FailChat
	blocked   map[int64]bool
	downloads []string
	nextMsg   int
	msgs      map[msgKey]*Message // what the fake sent, by chat and message_id
	// waiting: a getUpdates call is waiting for updates.
	waiting bool
	polls   []Poll
	atOnce  bool

	now       func() time.Time // the clock of the limits and of Call.At
	delay     time.Duration    // see SetDelay
	limits    *limits          // nil unless EnforceLimits
	throttled int
}

// Poll is one getUpdates call the fake answered.
type Poll struct {
	Offset  int64
	At      time.Time // when it arrived
	Updates int       // how many updates the answer held
	Failed  bool      // answered with an error
}

type queued struct {
	id  int64
	raw json.RawMessage
}

type file struct {
	path string
	data []byte
}

// Call is one recorded Bot API call: its form fields (JSON-encoded where
// the client encodes them so) and uploaded files.
type Call struct {
	Method string
	Fields map[string]string
	Files  map[string]Upload
	Failed bool      // answered with an error (also when refused by the enforced limits)
	At     time.Time // when it was accepted: answered, after the delay
}

// Upload is a file part of a call.
type Upload struct {
	Name string
	Data []byte
}

// Chat is the call's chat_id.
func (c Call) Chat() int64 {
	n, _ := strconv.ParseInt(c.Fields["chat_id"], 10, 64)
	return n
}

// Failure is an error answer of the Bot API.
type Failure struct {
	Code        int
	Description string
	RetryAfter  int // seconds, for 429
}

// TooManyRequests is Telegram's flood-control answer.
func TooManyRequests(retryAfter int) Failure {
	return Failure{Code: 429, Description: fmt.Sprintf("Too Many Requests: retry after %d", retryAfter), RetryAfter: retryAfter}
}

// Blocked is the answer for a user who blocked the bot.
func Blocked() Failure {
	return Failure{Code: 403, Description: "Forbidden: bot was blocked by the user"}
}

// New starts a fake Bot API for token, stopped when the test ends.
func New(tb testing.TB, token string) *Server {
	tb.Helper()
	s := &Server{Token: token, closed: make(chan struct{}), changed: make(chan struct{}),
		files: map[string]file{}, fails: map[string][]Failure{}, blocked: map[int64]bool{}, now: time.Now,
		nextMsg: firstMessageID - 1, msgs: map[msgKey]*Message{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	tb.Cleanup(func() {
		close(s.closed) // unblocks long polls still waiting
		s.srv.Close()
	})
	return s
}

// Push queues updates (Telegram's JSON, each with its update_id) for
// getUpdates.
func (s *Server) Push(tb testing.TB, updates ...[]byte) {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range updates {
		var head struct {
			ID int64 `json:"update_id"`
		}
		if err := json.Unmarshal(u, &head); err != nil || head.ID == 0 {
			tb.Fatalf("telegramtest: not an update with an update_id: %s", u)
		}
		s.queue = append(s.queue, queued{head.ID, u})
	}
	s.signal()
}

// AddFile makes a file available to getFile and for download.
func (s *Server) AddFile(fileID, path string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[fileID] = file{path, data}
}

// Fail makes the next calls of method fail, one failure per call.
func (s *Server) Fail(method string, fs ...Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails[method] = append(s.fails[method], fs...)
}

// Block makes every message to chat fail as if its user blocked the bot.
func (s *Server) Block(chat int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocked[chat] = true
}

// Unblock lets messages reach chat again.
func (s *Server) Unblock(chat int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.blocked, chat)
}

// Calls returns the recorded calls of the given methods (all when none),
// getUpdates excepted.
func (s *Server) Calls(methods ...string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if len(methods) == 0 || slices.Contains(methods, c.Method) {
			out = append(out, c)
		}
	}
	return out
}

// Offsets returns the offset of every getUpdates call so far (0: none sent).
func (s *Server) Offsets() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.offsets)
}

// AnswerAtOnce makes getUpdates answer at once even when it has no
// updates, ignoring the long-poll timeout, as a misconfigured local Bot API
// server or an emulator does.
func (s *Server) AnswerAtOnce() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.atOnce = true
}

// Polls returns the getUpdates calls answered so far, in the order of
// their answers.
func (s *Server) Polls() []Poll {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.polls)
}

// WaitPolls blocks until cond holds for the answered getUpdates calls and
// returns them. It wakes on every change; the deadline only guards against
// hanging.
func (s *Server) WaitPolls(tb testing.TB, what string, cond func(polls []Poll) bool) []Poll {
	tb.Helper()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		polls, ch := slices.Clone(s.polls), s.changed
		s.mu.Unlock()
		if cond(polls) {
			return polls
		}
		select {
		case <-ch:
		case <-deadline.C:
			tb.Fatalf("telegramtest: waited 30s for %s; %d polls answered", what, len(polls))
		}
	}
}

// Pending is how many pushed updates Telegram still holds: not confirmed by
// a getUpdates with a higher offset.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// Downloads lists the file paths downloaded.
func (s *Server) Downloads() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.downloads)
}

// Wait blocks until cond holds for the recorded calls and returns them. It
// wakes on every change; the deadline only guards against hanging.
func (s *Server) Wait(tb testing.TB, what string, cond func(calls []Call) bool) []Call {
	tb.Helper()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		calls, ch := slices.Clone(s.calls), s.changed
		s.mu.Unlock()
		if cond(calls) {
			return calls
		}
		select {
		case <-ch:
		case <-deadline.C:
			tb.Fatalf("telegramtest: waited 30s for %s; calls:\n%s", what, Describe(calls))
		}
	}
}

// WaitIdle blocks until the adapter asks for updates again after every
// pushed one was confirmed: all pushed updates were processed.
func (s *Server) WaitIdle(tb testing.TB) {
	tb.Helper()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		idle, ch := len(s.queue) == 0 && s.waiting, s.changed
		s.mu.Unlock()
		if idle {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			tb.Fatalf("telegramtest: waited 30s for the adapter to process %d updates", s.Pending())
		}
	}
}

// Describe lists calls one per line, for failure messages.
func Describe(calls []Call) string {
	var b strings.Builder
	for _, c := range calls {
		fmt.Fprintf(&b, "  %s chat=%s text=%q caption=%q", c.Method, c.Fields["chat_id"], c.Fields["text"], c.Fields["caption"])
		for name, f := range c.Files {
			fmt.Fprintf(&b, " %s=%s(%d bytes)", name, f.Name, len(f.Data))
		}
		if c.Failed {
			b.WriteString(" FAILED")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// signal wakes everyone waiting for a change. Call with mu held.
func (s *Server) signal() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/file/bot"+s.Token+"/"); ok {
		s.download(w, rest)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 {
		answer(w, Failure{Code: 404, Description: "Not Found"}, nil)
		return
	}
	if token != s.Token {
		answer(w, Failure{Code: 401, Description: "Unauthorized"}, nil)
		return
	}
	if r.Method != http.MethodPost {
		answer(w, Failure{Code: 400, Description: "Bad Request: the fake wants POST, as the client sends"}, nil)
		return
	}
	c := Call{Method: method, Fields: map[string]string{}, Files: map[string]Upload{}}
	// A method without parameters (getMe) comes with an empty body.
	if err := r.ParseMultipartForm(64 << 20); err != nil && !errors.Is(err, io.EOF) {
		answer(w, Failure{Code: 400, Description: "Bad Request: not multipart/form-data: " + err.Error()}, nil)
		return
	}
	if r.MultipartForm == nil {
		r.MultipartForm = &multipart.Form{}
	}
	for k, v := range r.MultipartForm.Value {
		c.Fields[k] = v[0]
	}
	for k, fhs := range r.MultipartForm.File {
		f, err := fhs[0].Open()
		if err != nil {
			answer(w, Failure{Code: 400, Description: err.Error()}, nil)
			return
		}
		data, _ := io.ReadAll(f)
		f.Close()
		c.Files[k] = Upload{Name: fhs[0].Filename, Data: data}
	}
	if method == "getUpdates" {
		s.getUpdates(w, r, c)
		return
	}
	// The call arrives: the failure asked for, or the limits, decide on it
	// now; it is answered (and recorded) after the delay.
	s.mu.Lock()
	var fail *Failure
	if fs := s.fails[method]; len(fs) > 0 {
		fail, s.fails[method] = &fs[0], fs[1:]
	}
	if fs := s.chatFails[c.Chat()]; fail == nil && len(fs) > 0 && sendsMessage(method) {
		fail, s.chatFails[c.Chat()] = &fs[0], fs[1:]
	}
	var until time.Time
	throttled := false
	if fail == nil && s.limits != nil {
		var ok bool
		until, ok = s.limits.admit(method, c.Fields["chat_id"], s.now())
		throttled = !ok
	}
	delay := s.delay
	s.mu.Unlock()
	if !pause(r.Context(), s.closed, delay) {
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.signal()
	c.At = s.now()
	if fail != nil {
		c.Failed = true
		s.calls = append(s.calls, c)
		answer(w, *fail, nil)
		return
	}
	if throttled {
		s.throttled++
		c.Failed = true
		s.calls = append(s.calls, c)
		answer(w, TooManyRequests(retryAfter(until, c.At)), nil)
		return
	}
	if (sendsMessage(method) || method == "deleteMessage") && s.blocked[c.Chat()] {
		c.Failed = true
		s.calls = append(s.calls, c)
		answer(w, Blocked(), nil)
		return
	}
	if why := refusal(c); why != "" && (strings.HasPrefix(method, "send") || strings.HasPrefix(method, "editMessage")) {
		c.Failed = true
		s.calls = append(s.calls, c)
		answer(w, Failure{Code: 400, Description: why}, nil)
		return
	}
	s.calls = append(s.calls, c)
	switch {
	case method == "getMe":
		answer(w, Failure{}, map[string]any{"id": s.botID(), "is_bot": true, "first_name": "Relay", "username": "relaydesk_test_bot"})
	case method == "getFile":
		id := c.Fields["file_id"]
		f, ok := s.files[id]
		if !ok {
			c.Failed = true
			s.calls[len(s.calls)-1] = c
			answer(w, Failure{Code: 400, Description: "Bad Request: invalid file_id"}, nil)
			return
		}
		answer(w, Failure{}, map[string]any{"file_id": id, "file_unique_id": "u" + id, "file_size": len(f.data), "file_path": f.path})
	case method == "sendChatAction": // a typing indicator: no message
		answer(w, Failure{}, true)
	case strings.HasPrefix(method, "send"):
		s.nextMsg++
		s.sent(c, s.nextMsg)
		answer(w, Failure{}, map[string]any{"message_id": s.nextMsg, "date": time.Now().Unix(),
			"chat": map[string]any{"id": c.Chat(), "type": "private"}, "text": c.Fields["text"]})
	case method == "editMessageText" || method == "editMessageCaption" || method == "deleteMessage":
		f, result := s.change(c)
		if f.Code != 0 {
			c.Failed = true
			s.calls[len(s.calls)-1] = c
		}
		answer(w, f, result)
	case method == "setWebhook":
		s.webhook = c.Fields["url"]
		answer(w, Failure{}, true)
	case method == "deleteWebhook":
		s.webhook = ""
		answer(w, Failure{}, true)
	case method == "getWebhookInfo":
		answer(w, Failure{}, map[string]any{"url": s.webhook, "has_custom_certificate": false, "pending_update_count": 0})
	case method == "setMyCommands":
		answer(w, Failure{}, true)
	default:
		c.Failed = true
		s.calls[len(s.calls)-1] = c
		answer(w, Failure{Code: 404, Description: "Not Found: method not found in the fake"}, nil)
	}
}

func (s *Server) botID() int64 {
	id, _, _ := strings.Cut(s.Token, ":")
	n, _ := strconv.ParseInt(id, 10, 64)
	return n
}

func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request, c Call) {
	offset, _ := strconv.ParseInt(c.Fields["offset"], 10, 64)
	timeout, _ := strconv.Atoi(c.Fields["timeout"])
	s.mu.Lock()
	delay := s.delay
	s.mu.Unlock()
	// The delay comes first here, as if the poll took that long to arrive:
	// a poll confirms and takes updates when it arrives.
	if !pause(r.Context(), s.closed, delay) {
		return
	}
	wait := time.NewTimer(time.Duration(timeout) * time.Second)
	defer wait.Stop()
	s.mu.Lock()
	at := time.Now()
	s.offsets = append(s.offsets, offset)
	if fs := s.fails["getUpdates"]; len(fs) > 0 {
		s.fails["getUpdates"] = fs[1:]
		s.polls = append(s.polls, Poll{Offset: offset, At: at, Failed: true})
		s.signal()
		s.mu.Unlock()
		answer(w, fs[0], nil)
		return
	}
	// As on Telegram, asking with an offset confirms every earlier update,
	// once, when the call arrives: a poll still waiting must not confirm
	// updates pushed after it began (the test may re-send old ones).
	if offset > 0 {
		s.queue = slices.DeleteFunc(s.queue, func(q queued) bool { return q.id < offset })
	}
	for {
		if len(s.queue) > 0 {
			batch := s.queue[:min(len(s.queue), 100)]
			out := make([]json.RawMessage, len(batch))
			for i, q := range batch {
				out[i] = q.raw
			}
			s.waiting = false
			s.polls = append(s.polls, Poll{Offset: offset, At: at, Updates: len(out)})
			s.signal()
			s.mu.Unlock()
			answer(w, Failure{}, out)
			return
		}
		if s.atOnce {
			s.polls = append(s.polls, Poll{Offset: offset, At: at})
			s.signal()
			s.mu.Unlock()
			answer(w, Failure{}, []json.RawMessage{})
			return
		}
		s.waiting = true
		s.signal()
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-wait.C:
			answer(w, Failure{}, []json.RawMessage{})
			s.mu.Lock()
			s.waiting = false
			s.polls = append(s.polls, Poll{Offset: offset, At: at})
			s.signal()
			s.mu.Unlock()
			return
		case <-r.Context().Done():
			s.mu.Lock()
			s.waiting = false
			s.mu.Unlock()
			return
		case <-s.closed:
			return
		}
		s.mu.Lock()
	}
}

func (s *Server) download(w http.ResponseWriter, path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.signal()
	for _, f := range s.files {
		if f.path == path {
			s.downloads = append(s.downloads, path)
			w.Write(f.data)
			return
		}
	}
	http.NotFound(w, nil)
}

// answer writes a Bot API answer: result when f is the zero Failure.
func answer(w http.ResponseWriter, f Failure, result any) {
	w.Header().Set("Content-Type", "application/json")
	if f.Code == 0 {
		json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
		return
	}
	body := map[string]any{"ok": false, "error_code": f.Code, "description": f.Description}
	if f.RetryAfter > 0 {
		body["parameters"] = map[string]any{"retry_after": f.RetryAfter}
	}
	w.WriteHeader(f.Code)
	json.NewEncoder(w).Encode(body)
}

// PostUpdate delivers update to a webhook URL as Telegram does, with
// secret in X-Telegram-Bot-Api-Secret-Token (none when empty), and returns
// the HTTP status.
func PostUpdate(tb testing.TB, url, secret string, update []byte) int {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(string(update)))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("post an update to %s: %v", url, err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// SetWebhook sets a webhook as if another program had, for getWebhookInfo.
func (s *Server) SetWebhook(tb testing.TB, url string) {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhook = url
}
