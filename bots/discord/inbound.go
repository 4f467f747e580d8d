package discord

import (
	"context"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/relaydesk/relaydesk/bots/techchat"
	"github.com/relaydesk/relaydesk/core"
)

// message relays a message written in a card's thread (MESSAGE_CREATE),
// with its attachments, or an edit of one (MESSAGE_UPDATE, which edits the
// message relaydesk stored for it), by the thread rule (techchat.Chat.ThreadMessage), its
// content in relaydesk's format (format.go). The message's ID (and the
// edit's time) key the engine actions, so a delivery handled twice
// changes nothing.
func (a *Adapter) message(ctx context.Context, m *discordgo.Message, edit bool) error {
	if m.Author == nil || m.Author.Bot || m.Author.System || m.WebhookID != "" {
		return nil // our own posts, other bots', partial updates
	}
	if m.Type != discordgo.MessageTypeDefault && m.Type != discordgo.MessageTypeReply {
		return nil // thread created, pins, joins
	}
	if edit && m.EditedTimestamp == nil {
		return nil // an embed resolved, not an edit
	}
	if _, ok, err := a.chat.ThreadRequest(ctx, m.ChannelID); err != nil || !ok {
		return err // no card's thread: its mentions are not looked up
	}
	tm := techchat.ThreadMessage{Thread: m.ChannelID, User: m.Author.ID, Text: a.body(ctx, m.GuildID, m.Content, m.Mentions),
		ID: m.ID, Key: a.chat.Key("msg", m.ID)}
	if edit {
		tm.Edit, tm.Posted, tm.Key = true, tm.Key, a.chat.Key("edit", m.ID, m.EditedTimestamp.UTC().Format(time.RFC3339Nano))
	} else {
		tm.Files = a.attachments(ctx, m)
	}
	told, err := a.chat.ThreadMessage(ctx, tm)
	for _, text := range told {
		a.tell(m.ChannelID, m.ID, text)
	}
	return err
}

// deleted applies a MESSAGE_DELETE in a card's thread: what relaydesk
// stored of the message is withdrawn, as its author (Discord does not say
// who deleted it; only an author or a moderator can). A refusal is told
// in the thread, as the deleted message cannot be replied to. Files
// shared with the message are not withdrawn: the event names only the
// message.
func (a *Adapter) deleted(ctx context.Context, m *discordgo.MessageDelete) error {
	told, err := a.chat.Withdraw(ctx, techchat.Deletion{Thread: m.ChannelID, ID: m.ID,
		Posted: []core.Idempotency{a.chat.Key("msg", m.ID)}, Key: a.chat.Key("withdraw", m.ID)})
	for _, text := range told {
		a.tell(m.ChannelID, "", text)
	}
	return err
}

// button applies a card's button. Done, the answer only acknowledges it
// (the card is edited through the dispatcher, as for any change); refused,
// the technician alone reads why.
func (a *Adapter) button(ctx context.Context, i *discordgo.Interaction) (*discordgo.InteractionResponse, error) {
	u := userOf(i)
	if u == nil {
		return ephemeral(a.chat.Unlinked()), nil
	}
	act, id, _ := strings.Cut(i.MessageComponentData().CustomID, ":")
	inList := i.Message != nil && i.Message.Flags&discordgo.MessageFlagsEphemeral != 0
	text, err := a.chat.Press(ctx, u.ID, act, id, inList)
	if err != nil {
		return nil, err
	}
	if text != "" {
		return ephemeral(text), nil
	}
	return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}, nil
}
