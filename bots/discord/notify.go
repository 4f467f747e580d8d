package discord

import (
	"context"
	"errors"
	"fmt"

	"github.com/bwmarrin/discordgo"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
)

// Technicians linked to Discord may ask for a direct message whenever a
// request is created for a company they serve while they are available
// (/support notify on|off), kept as discord:notify:<technician ID> = "on".

func notifyName(techID string) string { return "discord:notify:" + techID }

// setNotify records t's choice.
func (a *Adapter) setNotify(ctx context.Context, t core.Technician, on bool) (string, error) {
	v, text := "off", "You will not get direct messages about new requests."
	if on {
		v, text = "on", "You will get a direct message about each new request of your companies while you are available "+
			"(`/support status available`). `/support notify off` stops them."
	}
	return text, a.cfg.State.SetBotState(ctx, notifyName(t.ID), v)
}

// notify DMs the new request of ev to each available technician serving
// its company who opted in and is linked to Discord. A DM Discord refuses
// for good (DMs closed) is skipped; a rate limit is returned, and the DMs
// already sent for this event are not sent again.
func (a *Adapter) notify(ctx context.Context, d *dispatch.Delivery, channel string) error {
	ev := d.Event
	techs, err := a.store.AvailableTechnicians(ctx, ev.CompanyID)
	if err != nil {
		return err
	}
	var r *core.Request
	for _, t := range techs {
		part := "dm:" + t.ID
		if d.Sent(part) {
			continue
		}
		if on, _, err := a.get(ctx, notifyName(t.ID)); err != nil {
			return err
		} else if on != "on" {
			continue
		}
		id, err := a.store.IdentityOf(ctx, Platform, t.ID)
		if core.ErrorCode(err) == core.CodeNotFound {
			continue
		} else if err != nil {
			return err
		}
		if r == nil {
			req, err := a.store.Request(ctx, ev.RequestID)
			if err != nil {
				return err
			}
			r = &req
		}
		err = a.dm(ctx, id.ExternalID, dmText(*r, channel))
		var re *discordgo.RESTError
		if errors.As(err, &re) && re.Response != nil && permanent(re) {
			a.log.Warn("discord: cannot notify a technician by DM", "technician", t.ID, "err", err)
		} else if err != nil {
			return err
		}
		d.MarkSent(part)
	}
	return nil
}

// dm sends text to Discord user user in their direct conversation with the bot.
func (a *Adapter) dm(ctx context.Context, user, text string) error {
	if err := a.pace(ctx, routeGlobal, ""); err != nil {
		return err
	}
	ch, err := a.api.UserChannelCreate(user, discordgo.WithContext(ctx))
	if err != nil {
		return err
	}
	if err := a.pace(ctx, routePost, ch.ID); err != nil {
		return err
	}
	_, err = a.api.ChannelMessageSendComplex(ch.ID, &discordgo.MessageSend{Content: clip(text, 2000),
		AllowedMentions: &discordgo.MessageAllowedMentions{}}, discordgo.WithContext(ctx))
	return err
}

func dmText(r core.Request, channel string) string {
	where := "`/support list new` shows it."
	if channel != "" {
		where = fmt.Sprintf("Its card is in <#%s>.", channel)
	}
	return fmt.Sprintf("New request **#%d** at %s from %s: %s\n%s", r.Number, escape(r.CompanyName), escape(bots.CustomerText(r)),
		escape(r.Subject), where)
}
