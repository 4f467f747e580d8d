package telegram_test

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/bots/telegram"
	"github.com/relaydesk/relaydesk/bots/telegram/telegramtest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

const (
	token = "123456789:AAE-fake_token_for_relaydesk_tests"
	chat  = 5551234001 // Tess's private chat, as in testdata
)

var ctx = context.Background()

// harness is a desk (storetest.Desk: Acme and Globex, Alice...), a fake Bot
// API, and the adapter and dispatcher running between them.
type harness struct {
	t  *testing.T
	d  *storetest.Desk
	tg *telegramtest.Server
	a  *telegram.Adapter

	stops []func()
	next  int // the calls waitSent looked at already
}

// options change the adapter's configuration for one test.
type options struct {
	noDispatch bool // leave the dispatch cursors alone, for Snapshot
	company    string
	webhook    string // the webhook secret: webhook mode
	publicURL  string
	minPoll    time.Duration // MinPollInterval
	clock      core.Clock    // the adapter's Clock
}

func newHarness(t *testing.T, d *storetest.Desk, o options) *harness {
	t.Helper()
	h := &harness{t: t, d: d, tg: telegramtest.New(t, token)}
	h.a = h.adapter(o)
	if !o.noDispatch {
		h.dispatch()
	}
	h.start(h.a)
	t.Cleanup(h.stop)
	return h
}

// dispatch starts delivering events to the adapter, from the end of the
// log unless its cursor exists already.
func (h *harness) dispatch() {
	h.t.Helper()
	if err := h.d.Store.EnsureCursor(ctx, h.a.Name(), false); err != nil {
		h.t.Fatal(err)
	}
	disp := dispatch.New(h.d.Store, dispatch.Options{Poll: 200 * time.Millisecond, MinBackoff: 20 * time.Millisecond,
		MaxBackoff: 200 * time.Millisecond, LeaseTTL: 3 * time.Second})
	disp.Register(h.a)
	h.run("dispatcher", disp.Run)
}

func (h *harness) adapter(o options) *telegram.Adapter {
	h.t.Helper()
	if o.company == "" {
		o.company = "acme"
	}
	if o.company == "-" {
		o.company = ""
	}
	if o.publicURL == "" {
		o.publicURL = "https://help.example.com"
	}
	a, err := telegram.New(telegram.Config{Token: token, APIURL: h.tg.URL, PublicURL: o.publicURL, WebhookSecret: o.webhook,
		Company: o.company, Engine: h.d.Engine, Store: h.d.Store, State: h.d.Store, Leader: storetest.Leader{Store: h.d.Store}, PollTimeout: 10 * time.Second,
		MinPollInterval: o.minPoll, PaceFactor: 100, Clock: o.clock})
	if err != nil {
		h.t.Fatal(err)
	}
	return a
}

// start runs an adapter until stop.
func (h *harness) start(a *telegram.Adapter) { h.run("adapter", a.Run) }

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

// stop stops everything started, last first.
func (h *harness) stop() {
	for i := len(h.stops) - 1; i >= 0; i-- {
		h.stops[i]()
	}
	h.stops = nil
}

// say pushes a fixture update and waits until the adapter processed it.
func (h *harness) say(name string, id int64, set map[string]any) {
	h.t.Helper()
	h.tg.Push(h.t, fixture(h.t, name, id, set))
	h.tg.WaitIdle(h.t)
}

// text is a text message from Tess, its message_id its update's.
func (h *harness) text(id int64, text string) {
	h.say("text.json", id, map[string]any{"text": text, "message_id": id})
}

// waitSent waits for a successful sendMessage to Tess containing want,
// sent after the one the previous waitSent found, and returns it.
func (h *harness) waitSent(want string) telegramtest.Call {
	h.t.Helper()
	var found telegramtest.Call
	h.tg.Wait(h.t, "a message saying "+want, func(calls []telegramtest.Call) bool {
		for i := h.next; i < len(calls); i++ {
			c := calls[i]
			if c.Method == "sendMessage" && !c.Failed && c.Chat() == chat && strings.Contains(c.Fields["text"], want) {
				found, h.next = c, i+1
				return true
			}
		}
		return false
	})
	return found
}

// sentTexts lists the texts of the successful sendMessage calls to chat.
func (h *harness) sentTexts(chat int64) []string {
	var out []string
	for _, c := range h.tg.Calls("sendMessage") {
		if !c.Failed && c.Chat() == chat {
			out = append(out, c.Fields["text"])
		}
	}
	return out
}

// conversation is Tess's latest request.
func (h *harness) conversation() core.Conversation {
	h.t.Helper()
	c, err := h.d.Engine.ConversationOf(ctx, "telegram", "5551234001")
	if err != nil {
		h.t.Fatalf("Tess has no request: %v", err)
	}
	return c
}

// bodies lists the chat lines of a request as a technician sees them.
func (h *harness) bodies(requestID string) []string {
	h.t.Helper()
	v, err := h.d.Engine.ViewRequest(ctx, core.TechnicianActor(h.d.Admin.ID), requestID)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, m := range v.Messages {
		out = append(out, m.Body)
	}
	return out
}

func must[T any](t testing.TB) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func jpegBytes(t testing.TB) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewRGBA(image.Rect(0, 0, 64, 48)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pngBytes(t testing.TB) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
