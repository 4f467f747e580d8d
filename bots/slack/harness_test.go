package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/bots/slack"
	"github.com/relaydesk/relaydesk/bots/slack/slacktest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/testwait"
)

const (
	botToken  = "xoxb-1234-5678-fake-relaydesk-test"
	appToken  = "xapp-1-A123456-fake-relaydesk-test"
	secret    = "8f742231b10e8888abcd99yyyzzz85a5"
	channel   = "C2147483705" // the queue channel of the fixtures
	aliceU    = "U2147483697" // the fixtures' user
	bobU      = "U0000000B0B"
	carolU    = "U000000CA01"
	strangerU = "U00000000XX"
)

var ctx = context.Background()

// harness is a desk (Acme, Globex, Alice...), a fake Slack, and the adapter
// (behind a real HTTP server) and dispatcher running between them. Alice,
// Bob and Carol are linked to Slack users; Acme's queue is channel.
type harness struct {
	t   *testing.T
	d   *storetest.Desk
	sl  *slacktest.Server
	a   *slack.Adapter
	url string

	stops []func()
}

type options struct {
	noDispatch bool // leave the dispatch cursors alone, for Snapshot
	noLinks    bool
	socket     bool         // Socket Mode (appToken) besides the HTTP endpoints
	store      slack.Store  // instead of the desk's store
	engine     *core.Engine // instead of the desk's engine
	logs       *logBuffer   // the adapter's log, debug lines included
}

// logBuffer collects the adapter's log lines, for tests that assert one.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newHarness(t *testing.T, d *storetest.Desk, o options) *harness {
	t.Helper()
	h := &harness{t: t, d: d, sl: slacktest.New(t, botToken)}
	cfg := slack.Config{BotToken: botToken, PaceFactor: 100, SigningSecret: secret, APIURL: h.sl.URL,
		PublicURL: "https://help.example.com", Engine: d.Engine, Store: d.Store, Leader: storetest.Leader{Store: d.Store}}
	if o.socket {
		h.sl.SocketMode(appToken)
		cfg.AppToken = appToken
	}
	if o.store != nil {
		cfg.Store = o.store
	}
	if o.engine != nil {
		cfg.Engine = o.engine
	}
	if o.logs != nil {
		cfg.Logger = slog.New(slog.NewTextHandler(o.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	a, err := slack.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.a = a
	mux := http.NewServeMux()
	a.Mount(mux.Handle)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	h.url = srv.URL
	if !o.noLinks {
		for u, tech := range map[string]core.Technician{aliceU: d.Alice, bobU: d.Bob, carolU: d.Carol} {
			if err := d.Engine.LinkIdentity(ctx, core.SystemActor(), core.Identity{Platform: "slack", ExternalID: u,
				Subject: core.ActorTechnician, SubjectID: tech.ID}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := d.Engine.BindChannel(ctx, core.SystemActor(), slack.Platform, d.Acme.ID, channel); err != nil {
			t.Fatal(err)
		}
	}
	if !o.noDispatch {
		if err := d.Store.EnsureCursor(ctx, a.Name(), false); err != nil {
			t.Fatal(err)
		}
		disp := dispatch.New(d.Store, dispatch.Options{Poll: 200 * time.Millisecond, MinBackoff: 20 * time.Millisecond,
			MaxBackoff: 200 * time.Millisecond, LeaseTTL: 3 * time.Second})
		disp.Register(a)
		h.run("dispatcher", disp.Run)
	}
	h.run("adapter", a.Run)
	t.Cleanup(h.stop)
	return h
}

func (h *harness) run(name string, fn func(context.Context) error) {
	c, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- fn(c) }()
	h.stops = append(h.stops, func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				h.t.Errorf("%s: %v", name, err)
			}
		case <-time.After(30 * time.Second):
			h.t.Errorf("%s did not stop", name)
		}
	})
}

func (h *harness) stop() {
	for i := len(h.stops) - 1; i >= 0; i-- {
		h.stops[i]()
	}
	h.stops = nil
}

// fixture reads testdata/name and sets the values of set, whose keys are
// dotted paths ("event.text"; "actions.0.value").
func fixture(t testing.TB, name string, set map[string]any) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for path, v := range set {
		var cur any = m
		parts := strings.Split(path, ".")
		for i, p := range parts {
			last := i == len(parts)-1
			switch c := cur.(type) {
			case map[string]any:
				if last {
					c[p] = v
				} else {
					cur = c[p]
				}
			case []any:
				n := int(p[0] - '0')
				if last {
					c[n] = v
				} else {
					cur = c[n]
				}
			}
		}
	}
	return m
}

