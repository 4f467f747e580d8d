package discord

import (
	"context"
	"fmt"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/relaydesk/relaydesk/bots"
)

// GatewayLeader is the bots.Leader name under which one process at a time
// holds the bot's gateway session.
const GatewayLeader = "discord-gateway"

// Intents are the gateway intents relaydesk asks for: GUILDS (threads),
// GUILD_MESSAGES (thread messages, their edits and deletions) and MESSAGE_CONTENT, a privileged
// intent switched on in the Developer Portal (Bot, Message Content
// Intent), without which thread messages arrive empty.
const Intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMessages | discordgo.IntentMessageContent

// gateway holds the gateway session until ctx ends. Thread messages and
// their edits, and interactions when Discord sends them over the gateway
// (the application has no interactions endpoint), go through handle, one
// at a time in the order Discord sent them, which keeps a thread's messages
// in order. Once connected, discordgo reconnects by itself; a session that
// cannot be opened (Discord unreachable, a revoked token, a missing
// intent) is tried again, backing off up to a minute.
func (a *Adapter) gateway(ctx context.Context) error {
	bots.Retry(ctx, func(ctx context.Context) error {
		s, err := a.openGateway(ctx)
		if err != nil {
			return err
		}
		<-ctx.Done()
		if err := s.Close(); err != nil {
			a.log.Debug("discord: closing the gateway session", "err", err)
		}
		return nil
	}, func(err error, next time.Duration) {
		a.cfg.Health.Failing(err)
		a.log.Warn("discord: cannot open the gateway session (is Discord reachable, the Message Content intent on, "+
			"and DISCORD_BOT_TOKEN current?); trying again", "in", next, "err", err)
	})
	return nil
}

// openGateway opens a gateway session that hands what it brings to handle.
func (a *Adapter) openGateway(ctx context.Context) (*discordgo.Session, error) {
	s := a.session()
	s.Identify.Intents = Intents
	s.SyncEvents = true
	s.StateEnabled = false
	s.AddHandler(func(_ *discordgo.Session, ev *discordgo.Ready) {
		a.cfg.Health.OK()
		a.log.Info("discord: gateway connected", "bot", ev.User.Username)
	})
	s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Disconnect) {
		a.cfg.Health.Set("connecting: the gateway connection dropped; reconnecting")
	})
	s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Resumed) { a.cfg.Health.OK() })
	s.AddHandler(func(_ *discordgo.Session, ev *discordgo.InteractionCreate) {
		answer, err := a.handle(ctx, delivery{interaction: ev.Interaction})
		if err != nil || answer == nil {
			return
		}
		if err := s.InteractionRespond(ev.Interaction, answer, discordgo.WithContext(ctx)); err != nil {
			a.log.Warn("discord: cannot answer an interaction", "err", err)
		}
	})
	s.AddHandler(func(_ *discordgo.Session, ev *discordgo.MessageCreate) {
		a.handle(ctx, delivery{message: ev.Message})
	})
	s.AddHandler(func(_ *discordgo.Session, ev *discordgo.MessageUpdate) {
		a.handle(ctx, delivery{edit: ev.Message})
	})
	s.AddHandler(func(_ *discordgo.Session, ev *discordgo.MessageDelete) {
		a.handle(ctx, delivery{deleted: ev})
	})
	a.log.Info("discord: opening the gateway session")
	if err := s.Open(); err != nil {
		return nil, fmt.Errorf("discord gateway: %w", err)
	}
	return s, nil
}
