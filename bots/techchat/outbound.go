package techchat

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
	"github.com/relaydesk/relaydesk/core/markup"
)

// cardEvents change what a request's card shows.
var cardEvents = map[core.EventType]bool{
	core.EventCreated: true, core.EventAssigned: true, core.EventUnassigned: true, core.EventTransferred: true,
	core.EventClosed: true, core.EventJoined: true, core.EventEnded: true, core.EventInvited: true,
	core.EventCustomerJoined: true, core.EventSystemInfoGiven: true,
}

// Wants is dispatch.Selective: see bots.TechnicianWants.
func (c *Chat) Wants(ctx context.Context, ev core.Event) (bool, error) {
	if ev.Type == core.EventInvited {
		return true, nil // the invitee's DM goes out with or without a queue channel
	}
	return bots.TechnicianWants(ctx, c.store, c.cfg.Name, ev)
}

// Deliver renders ev in the queue channel of its company: the request's
// card is posted (the first time, with its thread) or updated in place,
// and the event's line goes into the card's thread. A company without a
// queue channel gets nothing. A new request is also sent by DM to the
// technicians who asked for it, and an invitation to the technician invited
// (notify.go). The platform's errors reach
// the dispatcher through Config.Failure: a rate limit brings the event
// back later, a channel the platform refuses gives it up.
func (c *Chat) Deliver(ctx context.Context, d *dispatch.Delivery) error {
	ev := d.Event
	channel, ok, err := bots.QueueChannel(ctx, c.store, c.cfg.Name, ev.CompanyID)
	if err != nil {
		return err
	}
	if ok && channel != "" {
		if ev.Type == core.EventEdited || ev.Type == core.EventWithdrawn {
			err = c.change(ctx, d)
		} else if line := c.line(ev); cardEvents[ev.Type] || line != "" {
			err = c.deliver(ctx, d, channel, line)
		}
	}
	if err == nil && ev.Type == core.EventCreated {
		err = c.notify(ctx, d, channel)
	}
	if err == nil && ev.Type == core.EventInvited {
		err = c.notifyInvitee(ctx, d, channel)
	}
	if err == nil {
		return nil
	}
	return c.cfg.Failure(err, channel)
}

func (c *Chat) deliver(ctx context.Context, d *dispatch.Delivery, channel, line string) error {
	ev := d.Event
	r, err := c.store.Request(ctx, ev.RequestID)
	if err != nil {
		return err
	}
	card, err := c.ensureCard(ctx, d, r, channel)
	if err != nil {
		return err
	}
	if cardEvents[ev.Type] && ev.Type != core.EventCreated && !d.Sent("card") {
		// The card shows the request as it is now: an update delivered
		// late shows no older state than the one before it.
		if err := c.p.EditCard(ctx, card, r); err != nil {
			return err
		}
		d.MarkSent("card")
	}
	if line == "" || d.Sent("line") {
		return nil
	}
	uploaded := false
	// An upload the platform refused for good is not tried again when the
	// link posted instead has to wait.
	if comment := c.fileComment(ev); comment != "" && !d.Sent("upload-refused") {
		if uploaded, err = c.upload(ctx, ev, card, comment); err != nil {
			return err
		}
		if !uploaded {
			d.MarkSent("upload-refused")
		}
	}
	if !uploaded {
		id, err := c.p.PostLine(ctx, card, line)
		if err != nil {
			return err
		}
		c.saveLine(ctx, ev, card, id)
	}
	d.MarkSent("line")
	return nil
}

// upload puts the file of ev into the card's thread. uploaded is false
// when it cannot go to the platform (too large, gone, refused for good).
// The file is read as a delivery, not as its sender, who may have lost
// access since.
func (c *Chat) upload(ctx context.Context, ev core.Event, card core.Card, comment string) (uploaded bool, err error) {
	if c.cfg.UploadLimit > 0 && ev.Data.File.Size > c.cfg.UploadLimit {
		return false, nil
	}
	f, rc, err := c.eng.DeliveryFile(ctx, ev)
	if core.ErrorCode(err) == core.CodeNotFound {
		return false, nil // gone: the link is all there is
	} else if err != nil {
		return false, err
	}
	defer rc.Close()
	return c.p.UploadFile(ctx, card, f, rc, comment)
}

