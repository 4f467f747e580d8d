package slack_test

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
	h.click(aliceU, "levitate", o.Request.ID)
	told := false
	for _, c := range h.sl.Calls("chat.postEphemeral") {
		told = told || (c.Fields["user"] == aliceU && strings.Contains(c.Fields["text"], "is not relaydesk's"))
	}
	if !told {
		t.Errorf("Alice was not told: %+v", h.sl.Calls("chat.postEphemeral"))
	}
	if after := storetest.Snapshot(t, d.Store); after != before {
		t.Errorf("a foreign button changed the database:\n%s\n---\n%s", before, after)
	}
}
