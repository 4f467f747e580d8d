package discord_test

import (
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestForeignButton: a button whose action relaydesk does not have is
// answered to its presser alone and changes nothing.
func TestForeignButton(t *testing.T) {
	t.Parallel()
	d := storetest.NewDesk(t, storetest.SQLite(t))
	h := newHarness(t, d, options{noDispatch: true})
	o := d.Open(t, d.Acme, "tess@example.com", "help")
	before := storetest.Snapshot(t, d.Store)
	res := h.click(aliceU, "levitate", o.Request.ID)
	if !strings.Contains(res.Data.Content, "is not relaydesk's") || res.Data.Flags&64 == 0 {
		t.Errorf("answered %+v, want an ephemeral refusal", res)
	}
	if after := storetest.Snapshot(t, d.Store); after != before {
		t.Errorf("a foreign button changed the database:\n%s\n---\n%s", before, after)
	}
}