// ensureCard returns the request's card and thread, posting the card and
// starting its thread first if it has none in channel yet (the request is
// new, or older than the channel's binding). A posting marker is recorded
// before the post: if the process dies (or the answer is lost) between the
// platform's posting the card and relaydesk's recording it, the next
// attempt finds the marker and looks the card up in the channel instead of
// posting a second one.
func (c *Chat) ensureCard(ctx context.Context, d *dispatch.Delivery, r core.Request, channel string) (core.Card, error) {
	c.cardMu.Lock()
	defer c.cardMu.Unlock()
	card, err := c.store.Card(ctx, c.cfg.Name, r.ID)
	if core.ErrorCode(err) == core.CodeNotFound {
		card, err = core.Card{Platform: c.cfg.Name, RequestID: r.ID}, nil
	}
	if err != nil {
		return card, err
	}
	if card.Channel != channel || card.Message == "" {
		found := false
		if card.Posting == channel {
			var at core.Card
			if at, found, err = c.p.FindCard(ctx, channel, r.ID, card.PostingAt); err != nil {
				return card, err
			}
			// Its content may be older than the request: not marked sent,
			// so that a card event updates it.
			card.Channel, card.Message = at.Channel, at.Message
		}
		if !found {
			card.Posting, card.PostingAt = channel, time.Now()
			if err := c.store.SaveCard(ctx, card); err != nil {
				return card, err
			}
			posted, err := c.p.PostCard(ctx, channel, r)
			if err != nil {
				return card, err
			}
			card.Channel, card.Message = posted.Channel, posted.Message
			if card.Channel == "" {
				card.Channel = channel
			}
			d.MarkSent("card")
		}
		card.Thread, card.Posting, card.PostingAt = "", "", time.Time{}
		if err := c.store.SaveCard(ctx, card); err != nil {
			return card, err
		}
	}
	if card.Thread == "" {
		if card.Thread, err = c.p.StartThread(ctx, card, r); err != nil {
			return card, err
		}
		if err := c.store.SaveCard(ctx, card); err != nil {
			return card, err
		}
	}
	return card, nil
}

// fileComment is the comment of a chat file uploaded into the thread, ""
// when ev is no file to upload: not a file, a private one, or one that
// came from the thread itself.
func (c *Chat) fileComment(ev core.Event) string {
	d := ev.Data
	if ev.Type != core.EventFile || d.File == nil || ev.Audience == core.AudienceTechnicians || c.fromHere(ev) {
		return ""
	}
	b, e := c.m.Bold, c.m.Escape
	if ev.Actor.Kind == core.ActorCustomer {
		return fmt.Sprintf("%s (customer) sent a file: %s", b(e(d.ActorName)), e(d.File.Name))
	}
	return fmt.Sprintf("%s sent the customer a file: %s", b(e(d.ActorName)), e(d.File.Name))
}

// fromHere reports whether ev was written on this platform.
func (c *Chat) fromHere(ev core.Event) bool {
	return ev.Data.Origin != nil && ev.Data.Origin.Source == c.cfg.Name
}

// body renders a message's body after the colon of its line: after a
// space, or on a line of its own when it starts with a quote, a list or a
// code block, which the platforms' markup reads only at a line's start.
// A withdrawn message (Data.Withdrawn) shows struck through.
func (c *Chat) body(ev core.Event) string {
	doc := markup.Parse(ev.Data.Body)
	if ev.Data.Withdrawn {
		doc = struck(ev.Data.Body)
	}
	if len(doc) > 0 && doc[0].Kind != markup.Paragraph {
		return "\n" + c.m.Body(doc)
	}
	return " " + c.m.Body(doc)
}

