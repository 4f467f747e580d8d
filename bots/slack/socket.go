package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/relaydesk/relaydesk/bots"
)

// SocketLeader is the bots.Leader name under which one process at a time
// holds the app's Socket Mode connection.
const SocketLeader = "slack-socket"

// socket holds Slack's Socket Mode connection until ctx ends: Slack pushes
// slash commands, button presses and events over a WebSocket that
// relaydesk opens (apps.connections.open with the app-level token), so no
// public URL is needed. Each envelope goes through handle, as an HTTP
// request does, and is acknowledged once handled, with the command's answer
// as the acknowledgement's payload; an envelope whose handling failed is
// not acknowledged, so Slack delivers it again. Envelopes are handled one
// at a time, in the order Slack sent them, which keeps a thread's messages
// in order. The library reconnects by itself when Slack asks it to
// (disconnect) or the connection dies; when it gives up (Slack
// unreachable for long, a revoked or wrong app token) socket starts again,
// backing off up to a minute.
func (a *Adapter) socket(ctx context.Context) error {
	bots.Retry(ctx, a.socketOnce, func(err error, next time.Duration) {
		a.cfg.Health.Failing(err)
		a.log.Warn("slack: the Socket Mode connection failed; trying again", "in", next, "err", err)
	})
	return nil
}

// socketOnce holds one Socket Mode client until ctx ends or it fails.
func (a *Adapter) socketOnce(ctx context.Context) error {
	api := slack.New(a.cfg.BotToken, slack.OptionAPIURL(a.cfg.APIURL), slack.OptionHTTPClient(a.cfg.HTTPClient),
		slack.OptionAppLevelToken(a.cfg.AppToken))
	sm := socketmode.New(api)
	done := make(chan error, 1)
	go func() { done <- sm.RunContext(ctx) }()
	a.log.Info("slack: opening the Socket Mode connection")
	for {
		select {
		case err := <-done:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("slack socket mode: %w", err)
		case ev := <-sm.Events:
			a.onSocket(ctx, sm, ev)
		}
	}
}

// onSocket handles one event of the Socket Mode client.
func (a *Adapter) onSocket(ctx context.Context, sm *socketmode.Client, ev socketmode.Event) {
	var d delivery
	switch data := ev.Data.(type) {
	case slack.SlashCommand:
		d.command = &data
	case slack.InteractionCallback:
		d.interaction = &data
	case slackevents.EventsAPIEvent:
		d.event = &data
	case *socketmode.ErrorBadMessage:
		// An event type the library cannot parse is not ours; acknowledge
		// it anyway, or Slack keeps sending it.
		var env struct {
			EnvelopeID string `json:"envelope_id"`
		}
		if json.Unmarshal(data.Message, &env) == nil && env.EnvelopeID != "" {
			a.ack(ctx, sm, env.EnvelopeID, nil)
		}
		a.log.Debug("slack: ignored a Socket Mode message", "err", data.Cause)
		return
	case *slack.ConnectionErrorEvent:
		a.cfg.Health.Failing(data.ErrorObj)
		a.log.Warn("slack: cannot open the Socket Mode connection; trying again", "attempt", data.Attempt,
			"backoff", data.Backoff, "err", data.ErrorObj)
		return
	default:
		switch ev.Type {
		case socketmode.EventTypeConnected:
			a.cfg.Health.OK()
			a.log.Info("slack: Socket Mode connected")
		case socketmode.EventTypeDisconnect:
			a.cfg.Health.Set("connecting: Slack closed the Socket Mode connection; reconnecting")
		case socketmode.EventTypeInvalidAuth:
			a.cfg.Health.Set("connecting: Slack refused SLACK_APP_TOKEN")
			a.log.Error("slack: Slack refused SLACK_APP_TOKEN (Basic Information, App-Level Tokens, scope connections:write)")
		}
		return
	}
	if ev.Request == nil || ev.Request.EnvelopeID == "" {
		return
	}
	answer, err := a.handle(ctx, d)
	if err != nil {
		return // not acknowledged: Slack delivers it again
	}
	if err := sm.AckCtx(ctx, ev.Request.EnvelopeID, answer); err != nil && d.command != nil && ctx.Err() == nil {
		// Too large for an acknowledgement (Slack drops those of 20 KB or
		// more): the answer goes through the command's response URL.
		a.ack(ctx, sm, ev.Request.EnvelopeID, nil)
		msg, _ := answer.(message)
		a.bg.Go(func(ctx context.Context) {
			_, _, err := a.api.PostMessageContext(ctx, d.command.ChannelID, slack.MsgOptionText(msg.Text, false),
				slack.MsgOptionBlocks(msg.Blocks...), slack.MsgOptionResponseURL(d.command.ResponseURL, slack.ResponseTypeEphemeral))
			if err != nil {
				a.log.Warn("slack: cannot answer a technician", "err", err)
			}
		})
	} else if err != nil {
		a.log.Warn("slack: cannot acknowledge a Socket Mode envelope", "err", err)
	}
}

func (a *Adapter) ack(ctx context.Context, sm *socketmode.Client, envelopeID string, payload any) {
	if err := sm.AckCtx(ctx, envelopeID, payload); err != nil && !errors.Is(err, context.Canceled) {
		a.log.Warn("slack: cannot acknowledge a Socket Mode envelope", "err", err)
	}
}
