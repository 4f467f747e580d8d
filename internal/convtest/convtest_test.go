package convtest_test

import (
	"testing"

	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/convtest"
)

// TestConversation plays the script with both sides on the engine: what
// every adapter's harness runs, without a surface in between.
func TestConversation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		convtest.Run(t, d, convtest.EngineCustomer(t, d), convtest.EngineTechnicians(t, d))
	})
}
