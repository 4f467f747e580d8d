package discord

import (
	"context"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/core"
)

// What the adapter keeps in bots.State, by name:
//
//	discord:card:<request ID>         "<channel> <message> <thread>" of the request's card
//	discord:posting:<request ID>      "<channel> <unix seconds>": its card is being posted there
//	discord:thread:<thread>           the request whose chat that thread is
//	discord:link:<sha256 of a code>   "<technician ID> <expiry, unix seconds>" or "used"
//	discord:notify:<technician ID>    "on" for DMs about new requests

// card is where a request's card is, and its thread (whose ID Discord
// makes the card message's ID; "" until started).
type card struct{ Channel, Message, Thread string }

func (a *Adapter) get(ctx context.Context, name string) (string, bool, error) {
	v, err := a.cfg.State.BotState(ctx, name)
	if core.ErrorCode(err) == core.CodeNotFound {
		return "", false, nil
	}
	return v, err == nil, err
}

// queueChannel is the channel a company's cards go to.
func (a *Adapter) queueChannel(ctx context.Context, companyID string) (string, bool, error) {
	return bots.QueueChannel(ctx, a.store, Platform, companyID)
}

// channelCompany is the company whose queue a channel is; in a card's
// thread, the request's company.
func (a *Adapter) channelCompany(ctx context.Context, channel string) (string, bool, error) {
	if id, ok, err := bots.ChannelCompany(ctx, a.store, Platform, channel); ok || err != nil {
		return id, ok, err
	}
	reqID, ok, err := a.threadRequest(ctx, channel)
	if !ok || err != nil {
		return "", false, err
	}
	r, err := a.store.Request(ctx, reqID)
	return r.CompanyID, err == nil, err
}

func (a *Adapter) cardOf(ctx context.Context, requestID string) (card, bool, error) {
	v, ok, err := a.get(ctx, "discord:card:"+requestID)
	if !ok || err != nil {
		return card{}, false, err
	}
	f := strings.Fields(v)
	for len(f) < 3 {
		f = append(f, "")
	}
	return card{f[0], f[1], f[2]}, true, nil
}

func (a *Adapter) saveCard(ctx context.Context, requestID string, c card) error {
	if c.Thread != "" {
		if err := a.cfg.State.SetBotState(ctx, "discord:thread:"+c.Thread, requestID); err != nil {
			return err
		}
	}
	return a.cfg.State.SetBotState(ctx, "discord:card:"+requestID, strings.TrimSpace(c.Channel+" "+c.Message+" "+c.Thread))
}

// threadRequest is the request whose chat the thread is.
func (a *Adapter) threadRequest(ctx context.Context, thread string) (string, bool, error) {
	return a.get(ctx, "discord:thread:"+thread)
}

// LinkCodeTTL is how long a link code works.
const LinkCodeTTL = bots.LinkCodeTTL

// NewLinkCode returns a one-time code that links the Discord account that
// sends "/support link CODE" to technician techID within ttl.
func NewLinkCode(ctx context.Context, st bots.State, techID string, ttl time.Duration) (string, error) {
	return bots.NewLinkCode(ctx, st, Platform, techID, ttl)
}

// redeem links Discord user userID to the technician code was made for.
func (a *Adapter) redeem(ctx context.Context, userID, code string) (core.Technician, error) {
	return bots.RedeemLinkCode(ctx, a.cfg.State, a.store, a.eng, Platform, userID, code)
}

// technician is the relaydesk technician a Discord user is linked to.
func (a *Adapter) technician(ctx context.Context, userID string) (core.Technician, bool, error) {
	return bots.LinkedTechnician(ctx, a.store, Platform, userID)
}
