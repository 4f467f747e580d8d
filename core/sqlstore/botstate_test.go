package sqlstore_test

import (
	"context"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

func TestBotState(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		s := newStore(t)
		ctx := context.Background()
		if _, err := s.BotState(ctx, "telegram:1:offset"); core.ErrorCode(err) != core.CodeNotFound {
			t.Fatalf("missing value: %v, want not found", err)
		}
		for _, v := range []string{"41", "42", ""} {
			if err := s.SetBotState(ctx, "telegram:1:offset", v); err != nil {
				t.Fatal(err)
			}
			if got, err := s.BotState(ctx, "telegram:1:offset"); err != nil || got != v {
				t.Fatalf("got %q, %v; want %q", got, err, v)
			}
		}
		if err := s.SetBotState(ctx, "telegram:2:offset", "7"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.BotState(ctx, "telegram:1:offset"); got != "" {
			t.Fatalf("another name overwrote the value: %q", got)
		}
	})
}
