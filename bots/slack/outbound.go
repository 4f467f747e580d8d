package slack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/relaydesk/relaydesk/bots/techchat"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
	"github.com/relaydesk/relaydesk/core/markup"
)

// Deliver is dispatch.Destination: see techchat.Chat.Deliver.
func (a *Adapter) Deliver(ctx context.Context, d *dispatch.Delivery) error {
	return a.chat.Deliver(ctx, d)
}

// Wants is dispatch.Selective: see bots.TechnicianWants.
func (a *Adapter) Wants(ctx context.Context, ev core.Event) (bool, error) {
	return a.chat.Wants(ctx, ev)
}

// failure turns slack-go's errors into the dispatcher's: a 429 comes back
// after Retry-After; a channel Slack refuses (deleted, the app not in it)
// gives the event up.
func failure(err error, channel string) error {
	var rl *slack.RateLimitedError
	var se slack.SlackErrorResponse
	switch {
	case errors.As(err, &rl):
		return &dispatch.RetryAfterError{After: rl.RetryAfter, Err: err}
	case errors.As(err, &se) && permanent[se.Err]:
		return &dispatch.PermanentError{Err: fmt.Errorf("slack channel %s: %w", channel, err)}
	}
	return err
}

// permanent are the Web API errors that retrying cannot cure.
var permanent = map[string]bool{
	"channel_not_found": true, "not_in_channel": true, "is_archived": true, "msg_too_long": true,
	"invalid_blocks": true, "message_not_found": true, "cant_update_message": true, "restricted_action": true,
}

// gone reports whether Slack says the message to edit was deleted.
func gone(err error) bool {
	var se slack.SlackErrorResponse
	return errors.As(err, &se) && se.Err == "message_not_found"
}

// refused reports whether Slack refused a DM for good (a deactivated
// account, a user the app cannot message).
func refused(err error) bool {
	var se slack.SlackErrorResponse
	return errors.As(err, &se)
}

// platform is techchat.Platform over slack-go. A card's thread is
// addressed as "<channel>/<card ts>": Slack threads are the card message's
// replies.
type platform struct{ a *Adapter }

// cardEventType marks a card in its message metadata, with the request's
// ID, so that a card posted but not recorded can be found again.
const cardEventType = "relaydesk_card"

func (p platform) PostCard(ctx context.Context, channel string, r core.Request) (core.Card, error) {
	if err := p.a.pace(ctx, "chat.postMessage", channel); err != nil {
		return core.Card{}, err
	}
	ch, ts, err := p.a.api.PostMessageContext(ctx, channel, slack.MsgOptionText(cardText(r), false),
		slack.MsgOptionBlocks(cardBlocks(r)...),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: cardEventType, EventPayload: map[string]any{"request_id": r.ID}}))
	return core.Card{Channel: ch, Message: ts}, err
}

// FindCard looks for the card by its metadata in the channel's history
// since about since. A history Slack will not show (a missing scope)
// counts as not found: a second card is better than none.
func (p platform) FindCard(ctx context.Context, channel, requestID string, since time.Time) (core.Card, bool, error) {
	q := &slack.GetConversationHistoryParameters{ChannelID: channel, IncludeAllMetadata: true, Limit: 200}
	if since.Unix() > 0 {
		q.Oldest = strconv.FormatInt(since.Add(-time.Minute).Unix(), 10)
	}
	for {
		if err := p.a.pace(ctx, "conversations.history", channel); err != nil {
			return core.Card{}, false, err
		}
		res, err := p.a.api.GetConversationHistoryContext(ctx, q)
		var se slack.SlackErrorResponse
		if errors.As(err, &se) {
			p.a.log.Warn("slack: cannot look for a card that may have been posted; posting it", "channel", channel, "err", err)
			return core.Card{}, false, nil
		} else if err != nil {
			return core.Card{}, false, err
		}
		for _, m := range res.Messages {
			if m.Metadata.EventType == cardEventType && m.Metadata.EventPayload["request_id"] == requestID {
				return core.Card{Channel: channel, Message: m.Timestamp}, true, nil
			}
		}
		if !res.HasMore || res.ResponseMetaData.NextCursor == "" {
			return core.Card{}, false, nil
		}
		q.Cursor = res.ResponseMetaData.NextCursor
	}
}

