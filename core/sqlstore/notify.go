package sqlstore

import (
	"context"
	"time"

	"github.com/relaydesk/relaydesk/core"
)

// Notify reports whether the technician asked the platform's adapter for a
// direct message about each new request; false when they never chose.
func (s *Store) Notify(ctx context.Context, platform, technicianID string) (bool, error) {
	var on int
	err := s.get(ctx, &on, "notification setting", `SELECT enabled FROM platform_notify WHERE platform = ? AND technician_id = ?`,
		platform, technicianID)
	if core.ErrorCode(err) == core.CodeNotFound {
		return false, nil
	}
	return on != 0, err
}

// SetNotify records the technician's choice of direct messages about new
// requests on the platform.
func (s *Store) SetNotify(ctx context.Context, platform, technicianID string, on bool) error {
	_, err := s.write(ctx, "save notification setting", `INSERT INTO platform_notify (platform, technician_id, enabled, updated_at)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (platform, technician_id) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at`,
		platform, technicianID, bit(on), us(time.Now()))
	return err
}
