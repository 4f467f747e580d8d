package discord_test

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/bots/discord"
	"github.com/relaydesk/relaydesk/bots/discord/discordtest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/testwait"
)

const (
	botToken  = "MTE4MDAwMDAwMDAwMDAwMDAwMQ.fake.relaydesk-test-token"
	appID     = "775799577604522054"
	channel   = "645027906669510667" // the queue channel of the fixtures
	aliceU    = "53908232506183680"  // the fixtures' user
	bobU      = "53908232506183681"
	carolU    = "53908232506183682"
	strangerU = "53908232506183699"
)

var ctx = context.Background()

// harness is a desk (Acme, Globex, Alice...), a fake Discord, and the
// adapter (behind a real HTTP server, and on the fake gateway) and
// dispatcher running between them. Alice, Bob and Carol are linked to
// Discord users; Acme's queue is channel.
type harness struct {
	t   *testing.T
	d   *storetest.Desk
	dc  *discordtest.Server
	a   *discord.Adapter
	key ed25519.PrivateKey
	url string

	stops []func()
}

type options struct {
	noDispatch bool // leave the dispatch cursors alone, for Snapshot
	noRun      bool // neither register /support nor open the gateway
	noLinks    bool
}

func newHarness(t *testing.T, d *storetest.Desk, o options) *harness {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, d: d, dc: discordtest.New(t, botToken), key: priv}
	a, err := discord.New(discord.Config{BotToken: botToken, AppID: appID, PublicKey: hex.EncodeToString(pub), APIURL: h.dc.URL,
		PublicURL: "https://help.example.com", Engine: d.Engine, Store: d.Store, Leader: storetest.Leader{Store: d.Store}, PaceFactor: 100})
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
			if err := d.Engine.LinkIdentity(ctx, core.SystemActor(), core.Identity{Platform: discord.Platform, ExternalID: u,
				Subject: core.ActorTechnician, SubjectID: tech.ID}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := d.Engine.BindChannel(ctx, core.SystemActor(), discord.Platform, d.Acme.ID, channel); err != nil {
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
	if !o.noRun {
		h.run("adapter", a.Run)
	}
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
// dotted paths ("member.user.id"; "data.options.0.name").
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
				n, _ := strconv.Atoi(p)
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

// slash is the slash_command.json interaction of user running
// /support sub with opts (name, value pairs) in channel.
func (h *harness) slash(user, in, sub string, opts ...string) map[string]any {
	var os []any
	for i := 0; i+1 < len(opts); i += 2 {
		os = append(os, map[string]any{"type": 3, "name": opts[i], "value": opts[i+1]})
	}
	return fixture(h.t, "slash_command.json", map[string]any{"member.user.id": user, "id": h.dc.NextID(), "channel_id": in,
		"data.options": []any{map[string]any{"type": 1, "name": sub, "options": os}}})
}

// response is an interaction's response as relaydesk answered it.
type response struct {
	Type int `json:"type"`
	Data struct {
		Content string `json:"content"`
		Flags   int    `json:"flags"`
		Choices []struct {
			Name  string `json:"name"`
			Value any    `json:"value"`
		} `json:"choices"`
	} `json:"data"`
}

// post sends interaction i to /discord/interactions, signed, and decodes
// the answer.
func (h *harness) post(i map[string]any) response {
	h.t.Helper()
	b, _ := json.Marshal(i)
	code, body := discordtest.Post(h.t, h.url+discord.InteractionsPath, h.key, b)
	if code != http.StatusOK {
		h.t.Fatalf("interaction: HTTP %d %s", code, body)
	}
	var r response
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		h.t.Fatalf("interaction answered %q: %v", body, err)
	}
	return r
}

// command runs /support sub as user in the queue channel over HTTP and
// returns the ephemeral answer's text.
func (h *harness) command(user, sub string, opts ...string) string {
	h.t.Helper()
	r := h.post(h.slash(user, channel, sub, opts...))
	if r.Type != 4 || r.Data.Flags != 64 {
		h.t.Fatalf("/support %s answered %+v, want an ephemeral message", sub, r)
	}
	return r.Data.Content
}

// button is the button.json interaction of user pressing action on the
// card of requestID.
func (h *harness) button(user, action, requestID string) map[string]any {
	return fixture(h.t, "button.json", map[string]any{"member.user.id": user, "id": h.dc.NextID(),
		"data.custom_id": action + ":" + requestID})
}

// click presses a card's button over HTTP and returns the answer.
func (h *harness) click(user, action, requestID string) response {
	h.t.Helper()
	return h.post(h.button(user, action, requestID))
}

// clickGateway presses a card's button over the gateway and waits for
// relaydesk's callback.
func (h *harness) clickGateway(user, action, requestID string) discordtest.Call {
	h.t.Helper()
	i := h.button(user, action, requestID)
	h.dc.Dispatch(h.t, "INTERACTION_CREATE", i)
	var cb discordtest.Call
	h.dc.Wait(h.t, "the callback of the button "+action, func(calls []discordtest.Call) bool {
		for _, c := range calls {
			if c.Route == "callback" && c.Message == i["id"] {
				cb = c
				return true
			}
		}
		return false
	})
	return cb
}

// say sends MESSAGE_CREATE over the gateway: user writes text in thread.
func (h *harness) say(user, thread, text string, attachments ...any) string {
	h.t.Helper()
	id := h.dc.NextID()
	m := fixture(h.t, "message_create.json", map[string]any{"id": id, "channel_id": thread, "author.id": user, "content": text})
	if len(attachments) > 0 {
		m["attachments"] = attachments
	}
	h.dc.Dispatch(h.t, "MESSAGE_CREATE", m)
	return id
}

// card waits for the card of request #number and returns its message ID
// and its thread's ID.
func (h *harness) card(number int64) (msg, thread string) {
	h.t.Helper()
	want := "Request #" + strconv.FormatInt(number, 10) + " "
	h.dc.Wait(h.t, "the card of #"+strconv.FormatInt(number, 10)+" and its thread", func(calls []discordtest.Call) bool {
		for _, c := range calls {
			if c.Route == "createMessage" && !c.Failed && c.Channel == channel && strings.HasPrefix(c.Content(), want) {
				msg = c.ID
			}
			if c.Route == "startThread" && !c.Failed && msg != "" && c.Message == msg {
				thread = c.ID
				return true
			}
		}
		return false
	})
	// Discord has the thread before the adapter records it: until then a
	// message in it would belong to no request.
	testwait.Eventually(h.t, "the thread of #"+strconv.FormatInt(number, 10)+" recorded", func() bool {
		_, err := h.d.Store.CardByThread(ctx, discord.Platform, thread)
		return err == nil
	})
	return msg, thread
}

// waitThread waits for a message in thread containing want.
func (h *harness) waitThread(thread, want string) {
	h.t.Helper()
	h.dc.Wait(h.t, "a thread message saying "+want, func(calls []discordtest.Call) bool {
		for _, c := range calls {
			if c.Route == "createMessage" && !c.Failed && c.Channel == thread && strings.Contains(c.Content(), want) {
				return true
			}
		}
		return false
	})
}

// waitCard waits for an edit of the card msg whose content contains want.
func (h *harness) waitCard(msg, want string) {
	h.t.Helper()
	h.dc.Wait(h.t, "the card edited to "+want, func(calls []discordtest.Call) bool {
		for i := len(calls) - 1; i >= 0; i-- {
			c := calls[i]
			if c.Route == "editMessage" && !c.Failed && c.Message == msg {
				return strings.Contains(c.Content(), want)
			}
		}
		return false
	})
}

// thread lists the contents of the messages posted in thread, in order.
func (h *harness) thread(thread string) []string {
	var out []string
	for _, c := range h.dc.Calls("createMessage") {
		if c.Channel == thread && !c.Failed {
			out = append(out, c.Content())
		}
	}
	return out
}

// waitView waits until what actor sees of request id satisfies cond.
func (h *harness) waitView(by core.Actor, id, what string, cond func(core.RequestView) bool) core.RequestView {
	h.t.Helper()
	var v core.RequestView
	testwait.Until(h.t, what, func() error {
		var err error
		if v, err = h.d.Engine.ViewRequest(ctx, by, id); err != nil {
			h.t.Fatal(err)
		}
		if cond(v) {
			return nil
		}
		var bodies []string
		for _, m := range v.Messages {
			bodies = append(bodies, m.Body)
		}
		return fmt.Errorf("messages %q", bodies)
	})
	return v
}

func hasBody(want string) func(core.RequestView) bool {
	return func(v core.RequestView) bool {
		for _, m := range v.Messages {
			if m.Body == want {
				return true
			}
		}
		return false
	}
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
