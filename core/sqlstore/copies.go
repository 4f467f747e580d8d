package sqlstore

import (
	"context"
	"fmt"

	"github.com/relaydesk/relaydesk/core"
)

// The adapters keep where each message went on their platform
// (relayed_copies, migration 0011), outside the engine's transactions, as
// they keep their cards: a copy is the adapter's record of what the
// platform took, written once the platform answered.

type copyRow struct {
	MessageID   string `db:"message_id"`
	Destination string `db:"destination"`
	Target      string `db:"target"`
	Part        int    `db:"part"`
	PlatformID  string `db:"platform_id"`
	Origin      int    `db:"origin"`
	Version     int64  `db:"version"`
	SentAt      int64  `db:"sent_at"`
}

const copyCols = `message_id, destination, target, part, platform_id, origin, version, sent_at`

func (r copyRow) copy() core.Copy {
	return core.Copy{MessageID: r.MessageID, Destination: r.Destination, Target: r.Target, Part: r.Part,
		PlatformID: r.PlatformID, Origin: r.Origin != 0, Version: r.Version, SentAt: fromUS(r.SentAt)}
}

// SaveCopy records c, replacing what was recorded of the same part of the
// same message in the same target (an edit's new version, a resend's new
// ID). The message must exist (CodeNotFound otherwise); a platform ID is
// one message's within its target (CodeConflict when another message's
// copy holds it).
func (s *Store) SaveCopy(ctx context.Context, c core.Copy) error {
	if c.MessageID == "" || c.Destination == "" || c.Target == "" || c.PlatformID == "" || c.Part < 0 {
		return core.Errorf(core.CodeInvalid, "save copy: a copy needs a message, a destination, a target, a part from 0 and a platform ID")
	}
	origin := 0
	if c.Origin {
		origin = 1
	}
	return s.writeTx(ctx, "save copy", func(q queries) error {
		var n int
		if err := q.get(ctx, &n, "message", `SELECT COUNT(*) FROM messages WHERE id = ?`, c.MessageID); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("save copy: %w", errNotFound("message"))
		}
		_, err := q.exec(ctx, "save copy", `INSERT INTO relayed_copies (`+copyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (message_id, destination, target, part) DO UPDATE SET platform_id = excluded.platform_id,
				origin = excluded.origin, version = excluded.version, sent_at = excluded.sent_at`,
			c.MessageID, c.Destination, c.Target, c.Part, c.PlatformID, origin, c.Version, us(c.SentAt))
		return err
	})
}

// Copies lists the copies of a message recorded by destination, by target
// and part.
func (s *Store) Copies(ctx context.Context, messageID, destination string) ([]core.Copy, error) {
	var rows []copyRow
	if err := s.sel(ctx, &rows, "copies", `SELECT `+copyCols+` FROM relayed_copies WHERE message_id = ? AND destination = ?
		ORDER BY target, part`, messageID, destination); err != nil {
		return nil, err
	}
	out := make([]core.Copy, len(rows))
	for i, r := range rows {
		out[i] = r.copy()
	}
	return out, nil
}

// CopyAt is the copy that platform message platformID in target is: how an
// edit or a delete made on the platform finds its relaydesk message.
// CodeNotFound when no copy was recorded there.
func (s *Store) CopyAt(ctx context.Context, destination, target, platformID string) (core.Copy, error) {
	var r copyRow
	err := s.get(ctx, &r, "copy", `SELECT `+copyCols+` FROM relayed_copies WHERE destination = ? AND target = ?
		AND platform_id = ?`, destination, target, platformID)
	return r.copy(), err
}

// DeleteCopy forgets one copy, once the adapter deleted it from the
// platform (a withdrawn message): a withdrawal delivered again finds
// nothing left to delete. Forgetting a copy never recorded is no error.
func (s *Store) DeleteCopy(ctx context.Context, c core.Copy) error {
	return s.writeTx(ctx, "delete copy", func(q queries) error {
		_, err := q.exec(ctx, "delete copy", `DELETE FROM relayed_copies WHERE message_id = ? AND destination = ?
			AND target = ? AND part = ?`, c.MessageID, c.Destination, c.Target, c.Part)
		return err
	})
}
