package sqlstore

import "context"

// LogReadPlan is how the database runs EventsAfter's query, as EXPLAIN
// QUERY PLAN says (SQLite only).
func LogReadPlan(ctx context.Context, s *Store) ([]string, error) {
	var rows []struct {
		ID      int    `db:"id"`
		Parent  int    `db:"parent"`
		NotUsed int    `db:"notused"`
		Detail  string `db:"detail"`
	}
	if err := s.db.SelectContext(ctx, &rows, `EXPLAIN QUERY PLAN `+s.eventsAfterSQL(), 0, 1, 100); err != nil {
		return nil, err
	}
	var out []string
	for _, r := range rows {
		out = append(out, r.Detail)
	}
	return out, nil
}

// What a NOTIFY carries, and the limits it keeps to.
var (
	Payloads  = payloads
	Announced = announced
)

const (
	MaxPayload  = maxPayload
	MaxNotifies = maxNotifies
)

// SchemaKey is the SQL of a leader lock's key in the connection's schema.
const SchemaKey = schemaKey

// How a signal travels between processes.
var (
	EncodeTyping = encodeTyping
	DecodeTyping = decodeTyping
)

const (
	MaxSignalPayload = maxSignalPayload
	MaxSignalName    = maxSignalName
)

// Channels are the NOTIFY channels of a schema's desk.
var Channels = channels

// MigrateLock is the advisory lock key Migrate takes, before SchemaKey.
const MigrateLock = migrateLock
