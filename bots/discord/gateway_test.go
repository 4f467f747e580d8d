package discord_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/bots/discord"
	"github.com/relaydesk/relaydesk/bots/discord/discordtest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/testwait"
)

// TestGatewayFailover runs two adapters, as two processes would, on one
// PostgreSQL database: only one holds the gateway; when its process ends,
// the other identifies and serves, with the same dispatch as HTTP.
func TestGatewayFailover(t *testing.T) {
	t.Parallel()
	url := storetest.MigratedPostgresURL(t)
	s1, s2 := storetest.Open(t, url), storetest.Open(t, url)
	s2.LeadRetry = 50 * time.Millisecond // takes over soon after the first stops
	d := storetest.NewDesk(t, s1)
	if err := d.Engine.LinkIdentity(ctx, core.SystemActor(), core.Identity{Platform: discord.Platform, ExternalID: aliceU,
		Subject: core.ActorTechnician, SubjectID: d.Alice.ID}); err != nil {
		t.Fatal(err)
	}
	dc := discordtest.New(t, botToken)
	start := func(leader *sqlstore.Store) (stop func()) {
		a, err := discord.New(discord.Config{BotToken: botToken, AppID: appID, APIURL: dc.URL, Engine: d.Engine,
			Store: leader, Leader: storetest.Leader{Store: leader}})
		if err != nil {
			t.Fatal(err)
		}
		c, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- a.Run(c) }()
		stopped := false
		stop = func() {
			if stopped {
				return
			}
			stopped = true
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("adapter: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("the adapter did not stop")
			}
		}
		t.Cleanup(stop)
		return stop
	}
	stop1 := start(s1)
	dc.WaitConnected(t)
	start(s2)
	dc.Wait(t, "the second process registering /support", func(calls []discordtest.Call) bool {
		return len(callsOf(calls, "commands")) == 2
	})
	if n := len(dc.Identifies()); n != 1 {
		t.Fatalf("with two processes: %d identifies, want 1", n)
	}

	stop1()
	testwait.Until(t, "the fail-over", func() error {
		if n, c := len(dc.Identifies()), dc.Connected(); n < 2 || c != 1 {
			return fmt.Errorf("%d identifies, %d connected", n, c)
		}
		return nil
	})
	i := fixture(t, "slash_command.json", map[string]any{"id": "1180000000000000555",
		"data.options": []any{map[string]any{"type": 1, "name": "status", "options": []any{
			map[string]any{"type": 3, "name": "status", "value": "busy"}}}}})
	dc.Dispatch(t, "INTERACTION_CREATE", i)
	dc.Wait(t, "the answer over the gateway", func(calls []discordtest.Call) bool {
		for _, c := range calls {
			if c.Route == "callback" && c.Message == "1180000000000000555" {
				return strings.Contains(c.JSON(), "You are now busy.") && strings.Contains(c.JSON(), `"flags":64`)
			}
		}
		return false
	})
	if a := must[core.Technician](t)(s2.Technician(ctx, d.Alice.ID)); a.Availability != core.Busy {
		t.Fatalf("Alice is %s", a.Availability)
	}
}

func callsOf(calls []discordtest.Call, route string) []discordtest.Call {
	var out []discordtest.Call
	for _, c := range calls {
		if c.Route == route {
			out = append(out, c)
		}
	}
	return out
}
