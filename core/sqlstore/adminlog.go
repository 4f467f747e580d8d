// The admin log: who changed the desk's companies and technicians.

package sqlstore

import (
	"context"

	"github.com/relaydesk/relaydesk/core"
)

type adminEntryRow struct {
	Seq        int64  `db:"seq"`
	ActorKind  string `db:"actor_kind"`
	ActorID    string `db:"actor_id"`
	ActorName  string `db:"actor_name"`
	Action     string `db:"action"`
	TargetKind string `db:"target_kind"`
	TargetID   string `db:"target_id"`
	TargetName string `db:"target_name"`
	Detail     string `db:"detail"`
	CreatedAt  int64  `db:"created_at"`
}

func (t *txn) AppendAdminLog(ctx context.Context, e core.AdminEntry) error {
	_, err := t.exec(ctx, "write the admin log", `INSERT INTO admin_log (actor_kind, actor_id, actor_name, action,
		target_kind, target_id, target_name, detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Actor.Kind, e.Actor.ID, e.ActorName, e.Action, e.TargetKind, e.TargetID, e.TargetName, e.Detail, us(e.At))
	return err
}

// AdminLog returns the latest limit entries, newest first.
func (q queries) AdminLog(ctx context.Context, limit int) ([]core.AdminEntry, error) {
	var rows []adminEntryRow
	if err := q.sel(ctx, &rows, "admin log", `SELECT seq, actor_kind, actor_id, actor_name, action, target_kind,
		target_id, target_name, detail, created_at FROM admin_log ORDER BY seq DESC LIMIT ?`, limit); err != nil {
		return nil, err
	}
	out := make([]core.AdminEntry, len(rows))
	for i, r := range rows {
		out[i] = core.AdminEntry{Seq: r.Seq, Actor: core.Actor{Kind: core.ActorKind(r.ActorKind), ID: r.ActorID},
			ActorName: r.ActorName, Action: r.Action, TargetKind: r.TargetKind, TargetID: r.TargetID,
			TargetName: r.TargetName, Detail: r.Detail, At: fromUS(r.CreatedAt)}
	}
	return out, nil
}
