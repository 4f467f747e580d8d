package slack

import (
	"cmp"
	"context"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/relaydesk/relaydesk/bots/techchat"
	"github.com/relaydesk/relaydesk/core"
)

// treatment is what a message event of one subtype does in a card's
// thread.
type treatment int

const (
	// treatIgnore: not words a technician wrote (Slack's own notices,
	// bots' posts); logged at debug level and dropped.
	treatIgnore treatment = iota
	// treatRelay: the thread's rule decides, as for a plain reply: to the
	// customer, or a private note.
	treatRelay
	// treatMe: a /me message, relayed as treatRelay does, emphasised
	// ("_text_") as Slack shows it in italics.
	treatMe
	// treatNote: kept as a private note whatever the thread's rule says:
	// words a technician wrote that relaydesk does not know how to pass on.
	treatNote
)

// subtypes decides, for every message subtype a card's thread can carry,
// what relaydesk does with it. A subtype missing here is new to relaydesk:
// when a person wrote it in a card's thread it is kept as a private note
// (treatNote), so that nothing a technician wrote vanishes and nothing
// unknown reaches the customer. message_changed and message_deleted wrap
// another message and are decided by that message's subtype (edited,
// deleted).
var subtypes = map[string]treatment{
	"":                 treatRelay, // a plain reply
	"file_share":       treatRelay, // a reply with files
	"thread_broadcast": treatRelay, // a reply also sent to the channel ("Also send to #channel"): still a reply
	"reply_broadcast":  treatRelay, // thread_broadcast's old name, no longer sent by Slack
	"me_message":       treatMe,    // "/me checks the logs", written in the thread

	"bot_message":     treatIgnore, // another app's post (ours carry our bot_id and are never relayed back)
	"message_replied": treatIgnore, // Slack telling that the card got a reply; the reply comes as its own event
	"huddle_thread":   treatIgnore, // a huddle's notice
	// A message its workspace's encryption keys no longer reveal.
	"ekm_access_denied": treatIgnore,
	// Slack's notices of what happened to the channel: joins, topics,
	// pins... Slack writes them, not the technician.
	"channel_join": treatIgnore, "channel_leave": treatIgnore, "channel_topic": treatIgnore,
	"channel_purpose": treatIgnore, "channel_name": treatIgnore, "channel_archive": treatIgnore,
	"channel_unarchive": treatIgnore, "channel_posting_permissions": treatIgnore,
	"channel_convert_to_private": treatIgnore, "channel_convert_to_public": treatIgnore,
	"group_join": treatIgnore, "group_leave": treatIgnore, "group_topic": treatIgnore, "group_purpose": treatIgnore,
	"group_name": treatIgnore, "group_archive": treatIgnore, "group_unarchive": treatIgnore,
	"pinned_item": treatIgnore, "unpinned_item": treatIgnore, "reminder_add": treatIgnore,
	"bot_add": treatIgnore, "bot_remove": treatIgnore,
}

// treat is what to do with a message of subtype written by user (or by the
// app botID): its treatment, and for treatIgnore why, for the log.
func treat(subtype, botID, user string) (treatment, string) {
	switch t, known := subtypes[subtype]; {
	case botID != "":
		return treatIgnore, "a bot's message (relaydesk's own posts included)"
	case known && t == treatIgnore:
		return treatIgnore, "not a technician's words"
	case user == "":
		return treatIgnore, "a message without an author"
	case known:
		return t, ""
	}
	return treatNote, ""
}

// event applies one Events API callback. Only messages in a card's thread
// matter: new ones (with their files), their edits, which are relayed as
// edits (edited), and their deletions, which withdraw them (deleted).
// What each subtype does is decided in subtypes.
func (a *Adapter) event(ctx context.Context, ev slackevents.EventsAPIEvent) error {
	m, ok := ev.InnerEvent.Data.(*slackevents.MessageEvent)
	if !ok {
		return nil
	}
	switch m.SubType {
	case "message_changed":
		return a.edited(ctx, m)
	case "message_deleted":
		return a.deleted(ctx, m)
	}
	t, why := treat(m.SubType, m.BotID, m.User)
	if t == treatIgnore {
		a.ignored(m.SubType, why, m.Channel, m.TimeStamp)
		return nil
	}
	if m.ThreadTimeStamp == "" || m.ThreadTimeStamp == m.TimeStamp {
		return nil // not a reply in a thread
	}
	r := techchat.ThreadMessage{Thread: thread(m.Channel, m.ThreadTimeStamp), User: m.User, Text: m.Text, ID: m.TimeStamp,
		Key: a.chat.Key("msg", m.Channel, m.TimeStamp), Note: t == treatNote, Emphasis: t == treatMe}
	if m.Message != nil {
		r.Files = a.attachments(ctx, m.Message.Files)
	}
	return a.threadMessage(ctx, m.Channel, m.User, m.ThreadTimeStamp, r, m.Blocks)
}

