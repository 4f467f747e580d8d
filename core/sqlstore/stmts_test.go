package sqlstore_test

import (
	"testing"

	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestPreparingTakesOneConnection: a new process meets every statement for
// the first time; preparing them in the background takes one connection at
// a time, so a desk doing one thing at a time holds two, not one per
// statement (a PostgreSQL session costs the server tens of milliseconds).
func TestPreparingTakesOneConnection(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		s := newStore(t)
		d := storetest.NewDesk(t, s)
		for range 3 {
			d.Live(t)
		}
		if n := s.DB().Stats().OpenConnections; n > 3 {
			t.Errorf("one caller at a time opened %d connections", n)
		}
	})
}
