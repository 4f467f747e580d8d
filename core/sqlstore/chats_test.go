package sqlstore_test

import (
	"context"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestChatCompany: a chat's choice of company is per bot and the latest
// choice counts.
func TestChatCompany(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		ctx := context.Background()
		d := storetest.NewDesk(t, newStore(t))
		type choice struct{ bot, chat, company string } // company "": none is found
		cases := []struct {
			name string
			sets []choice
			want []choice
		}{
			{"none", nil, []choice{{"1", "100", ""}}},
			{"chosen", []choice{{"1", "200", d.Acme.ID}},
				[]choice{{"1", "200", d.Acme.ID}, {"2", "200", ""}, {"1", "-200", ""}}},
			{"chosen again", []choice{{"1", "300", d.Acme.ID}, {"1", "300", d.Globex.ID}},
				[]choice{{"1", "300", d.Globex.ID}}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				for _, s := range c.sets {
					if err := d.Store.SetChatCompany(ctx, "telegram", s.bot, s.chat, s.company); err != nil {
						t.Fatal(err)
					}
				}
				for _, w := range c.want {
					got, err := d.Store.ChatCompany(ctx, "telegram", w.bot, w.chat)
					if w.company == "" && core.ErrorCode(err) != core.CodeNotFound || w.company != "" && (err != nil || got != w.company) {
						t.Errorf("company of chat %s of bot %s: %q, %v; want %q", w.chat, w.bot, got, err, w.company)
					}
				}
			})
		}
		if err := d.Store.SetChatCompany(ctx, "telegram", "1", "400", "cmp_none"); err == nil {
			t.Error("a chat chose a company that does not exist")
		}
	})
}

// TestCustomerChat: the chat remembered for a customer is per platform and
// the latest counts.
func TestCustomerChat(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		ctx := context.Background()
		d := storetest.NewDesk(t, newStore(t))
		a := d.Open(t, d.Acme, "a@example.com", "help").Request.CustomerID
		b := d.Open(t, d.Acme, "b@example.com", "help").Request.CustomerID
		if _, err := d.Store.CustomerChat(ctx, "telegram", a); core.ErrorCode(err) != core.CodeNotFound {
			t.Fatalf("no chat remembered: %v, want not found", err)
		}
		for _, chat := range []string{"100", "-200"} {
			if err := d.Store.SetCustomerChat(ctx, "telegram", a, chat); err != nil {
				t.Fatal(err)
			}
			if got, err := d.Store.CustomerChat(ctx, "telegram", a); err != nil || got != chat {
				t.Errorf("chat of a: %q, %v; want %q", got, err, chat)
			}
		}
		if _, err := d.Store.CustomerChat(ctx, "telegram", b); core.ErrorCode(err) != core.CodeNotFound {
			t.Errorf("another customer's chat: %v, want not found", err)
		}
		if _, err := d.Store.CustomerChat(ctx, "whatsapp", a); core.ErrorCode(err) != core.CodeNotFound {
			t.Errorf("another platform's chat: %v, want not found", err)
		}
		if err := d.Store.SetCustomerChat(ctx, "telegram", "cus_none", "1"); err == nil {
			t.Error("a chat was remembered for a customer who does not exist")
		}
	})
}
