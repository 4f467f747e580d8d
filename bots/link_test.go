package bots_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestLinkCode: a code links one account once, before it expires, and
// each platform's codes are its own.
func TestLinkCode(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		ctx := context.Background()
		d := storetest.NewDesk(t, newStore(t))
		code, err := bots.NewLinkCode(ctx, d.Store, "slack", d.Alice.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bots.RedeemLinkCode(ctx, d.Store, d.Store, d.Engine, "discord", "D1", code); core.ErrorCode(err) != core.CodeNotFound {
			t.Fatalf("a Slack code worked on Discord: %v", err)
		}
		got, err := bots.RedeemLinkCode(ctx, d.Store, d.Store, d.Engine, "slack", "U1", " "+code[:5]+code[6:]+" ")
		if err != nil || got.ID != d.Alice.ID {
			t.Fatalf("redeem: %v %v", got.Name, err)
		}
		if tech, ok, err := bots.LinkedTechnician(ctx, d.Store, "slack", "U1"); err != nil || !ok || tech.ID != d.Alice.ID {
			t.Fatalf("linked: %v %v %v", tech.Name, ok, err)
		}
		if _, err := bots.RedeemLinkCode(ctx, d.Store, d.Store, d.Engine, "slack", "U2", code); core.ErrorCode(err) != core.CodeNotFound {
			t.Fatalf("a code worked twice: %v", err)
		}
		old, _ := bots.NewLinkCode(ctx, d.Store, "slack", d.Bob.ID, -time.Second)
		if _, err := bots.RedeemLinkCode(ctx, d.Store, d.Store, d.Engine, "slack", "U3", old); core.ErrorCode(err) != core.CodeNotFound {
			t.Fatalf("an expired code worked: %v", err)
		}
		if _, ok, err := bots.LinkedTechnician(ctx, d.Store, "slack", "U3"); ok || err != nil {
			t.Fatalf("an unlinked account is linked: %v %v", ok, err)
		}
	})
}

// TestLinkCodeOnceAtOnce: of two accounts sending one code at the same
// time, exactly one is linked.
func TestLinkCodeOnceAtOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		ctx := context.Background()
		d := storetest.NewDesk(t, newStore(t))
		for round := range 5 {
			code, err := bots.NewLinkCode(ctx, d.Store, "discord", d.Bob.ID, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			users := []string{fmt.Sprintf("U%d-a", round), fmt.Sprintf("U%d-b", round)}
			errs := make([]error, len(users))
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i, u := range users {
				wg.Go(func() {
					<-start
					_, errs[i] = bots.RedeemLinkCode(ctx, d.Store, d.Store, d.Engine, "discord", u, code)
				})
			}
			close(start)
			wg.Wait()
			linked := 0
			for i, u := range users {
				_, ok, err := bots.LinkedTechnician(ctx, d.Store, "discord", u)
				if err != nil {
					t.Fatal(err)
				}
				if ok != (errs[i] == nil) {
					t.Errorf("round %d: %s linked %v, its redemption said %v", round, u, ok, errs[i])
				}
				if ok {
					linked++
				} else if core.ErrorCode(errs[i]) != core.CodeNotFound {
					t.Errorf("round %d: %s was refused with %v, want not found", round, u, errs[i])
				}
			}
			if linked != 1 {
				t.Fatalf("round %d: one code linked %d accounts, want 1", round, linked)
			}
		}
	})
}
