package bots_test

import (
	"context"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestLinkCode: a code links one account once, before it expires, and
// each platform's codes are its own.
func TestLinkCode(t *testing.T) {
	ctx := context.Background()
	d := storetest.NewDesk(t, storetest.SQLite(t))
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
}
