package slack

import (
	"context"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/core"
)

// What the adapter keeps in bots.State, by name:
//
//	slack:card:<request ID>         "<channel> <ts>" of the request's card
//	slack:posting:<request ID>      "<channel> <unix seconds>": its card is being posted there
//	slack:thread:<channel>:<ts>     the request whose card that message is
//	slack:link:<sha256 of a code>   "<technician ID> <expiry, unix seconds>" or "used"

// card is where a request's card is: its message is also its thread's root.
type card struct{ Channel, TS string }

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

// channelCompany is the company whose queue a channel is.
func (a *Adapter) channelCompany(ctx context.Context, channel string) (string, bool, error) {
	return bots.ChannelCompany(ctx, a.store, Platform, channel)
}

func (a *Adapter) cardOf(ctx context.Context, requestID string) (card, bool, error) {
	v, ok, err := a.get(ctx, "slack:card:"+requestID)
	if !ok || err != nil {
		return card{}, false, err
	}
	ch, ts, _ := strings.Cut(v, " ")
	return card{ch, ts}, true, nil
}

func (a *Adapter) saveCard(ctx context.Context, requestID string, c card) error {
	if err := a.cfg.State.SetBotState(ctx, "slack:thread:"+c.Channel+":"+c.TS, requestID); err != nil {
		return err
	}
	return a.cfg.State.SetBotState(ctx, "slack:card:"+requestID, c.Channel+" "+c.TS)
}

// threadRequest is the request whose card is the message ts of channel.
func (a *Adapter) threadRequest(ctx context.Context, channel, ts string) (string, bool, error) {
	return a.get(ctx, "slack:thread:"+channel+":"+ts)
}

// LinkCodeTTL is how long a link code works.
const LinkCodeTTL = bots.LinkCodeTTL

// NewLinkCode returns a one-time code that links the Slack account that
// sends "/support link CODE" to technician techID within ttl.
func NewLinkCode(ctx context.Context, st bots.State, techID string, ttl time.Duration) (string, error) {
	return bots.NewLinkCode(ctx, st, Platform, techID, ttl)
}

// redeem links Slack user userID to the technician code was made for.
func (a *Adapter) redeem(ctx context.Context, userID, code string) (core.Technician, error) {
	return bots.RedeemLinkCode(ctx, a.cfg.State, a.store, a.eng, Platform, userID, code)
}

// technician is the relaydesk technician a Slack user is linked to.
func (a *Adapter) technician(ctx context.Context, userID string) (core.Technician, bool, error) {
	return bots.LinkedTechnician(ctx, a.store, Platform, userID)
}
