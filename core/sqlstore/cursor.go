package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
)

// ErrLeaseLost means another process took over a destination's cursor: its
// lease ran out. The dispatcher stops scanning and tries to lease again.
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

// inTx runs fn in one transaction of delivery bookkeeping (no events),
// serialised with this process's other SQLite writers. Its commit does not
// wait for the disk: bookkeeping lost to a power cut or a database crash
// only makes some events go out again (delivery is at least once anyway),
// and waiting for an fsync before every delivery would add milliseconds to
// each message's way. The next durable commit makes it durable too.
func (s *Store) inTx(ctx context.Context, what string, fn func(q queries) error) (err error) {
	var tx *sqlx.Tx
	if s.d.name == "sqlite" {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
		conn, err := s.db.Connx(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = NORMAL"); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		defer func() {
			// The connection goes back to the pool: it must be durable again,
			// or be thrown away.
			if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA synchronous = FULL"); rerr != nil {
				conn.Raw(func(any) error { return driver.ErrBadConn })
			}
		}()
		if tx, err = conn.BeginTxx(ctx, nil); err != nil {
			return fmt.Errorf("%s: begin transaction: %w", what, err)
		}
	} else {
		if tx, err = s.db.BeginTxx(ctx, nil); err != nil {
			return fmt.Errorf("%s: begin transaction: %w", what, err)
		}
		if _, err := tx.ExecContext(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
			tx.Rollback()
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	if err := fn(queries{ext: tx, d: s.d, tx: true, sqltx: tx, stmts: s.stmts}); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", what, err)
	}
	return nil
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

// Lease makes owner the only process scanning dest's log until now+ttl
// (renewed by every Advance) if nobody else holds it, and returns the cursor.
func (s *Store) Lease(ctx context.Context, dest, owner string, ttl time.Duration) (core.Position, bool, error) {
	now := time.Now()
	n, err := s.write(ctx, "lease dispatch cursor", `UPDATE dispatch_cursors SET lease_owner = ?, lease_until = ?
		WHERE destination = ? AND (lease_owner = ? OR lease_owner = '' OR lease_until < ?)`,
		owner, us(now.Add(ttl)), dest, owner, us(now))
	if err != nil || n == 0 {
		return core.Position{}, false, err
	}
	pos, err := s.Cursor(ctx, dest)
	return pos, err == nil, err
}

// Advance moves dest's cursor to pos and renews the lease, if owner still
// holds it (otherwise ErrLeaseLost), and raises the pending mark of each
// conversation in pending, all in one transaction; with claim > 0 it then
// claims up to that many ready conversations for owner, as Claim does, so
// that new work costs no second transaction. A conversation new to dest
// starts after the request's events that the stored cursor had already
// passed: those were handled before conversations were recorded, or belong
// to the time before the destination existed. (The scanner may move on in
// memory past events it does not want; a conversation then starts at the
// stored cursor, earlier, and its lane passes those events to the
// destination, which decides about them again.)
func (s *Store) Advance(ctx context.Context, dest, owner string, pos core.Position, ttl time.Duration, pending []dispatch.Pending, claim int) ([]dispatch.Conv, error) {
	now := time.Now()
	var claimed []claimRow
	err := s.inTx(ctx, "advance dispatch cursor", func(q queries) error {
		var old struct {
			TxID int64 `db:"txid"`
			Seq  int64 `db:"seq"`
		}
		err := q.get(ctx, &old, "dispatch cursor", `SELECT txid, seq FROM dispatch_cursors
			WHERE destination = ? AND lease_owner = ?`+s.d.forUpdateRow, dest, owner)
		if core.ErrorCode(err) == core.CodeNotFound {
			return ErrLeaseLost
		} else if err != nil {
			return err
		}
		// Rows are locked in request order by every writer, so that two
		// processes' bookkeeping never deadlocks on PostgreSQL.
		pending = slices.SortedFunc(slices.Values(pending), func(a, b dispatch.Pending) int { return cmp.Compare(a.RequestID, b.RequestID) })
		for _, p := range pending {
			// WHERE true: SQLite needs it to read ON CONFLICT after INSERT ... SELECT.
			if _, err := q.exec(ctx, "record pending conversation", `INSERT INTO dispatch_convs
				(destination, request_id, pending, since, delivered, updated_at)
				SELECT ?, ?, ?, passed, passed, ? FROM (SELECT COALESCE(MAX(rseq), 0) AS passed FROM events
					WHERE request_id = ? AND (txid, seq) <= (?, ?)) p WHERE true
				ON CONFLICT (destination, request_id) DO UPDATE SET pending = `+s.d.greatest+`(dispatch_convs.pending, excluded.pending),
				updated_at = excluded.updated_at`,
				dest, p.RequestID, p.Last, us(now), p.RequestID, old.TxID, old.Seq); err != nil {
				return err
			}
		}
		if _, err = q.exec(ctx, "advance dispatch cursor", `UPDATE dispatch_cursors SET txid = ?, seq = ?, lease_until = ?,
			updated_at = ? WHERE destination = ? AND lease_owner = ?`, pos.TxID, pos.Seq, us(now.Add(ttl)), us(now), dest, owner); err != nil {
			return err
		}
		if len(pending) == 0 || claim <= 0 {
			return nil
		}
		claimed, err = s.claim(ctx, q, dest, owner, claim, ttl, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(pending) > len(claimed) {
		s.publish(nil) // the dispatchers of other processes may claim the rest
	}
	return convs(claimed), nil
}

// Release gives up owner's lease on dest's cursor so another process may
// take over at once.
func (s *Store) Release(ctx context.Context, dest, owner string) error {
	_, err := s.write(ctx, "release dispatch cursor", `UPDATE dispatch_cursors SET lease_owner = '', lease_until = 0
		WHERE destination = ? AND lease_owner = ?`, dest, owner)
	return err
}

type claimRow struct {
	RequestID string `db:"request_id"`
	Delivered int64  `db:"delivered"`
	Attempts  int    `db:"attempts"`
	NextAt    int64  `db:"next_at"`
	UpdatedAt int64  `db:"updated_at"`
}

// Claim leases to owner up to n of dest's conversations that have events
// to deliver, are due, and are not held by a live process: the longest
// waiting first. When it claims fewer than n, it also returns when the next
// free conversation that is not due yet becomes due (zero if none). Processes claiming at once skip each other's rows. A row
// whose lease owner let lapse is taken over, unless owner is the one: its
// lane may still be at work, and releases it when done.
func (s *Store) Claim(ctx context.Context, dest, owner string, n int, ttl time.Duration) ([]dispatch.Conv, time.Time, error) {
	var rows []claimRow
	var next struct {
		At sql.NullInt64 `db:"at"`
	}
	now := time.Now()
	err := s.inTx(ctx, "claim conversations", func(q queries) error {
		var err error
		if rows, err = s.claim(ctx, q, dest, owner, n, ttl, now); err != nil || len(rows) == n {
			return err // a full claim: the claimer asks again at once anyway
		}
		// When the next conversation waiting for its time (a retry, the
		// platform's pace in another process) is due: the claimer looks
		// again then rather than at its next poll.
		return q.get(ctx, &next, "next due conversation", `SELECT MIN(next_at) AS at FROM dispatch_convs
			WHERE destination = ? AND delivered < pending AND next_at > ? AND lease_owner = ''`, dest, us(now))
	})
	if err != nil {
		return nil, time.Time{}, err
	}
	var due time.Time
	if next.At.Valid {
		due = time.UnixMicro(next.At.Int64)
	}
	return convs(rows), due, nil
}

// claim is Claim inside a transaction.
func (s *Store) claim(ctx context.Context, q queries, dest, owner string, n int, ttl time.Duration, now time.Time) ([]claimRow, error) {
	var rows []claimRow
	// Among conversations due at the same moment (all waiting for one
	// channel's next turn), the one whose row changed longest ago goes
	// first: the one that was just served waits for the others.
	err := q.sel(ctx, &rows, "claimed conversations", `UPDATE dispatch_convs SET lease_owner = ?, lease_until = ?
		WHERE destination = ? AND request_id IN (SELECT request_id FROM dispatch_convs
			WHERE destination = ? AND delivered < pending AND next_at <= ?
			AND (lease_owner = '' OR (lease_until < ? AND lease_owner <> ?))
			ORDER BY next_at, updated_at LIMIT ?`+s.d.skipLocked+`)
		RETURNING request_id, delivered, attempts, next_at, updated_at`,
		owner, us(now.Add(ttl)), dest, dest, us(now), us(now), owner, n)
	return rows, err
}

// convs turns claimed rows into conversations, in the order their lanes
// start (RETURNING keeps none).
func convs(rows []claimRow) []dispatch.Conv {
	slices.SortFunc(rows, func(a, b claimRow) int {
		return cmp.Or(cmp.Compare(a.NextAt, b.NextAt), cmp.Compare(a.UpdatedAt, b.UpdatedAt))
	})
	out := make([]dispatch.Conv, len(rows))
	for i, r := range rows {
		out[i] = dispatch.Conv{RequestID: r.RequestID, Delivered: r.Delivered, Attempts: r.Attempts}
	}
	return out
}

// Settle records the progress of conversations owner holds, in one
// transaction. A row another process has taken over meanwhile is left alone.
func (s *Store) Settle(ctx context.Context, dest, owner string, ps []dispatch.Progress) error {
	now := us(time.Now())
	ps = slices.SortedFunc(slices.Values(ps), func(a, b dispatch.Progress) int { return cmp.Compare(a.RequestID, b.RequestID) })
	return s.inTx(ctx, "record delivery progress", func(q queries) error {
		for _, p := range ps {
			var next int64
			if p.Release {
				next = us(p.NextAt)
			}
			if _, err := q.exec(ctx, "record delivery progress", `UPDATE dispatch_convs SET
				delivered = `+s.d.greatest+`(delivered, ?), attempts = ?, last_error = ?,
				used = CASE WHEN ? = 1 THEN 1 ELSE used END,
				lease_owner = CASE WHEN ? = 1 THEN '' ELSE lease_owner END,
				lease_until = CASE WHEN ? = 1 THEN 0 ELSE lease_until END,
				next_at = ?, updated_at = ?
				WHERE destination = ? AND request_id = ? AND lease_owner = ?`,
				p.Delivered, p.Attempts, p.Error, bit(p.Used), bit(p.Release), bit(p.Release), next, now,
				dest, p.RequestID, owner); err != nil {
				return err
			}
		}
		return nil
	})
}

func bit(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Renew extends owner's leases on dest's conversations and its membership,
// forgets members that stopped renewing, and counts the live ones.
func (s *Store) Renew(ctx context.Context, dest, owner string, ttl time.Duration) (int, error) {
	now := time.Now()
	var n int
	err := s.inTx(ctx, "renew delivery leases", func(q queries) error {
		if s.d.name == "postgres" { // lock in request order, as every writer does
			var ids []string
			if err := q.sel(ctx, &ids, "held conversations", `SELECT request_id FROM dispatch_convs
				WHERE destination = ? AND lease_owner = ? ORDER BY request_id FOR UPDATE`, dest, owner); err != nil {
				return err
			}
		}
		if _, err := q.exec(ctx, "renew delivery leases", `UPDATE dispatch_convs SET lease_until = ?
			WHERE destination = ? AND lease_owner = ?`, us(now.Add(ttl)), dest, owner); err != nil {
			return err
		}
		if _, err := q.exec(ctx, "renew membership", `INSERT INTO dispatch_members (destination, owner, until) VALUES (?, ?, ?)
			ON CONFLICT (destination, owner) DO UPDATE SET until = excluded.until`, dest, owner, us(now.Add(ttl))); err != nil {
			return err
		}
		if _, err := q.exec(ctx, "forget members", `DELETE FROM dispatch_members WHERE destination = ? AND until < ?`,
			dest, us(now)); err != nil {
			return err
		}
		return q.get(ctx, &n, "members", `SELECT COUNT(*) FROM dispatch_members WHERE destination = ?`, dest)
	})
	return n, err
}

// Leave releases every conversation owner holds on dest and its membership.
func (s *Store) Leave(ctx context.Context, dest, owner string) error {
	return s.inTx(ctx, "release conversations", func(q queries) error {
		if _, err := q.exec(ctx, "release conversations", `UPDATE dispatch_convs SET lease_owner = '', lease_until = 0
			WHERE destination = ? AND lease_owner = ?`, dest, owner); err != nil {
			return err
		}
		_, err := q.exec(ctx, "leave", `DELETE FROM dispatch_members WHERE destination = ? AND owner = ?`, dest, owner)
		return err
	})
}

// RecordFailure keeps an event a destination refused for good, for
// operators and for the delivery state of messages.
func (s *Store) RecordFailure(ctx context.Context, dest string, e core.Event, reason string, attempts int) error {
	_, err := s.write(ctx, "record failed delivery", `INSERT INTO dispatch_failures (destination, txid, seq, rseq, request_id,
		error, attempts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (destination, txid, seq) DO NOTHING`,
		dest, e.Pos.TxID, e.Pos.Seq, e.RSeq, e.RequestID, reason, attempts, us(time.Now()))
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

// DeliveryProgress reports each destination's progress with a request, for
// the delivery state of its messages.
func (q queries) DeliveryProgress(ctx context.Context, requestID string) ([]core.DeliveryProgress, error) {
	var rows []struct {
		Destination string `db:"destination"`
		Since       int64  `db:"since"`
		Pending     int64  `db:"pending"`
		Delivered   int64  `db:"delivered"`
		Attempts    int    `db:"attempts"`
		LastError   string `db:"last_error"`
		Used        int    `db:"used"`
	}
	if err := q.sel(ctx, &rows, "delivery progress", `SELECT destination, since, pending, delivered, attempts, last_error, used
		FROM dispatch_convs WHERE request_id = ? ORDER BY destination`, requestID); err != nil {
		return nil, err
	}
	var failed []struct {
		Destination string `db:"destination"`
		RSeq        int64  `db:"rseq"`
		Error       string `db:"error"`
	}
	if err := q.sel(ctx, &failed, "failed deliveries", `SELECT destination, rseq, error FROM dispatch_failures
		WHERE request_id = ? AND rseq > 0`, requestID); err != nil {
		return nil, err
	}
	out := make([]core.DeliveryProgress, len(rows))
	for i, r := range rows {
		out[i] = core.DeliveryProgress{Destination: r.Destination, Since: r.Since, Pending: r.Pending, Delivered: r.Delivered,
			Attempts: r.Attempts, LastError: r.LastError, Used: r.Used == 1, Failed: map[int64]string{}}
		for _, f := range failed {
			if f.Destination == r.Destination {
				out[i].Failed[f.RSeq] = f.Error
			}
		}
	}
	return out, nil
}
