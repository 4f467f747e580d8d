// Platform events already handled, so that a platform's retry gets the first answer.

package sqlstore

import (
	"context"
	"time"

	"github.com/relaydesk/relaydesk/core"
)

func (q queries) Inbound(ctx context.Context, key core.Idempotency) (string, error) {
	var result string
	err := q.get(ctx, &result, "inbound event", `SELECT result FROM inbound WHERE source = ? AND external_id = ?`, key.Source, key.ExternalID)
	return result, err
}

func (t *txn) ClaimInbound(ctx context.Context, key core.Idempotency, result string) (string, bool, error) {
	n, err := t.exec(ctx, "record inbound event", `INSERT INTO inbound (source, external_id, result, created_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (source, external_id) DO NOTHING`, key.Source, key.ExternalID, result, us(time.Now()))
	if err != nil {
		return "", false, err
	}
	if n == 1 {
		return result, false, nil
	}
	prev, err := t.Inbound(ctx, key)
	return prev, true, err
}