func (p platform) EditCard(ctx context.Context, c core.Card, r core.Request) error {
	if err := p.a.pace(ctx, "chat.update", c.Channel); err != nil {
		return err
	}
	_, _, _, err := p.a.api.UpdateMessageContext(ctx, c.Channel, c.Message, slack.MsgOptionText(cardText(r), false),
		slack.MsgOptionBlocks(cardBlocks(r)...))
	return err
}

// StartThread needs no call: a Slack thread is the replies to the card.
func (p platform) StartThread(_ context.Context, c core.Card, _ core.Request) (string, error) {
	return thread(c.Channel, c.Message), nil
}

// thread is the address of the thread under message ts of channel.
func thread(channel, ts string) string { return channel + "/" + ts }

func (p platform) PostLine(ctx context.Context, c core.Card, text string) (string, error) {
	if err := p.a.pace(ctx, "chat.postMessage", c.Channel); err != nil {
		return "", err
	}
	_, ts, err := p.a.api.PostMessageContext(ctx, c.Channel, slack.MsgOptionText(text, false), slack.MsgOptionTS(c.Message))
	return ts, err
}

// EditLine edits the thread reply ts (chat.update).
func (p platform) EditLine(ctx context.Context, c core.Card, ts, text string) error {
	if err := p.a.pace(ctx, "chat.update", c.Channel); err != nil {
		return err
	}
	_, _, _, err := p.a.api.UpdateMessageContext(ctx, c.Channel, ts, slack.MsgOptionText(text, false))
	return err
}

// UploadFile uploads with Slack's three-step upload, into the thread.
func (p platform) UploadFile(ctx context.Context, c core.Card, f core.File, body io.Reader, comment string) (bool, error) {
	if err := p.a.pace(ctx, "files.getUploadURLExternal", ""); err != nil {
		return false, err
	}
	if err := p.a.pace(ctx, "files.completeUploadExternal", c.Channel); err != nil {
		return false, err
	}
	_, err := p.a.api.UploadFileContext(ctx, slack.UploadFileParameters{Reader: body, Filename: f.Name, FileSize: int(f.Size),
		Title: f.Name, InitialComment: comment, Channel: c.Channel, ThreadTimestamp: c.Message})
	if err == nil {
		return true, nil
	}
	var rl *slack.RateLimitedError
	var se slack.SlackErrorResponse
	var sc slack.StatusCodeError
	switch {
	case errors.As(err, &rl):
		return false, err
	case errors.As(err, &se) && se.Err != "ratelimited" && se.Err != "internal_error" && se.Err != "fatal_error",
		errors.As(err, &sc) && sc.Code >= 400 && sc.Code < 500 && sc.Code != http.StatusTooManyRequests:
		p.a.log.Warn("slack: Slack refused a file upload; posting a link instead", "err", err)
		return false, nil
	}
	return false, fmt.Errorf("upload %s: %w", f.ID, err)
}

func (p platform) DM(ctx context.Context, user, text string) error {
	if err := p.a.pace(ctx, "conversations.open", ""); err != nil {
		return err
	}
	ch, _, _, err := p.a.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}, ReturnIM: true})
	if err != nil {
		return err
	}
	if err := p.a.pace(ctx, "chat.postMessage", ch.ID); err != nil {
		return err
	}
	_, _, err = p.a.api.PostMessageContext(ctx, ch.ID, slack.MsgOptionText(text, false))
	return err
}

// mrkdwnMarkup is Slack's mrkdwn.
var mrkdwnMarkup = techchat.Markup{
	Bold:    func(s string) string { return "*" + s + "*" },
	Escape:  escape,
	Body:    markup.Slack,
	Link:    func(url, text string) string { return "<" + url + "|" + text + ">" },
	Channel: func(id string) string { return "<#" + id + ">" },
	Lock:    ":lock:",
	Italic:  func(s string) string { return "_" + s + "_" },
}

// Render is how a message's body, stored in relaydesk's format
// (core/markup), shows in a Slack thread: mrkdwn, escaped.
func Render(body string) string { return markup.Slack(markup.Parse(body)) }

// mention is the user of a Slack mention, <@U123> or <@U123|name>.
func mention(ref string) (string, bool) {
	if !strings.HasPrefix(ref, "<@") {
		return "", false
	}
	user, _, _ := strings.Cut(strings.Trim(ref, "<@>"), "|")
	return user, true
}
