package slack_test

import (
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/bots/slack"
	"github.com/relaydesk/relaydesk/bots/slack/slacktest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestInviteDM: a technician invited to a request is told by DM, once,
// with who invited them, the request's number, company and subject, and
// its link in the console, even with two processes delivering; nobody
// else gets a DM, and an invitee without a Slack link gets none. A company
// without a queue channel still has its invitee told.
func TestInviteDM(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			url := b.Migrated(t)
			d := storetest.NewDesk(t, storetest.Open(t, url))
			h := newHarness(t, d, options{})
			// A second process: its own connections to the same database,
			// its own adapter and dispatcher, the same Slack.
			s2 := storetest.Open(t, url)
			a2, err := slack.New(slack.Config{BotToken: botToken, PaceFactor: 100, SigningSecret: secret, APIURL: h.sl.URL,
				PublicURL: "https://help.example.com", Engine: core.NewEngine(core.Config{Store: s2, Blobs: d.Blobs}),
				Store: s2, Leader: storetest.Leader{Store: s2}})
			if err != nil {
				t.Fatal(err)
			}
			disp2 := dispatch.New(s2, dispatch.Options{Poll: 200 * time.Millisecond, MinBackoff: 20 * time.Millisecond,
				MaxBackoff: 200 * time.Millisecond, LeaseTTL: 3 * time.Second})
			disp2.Register(a2)
			h.run("second dispatcher", disp2.Run)
			h.run("second adapter", a2.Run)

			o := d.Live(t) // #1001 at Acme, Alice's, chat joined
			cardTS := h.card(1001)
			alice := storetest.Actor(d.Alice)
			if _, err := d.Engine.InviteTechnician(ctx, alice, o.Request.ID, d.Bob.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := d.Engine.InviteTechnician(ctx, alice, o.Request.ID, d.Admin.ID); err != nil {
				t.Fatal(err) // the admin has no Slack link: no DM
			}
			// Events of one request go out in order: once the note's line
			// is in the thread, both invitations were delivered.
			if _, err := d.Engine.AddNote(ctx, alice, o.Request.ID, core.Note{Body: "barrier"}); err != nil {
				t.Fatal(err)
			}
			h.waitThread(cardTS, "invited Admin")
			h.waitThread(cardTS, "barrier")

			bobDM := "D" + strings.TrimPrefix(bobU, "U")
			var dms []string
			for _, c := range h.sl.Calls("chat.postMessage") {
				if strings.HasPrefix(c.Fields["channel"], "D") && !c.Failed {
					if c.Fields["channel"] != bobDM {
						t.Errorf("a DM went to %s: %q", c.Fields["channel"], c.Fields["text"])
						continue
					}
					dms = append(dms, c.Fields["text"])
				}
			}
			if len(dms) != 1 {
				t.Fatalf("Bob got %d DMs, want 1: %q", len(dms), dms)
			}
			for _, want := range []string{"Alice invited you into the chat of request *#1001* at Acme",
				"my printer is on fire", "<#" + channel + ">",
				"<https://help.example.com/console?request=" + o.Request.ID + "|Open it in the console>"} {
				if !strings.Contains(dms[0], want) {
					t.Errorf("Bob's DM %q lacks %q", dms[0], want)
				}
			}
			if opens := h.sl.Calls("conversations.open"); len(opens) != 1 || opens[0].Fields["users"] != bobU {
				t.Errorf("conversations.open: %+v, want Bob's alone", opens)
			}

			// Globex has no queue channel in Slack: the invitee still hears.
			if err := d.Engine.LinkIdentity(ctx, core.SystemActor(), core.Identity{Platform: slack.Platform,
				ExternalID: strangerU, Subject: core.ActorTechnician, SubjectID: d.Admin.ID}); err != nil {
				t.Fatal(err)
			}
			g := d.Open(t, d.Globex, "gus@example.com", "The modem sings.")
			carol := storetest.Actor(d.Carol)
			if _, err := d.Engine.AssignToMe(ctx, carol, g.Request.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := d.Engine.InviteTechnician(ctx, carol, g.Request.ID, d.Admin.ID); err != nil {
				t.Fatal(err)
			}
			adminDM := "D" + strings.TrimPrefix(strangerU, "U")
			h.sl.Wait(t, "the admin's DM", func(calls []slacktest.Call) bool {
				for _, c := range calls {
					if c.Method == "chat.postMessage" && c.Fields["channel"] == adminDM &&
						strings.Contains(c.Fields["text"], "Carol invited you into the chat of request *#1001* at Globex") &&
						strings.Contains(c.Fields["text"], "The modem sings.") && !strings.Contains(c.Fields["text"], "Its card") {
						return true
					}
				}
				return false
			})
		})
	}
}
