package slack_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/bots/slack"
	"github.com/relaydesk/relaydesk/bots/slack/slacktest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// slashPayload is a slash command as Socket Mode carries it.
func slashPayload(user, text string) map[string]any {
	return map[string]any{"command": "/support", "text": text, "user_id": user, "channel_id": channel, "team_id": "T0001",
		"trigger_id": core.NewID("trg"), "response_url": "https://hooks.slack.com/commands/T0001/1/x"}
}

// ackText is the text of a slash command's acknowledgement.
func ackText(t *testing.T, a slacktest.Ack) string {
	t.Helper()
	var m struct {
		ResponseType string `json:"response_type"`
		Text         string `json:"text"`
	}
	if err := json.Unmarshal(a.Payload, &m); err != nil || m.ResponseType != "ephemeral" {
		t.Fatalf("the acknowledgement carries %s (%v), want an ephemeral answer", a.Payload, err)
	}
	return m.Text
}

// TestSocketMode works a request over Socket Mode only: a slash command, a
// button and a thread message arrive as envelopes, go through the same
// handling as the HTTP endpoints, are acknowledged (the command with its
// answer) and change the engine's state; an event type relaydesk does not
// know is acknowledged too; after Slack's disconnect the client reconnects
// and carries on.
func TestSocketMode(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		h := newHarness(t, d, options{socket: true})
		e := d.Engine
		h.sl.WaitConnections(t, 1, 1)
		if o := h.sl.Origin(); o != "https://api.slack.com" {
			t.Errorf("the client's Origin is %q", o)
		}

		if _, err := e.SetAvailability(ctx, core.TechnicianActor(d.Alice.ID), core.Away); err != nil {
			t.Fatal(err)
		}
		env := h.sl.Push(t, "slash_commands", slashPayload(aliceU, "status available"))
		if got := ackText(t, h.sl.WaitAck(t, env)); got != "You are now available." {
			t.Fatalf("status answered %q", got)
		}
		if a := must[core.Technician](t)(d.Store.Technician(ctx, d.Alice.ID)); a.Availability != core.Available {
			t.Fatalf("Alice is %s after /support status available", a.Availability)
		}
		env = h.sl.Push(t, "slash_commands", slashPayload(strangerU, "list"))
		if got := ackText(t, h.sl.WaitAck(t, env)); !strings.Contains(got, "not linked") {
			t.Fatalf("a stranger's list answered %q", got)
		}

		o := d.Open(t, d.Acme, "tess@example.com", "The scanner is jammed.")
		r := o.Request
		cardTS := h.card(1001)
		for _, act := range []string{string(core.ActionAssign), string(core.ActionJoin)} {
			p := fixture(t, "block_actions.json", map[string]any{"user.id": aliceU, "actions.0.action_id": act,
				"actions.0.value": r.ID, "actions.0.block_id": "request:" + r.ID})
			env := h.sl.Push(t, "interactive", p)
			if a := h.sl.WaitAck(t, env); len(a.Payload) != 0 {
				t.Errorf("the button's acknowledgement carries %s", a.Payload)
			}
		}
		h.waitCard(cardTS, "chat live")
		if got := must[core.Request](t)(d.Store.Request(ctx, r.ID)); got.OwnerID != d.Alice.ID || got.Chat != core.ChatLive {
			t.Fatalf("after the buttons: owner %s chat %s", got.OwnerID, got.Chat)
		}

		msg := func(ts, text string) map[string]any {
			return fixture(t, "message.json", map[string]any{"event.user": aliceU, "event.thread_ts": cardTS, "event.ts": ts,
				"event.text": text, "event_id": "Ev" + strings.ReplaceAll(ts, ".", "")})
		}
		h.sl.WaitAck(t, h.sl.Push(t, "events_api", msg("1767225700.000100", "Hi Tess, open the lid.")))
		// Slack's retry of the same event changes nothing.
		h.sl.WaitAck(t, h.sl.Push(t, "events_api", msg("1767225700.000100", "Hi Tess, open the lid.")))
		unknown := map[string]any{"type": "event_callback", "event_id": "EvX", "event": map[string]any{"type": "frobnicated"}}
		h.sl.WaitAck(t, h.sl.Push(t, "events_api", unknown))

		// Slack rotates its servers: the client reconnects and carries on.
		h.sl.Disconnect(t)
		h.sl.WaitConnections(t, 2, 1)
		h.sl.WaitAck(t, h.sl.Push(t, "events_api", msg("1767225700.000200", "Then press the green button.")))

		v := must[core.RequestView](t)(e.ViewRequest(ctx, core.CustomerActor(o.Participant.ID), r.ID))
		var seen []string
		for _, m := range v.Messages {
			seen = append(seen, m.Body)
		}
		want := []string{"The scanner is jammed.", "Hi Tess, open the lid.", "Then press the green button."}
		if !slices.Equal(seen, want) {
			t.Fatalf("the customer sees %q, want %q", seen, want)
		}
		if n := len(h.sl.Calls("chat.postMessage")); n == 0 {
			t.Fatal("no card was posted")
		}
	})
}

