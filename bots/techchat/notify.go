package techchat

import (
	"context"
	"fmt"
	"net/url"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
)

// Technicians linked to the platform may ask for a direct message whenever
// a request is created for a company they serve while they are available
// (/support notify on|off).

// setNotify records t's choice.
func (c *Chat) setNotify(ctx context.Context, t core.Technician, on bool) (string, error) {
	text := "You will not get direct messages about new requests."
	if on {
		text = "You will get a direct message about each new request of your companies while you are available " +
			"(`/support status available`). `/support notify off` stops them."
	}
	return text, c.store.SetNotify(ctx, c.cfg.Name, t.ID, on)
}

// notify DMs the new request of ev to each available technician serving its
// company who opted in and is linked to the platform. A DM the platform
// refuses for good is skipped; a rate limit is returned, and the DMs
// already sent for this event are not sent again.
func (c *Chat) notify(ctx context.Context, d *dispatch.Delivery, channel string) error {
	ev := d.Event
	techs, err := c.store.AvailableTechnicians(ctx, ev.CompanyID)
	if err != nil {
		return err
	}
	var r *core.Request
	for _, t := range techs {
		part := "dm:" + t.ID
		if d.Sent(part) {
			continue
		}
		if on, err := c.store.Notify(ctx, c.cfg.Name, t.ID); err != nil {
			return err
		} else if !on {
			continue
		}
		id, err := c.store.IdentityOf(ctx, c.cfg.Name, t.ID)
		if core.ErrorCode(err) == core.CodeNotFound {
			continue
		} else if err != nil {
			return err
		}
		if r == nil {
			req, err := c.store.Request(ctx, ev.RequestID)
			if err != nil {
				return err
			}
			r = &req
		}
		err = c.p.DM(ctx, id.ExternalID, c.dmText(*r, channel))
		if err != nil && c.cfg.Refused(err) {
			c.log.Warn(c.cfg.Name+": cannot notify a technician by DM", "technician", t.ID, "err", err)
		} else if err != nil {
			return err
		}
		d.MarkSent(part)
	}
	return nil
}

func (c *Chat) dmText(r core.Request, channel string) string {
	where := "`/support list new` shows it."
	if channel != "" {
		where = fmt.Sprintf("Its card is in %s.", c.m.Channel(channel))
	}
	e := c.m.Escape
	return fmt.Sprintf("New request %s at %s from %s: %s\n%s", c.m.Bold(fmt.Sprintf("#%d", r.Number)), e(r.CompanyName),
		e(bots.CustomerText(r)), e(r.Subject), where)
}

// notifyInvitee DMs the technician ev invited, when they are linked to the
// platform: who invited them to which request, and where to find it. Unlike
// notify it needs no opt-in: an invitation is addressed to them. The part
// "invite-dm" keeps a retry of the event from sending it twice; the
// dispatcher's lease keeps a second process from delivering the event at
// all.
func (c *Chat) notifyInvitee(ctx context.Context, d *dispatch.Delivery, channel string) error {
	ev := d.Event
	const part = "invite-dm"
	if ev.Data.TechnicianID == "" || d.Sent(part) {
		return nil
	}
	id, err := c.store.IdentityOf(ctx, c.cfg.Name, ev.Data.TechnicianID)
	if core.ErrorCode(err) == core.CodeNotFound {
		return nil
	} else if err != nil {
		return err
	}
	r, err := c.store.Request(ctx, ev.RequestID)
	if err != nil {
		return err
	}
	err = c.p.DM(ctx, id.ExternalID, c.inviteText(r, ev.Data.ActorName, channel))
	if err != nil && c.cfg.Refused(err) {
		c.log.Warn(c.cfg.Name+": cannot tell an invited technician by DM", "technician", ev.Data.TechnicianID, "err", err)
	} else if err != nil {
		return err
	}
	d.MarkSent(part)
	return nil
}

// inviteText is the invitee's DM: the request's number, company, customer
// and subject, its card's thread when there is one, and its page in the
// console.
func (c *Chat) inviteText(r core.Request, by, channel string) string {
	e := c.m.Escape
	text := fmt.Sprintf("%s invited you into the chat of request %s at %s from %s: %s", e(by),
		c.m.Bold(fmt.Sprintf("#%d", r.Number)), e(r.CompanyName), e(bots.CustomerText(r)), e(r.Subject))
	if channel != "" {
		text += fmt.Sprintf("\nIts card is in %s; the card's thread is the chat.", c.m.Channel(channel))
	}
	if c.cfg.PublicURL != "" {
		text += "\n" + c.m.Link(c.cfg.PublicURL+"/console?request="+url.QueryEscape(r.ID), "Open it in the console")
	}
	return text
}
