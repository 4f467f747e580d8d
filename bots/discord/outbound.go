package discord

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

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
// card is posted (the first time, with its thread) or edited in place, and
// the event's line goes into the card's thread. A company without a queue
// channel gets nothing. A new request is also sent by DM to the
// technicians who asked for it (notify.go). A 429 asks the dispatcher to
// come back after retry_after; a channel Discord refuses (deleted, no
// access) gives the event up.
func (a *Adapter) Deliver(ctx context.Context, d *dispatch.Delivery) error {
	ev := d.Event
	channel, ok, err := a.queueChannel(ctx, ev.CompanyID)
	if err != nil {
		return err
	}
	if ok && channel != "" {
		if line := a.line(ev); cardEvents[ev.Type] || line != "" {
			err = a.deliver(ctx, d, channel, line)
		}
	}
	if err == nil && ev.Type == core.EventCreated {
		err = a.notify(ctx, d, channel)
	}
	return classify(err, channel)
}

// classify turns discordgo's errors into the dispatcher's.
func classify(err error, channel string) error {
	var rl *discordgo.RateLimitError
	var re *discordgo.RESTError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &rl):
		return &dispatch.RetryAfterError{After: rl.RetryAfter, Err: err}
	case errors.As(err, &re) && re.Response != nil && permanent(re):
		return &dispatch.PermanentError{Err: fmt.Errorf("discord channel %s: %w", channel, err)}
	}
	return err
}

// permanent reports whether retrying cannot cure a REST error: no access,
// an unknown channel or message, a payload Discord rejects.
func permanent(re *discordgo.RESTError) bool {
	switch re.Response.StatusCode {
	case http.StatusForbidden, http.StatusNotFound, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		return true
	}
	return false
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
		// The card shows the request as it is now: an edit delivered late
		// shows no older state than the one before it.
		if err := a.editCard(ctx, r, c); err != nil {
			return err
		}
		d.MarkSent("card")
	}
	if line != "" && !d.Sent("line") {
		uploaded := false
		// An upload Discord refused for good is not tried again when the
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
			if err := a.pace(ctx, routePost, c.Thread); err != nil {
				return err
			}
			if _, err := a.api.ChannelMessageSendComplex(c.Thread, &discordgo.MessageSend{Content: clip(line, 2000),
				AllowedMentions: &discordgo.MessageAllowedMentions{}}, discordgo.WithContext(ctx)); err != nil {
				return err
			}
		}
		d.MarkSent("line")
	}
	return nil
}

func (a *Adapter) editCard(ctx context.Context, r core.Request, c card) error {
	content, embeds, comps := cardText(r), []*discordgo.MessageEmbed{cardEmbed(r)}, components(r)
	if err := a.pace(ctx, routeEdit, c.Channel); err != nil {
		return err
	}
	_, err := a.api.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: c.Message, Channel: c.Channel, Content: &content,
		Embeds: &embeds, Components: &comps, AllowedMentions: &discordgo.MessageAllowedMentions{}}, discordgo.WithContext(ctx))
	return err
}

// ensureCard returns the request's card and thread, posting the card and
// starting its thread first if it has none in channel yet (the request is
// new, or older than the channel's binding). A "posting" marker is stored
// before the post: if the process dies (or the answer is lost) between
// Discord's posting the card and relaydesk's recording it, the next
// attempt finds the marker and looks the card up among the channel's
// recent messages by its footer instead of posting a second one.
func (a *Adapter) ensureCard(ctx context.Context, d *dispatch.Delivery, r core.Request, channel string) (card, error) {
	a.cardMu.Lock()
	defer a.cardMu.Unlock()
	c, ok, err := a.cardOf(ctx, r.ID)
	if err != nil {
		return c, err
	}
	if !ok || c.Channel != channel {
		marker := "discord:posting:" + r.ID
		c = card{Channel: channel}
		if v, ok, err := a.get(ctx, marker); err != nil {
			return c, err
		} else if ch, _, _ := strings.Cut(v, " "); ok && ch == channel {
			if c.Message, err = a.findCard(ctx, channel, r.ID); err != nil {
				return c, err
			}
		}
		if c.Message == "" {
			if err := a.cfg.State.SetBotState(ctx, marker, channel+" "+strconv.FormatInt(time.Now().Unix(), 10)); err != nil {
				return c, err
			}
			if err := a.pace(ctx, routePost, channel); err != nil {
				return c, err
			}
			m, err := a.api.ChannelMessageSendComplex(channel, &discordgo.MessageSend{Content: cardText(r),
				Embeds: []*discordgo.MessageEmbed{cardEmbed(r)}, Components: components(r),
				AllowedMentions: &discordgo.MessageAllowedMentions{}}, discordgo.WithContext(ctx))
			if err != nil {
				return c, err
			}
			c.Message = m.ID
			d.MarkSent("card")
		}
		if err := a.saveCard(ctx, r.ID, c); err != nil {
			return c, err
		}
	}
	if c.Thread == "" {
		if err := a.pace(ctx, routeThread, c.Channel); err != nil {
			return c, err
		}
		th, err := a.api.MessageThreadStartComplex(c.Channel, c.Message, &discordgo.ThreadStart{
			Name: clip(fmt.Sprintf("#%d %s", r.Number, r.Subject), 100), AutoArchiveDuration: 10080}, discordgo.WithContext(ctx))
		var re *discordgo.RESTError
		switch {
		case errors.As(err, &re) && re.Message != nil && re.Message.Code == discordgo.ErrCodeThreadAlreadyCreatedForThisMessage:
			c.Thread = c.Message // a thread started from a message has the message's ID
		case err != nil:
			return c, err
		default:
			c.Thread = th.ID
		}
		if err := a.saveCard(ctx, r.ID, c); err != nil {
			return c, err
		}
	}
	return c, nil
}

