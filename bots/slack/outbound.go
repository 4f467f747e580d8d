package slack

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
)

// cardEvents change what a request's card shows.
var cardEvents = map[core.EventType]bool{
	core.EventCreated: true, core.EventAssigned: true, core.EventUnassigned: true, core.EventTransferred: true,
	core.EventClosed: true, core.EventJoined: true, core.EventEnded: true, core.EventInvited: true,
	core.EventCustomerJoined: true, core.EventSystemInfoGiven: true,
}

// Wants is dispatch.Selective: see bots.TechnicianWants.
func (a *Adapter) Wants(ctx context.Context, ev core.Event) (bool, error) {
	return bots.TechnicianWants(ctx, a.store, Platform, ev)
}

// Deliver renders ev in the queue channel of its company: the request's
// card is posted (the first time) or updated in place, and the event's
// line goes into the card's thread. A company without a queue channel gets
// nothing. A new request is also sent by DM to the technicians who asked
// for it (notify.go). A 429 asks the dispatcher to come back after Retry-After; a
// channel Slack refuses (deleted, the app not in it) gives the event up.
func (a *Adapter) Deliver(ctx context.Context, d *dispatch.Delivery) error {
	ev := d.Event
	channel, ok, err := a.queueChannel(ctx, ev.CompanyID)
	if err != nil {
		return err
	}
	if ok && channel != "" {
		if line := a.line(ctx, ev); cardEvents[ev.Type] || line != "" {
			err = a.deliver(ctx, d, channel, line)
		}
	}
	if err == nil && ev.Type == core.EventCreated {
		err = a.notify(ctx, d, channel)
	}
	var rl *slack.RateLimitedError
	var se slack.SlackErrorResponse
	switch {
	case err == nil:
		return nil
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

func (a *Adapter) deliver(ctx context.Context, d *dispatch.Delivery, channel, line string) error {
	ev := d.Event
	r, err := a.store.Request(ctx, ev.RequestID)
	if err != nil {
		return err
	}
	c, err := a.ensureCard(ctx, d, r, channel)
	if err != nil {
		return err
	}
	if cardEvents[ev.Type] && ev.Type != core.EventCreated && !d.Sent("card") {
		// The card shows the request as it is now: an update delivered
		// late shows no older state than the one before it.
		if err := a.pace(ctx, "chat.update", c.Channel); err != nil {
			return err
		}
		_, _, _, err := a.api.UpdateMessageContext(ctx, c.Channel, c.TS, slack.MsgOptionText(cardText(r), false),
			slack.MsgOptionBlocks(cardBlocks(r)...))
		if err != nil {
			return err
		}
		d.MarkSent("card")
	}
	if line != "" && !d.Sent("line") {
		uploaded := false
		// An upload Slack refused for good is not tried again when the
		// link posted instead has to wait.
		if comment := fileComment(ev); comment != "" && !d.Sent("upload-refused") {
			if uploaded, err = a.uploadFile(ctx, ev, c, comment); err != nil {
				return err
			}
			if !uploaded {
				d.MarkSent("upload-refused")
			}
		}
		if !uploaded {
			if err := a.pace(ctx, "chat.postMessage", c.Channel); err != nil {
				return err
			}
			if _, _, err := a.api.PostMessageContext(ctx, c.Channel, slack.MsgOptionText(line, false), slack.MsgOptionTS(c.TS)); err != nil {
				return err
			}
		}
		d.MarkSent("line")
	}
	return nil
}

// fileComment is the comment of a chat file uploaded into the thread, ""
// when ev is no file to upload: not a file, a private one, or one that
// came from the thread itself.
func fileComment(ev core.Event) string {
	d := ev.Data
	if ev.Type != core.EventFile || d.File == nil || ev.Audience == core.AudienceTechnicians ||
		(d.Origin != nil && d.Origin.Source == Platform) {
		return ""
	}
	if ev.Actor.Kind == core.ActorCustomer {
		return fmt.Sprintf("*%s* (customer) sent a file: %s", escape(d.ActorName), escape(d.File.Name))
	}
	return fmt.Sprintf("*%s* sent the customer a file: %s", escape(d.ActorName), escape(d.File.Name))
}

// cardEventType marks a card in its message metadata, with the request's
// ID, so that a card posted but not recorded can be found again.
const cardEventType = "relaydesk_card"

// ensureCard returns the request's card, posting it first if it has none
// in channel yet (the request is new, or older than the channel's binding).
// A "posting" marker is stored before the post: if the process dies (or
// the answer is lost) between Slack's posting the card and relaydesk's
// recording it, the next attempt finds the marker and looks the card up in
// the channel's history by its metadata instead of posting a second one.
func (a *Adapter) ensureCard(ctx context.Context, d *dispatch.Delivery, r core.Request, channel string) (card, error) {
	a.cardMu.Lock()
	defer a.cardMu.Unlock()
	c, ok, err := a.cardOf(ctx, r.ID)
	if err != nil || (ok && c.Channel == channel) {
		return c, err
	}
	marker := "slack:posting:" + r.ID
	if v, ok, err := a.get(ctx, marker); err != nil {
		return c, err
	} else if ch, at, _ := strings.Cut(v, " "); ok && ch == channel {
		since, _ := strconv.ParseInt(at, 10, 64)
		ts, found, err := a.findCard(ctx, channel, r.ID, time.Unix(since, 0))
		if err != nil {
			return c, err
		}
		if found {
			// Its content may be older than the request: not marked sent,
			// so that a card event updates it.
			c = card{Channel: channel, TS: ts}
			return c, a.saveCard(ctx, r.ID, c)
		}
	}
	if err := a.cfg.State.SetBotState(ctx, marker, channel+" "+strconv.FormatInt(time.Now().Unix(), 10)); err != nil {
		return c, err
	}
	if err := a.pace(ctx, "chat.postMessage", channel); err != nil {
		return c, err
	}
	ch, ts, err := a.api.PostMessageContext(ctx, channel, slack.MsgOptionText(cardText(r), false),
		slack.MsgOptionBlocks(cardBlocks(r)...),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: cardEventType, EventPayload: map[string]any{"request_id": r.ID}}))
	if err != nil {
		return c, err
	}
	c = card{Channel: ch, TS: ts}
	if c.Channel == "" {
		c.Channel = channel
	}
	d.MarkSent("card")
	return c, a.saveCard(ctx, r.ID, c)
}

