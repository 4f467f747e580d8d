package slack

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/core"
)

// noteMarkers start a thread message that must stay a private note.
var noteMarkers = []string{"!note", "//"}

// event applies one Events API callback. Only messages in a card's thread
// matter: new ones (with their files), and edits, which are relayed as
// corrections.
func (a *Adapter) event(ctx context.Context, ev slackevents.EventsAPIEvent) error {
	m, ok := ev.InnerEvent.Data.(*slackevents.MessageEvent)
	if !ok {
		return nil
	}
	switch m.SubType {
	case "", "file_share":
		if m.BotID != "" || m.User == "" {
			return nil // our own posts, and other bots'
		}
		if m.Message != nil && len(m.Message.Files) > 0 {
			if m.ThreadTimeStamp == "" || m.ThreadTimeStamp == m.TimeStamp {
				return nil // not in a thread
			}
			if err := a.threadFiles(ctx, m.Channel, m.ThreadTimeStamp, m.TimeStamp, m.User, m.Text, m.Message.Files); err != nil {
				return err
			}
			if strings.TrimSpace(m.Text) == "" {
				return nil
			}
		}
		return a.threadMessage(ctx, m.Channel, m.ThreadTimeStamp, m.TimeStamp, m.User, m.Text, "")
	case "message_changed":
		n := m.Message
		if n == nil || n.BotID != "" || n.User == "" || n.Edited == nil {
			return nil
		}
		return a.threadMessage(ctx, m.Channel, n.ThreadTimestamp, n.Timestamp, n.User, n.Text, n.Edited.Timestamp)
	}
	return nil // joins, deletions, bot messages
}

// threadMessage relays a technician's message in a card's thread: to the
// customer when they are the owner or an invited colleague in the live
// chat and the message has no note marker, else as a private note. edited
// is the edit's timestamp for a changed message, which is relayed as a
// correction. The message's channel and ts (and edit) key the engine
// action, so Slack's retries change nothing.
func (a *Adapter) threadMessage(ctx context.Context, channel, threadTS, ts, user, text, edited string) error {
	if threadTS == "" || threadTS == ts {
		return nil // not a reply in a thread
	}
	reqID, ok, err := a.threadRequest(ctx, channel, threadTS)
	if err != nil || !ok {
		return err
	}
	t, ok, err := a.technician(ctx, user)
	if err != nil {
		return err
	}
	if !ok {
		a.tell(channel, user, threadTS, texts["unlinked"]+" Your message was not passed on.")
		return nil
	}
	body, note := strings.TrimSpace(text), false
	for _, m := range noteMarkers {
		if rest, ok := strings.CutPrefix(body, m); ok {
			body, note = strings.TrimSpace(rest), true
			break
		}
	}
	k := key("msg", channel, ts)
	if edited != "" {
		body = "(edited) " + body
		k = key("edit", channel, ts, edited)
	}
	if body == "" {
		return nil
	}
	by := core.TechnicianActor(t.ID)
	if !note {
		note, err = a.privateFor(ctx, t, reqID)
		if err != nil {
			return err
		}
	}
	if note {
		_, err = a.eng.AddNote(ctx, by, reqID, body, k)
	} else {
		_, err = a.eng.PostMessage(ctx, by, reqID, core.Post{Body: body, Key: k})
	}
	msg, err := refusal(err)
	if msg != "" {
		a.tell(channel, user, threadTS, msg+" Your message was not passed on.")
	}
	return err
}

// privateFor reports whether what t writes in the request's thread stays a
// note: unless t owns it or was invited into it and its chat is live.
func (a *Adapter) privateFor(ctx context.Context, t core.Technician, requestID string) (bool, error) {
	public, err := a.eng.WritesToCustomer(ctx, core.TechnicianActor(t.ID), requestID)
	return !public, err
}

// interaction applies a button of a card or of a /support list.
func (a *Adapter) interaction(ctx context.Context, ic slack.InteractionCallback) error {
	if ic.Type != slack.InteractionTypeBlockActions || len(ic.ActionCallback.BlockActions) == 0 {
		return nil
	}
	act := ic.ActionCallback.BlockActions[0]
	channel := ic.Channel.ID
	if channel == "" {
		channel = ic.Container.ChannelID
	}
	t, ok, err := a.technician(ctx, ic.User.ID)
	if err != nil {
		return err
	}
	if !ok {
		a.tell(channel, ic.User.ID, "", texts["unlinked"])
		return nil
	}
	by, id := core.TechnicianActor(t.ID), act.Value
	switch act.ActionID {
	case ActionAssign:
		_, err = a.eng.AssignToMe(ctx, by, id)
	case ActionUnassign:
		_, err = a.eng.Unassign(ctx, by, id)
	case ActionJoin:
		_, err = a.eng.JoinChat(ctx, by, id)
	case ActionEnd:
		_, err = a.eng.EndChat(ctx, by, id)
	case ActionClose:
		_, err = a.eng.Close(ctx, by, id, "")
	case ActionScreenShare:
		_, err = a.eng.RequestScreenShare(ctx, by, id)
	default:
		err = core.Errorf(core.CodeInvalid, "this button (%s) is not relaydesk's", act.ActionID)
	}
	msg, err := refusal(err)
	if msg != "" {
		a.tell(channel, ic.User.ID, "", msg)
	} else if err == nil && ic.Container.IsEphemeral {
		// A /support list's button: its card elsewhere changes, so say it here.
		a.tell(channel, ic.User.ID, "", fmt.Sprintf("Done: %s.", strings.ToLower(bots.ActionLabel(act.ActionID))))
	}
	return err
}
