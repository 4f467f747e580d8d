package sqlstore

import (
	"context"

	"github.com/relaydesk/relaydesk/core"
)

// QueueChannel is the company's queue channel on the platform.
func (q queries) QueueChannel(ctx context.Context, platform, companyID string) (string, error) {
	var ch string
	err := q.get(ctx, &ch, "queue channel", `SELECT channel FROM platform_channels WHERE platform = ? AND company_id = ?`,
		platform, companyID)
	return ch, err
}

// ChannelCompany is the company whose queue the platform's channel is.
func (q queries) ChannelCompany(ctx context.Context, platform, channel string) (string, error) {
	var id string
	err := q.get(ctx, &id, "queue channel", `SELECT company_id FROM platform_channels WHERE platform = ? AND channel = ?`,
		platform, channel)
	return id, err
}

// BindChannel replaces the company's queue channel on the platform, after
// taking the channel from any other company.
func (t *txn) BindChannel(ctx context.Context, b core.ChannelBinding) error {
	if _, err := t.exec(ctx, "free queue channel", `DELETE FROM platform_channels WHERE platform = ? AND channel = ? AND company_id <> ?`,
		b.Platform, b.Channel, b.CompanyID); err != nil {
		return err
	}
	_, err := t.exec(ctx, "bind queue channel", `INSERT INTO platform_channels (platform, company_id, channel, bound_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (platform, company_id) DO UPDATE SET channel = excluded.channel, bound_at = excluded.bound_at`,
		b.Platform, b.CompanyID, b.Channel, us(b.BoundAt))
	return err
}
