// Appending to the event log; events.go reads it.

package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/hub"
)

type eventRow struct {
	Seq       int64  `db:"seq"`
	TxID      int64  `db:"txid"`
	RequestID string `db:"request_id"`
	CompanyID string `db:"company_id"`
	RSeq      int64  `db:"rseq"`
	Type      string `db:"type"`
	ActorKind string `db:"actor_kind"`
	ActorID   string `db:"actor_id"`
	Audience  string `db:"audience"`
	Data      string `db:"data"`
	CreatedAt int64  `db:"created_at"`
}

const eventCols = `seq, txid, request_id, company_id, rseq, type, actor_kind, actor_id, audience, data, created_at`

func (t *txn) AppendEvent(ctx context.Context, e core.Event) error {
	data, err := json.Marshal(e.Data)
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	_, err = t.exec(ctx, "append event", `INSERT INTO events (txid, request_id, company_id, rseq, type, actor_kind,
		actor_id, audience, data, created_at) VALUES (`+t.d.txid+`, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.RequestID, e.CompanyID, e.RSeq, e.Type, e.Actor.Kind, e.Actor.ID, e.Audience, string(data), us(e.CreatedAt))
	if err == nil {
		t.touch(hub.Request(e.RequestID))
		t.touch(hub.Company(e.CompanyID))
	}
	return err
}
