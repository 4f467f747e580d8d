package slack_test

import (
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/bots/slack/slacktest"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestNotify: technicians who opted in with /support notify on get a DM
// about each new request of a company they serve while they are
// available; the others, and everyone after /support notify off, get none.
func TestNotify(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		h := newHarness(t, d, options{})
		if got := h.command(aliceU, "notify maybe"); !strings.Contains(got, "/support notify on|off") {
			t.Fatalf("a bad notify answered %q", got)
		}
		for _, u := range []string{aliceU, bobU, carolU} {
			if got := h.command(u, "notify on"); !strings.Contains(got, "You will get a direct message") {
				t.Fatalf("notify on answered %q", got)
			}
		}
		h.command(bobU, "status away")

		d.Open(t, d.Acme, "tess@example.com", "The fax is haunted.")
		h.card(1001)
		aliceDM := "D" + strings.TrimPrefix(aliceU, "U")
		h.sl.Wait(t, "Alice's DM", func(calls []slacktest.Call) bool {
			for _, c := range calls {
				if c.Method == "chat.postMessage" && c.Fields["channel"] == aliceDM {
					return true
				}
			}
			return false
		})
		opens := h.sl.Calls("conversations.open")
		if len(opens) != 1 || opens[0].Fields["users"] != aliceU {
			t.Fatalf("conversations.open: %+v (Bob is away, Carol serves Globex)", opens)
		}
		for _, c := range h.sl.Calls("chat.postMessage") {
			if c.Fields["channel"] == aliceDM {
				if txt := c.Fields["text"]; !strings.Contains(txt, "*#1001* at Acme") || !strings.Contains(txt, "The fax is haunted.") ||
					!strings.Contains(txt, "<#"+channel+">") {
					t.Errorf("the DM says %q", txt)
				}
			}
		}

		h.command(aliceU, "notify off")
		d.Open(t, d.Acme, "tom@example.com", "Another one.")
		h.card(1002)
		h.waitThread(h.card(1002), "(customer): Another one.")
		if n := len(h.sl.Calls("conversations.open")); n != 1 {
			t.Fatalf("%d DMs opened after notify off, want still 1", n)
		}
	})
}
