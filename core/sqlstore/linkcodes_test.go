package sqlstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestLinkCodes: a code gives its technician once, on its platform, before
// it expires.
func TestLinkCodes(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	type use struct {
		platform, hash string
		at             time.Time
		want           string // the technician, "" for not found
	}
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		ctx := context.Background()
		d := storetest.NewDesk(t, newStore(t))
		cases := []struct {
			name string
			uses []use
		}{
			{"unknown", []use{{"slack", "h-unknown", now, ""}}},
			{"once", []use{{"slack", "h-once", now, d.Alice.ID}, {"slack", "h-once", now, ""}}},
			{"another platform's", []use{{"discord", "h-platform", now, ""}, {"slack", "h-platform", now, d.Alice.ID}}},
			{"until it expires", []use{{"slack", "h-expires", now.Add(time.Hour), ""}, {"slack", "h-expires", now.Add(time.Hour - time.Microsecond), d.Alice.ID}}},
			{"expired", []use{{"slack", "h-expired", now.Add(2 * time.Hour), ""}, {"slack", "h-expired", now, d.Alice.ID}}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if c.uses[0].hash != "h-unknown" {
					if err := d.Store.AddLinkCode(ctx, "slack", c.uses[0].hash, d.Alice.ID, now.Add(time.Hour)); err != nil {
						t.Fatal(err)
					}
				}
				for i, u := range c.uses {
					got, err := d.Store.UseLinkCode(ctx, u.platform, u.hash, u.at)
					if u.want == "" && core.ErrorCode(err) != core.CodeNotFound || u.want != "" && (err != nil || got != u.want) {
						t.Errorf("use %d (%s at %s): %q, %v; want %q", i, u.platform, u.at, got, err, u.want)
					}
				}
			})
		}
		t.Run("refused", func(t *testing.T) {
			if err := d.Store.AddLinkCode(ctx, "slack", "h-once", d.Bob.ID, now.Add(time.Hour)); core.ErrorCode(err) != core.CodeConflict {
				t.Errorf("a hash stored twice: %v, want conflict", err)
			}
			if err := d.Store.AddLinkCode(ctx, "slack", "h-nobody", "tec_none", now.Add(time.Hour)); err == nil {
				t.Error("a code for a technician who does not exist was stored")
			}
		})
		t.Run("concurrent", func(t *testing.T) {
			if err := d.Store.AddLinkCode(ctx, "discord", "h-race", d.Bob.ID, now.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			const n = 8
			errs := make([]error, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					var id string
					id, errs[i] = d.Store.UseLinkCode(ctx, "discord", "h-race", now)
					if errs[i] == nil && id != d.Bob.ID {
						t.Errorf("the code gave %q, want Bob", id)
					}
				})
			}
			close(start)
			wg.Wait()
			won := 0
			for _, err := range errs {
				switch {
				case err == nil:
					won++
				case core.ErrorCode(err) != core.CodeNotFound:
					t.Errorf("a redemption failed: %v", err)
				}
			}
			if won != 1 {
				t.Errorf("%d of %d redemptions at once got the technician, want 1", won, n)
			}
		})
	})
}
