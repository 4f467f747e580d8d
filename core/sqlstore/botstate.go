package sqlstore

import (
	"context"
	"time"
)

// BotState returns the value an adapter stored under name; CodeNotFound
// when there is none. Only cursors live here, such as the last Telegram
// update processed ("telegram:<bot id>:offset"); what adapters know of the
// desk has typed tables (cards, notify settings, link codes, chats).
func (s *Store) BotState(ctx context.Context, name string) (string, error) {
	var v string
	err := s.get(ctx, &v, "bot state", `SELECT value FROM bot_state WHERE name = ?`, name)
	return v, err
}

// SetBotState stores value under name, replacing what was there.
func (s *Store) SetBotState(ctx context.Context, name, value string) error {
	_, err := s.write(ctx, "save bot state", `INSERT INTO bot_state (name, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		name, value, us(time.Now()))
	return err
}
