package core

import (
	"context"
	"strings"
	"time"
)

// ChannelBinding makes a technician platform's channel a company's queue:
// each new request of the company gets a card there, and the card's
// thread is its chat.
type ChannelBinding struct {
	Platform  string
	CompanyID string
	Channel   string
	BoundAt   time.Time
}

// BindChannel makes channel the queue of a company on a technician
// platform. Only admins bind; a company has one queue channel per
// platform and a channel is the queue of one company, so binding moves
// either side away from its former partner, in one transaction.
func (e *Engine) BindChannel(ctx context.Context, by Actor, platform, companyID, channel string) (Company, error) {
	platform, channel = strings.TrimSpace(platform), strings.TrimSpace(channel)
	if platform == "" || channel == "" {
		return Company{}, Errorf(CodeInvalid, "name the platform and the channel")
	}
	var co Company
	err := e.update(ctx, func(tx Tx) error {
		if err := mustAdmin(ctx, tx, by); ErrorCode(err) == CodeForbidden {
			return Errorf(CodeForbidden, "only relaydesk admins bind a company to a channel")
		} else if err != nil {
			return err
		}
		var err error
		if co, err = tx.Company(ctx, companyID); err != nil {
			return Errorf(CodeNotFound, "there is no such company")
		}
		return tx.BindChannel(ctx, ChannelBinding{Platform: platform, CompanyID: co.ID, Channel: channel, BoundAt: e.now().UTC()})
	})
	return co, err
}