// probe is a Leader that tells when Lead is called and when it leads.
type probe struct {
	bots.Leader
	called, leads chan struct{}
}

func newProbe(l bots.Leader) *probe {
	return &probe{Leader: l, called: make(chan struct{}, 1), leads: make(chan struct{}, 1)}
}

func (p *probe) Lead(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	signal(p.called)
	return p.Leader.Lead(ctx, name, func(ctx context.Context) error {
		signal(p.leads)
		return fn(ctx)
	})
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// TestSocketModeFailover runs two adapters, as two processes would, on one
// PostgreSQL database: only one holds the Socket Mode connection; when its
// process ends, the other connects within its retry interval and serves.
func TestSocketModeFailover(t *testing.T) {
	t.Parallel()
	const retry = 50 * time.Millisecond
	url := storetest.MigratedPostgresURL(t)
	s1, s2 := storetest.Open(t, url), storetest.Open(t, url)
	s2.LeadRetry = retry
	d := storetest.NewDesk(t, s1)
	if err := d.Engine.LinkIdentity(ctx, core.SystemActor(), core.Identity{Platform: "slack", ExternalID: aliceU,
		Subject: core.ActorTechnician, SubjectID: d.Alice.ID}); err != nil {
		t.Fatal(err)
	}
	sl := slacktest.New(t, botToken)
	sl.SocketMode(appToken)
	start := func(s *sqlstore.Store, leader bots.Leader) (stop func()) {
		a, err := slack.New(slack.Config{BotToken: botToken, AppToken: appToken, APIURL: sl.URL, Engine: d.Engine,
			Store: s, Leader: leader})
		if err != nil {
			t.Fatal(err)
		}
		c, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- a.Run(c) }()
		stopped := false
		stop = func() {
			if stopped {
				return
			}
			stopped = true
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("adapter: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("the adapter did not stop")
			}
		}
		t.Cleanup(stop)
		return stop
	}
	stop1 := start(s1, storetest.Leader{Store: s1})
	sl.WaitConnections(t, 1, 1)
	second := newProbe(storetest.Leader{Store: s2})
	start(s2, second)
	select {
	case <-second.called:
	case <-time.After(30 * time.Second):
		t.Fatal("the second process never tried to lead")
	}
	// That the second process does not lead shows only as nothing
	// happening: give it a few tries, retry apart, before looking.
	select {
	case <-second.leads:
		t.Fatal("the second process leads while the first holds the connection")
	case <-time.After(5 * retry):
	}
	if accepted, open := sl.Connections(); accepted != 1 || open != 1 {
		t.Fatalf("with two processes: %d connections accepted, %d open; want 1, 1", accepted, open)
	}

	stop1()
	sl.WaitConnections(t, 2, 1)
	env := sl.Push(t, "slash_commands", slashPayload(aliceU, "status busy"))
	if got := ackText(t, sl.WaitAck(t, env)); got != "You are now busy." {
		t.Fatalf("after the fail-over, status answered %q", got)
	}
	if a := must[core.Technician](t)(s2.Technician(ctx, d.Alice.ID)); a.Availability != core.Busy {
		t.Fatalf("Alice is %s", a.Availability)
	}
}