// findCard looks for the card of request requestID among the last hundred
// messages of channel. A history Discord will not show counts as not
// found: a second card is better than none.
func (a *Adapter) findCard(ctx context.Context, channel, requestID string) (string, error) {
	ms, err := a.api.ChannelMessages(channel, 100, "", "", "", discordgo.WithContext(ctx))
	var re *discordgo.RESTError
	if errors.As(err, &re) {
		a.log.Warn("discord: cannot look for a card that may have been posted; posting it", "channel", channel, "err", err)
		return "", nil
	} else if err != nil {
		return "", err
	}
	for _, m := range ms {
		for _, e := range m.Embeds {
			if e.Footer != nil && strings.HasPrefix(e.Footer.Text, cardFooter+requestID+" ") {
				return m.ID, nil
			}
		}
	}
	return "", nil
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
		return fmt.Sprintf("**%s** (customer) sent a file: %s", escape(d.ActorName), escape(d.File.Name))
	}
	return fmt.Sprintf("**%s** sent the customer a file: %s", escape(d.ActorName), escape(d.File.Name))
}

// line is what the thread shows of ev, "" for nothing. What technicians
// wrote in the thread itself is there already and is not echoed; a note
// written there gets a mark that it stayed private.
func (a *Adapter) line(ev core.Event) string {
	d := ev.Data
	fromDiscord := d.Origin != nil && d.Origin.Source == Platform
	who := escape(d.ActorName)
	switch ev.Type {
	case core.EventMessage:
		if fromDiscord {
			return ""
		}
		if ev.Actor.Kind == core.ActorCustomer {
			return fmt.Sprintf("**%s** (customer): %s", who, escape(d.Body))
		}
		return fmt.Sprintf("**%s** to the customer: %s", who, escape(d.Body))
	case core.EventFile:
		private := ev.Audience == core.AudienceTechnicians
		if fromDiscord && private {
			return fmt.Sprintf("🔒 The file %s by %s is kept as a private note; the customer does not see it.", escape(d.Body), who)
		} else if fromDiscord {
			return ""
		}
		link := escape(d.Body)
		if d.File != nil && a.cfg.PublicURL != "" {
			link = fmt.Sprintf("[%s](%s/console/api/files/%s) (%s)", escape(d.File.Name), a.cfg.PublicURL, url.PathEscape(d.File.ID),
				core.FormatBytes(d.File.Size))
		}
		if private {
			return fmt.Sprintf("🔒 **Private file** by %s: %s", who, link)
		}
		role := "(customer)"
		if ev.Actor.Kind != core.ActorCustomer {
			role = "to the customer"
		}
		return fmt.Sprintf("**%s** %s sent a file: %s", who, role, link)
	case core.EventNote:
		if fromDiscord {
			return fmt.Sprintf("🔒 Private note by %s saved; the customer does not see it.", who)
		}
		return fmt.Sprintf("🔒 **Private note** by %s: %s", who, escape(d.Body))
	case core.EventAssigned:
		return fmt.Sprintf("%s took the request.", escape(d.OwnerName))
	case core.EventUnassigned:
		return fmt.Sprintf("%s put the request back in the queue.", who)
	case core.EventTransferred:
		return fmt.Sprintf("%s handed the request over to %s.", who, escape(d.OwnerName))
	case core.EventJoined:
		return fmt.Sprintf("%s joined the chat: their messages in this thread now go to the customer.", who)
	case core.EventInvited:
		return fmt.Sprintf("%s invited %s into the chat.", who, escape(d.TechnicianName))
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
	case core.EventSystemInfoAsked:
		return fmt.Sprintf("%s asked the customer for their system details.", who)
	case core.EventSystemInfoGiven:
		return "The customer shared their system details; the card shows them."
	}
	return ""
}
