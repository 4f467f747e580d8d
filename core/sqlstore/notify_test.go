package sqlstore_test

import (
	"context"
	"testing"

	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestNotify: notifications are off until a technician turns them on, per
// platform and technician.
func TestNotify(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		ctx := context.Background()
		d := storetest.NewDesk(t, newStore(t))
		type set struct {
			platform, tech string
			on             bool
		}
		cases := []struct {
			name string
			sets []set
			want map[set]bool // the key's on is ignored
		}{
			{"off by default", nil, map[set]bool{{"slack", d.Alice.ID, false}: false, {"discord", d.Alice.ID, false}: false}},
			{"on", []set{{"slack", d.Alice.ID, true}},
				map[set]bool{{"slack", d.Alice.ID, false}: true, {"discord", d.Alice.ID, false}: false, {"slack", d.Bob.ID, false}: false}},
			{"on, then off", []set{{"discord", d.Bob.ID, true}, {"discord", d.Bob.ID, false}},
				map[set]bool{{"discord", d.Bob.ID, false}: false}},
			{"off, then on", []set{{"discord", d.Carol.ID, false}, {"discord", d.Carol.ID, true}},
				map[set]bool{{"discord", d.Carol.ID, false}: true, {"slack", d.Carol.ID, false}: false}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				for _, s := range c.sets {
					if err := d.Store.SetNotify(ctx, s.platform, s.tech, s.on); err != nil {
						t.Fatal(err)
					}
				}
				for k, want := range c.want {
					if got, err := d.Store.Notify(ctx, k.platform, k.tech); err != nil || got != want {
						t.Errorf("%s notify of %s: %v, %v; want %v", k.platform, k.tech, got, err, want)
					}
				}
			})
		}
		if err := d.Store.SetNotify(ctx, "slack", "tec_none", true); err == nil {
			t.Error("a technician who does not exist turned notifications on")
		}
	})
}