// command sends "/support text" as user from channel and returns the
// ephemeral answer's text.
func (h *harness) command(user, text string) string {
	h.t.Helper()
	f := fixture(h.t, "slash_command.json", map[string]any{"user_id": user, "text": text, "trigger_id": core.NewID("trg")})
	var kv []string
	for k, v := range f {
		kv = append(kv, k, v.(string))
	}
	code, body := slacktest.Post(h.t, h.url+slack.CommandsPath, secret, "application/x-www-form-urlencoded", slacktest.Form(kv...))
	if code != http.StatusOK {
		h.t.Fatalf("/support %s: HTTP %d %s", text, code, body)
	}
	var m struct {
		ResponseType string           `json:"response_type"`
		Text         string           `json:"text"`
		Blocks       []map[string]any `json:"blocks"`
	}
	if err := json.Unmarshal([]byte(body), &m); err != nil || m.ResponseType != "ephemeral" {
		h.t.Fatalf("/support %s answered %q (%v)", text, body, err)
	}
	if len(m.Blocks) > 0 {
		b, _ := json.Marshal(m.Blocks)
		return m.Text + "\n" + string(b)
	}
	return m.Text
}

// click presses the button action of request's card as user.
func (h *harness) click(user, action, requestID string) int {
	h.t.Helper()
	p := fixture(h.t, "block_actions.json", map[string]any{"user.id": user, "actions.0.action_id": action,
		"actions.0.value": requestID, "actions.0.block_id": "request:" + requestID})
	b, _ := json.Marshal(p)
	code, body := slacktest.Post(h.t, h.url+slack.InteractionsPath, secret, "application/x-www-form-urlencoded",
		slacktest.Form("payload", string(b)))
	if code != http.StatusOK {
		h.t.Fatalf("button %s: HTTP %d %s", action, code, body)
	}
	h.a.Idle()
	return code
}

// reply posts a message event: user writes text in the thread of the
// message threadTS, as message ts.
func (h *harness) reply(user, threadTS, ts, text string, header ...string) int {
	h.t.Helper()
	p := fixture(h.t, "message.json", map[string]any{"event.user": user, "event.thread_ts": threadTS, "event.ts": ts,
		"event.text": text, "event_id": "Ev" + strings.ReplaceAll(ts, ".", "")})
	b, _ := json.Marshal(p)
	code, _ := slacktest.Post(h.t, h.url+slack.EventsPath, secret, "application/json", b, header...)
	h.a.Idle()
	return code
}

// event posts the event of the fixture name, with set applied, as Slack
// does (signed now, with header), and returns the HTTP status once the
// adapter is idle.
func (h *harness) event(name string, set map[string]any, header ...string) int {
	h.t.Helper()
	b, _ := json.Marshal(fixture(h.t, name, set))
	code, body := slacktest.Post(h.t, h.url+slack.EventsPath, secret, "application/json", b, header...)
	if code != http.StatusOK {
		h.t.Errorf("%s: HTTP %d %s", name, code, body)
	}
	h.a.Idle()
	return code
}

// card waits for the card of request #number and returns its ts.
func (h *harness) card(number int64) string {
	h.t.Helper()
	var ts, ch string
	want := "Request #" + itoa(number) + " "
	h.sl.Wait(h.t, "the card of #"+itoa(number), func(calls []slacktest.Call) bool {
		for _, c := range calls {
			if c.Method == "chat.postMessage" && !c.Failed && c.Fields["thread_ts"] == "" && strings.HasPrefix(c.Fields["text"], want) {
				ts, ch = c.TS, c.Fields["channel"]
				return true
			}
		}
		return false
	})
	// Slack has the card before the adapter records it: until then a
	// message in its thread would belong to no request.
	testwait.Eventually(h.t, "the card of #"+itoa(number)+" recorded", func() bool {
		_, err := h.d.Store.CardByThread(ctx, slack.Platform, ch+"/"+ts)
		return err == nil
	})
	return ts
}

// waitThread waits for a thread post under ts containing want.
func (h *harness) waitThread(ts, want string) {
	h.t.Helper()
	h.sl.Wait(h.t, "a thread post saying "+want, func(calls []slacktest.Call) bool {
		for _, c := range calls {
			if c.Method == "chat.postMessage" && !c.Failed && c.Fields["thread_ts"] == ts && strings.Contains(c.Fields["text"], want) {
				return true
			}
		}
		return false
	})
}

// waitCard waits for an update of the card ts whose text contains want.
func (h *harness) waitCard(ts, want string) {
	h.t.Helper()
	h.sl.Wait(h.t, "the card updated to "+want, func(calls []slacktest.Call) bool {
		for i := len(calls) - 1; i >= 0; i-- {
			c := calls[i]
			if c.Method == "chat.update" && !c.Failed && c.Fields["ts"] == ts {
				return strings.Contains(c.Fields["text"], want)
			}
		}
		return false
	})
}

// ephemerals lists the texts of the ephemeral messages sent to user.
func (h *harness) ephemerals(user string) []string {
	var out []string
	for _, c := range h.sl.Calls("chat.postEphemeral") {
		if c.Fields["user"] == user {
			out = append(out, c.Fields["text"])
		}
	}
	return out
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func must[T any](t testing.TB) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
