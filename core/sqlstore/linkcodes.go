package sqlstore

import (
	"context"
	"fmt"
	"time"
)

// AddLinkCode stores a one-time code, by its hash, that links an account on
// the platform to the technician until expires.
func (s *Store) AddLinkCode(ctx context.Context, platform, hash, technicianID string, expires time.Time) error {
	_, err := s.write(ctx, "save link code", `INSERT INTO link_codes (hash, platform, technician_id, expires_at, used_at)
		VALUES (?, ?, ?, ?, 0)`, hash, platform, technicianID, us(expires))
	return err
}

// UseLinkCode marks the platform's code with hash used at now and returns
// the technician it links to. One statement checks and marks it, so of two
// redemptions at once exactly one gets the technician. A code that is
// unknown, for another platform, expired or used is CodeNotFound.
func (s *Store) UseLinkCode(ctx context.Context, platform, hash string, now time.Time) (string, error) {
	if now.IsZero() {
		return "", fmt.Errorf("use link code: no time given")
	}
	if s.d.name == "sqlite" {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	var id string
	err := s.get(ctx, &id, "link code", `UPDATE link_codes SET used_at = ?
		WHERE hash = ? AND platform = ? AND used_at = 0 AND expires_at > ? RETURNING technician_id`,
		us(now), hash, platform, us(now))
	return id, err
}
