package discord_test

import (
	"crypto/ed25519"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/bots/discord"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestInviteDM: a technician invited to a request is told by DM, once,
// with who invited them, the request's number, company and subject, and
// its link in the console, even with two processes delivering; nobody
// else gets a DM, and an invitee without a Discord link gets none.
func TestInviteDM(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			url := b.Migrated(t)
			d := storetest.NewDesk(t, storetest.Open(t, url))
			h := newHarness(t, d, options{})
			// A second process: its own connections to the same database,
			// its own adapter and dispatcher, the same Discord.
			s2 := storetest.Open(t, url)
			a2, err := discord.New(discord.Config{BotToken: botToken, AppID: appID,
				PublicKey: hex.EncodeToString(h.key.Public().(ed25519.PublicKey)), APIURL: h.dc.URL, PublicURL: "https://help.example.com",
				Engine: core.NewEngine(core.Config{Store: s2, Blobs: d.Blobs}), Store: s2, Leader: storetest.Leader{Store: s2},
				PaceFactor: 100})
			if err != nil {
				t.Fatal(err)
			}
			disp2 := dispatch.New(s2, dispatch.Options{Poll: 200 * time.Millisecond, MinBackoff: 20 * time.Millisecond,
				MaxBackoff: 200 * time.Millisecond, LeaseTTL: 3 * time.Second})
			disp2.Register(a2)
			h.run("second dispatcher", disp2.Run)
			h.run("second adapter", a2.Run)

			o := d.Live(t) // #1001 at Acme, Alice's, chat joined
			_, thread := h.card(1001)
			alice := storetest.Actor(d.Alice)
			if _, err := d.Engine.InviteTechnician(ctx, alice, o.Request.ID, d.Bob.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := d.Engine.InviteTechnician(ctx, alice, o.Request.ID, d.Admin.ID); err != nil {
				t.Fatal(err) // the admin has no Discord link: no DM
			}
			// Events of one request go out in order: once the note's line
			// is in the thread, both invitations were delivered.
			if _, err := d.Engine.AddNote(ctx, alice, o.Request.ID, core.Note{Body: "barrier"}); err != nil {
				t.Fatal(err)
			}
			h.waitThread(thread, "barrier")

			opens := h.dc.Calls("dm")
			if len(opens) != 1 || opens[0].Body["recipient_id"] != bobU {
				t.Fatalf("DM channels opened: %+v, want Bob's alone", opens)
			}
			var dms []string
			for _, c := range h.dc.Calls("createMessage") {
				if strings.HasPrefix(c.Channel, "dm") && !c.Failed {
					dms = append(dms, c.Content())
				}
			}
			if len(dms) != 1 {
				t.Fatalf("%d DMs sent, want 1 (Bob's): %q", len(dms), dms)
			}
			for _, want := range []string{"Alice invited you into the chat of request **#1001** at Acme",
				"my printer is on fire", "<#" + channel + ">",
				"[Open it in the console](https://help.example.com/console?request=" + o.Request.ID + ")"} {
				if !strings.Contains(dms[0], want) {
					t.Errorf("Bob's DM %q lacks %q", dms[0], want)
				}
			}
		})
	}
}
