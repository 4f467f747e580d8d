package sqlstore

import (
	"context"
	"time"
)

// Session is one signed-in console browser. The browser holds a random
// token; the store keeps only its hash (IDHash), so the table alone signs
// nobody in.
type Session struct {
	IDHash       string
	TechnicianID string
	// CSRF is the value every state-changing request of this session must
	// carry in its X-CSRF-Token header.
	CSRF       string
	CreatedAt  time.Time
	LastSeenAt time.Time
	// ExpiresAt is when the session stops being valid: the earlier of its
	// idle and absolute limits, moved on by TouchSession.
	ExpiresAt time.Time
}

type sessionRow struct {
	IDHash       string `db:"id_hash"`
	TechnicianID string `db:"technician_id"`
	CSRF         string `db:"csrf"`
	CreatedAt    int64  `db:"created_at"`
	LastSeenAt   int64  `db:"last_seen_at"`
	ExpiresAt    int64  `db:"expires_at"`
}

const sessionCols = `id_hash, technician_id, csrf, created_at, last_seen_at, expires_at`

func (r sessionRow) session() Session {
	return Session{IDHash: r.IDHash, TechnicianID: r.TechnicianID, CSRF: r.CSRF, CreatedAt: fromUS(r.CreatedAt),
		LastSeenAt: fromUS(r.LastSeenAt), ExpiresAt: fromUS(r.ExpiresAt)}
}

// CreateSession stores a new session. A technician that does not exist is
// refused by the foreign key; a hash that exists already is CodeConflict.
func (s *Store) CreateSession(ctx context.Context, x Session) error {
	_, err := s.write(ctx, "create session", `INSERT INTO sessions (`+sessionCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		x.IDHash, x.TechnicianID, x.CSRF, us(x.CreatedAt), us(x.LastSeenAt), us(x.ExpiresAt))
	return err
}

// Session returns the session stored under idHash. A missing or expired
// session is CodeNotFound: to a caller both mean "sign in again".
func (s *Store) Session(ctx context.Context, idHash string) (Session, error) {
	var r sessionRow
	err := s.get(ctx, &r, "session", `SELECT `+sessionCols+` FROM sessions WHERE id_hash = ? AND expires_at > ?`,
		idHash, us(time.Now()))
	return r.session(), err
}

// TouchSession records that the session was used at seen and moves its
// expiry to expires. It is CodeNotFound when the session is gone.
func (s *Store) TouchSession(ctx context.Context, idHash string, seen, expires time.Time) error {
	n, err := s.write(ctx, "touch session", `UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id_hash = ?`,
		us(seen), us(expires), idHash)
	return one(n, err, "session")
}

// DeleteSession signs one browser out. Deleting a session that is gone
// already is not an error.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	_, err := s.write(ctx, "delete session", `DELETE FROM sessions WHERE id_hash = ?`, idHash)
	return err
}

// DeleteSessionsOf signs a technician out everywhere, as after a password
// change.
func (s *Store) DeleteSessionsOf(ctx context.Context, technicianID string) error {
	_, err := s.write(ctx, "delete sessions", `DELETE FROM sessions WHERE technician_id = ?`, technicianID)
	return err
}

// DeleteExpiredSessions removes the sessions that expired before now and
// returns how many there were, so the table does not grow without end.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	return s.write(ctx, "delete expired sessions", `DELETE FROM sessions WHERE expires_at <= ?`, us(now))
}
