package sqlstore

import (
	"context"
	"time"
)

// The customer platforms' adapters (Telegram) keep which company a chat
// chose and where a customer's chat is once the chat moved on to another
// customer (chat_companies and customer_chats, migration 0009). Chats are
// the platform's IDs as text.

// ChatCompany is the company that chat chose through a deep link to bot
// on the platform; CodeNotFound when it chose none.
func (s *Store) ChatCompany(ctx context.Context, platform, bot, chat string) (string, error) {
	var id string
	err := s.get(ctx, &id, "chat's company", `SELECT company_id FROM chat_companies WHERE platform = ? AND bot = ? AND chat = ?`,
		platform, bot, chat)
	return id, err
}

// SetChatCompany records that chat chose the company, replacing its former
// choice.
func (s *Store) SetChatCompany(ctx context.Context, platform, bot, chat, companyID string) error {
	_, err := s.write(ctx, "save chat's company", `INSERT INTO chat_companies (platform, bot, chat, company_id, chosen_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (platform, bot, chat) DO UPDATE SET company_id = excluded.company_id, chosen_at = excluded.chosen_at`,
		platform, bot, chat, companyID, us(time.Now()))
	return err
}

// CustomerChat is the platform chat remembered for the customer;
// CodeNotFound when none is.
func (s *Store) CustomerChat(ctx context.Context, platform, customerID string) (string, error) {
	var chat string
	err := s.get(ctx, &chat, "customer's chat", `SELECT chat FROM customer_chats WHERE platform = ? AND customer_id = ?`,
		platform, customerID)
	return chat, err
}

// SetCustomerChat remembers chat as the customer's on the platform,
// replacing the one remembered before.
func (s *Store) SetCustomerChat(ctx context.Context, platform, customerID, chat string) error {
	_, err := s.write(ctx, "save customer's chat", `INSERT INTO customer_chats (platform, customer_id, chat, updated_at)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (platform, customer_id) DO UPDATE SET chat = excluded.chat, updated_at = excluded.updated_at`,
		platform, customerID, chat, us(time.Now()))
	return err
}
