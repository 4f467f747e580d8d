package discord

import (
	"context"
	"fmt"

	"github.com/bwmarrin/discordgo"
)

// GatewayLeader is the bots.Leader name under which one process at a time
// holds the bot's gateway session.
const GatewayLeader = "discord-gateway"

// Intents are the gateway intents relaydesk asks for: GUILDS (threads),
// GUILD_MESSAGES (thread messages) and MESSAGE_CONTENT, a privileged
// intent switched on in the Developer Portal (Bot, Message Content
// Intent), without which thread messages arrive empty.
const Intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMessages | discordgo.IntentMessageContent

// gateway holds the gateway session until ctx ends. Thread messages and
// their edits, and interactions when Discord sends them over the gateway
// (the application has no interactions endpoint), go through handle, one
// at a time in the order Discord sent them, which keeps a thread's messages
// in order. discordgo reconnects by itself; gateway returns an error only
// when it cannot connect at all (a revoked token, a missing intent).
func (a *Adapter) gateway(ctx context.Context) error {
	s := a.session()
	s.Identify.Intents = Intents
	s.SyncEvents = true
	s.StateEnabled = false
	s.AddHandler(func(_ *discordgo.Session, ev *discordgo.Ready) {
		a.log.Info("discord: gateway connected", "bot", ev.User.Username)
	})
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
	a.log.Info("discord: opening the gateway session")
	if err := s.Open(); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("discord gateway (is the Message Content intent on, and DISCORD_BOT_TOKEN current?): %w", err)
	}
	<-ctx.Done()
	if err := s.Close(); err != nil {
		a.log.Debug("discord: closing the gateway session", "err", err)
	}
	return nil
}
