package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/relaydesk/relaydesk/core"
)

func (r eventRow) core() (core.Event, error) {
	e := core.Event{Pos: core.Position{TxID: r.TxID, Seq: r.Seq}, RequestID: r.RequestID, CompanyID: r.CompanyID,
		RSeq: r.RSeq, Type: core.EventType(r.Type), Actor: core.Actor{Kind: core.ActorKind(r.ActorKind), ID: r.ActorID},
		Audience: core.Audience(r.Audience), CreatedAt: fromUS(r.CreatedAt)}
	if err := json.Unmarshal([]byte(r.Data), &e.Data); err != nil {
		return e, fmt.Errorf("decode event %d: %w", r.Seq, err)
	}
	return e, nil
}

func decodeEvents(rows []eventRow) ([]core.Event, error) {
	out := make([]core.Event, len(rows))
	for i, r := range rows {
		var err error
		if out[i], err = r.core(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RequestEvents returns one request's events after rseq after. A request's
// events are appended under its row lock, so rseq order is commit order.
func (q queries) RequestEvents(ctx context.Context, requestID string, after int64, limit int) ([]core.Event, error) {
	var rows []eventRow
	if err := q.sel(ctx, &rows, "events", `SELECT `+eventCols+` FROM events WHERE request_id = ? AND rseq > ?
		ORDER BY rseq LIMIT ?`, requestID, after, limit); err != nil {
		return nil, err
	}
	return decodeEvents(rows)
}

// EventsAfter returns up to limit events after pos in log order, only from
// transactions older than every one still running (see the events table).
// held reports that later events exist but wait for such a transaction: the
// caller should look again shortly.
func (s queries) EventsAfter(ctx context.Context, pos core.Position, limit int) (evs []core.Event, held bool, err error) {
	var rows []eventRow
	if err := s.sel(ctx, &rows, "events", s.eventsAfterSQL(), pos.TxID, pos.Seq, limit); err != nil {
		return nil, false, err
	}
	if evs, err = decodeEvents(rows); err != nil {
		return nil, false, err
	}
	if len(evs) == limit || s.d.name != "postgres" {
		return evs, false, nil
	}
	if len(evs) > 0 {
		pos = evs[len(evs)-1].Pos
	}
	var n int
	err = s.get(ctx, &n, "events", `SELECT COUNT(*) FROM (SELECT 1 FROM events WHERE (txid, seq) > (?, ?) LIMIT 1) x`, pos.TxID, pos.Seq)
	return evs, n > 0, err
}

func (s queries) eventsAfterSQL() string {
	return `SELECT ` + eventCols + ` FROM events WHERE ` + s.d.logAfter + ` AND ` + s.d.horizon + ` ORDER BY txid, seq LIMIT ?`
}

// LogEnd returns the position of the last event in the log.
func (s queries) LogEnd(ctx context.Context) (core.Position, error) {
	var r struct {
		TxID int64 `db:"txid"`
		Seq  int64 `db:"seq"`
	}
	err := s.get(ctx, &r, "event", `SELECT txid, seq FROM events ORDER BY txid DESC, seq DESC LIMIT 1`)
	if core.ErrorCode(err) == core.CodeNotFound {
		return core.Position{}, nil
	}
	return core.Position{TxID: r.TxID, Seq: r.Seq}, err
}
