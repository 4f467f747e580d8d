package sqlstore

import (
	"context"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
)

// ErrLeaseLost means another process took over a destination's cursor: its
// lease ran out. The dispatcher stops delivering and tries to lease again.
var ErrLeaseLost = dispatch.ErrLeaseLost

// write runs one autocommit statement, serialised with this process's other
// SQLite writers.
func (s *Store) write(ctx context.Context, what, query string, args ...any) (int64, error) {
	if s.d.name == "sqlite" {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	return s.exec(ctx, what, query, args...)
}

// EnsureCursor creates a destination's cursor if it has none: at the start
// of the log, or at its current end so that a destination added to a running
// desk is not flooded with history.
func (s *Store) EnsureCursor(ctx context.Context, dest string, fromStart bool) error {
	var pos core.Position
	if !fromStart {
		var err error
		if pos, err = s.LogEnd(ctx); err != nil {
			return err
		}
	}
	_, err := s.write(ctx, "create dispatch cursor", `INSERT INTO dispatch_cursors (destination, txid, seq, updated_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (destination) DO NOTHING`, dest, pos.TxID, pos.Seq, us(time.Now()))
	return err
}

// Lease makes owner the only process serving dest until now+ttl (renewed by
// every Advance) if nobody else holds it, and returns the cursor.
func (s *Store) Lease(ctx context.Context, dest, owner string, ttl time.Duration) (core.Position, bool, error) {
	now := time.Now()
	n, err := s.write(ctx, "lease dispatch cursor", `UPDATE dispatch_cursors SET lease_owner = ?, lease_until = ?
		WHERE destination = ? AND (lease_owner = ? OR lease_owner = '' OR lease_until < ?)`,
		owner, us(now.Add(ttl)), dest, owner, us(now))
	if err != nil || n == 0 {
		return core.Position{}, false, err
	}
	var r struct {
		TxID int64 `db:"txid"`
		Seq  int64 `db:"seq"`
	}
	err = s.get(ctx, &r, "dispatch cursor", `SELECT txid, seq FROM dispatch_cursors WHERE destination = ?`, dest)
	return core.Position{TxID: r.TxID, Seq: r.Seq}, err == nil, err
}

// Advance moves dest's cursor to pos and renews the lease, if owner still
// holds it; otherwise it fails with ErrLeaseLost.
func (s *Store) Advance(ctx context.Context, dest, owner string, pos core.Position, ttl time.Duration) error {
	now := time.Now()
	n, err := s.write(ctx, "advance dispatch cursor", `UPDATE dispatch_cursors SET txid = ?, seq = ?, lease_until = ?,
		updated_at = ? WHERE destination = ? AND lease_owner = ?`, pos.TxID, pos.Seq, us(now.Add(ttl)), us(now), dest, owner)
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrLeaseLost
	}
	return nil
}

// Release gives up owner's lease on dest so another process may take over
// at once.
func (s *Store) Release(ctx context.Context, dest, owner string) error {
	_, err := s.write(ctx, "release dispatch cursor", `UPDATE dispatch_cursors SET lease_owner = '', lease_until = 0
		WHERE destination = ? AND lease_owner = ?`, dest, owner)
	return err
}

// RecordFailure keeps an event a destination refused for good, for operators.
func (s *Store) RecordFailure(ctx context.Context, dest string, e core.Event, reason string, attempts int) error {
	_, err := s.write(ctx, "record failed delivery", `INSERT INTO dispatch_failures (destination, txid, seq, request_id,
		error, attempts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (destination, txid, seq) DO NOTHING`,
		dest, e.Pos.TxID, e.Pos.Seq, e.RequestID, reason, attempts, us(time.Now()))
	return err
}

// Cursor returns dest's position, for metrics and tests.
func (s *Store) Cursor(ctx context.Context, dest string) (core.Position, error) {
	var r struct {
		TxID int64 `db:"txid"`
		Seq  int64 `db:"seq"`
	}
	err := s.get(ctx, &r, "dispatch cursor", `SELECT txid, seq FROM dispatch_cursors WHERE destination = ?`, dest)
	return core.Position{TxID: r.TxID, Seq: r.Seq}, err
}