// edited applies a message_changed event: an edit of a reply edits the
// message relaydesk stored for it, where its copies are (the customer's
// included), by the rule of the edited message's subtype (a broadcast
// reply's edit like a plain reply's). The edit's time keys it.
func (a *Adapter) edited(ctx context.Context, m *slackevents.MessageEvent) error {
	n := m.Message
	if n == nil {
		a.ignored(m.SubType, "no changed message", m.Channel, m.TimeStamp)
		return nil
	}
	t, why := treat(n.SubType, n.BotID, n.User)
	if t != treatIgnore && n.Edited == nil {
		t, why = treatIgnore, "a change that is no edit (an unfurl, a reply count)"
	}
	if t == treatIgnore {
		a.ignored(m.SubType+"/"+n.SubType, why, m.Channel, n.Timestamp)
		return nil
	}
	if n.ThreadTimestamp == "" || n.ThreadTimestamp == n.Timestamp {
		return nil // not a reply in a thread
	}
	return a.threadMessage(ctx, m.Channel, n.User, n.ThreadTimestamp, techchat.ThreadMessage{
		Thread: thread(m.Channel, n.ThreadTimestamp), User: n.User, Text: n.Text, ID: n.Timestamp, Edit: true,
		Posted: a.chat.Key("msg", m.Channel, n.Timestamp),
		Key:    a.chat.Key("edit", m.Channel, n.Timestamp, n.Edited.Timestamp), Note: t == treatNote, Emphasis: t == treatMe}, n.Blocks)
}

// deleted applies a message_deleted event: a reply (and its files) that
// relaydesk stored is withdrawn, as its author: the customer no longer
// reads it, technicians keep it, marked withdrawn. When the engine refuses
// (a reply in a closed request stays with the customer), the author is
// told. Other deletions are logged at debug level.
func (a *Adapter) deleted(ctx context.Context, m *slackevents.MessageEvent) error {
	p := m.PreviousMessage
	if p == nil {
		a.ignored(m.SubType, "no previous message", m.Channel, m.DeletedTimeStamp)
		return nil
	}
	ts := cmp.Or(m.DeletedTimeStamp, p.Timestamp)
	t, why := treat(p.SubType, p.BotID, p.User)
	if t != treatIgnore && (p.ThreadTimestamp == "" || p.ThreadTimestamp == ts) {
		t, why = treatIgnore, "not a reply in a thread"
	}
	if t == treatIgnore {
		a.ignored(m.SubType+"/"+p.SubType, why, m.Channel, ts)
		return nil
	}
	keys := []core.Idempotency{a.chat.Key("msg", m.Channel, ts)}
	for _, f := range p.Files {
		keys = append(keys, a.chat.Key("file", f.ID))
	}
	told, err := a.chat.Withdraw(ctx, techchat.Deletion{Thread: thread(m.Channel, p.ThreadTimestamp), ID: ts, Posted: keys,
		Key: a.chat.Key("withdraw", m.Channel, ts)})
	for _, text := range told {
		a.tell(m.Channel, p.User, p.ThreadTimestamp, text)
	}
	return err
}

// ignored logs a message event that changes nothing.
func (a *Adapter) ignored(subtype, why, channel, ts string) {
	a.log.Debug("slack: ignored a message event", "subtype", subtype, "why", why, "channel", channel, "ts", ts)
}

// threadMessage relays a reply (or its edit) written by user in the
// thread under threadTS of channel, m.Text as Slack sent it with blocks,
// and tells the author alone what they must read. A thread that is no
// card's is left alone before its mentions are looked up.
func (a *Adapter) threadMessage(ctx context.Context, channel, user, threadTS string, m techchat.ThreadMessage, blocks slack.Blocks) error {
	if _, ok, err := a.chat.ThreadRequest(ctx, m.Thread); err != nil || !ok {
		return err
	}
	m.Text = a.body(ctx, m.Text, blocks)
	told, err := a.chat.ThreadMessage(ctx, m)
	for _, text := range told {
		a.tell(channel, user, threadTS, text)
	}
	return err
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
	text, err := a.chat.Press(ctx, ic.User.ID, act.ActionID, act.Value, ic.Container.IsEphemeral)
	if text != "" {
		a.tell(channel, ic.User.ID, "", text)
	}
	return err
}
