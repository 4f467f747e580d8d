package discord

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/relaydesk/relaydesk/core"
)

// noteMarkers start a thread message that must stay a private note.
var noteMarkers = []string{"!note", "//"}

// message relays a message written in a card's thread (MESSAGE_CREATE),
// with its attachments, or an edit of one (MESSAGE_UPDATE, relayed as a
// correction): to the customer when its author is the owner or an invited
// colleague in the live chat and it has no note marker, else as a private
// note. The message's ID (and the edit's time) key the engine actions, so
// a delivery handled twice changes nothing.
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
	reqID, ok, err := a.threadRequest(ctx, m.ChannelID)
	if err != nil || !ok {
		return err
	}
	t, ok, err := a.technician(ctx, m.Author.ID)
	if err != nil {
		return err
	}
	if !ok {
		a.tell(m.ChannelID, m.ID, texts["unlinked"]+" Your message was not passed on.")
		return nil
	}
	body, note := strings.TrimSpace(m.Content), false
	for _, mk := range noteMarkers {
		if rest, ok := strings.CutPrefix(body, mk); ok {
			body, note = strings.TrimSpace(rest), true
			break
		}
	}
	by := core.TechnicianActor(t.ID)
	if !edit && len(m.Attachments) > 0 {
		if err := a.attachments(ctx, by, reqID, m, note); err != nil {
			return err
		}
	}
	k := key("msg", m.ID)
	if edit {
		body = "(edited) " + body
		k = key("edit", m.ID, m.EditedTimestamp.UTC().Format(time.RFC3339Nano))
	}
	if body == "" || body == "(edited) " {
		return nil
	}
	_, err = a.eng.ReplyInThread(ctx, by, reqID, core.Reply{Body: body, Private: note, Key: k})
	msg, err := refusal(err)
	if msg != "" {
		a.tell(m.ChannelID, m.ID, msg+" Your message was not passed on.")
	}
	return err
}

// button applies a card's button. Done, the answer only acknowledges it
// (the card is edited through the dispatcher, as for any change); refused,
// the technician alone reads why.
func (a *Adapter) button(ctx context.Context, i *discordgo.Interaction) (*discordgo.InteractionResponse, error) {
	u := userOf(i)
	if u == nil {
		return ephemeral(texts["unlinked"]), nil
	}
	t, ok, err := a.technician(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return ephemeral(texts["unlinked"]), nil
	}
	act, id, _ := strings.Cut(i.MessageComponentData().CustomID, ":")
	by := core.TechnicianActor(t.ID)
	action, err := core.ParseAction(act)
	if err != nil {
		err = core.Errorf(core.CodeInvalid, "this button (%s) is not relaydesk's", act)
	} else {
		_, err = a.eng.Act(ctx, by, id, action, core.ActionArgs{})
	}
	msg, err := refusal(err)
	if err != nil {
		return nil, err
	}
	if msg != "" {
		return ephemeral(msg), nil
	}
	if i.Message != nil && i.Message.Flags&discordgo.MessageFlagsEphemeral != 0 {
		return ephemeral(fmt.Sprintf("Done: %s.", strings.ToLower(action.Label()))), nil
	}
	return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}, nil
}
