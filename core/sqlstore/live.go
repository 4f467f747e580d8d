package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Live sessions across processes (web/screen): a session's media lives in
// one process, which claims the session's room in live_rooms under a
// lease; the other processes pass it the signalling of the browsers they
// hold, and it passes theirs back, as live_mail rows, each batch announced
// by a NOTIFY naming the process it is for. A process is named by the
// store's origin, made at start-up.

// mailKept is how long mail nobody took is kept: the process it was for
// has died.
const mailKept = 2 * time.Minute

// Process names this process to the others.
func (s *Store) Process() string { return s.origin }

// ClaimRoom makes this process the home of a request's live session for
// ttl, unless another process holds it under a lease that has not lapsed;
// it returns the process that holds it.
func (s *Store) ClaimRoom(ctx context.Context, requestID string, ttl time.Duration) (string, error) {
	now := time.Now()
	if _, err := s.write(ctx, "claim a live session", `INSERT INTO live_rooms (request_id, process, lease_until) VALUES (?, ?, ?)
		ON CONFLICT (request_id) DO UPDATE SET process = excluded.process, lease_until = excluded.lease_until
		WHERE live_rooms.lease_until < ? OR live_rooms.process = excluded.process`,
		requestID, s.origin, us(now.Add(ttl)), us(now)); err != nil {
		return "", err
	}
	var owner string
	err := s.get(ctx, &owner, "live session", `SELECT process FROM live_rooms WHERE request_id = ?`, requestID)
	return owner, err
}

// RenewRooms extends this process's leases of the rooms it holds, and
// drops mail that waited past mailKept for a process that is gone.
func (s *Store) RenewRooms(ctx context.Context, requestIDs []string, ttl time.Duration) error {
	until := us(time.Now().Add(ttl))
	for _, id := range requestIDs {
		if _, err := s.write(ctx, "renew a live session", `UPDATE live_rooms SET lease_until = ? WHERE request_id = ? AND process = ?`,
			until, id, s.origin); err != nil {
			return err
		}
	}
	_, err := s.write(ctx, "drop stale live mail", `DELETE FROM live_mail WHERE created_at < ?`, us(time.Now().Add(-mailKept)))
	return err
}

// ReleaseRoom gives up this process's claim to a request's live session.
func (s *Store) ReleaseRoom(ctx context.Context, requestID string) error {
	_, err := s.write(ctx, "release a live session", `DELETE FROM live_rooms WHERE request_id = ? AND process = ?`, requestID, s.origin)
	return err
}

// SendMail leaves body for process to, and tells it.
func (s *Store) SendMail(ctx context.Context, to, body string) error {
	if _, err := s.write(ctx, "send live mail", `INSERT INTO live_mail (to_process, body, created_at) VALUES (?, ?, ?)`,
		to, body, us(time.Now())); err != nil {
		return err
	}
	if s.d.name != "postgres" {
		s.mail.heard(to, s.origin) // one process: the mail is ours
		return nil
	}
	if _, err := s.db.ExecContext(ctx, "SELECT pg_notify($1, $2)", s.liveChannel, to); err != nil {
		return fmt.Errorf("notify process %s of live mail: %w", to, err)
	}
	return nil
}

// TakeMail removes and returns this process's mail, oldest first.
func (s *Store) TakeMail(ctx context.Context) ([]string, error) {
	var rows []mailRow
	err := s.writeTx(ctx, "take live mail", func(q queries) error {
		return q.sel(ctx, &rows, "live mail", `DELETE FROM live_mail WHERE to_process = ? RETURNING seq, body`, s.origin)
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(rows, func(a, b mailRow) int { return cmp.Compare(a.Seq, b.Seq) })
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Body
	}
	return out, nil
}

type mailRow struct {
	Seq  int64  `db:"seq"`
	Body string `db:"body"`
}

// OnMail calls fn, on the listener's goroutine, whenever mail for this
// process may have come: a NOTIFY naming it, or the listener reconnecting
// (a NOTIFY may have been missed). fn must not block.
func (s *Store) OnMail(fn func()) (stop func()) { return s.mail.add(fn) }

// mailboxes are the OnMail callbacks.
type mailboxes struct {
	mu  sync.Mutex
	n   int
	fns map[int]func()
}

func (m *mailboxes) add(fn func()) func() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fns == nil {
		m.fns = map[int]func(){}
	}
	m.n++
	id := m.n
	m.fns[id] = fn
	return func() {
		m.mu.Lock()
		delete(m.fns, id)
		m.mu.Unlock()
	}
}

// heard wakes the callbacks when to names us ("" : anyone).
func (m *mailboxes) heard(to, us string) {
	if to != "" && to != us {
		return
	}
	m.mu.Lock()
	fns := make([]func(), 0, len(m.fns))
	for _, fn := range m.fns {
		fns = append(fns, fn)
	}
	m.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}
