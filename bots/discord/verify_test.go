package discord_test

import (
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/bots/discord"
	"github.com/relaydesk/relaydesk/bots/discord/discordtest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestPing: Discord's PING, signed with the application's key, is
// answered with PONG, as Discord checks when the endpoint URL is saved.
func TestPing(t *testing.T) {
	t.Parallel()
	d := storetest.NewDesk(t, storetest.SQLite(t))
	h := newHarness(t, d, options{noDispatch: true, noRun: true})
	body, err := os.ReadFile("testdata/ping.json")
	if err != nil {
		t.Fatal(err)
	}
	code, got := discordtest.Post(t, h.url+discord.InteractionsPath, h.key, body)
	var res struct{ Type int }
	if code != http.StatusOK || json.Unmarshal([]byte(got), &res) != nil || res.Type != 1 {
		t.Fatalf("PING answered %d %s, want 200 {\"type\":1}", code, got)
	}
}

// TestRefusedInteractions: what the application's key did not sign, or
// signed too long ago (discordgo would accept it), or cannot be parsed, is
// refused and changes nothing.
func TestRefusedInteractions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		h := newHarness(t, d, options{noDispatch: true, noRun: true})
		o := d.Open(t, d.Acme, "tess@example.com", "help")
		before := storetest.Snapshot(t, d.Store)

		click, _ := json.Marshal(h.button(aliceU, string(core.ActionAssign), o.Request.ID))
		_, other, _ := ed25519.GenerateKey(nil)
		for _, tt := range []struct {
			name string
			req  func() *http.Request
			want int
		}{
			{"signed by another key", func() *http.Request {
				return discordtest.Signed(t, h.url+discord.InteractionsPath, other, click, time.Now())
			}, http.StatusUnauthorized},
			{"body changed after signing", func() *http.Request {
				r := discordtest.Signed(t, h.url+discord.InteractionsPath, h.key, click, time.Now())
				r2 := discordtest.Signed(t, h.url+discord.InteractionsPath, h.key, append(click, ' '), time.Now())
				r2.Header = r.Header
				return r2
			}, http.StatusUnauthorized},
			{"no signature", func() *http.Request {
				r := discordtest.Signed(t, h.url+discord.InteractionsPath, h.key, click, time.Now())
				r.Header.Del("X-Signature-Ed25519")
				return r
			}, http.StatusUnauthorized},
			{"signed six minutes ago", func() *http.Request {
				return discordtest.Signed(t, h.url+discord.InteractionsPath, h.key, click, time.Now().Add(-6*time.Minute))
			}, http.StatusUnauthorized},
			{"signed six minutes ahead", func() *http.Request {
				return discordtest.Signed(t, h.url+discord.InteractionsPath, h.key, click, time.Now().Add(6*time.Minute))
			}, http.StatusUnauthorized},
			{"signed, not JSON", func() *http.Request {
				return discordtest.Signed(t, h.url+discord.InteractionsPath, h.key, []byte("assign 1001"), time.Now())
			}, http.StatusBadRequest},
		} {
			t.Run(tt.name, func(t *testing.T) {
				res, err := http.DefaultClient.Do(tt.req())
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != tt.want {
					t.Fatalf("got %d, want %d", res.StatusCode, tt.want)
				}
			})
		}
		if after := storetest.Snapshot(t, d.Store); after != before {
			t.Fatalf("a refused interaction changed the store:\nbefore %s\nafter  %s", before, after)
		}
		if calls := h.dc.Calls(); len(calls) != 0 {
			t.Fatalf("a refused interaction called Discord:\n%s", discordtest.Describe(calls))
		}
		// Signed properly, the same click works.
		if res := h.post(h.button(aliceU, string(core.ActionAssign), o.Request.ID)); res.Type != 6 {
			t.Fatalf("the signed click answered %+v", res)
		}
	})
}