// line is what the thread shows of ev, "" for nothing. What technicians
// wrote in the thread itself is there already and is not echoed; a note
// written there gets a mark that it stayed private.
func (c *Chat) line(ev core.Event) string {
	d := ev.Data
	here := c.fromHere(ev)
	b, e, lock := c.m.Bold, c.m.Escape, c.m.Lock
	who := e(d.ActorName)
	switch ev.Type {
	case core.EventMessage:
		if here {
			return ""
		}
		if ev.Actor.Kind == core.ActorCustomer {
			return fmt.Sprintf("%s (customer):%s", b(who), c.body(ev))
		}
		return fmt.Sprintf("%s to the customer:%s", b(who), c.body(ev))
	case core.EventFile:
		private := ev.Audience == core.AudienceTechnicians
		if here && private {
			return fmt.Sprintf("%s The file %s by %s is kept as a private note; the customer does not see it.", lock, e(d.Body), who)
		} else if here {
			return "" // in the thread already
		}
		link := e(d.Body)
		if d.File != nil && c.cfg.PublicURL != "" {
			link = c.m.Link(c.cfg.PublicURL+"/console/api/files/"+url.PathEscape(d.File.ID), e(d.File.Name)) +
				" (" + core.FormatBytes(d.File.Size) + ")"
		}
		if private {
			return fmt.Sprintf("%s %s by %s: %s", lock, b("Private file"), who, link)
		}
		role := "(customer)"
		if ev.Actor.Kind != core.ActorCustomer {
			role = "to the customer"
		}
		return fmt.Sprintf("%s %s sent a file: %s", b(who), role, link)
	case core.EventNote:
		if here {
			return fmt.Sprintf("%s Private note by %s saved; the customer does not see it.", lock, who)
		}
		return fmt.Sprintf("%s %s by %s:%s", lock, b("Private note"), who, c.body(ev))
	case core.EventAssigned:
		return fmt.Sprintf("%s took the request.", e(d.OwnerName))
	case core.EventUnassigned:
		return fmt.Sprintf("%s put the request back in the queue.", who)
	case core.EventTransferred:
		return fmt.Sprintf("%s handed the request over to %s.", who, e(d.OwnerName))
	case core.EventJoined:
		return fmt.Sprintf("%s joined the chat: their messages in this thread now go to the customer.", who)
	case core.EventInvited:
		return fmt.Sprintf("%s invited %s into the chat.", who, e(d.TechnicianName))
	case core.EventTechnicianLeft:
		return fmt.Sprintf("%s left the chat.", who)
	case core.EventEnded:
		return fmt.Sprintf("%s ended the chat.", who)
	case core.EventClosed:
		return fmt.Sprintf("%s closed the request.", who)
	case core.EventCustomerJoined:
		return fmt.Sprintf("%s (customer) joined the chat.", who)
	case core.EventCustomerLeft:
		return fmt.Sprintf("%s (customer) left the chat.", who)
	case core.EventScreenShareAsked:
		return fmt.Sprintf("%s asked the customer to share their screen.", who)
	case core.EventScreenStarted:
		if c.cfg.PublicURL == "" {
			return fmt.Sprintf("%s shares their screen: watch it in the console.", who)
		}
		return fmt.Sprintf("%s shares their screen: %s.", who,
			c.m.Link(c.cfg.PublicURL+"/console?request="+url.QueryEscape(ev.RequestID), "View screen"))
	case core.EventScreenDeclined:
		return fmt.Sprintf("%s declined to share their screen.", who)
	case core.EventCallAnswered:
		return fmt.Sprintf("%s answered the call: join it in the console.", who)
	case core.EventCallDeclined:
		return fmt.Sprintf("%s declined the call.", who)
	case core.EventRecordingAllowed:
		return fmt.Sprintf("%s allowed the screen share to be recorded: recording.", who)
	case core.EventRecordingDeclined:
		return fmt.Sprintf("%s declined the recording.", who)
	case core.EventScreenStopped:
		if ev.Data.Note != "" {
			return fmt.Sprintf("Screen sharing ended: %s.", e(d.Note))
		}
		return fmt.Sprintf("%s stopped screen sharing.", who)
	case core.EventCobrowseAsked:
		return fmt.Sprintf("%s asked the customer to show the page they are on (co-browsing).", who)
	case core.EventCobrowseStarted:
		return fmt.Sprintf("%s shows the page they are on: watch it in the console.", who)
	case core.EventCobrowseDeclined:
		return fmt.Sprintf("%s declined co-browsing.", who)
	case core.EventCobrowseStopped:
		if ev.Data.Note != "" {
			return fmt.Sprintf("Co-browsing ended: %s.", e(d.Note))
		}
		return fmt.Sprintf("%s stopped co-browsing.", who)
	case core.EventSystemInfoAsked:
		return fmt.Sprintf("%s asked the customer for their system details.", who)
	case core.EventSystemInfoGiven:
		return "The customer shared their system details; the card shows them."
	}
	return ""
}
