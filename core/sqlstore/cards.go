package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/relaydesk/relaydesk/core"
)

// The technician platforms' adapters keep where a request's card and thread
// are (platform_cards, migration 0009), outside the engine's transactions:
// a card is the adapter's own record of what it posted.

type cardRow struct {
	Platform  string `db:"platform"`
	RequestID string `db:"request_id"`
	Channel   string `db:"channel"`
	Message   string `db:"message"`
	Thread    string `db:"thread"`
	Posting   string `db:"posting"`
	PostingAt int64  `db:"posting_at"`
}

const cardCols = `platform, request_id, channel, message, thread, posting, posting_at`

func (r cardRow) card() core.Card {
	return core.Card{Platform: r.Platform, RequestID: r.RequestID, Channel: r.Channel, Message: r.Message,
		Thread: r.Thread, Posting: r.Posting, PostingAt: fromUS(r.PostingAt)}
}

// Card is the request's card on the platform; CodeNotFound when the
// adapter recorded none.
func (s *Store) Card(ctx context.Context, platform, requestID string) (core.Card, error) {
	var r cardRow
	err := s.get(ctx, &r, "card", `SELECT `+cardCols+` FROM platform_cards WHERE platform = ? AND request_id = ?`,
		platform, requestID)
	return r.card(), err
}

// CardByThread is the card whose thread on the platform is thread: the
// request a message in that thread belongs to. CodeNotFound when none is.
func (s *Store) CardByThread(ctx context.Context, platform, thread string) (core.Card, error) {
	if thread == "" { // cards whose thread is not started yet
		return core.Card{}, fmt.Errorf("load card: %w", errNotFound("card"))
	}
	var r cardRow
	err := s.get(ctx, &r, "card", `SELECT `+cardCols+` FROM platform_cards WHERE platform = ? AND thread = ?`,
		platform, thread)
	return r.card(), err
}

// SaveCard records c, replacing the request's former card on its platform.
// A thread is one request's: should another request's card hold c's
// thread, the newer record wins and the other card loses its thread, in
// the same transaction. Of two saves of one thread at the same moment on
// PostgreSQL, the later may fail with CodeConflict; saving again wins.
func (s *Store) SaveCard(ctx context.Context, c core.Card) error {
	if c.Platform == "" || c.RequestID == "" {
		return core.Errorf(core.CodeInvalid, "save card: a card needs a platform and a request")
	}
	now := us(time.Now())
	return s.writeTx(ctx, "save card", func(q queries) error {
		if c.Thread != "" {
			if _, err := q.exec(ctx, "save card", `UPDATE platform_cards SET thread = '', updated_at = ?
				WHERE platform = ? AND thread = ? AND request_id <> ?`, now, c.Platform, c.Thread, c.RequestID); err != nil {
				return err
			}
		}
		_, err := q.exec(ctx, "save card", `INSERT INTO platform_cards (`+cardCols+`, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (platform, request_id) DO UPDATE SET channel = excluded.channel, message = excluded.message,
				thread = excluded.thread, posting = excluded.posting, posting_at = excluded.posting_at,
				updated_at = excluded.updated_at`,
			c.Platform, c.RequestID, c.Channel, c.Message, c.Thread, c.Posting, us(c.PostingAt), now)
		return err
	})
}

// writeTx runs fn in one transaction of its own, outside the engine's,
// committed durably and serialised with this process's other SQLite
// writers.
func (s *Store) writeTx(ctx context.Context, what string, fn func(q queries) error) error {
	if s.d.name == "sqlite" {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin transaction: %w", what, err)
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