// findCard looks for the card of request requestID among the messages
// posted in channel since about since. A history Slack will not show (a
// missing scope) counts as not found: a second card is better than none.
func (a *Adapter) findCard(ctx context.Context, channel, requestID string, since time.Time) (string, bool, error) {
	p := &slack.GetConversationHistoryParameters{ChannelID: channel, IncludeAllMetadata: true, Limit: 200}
	if since.Unix() > 0 {
		p.Oldest = strconv.FormatInt(since.Add(-time.Minute).Unix(), 10)
	}
	for {
		if err := a.pace(ctx, "conversations.history", channel); err != nil {
			return "", false, err
		}
		res, err := a.api.GetConversationHistoryContext(ctx, p)
		var se slack.SlackErrorResponse
		if errors.As(err, &se) {
			a.log.Warn("slack: cannot look for a card that may have been posted; posting it", "channel", channel, "err", err)
			return "", false, nil
		} else if err != nil {
			return "", false, err
		}
		for _, m := range res.Messages {
			if m.Metadata.EventType == cardEventType && m.Metadata.EventPayload["request_id"] == requestID {
				return m.Timestamp, true, nil
			}
		}
		if !res.HasMore || res.ResponseMetaData.NextCursor == "" {
			return "", false, nil
		}
		p.Cursor = res.ResponseMetaData.NextCursor
	}
}

// line is what the thread shows of ev, "" for nothing. What technicians
// wrote in the thread itself is there already and is not echoed; a note
// written there gets a mark that it stayed private.
func (a *Adapter) line(ctx context.Context, ev core.Event) string {
	d := ev.Data
	fromSlack := d.Origin != nil && d.Origin.Source == Platform
	who := d.ActorName
	switch ev.Type {
	case core.EventMessage:
		if fromSlack {
			return ""
		}
		if ev.Actor.Kind == core.ActorCustomer {
			return fmt.Sprintf("*%s* (customer): %s", escape(who), escape(d.Body))
		}
		return fmt.Sprintf("*%s* to the customer: %s", escape(who), escape(d.Body))
	case core.EventFile:
		private := ev.Audience == core.AudienceTechnicians
		if fromSlack && private {
			return fmt.Sprintf(":lock: The file %s by %s is kept as a private note; the customer does not see it.", escape(d.Body), escape(who))
		} else if fromSlack {
			return "" // in the thread already
		}
		link := escape(d.Body)
		if d.File != nil && a.cfg.PublicURL != "" {
			link = fmt.Sprintf("<%s/console/api/files/%s|%s> (%s)", a.cfg.PublicURL, url.PathEscape(d.File.ID), escape(d.File.Name),
				core.FormatBytes(d.File.Size))
		}
		role := "(customer)"
		if private {
			return fmt.Sprintf(":lock: *Private file* by %s: %s", escape(who), link)
		} else if ev.Actor.Kind != core.ActorCustomer {
			role = "to the customer"
		}
		return fmt.Sprintf("*%s* %s sent a file: %s", escape(who), role, link)
	case core.EventNote:
		if fromSlack {
			return fmt.Sprintf(":lock: Private note by %s saved; the customer does not see it.", escape(who))
		}
		return fmt.Sprintf(":lock: *Private note* by %s: %s", escape(who), escape(d.Body))
	case core.EventAssigned:
		return fmt.Sprintf("%s took the request.", escape(d.OwnerName))
	case core.EventUnassigned:
		return fmt.Sprintf("%s put the request back in the queue.", escape(who))
	case core.EventTransferred:
		return fmt.Sprintf("%s handed the request over to %s.", escape(who), escape(d.OwnerName))
	case core.EventJoined:
		return fmt.Sprintf("%s joined the chat: their replies in this thread now go to the customer.", escape(who))
	case core.EventInvited:
		return fmt.Sprintf("%s invited %s into the chat.", escape(who), escape(d.TechnicianName))
	case core.EventEnded:
		return fmt.Sprintf("%s ended the chat.", escape(who))
	case core.EventClosed:
		return fmt.Sprintf("%s closed the request.", escape(who))
	case core.EventCustomerJoined:
		return fmt.Sprintf("%s (customer) joined the chat.", escape(who))
	case core.EventCustomerLeft:
		return fmt.Sprintf("%s (customer) left the chat.", escape(who))
	case core.EventScreenShareAsked:
		return fmt.Sprintf("%s asked the customer to share their screen.", escape(who))
	case core.EventSystemInfoAsked:
		return fmt.Sprintf("%s asked the customer for their system details.", escape(who))
	case core.EventSystemInfoGiven:
		return "The customer shared their system details; the card shows them."
	}
	return ""
}
