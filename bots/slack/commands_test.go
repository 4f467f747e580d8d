package slack_test

import (
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/bots/slack"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestCommands runs /support's subcommands, their refusals and usage
// answers; a refusal changes nothing.
func TestCommands(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		h := newHarness(t, d, options{noDispatch: true})
		o := d.Open(t, d.Acme, "tess@example.com", "My printer prints everything twice.")
		d.Open(t, d.Globex, "gus@example.com", "Globex's problem")

		for _, tt := range []struct {
			user, text string
			want       []string
		}{
			{aliceU, "", []string{"/support list"}},
			{aliceU, "help", []string{"!note", "/support link CODE"}},
			{aliceU, "frobnicate", []string{"`/support frobnicate` is not a command"}},
			{aliceU, "status sleepy", []string{"Usage: `/support status available|busy|away`"}},
			{aliceU, "list everything", []string{`"everything" is not a view`, "Usage: `/support list"}},
			{aliceU, "assign", []string{"Give the request's number", "Usage: `/support assign N`"}},
			{aliceU, "assign abc", []string{`"abc" is not a request number`}},
			{aliceU, "assign 4711", []string{"there is no request #4711"}},
			{aliceU, "note 1001", []string{"Write the note after the number"}},
			{aliceU, "transfer 1001 nobody@desk.test", []string{"there is no technician nobody@desk.test"}},
			{aliceU, "setup acme", []string{"only relaydesk admins"}},
			{aliceU, "join 1001", []string{"not assigned to you"}},
			{carolU, "assign acme#1001", []string{"do not have access"}},
			{strangerU, "assign 1001", []string{"not linked to a relaydesk technician", "/support link CODE"}},
			{strangerU, "link WRONG-CODE", []string{"not valid"}},
			{aliceU, "invite-customer nosuch", []string{`no company "nosuch"`}},
		} {
			before := storetest.Snapshot(t, d.Store)
			got := h.command(tt.user, tt.text)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("/support %s as %s answered\n%s\nwant it to contain %q", tt.text, tt.user, got, w)
				}
			}
			if after := storetest.Snapshot(t, d.Store); after != before {
				t.Errorf("/support %s changed the database", tt.text)
			}
		}

		// Alice's own list: Acme's request with its Assign button, not Globex's.
		got := h.command(aliceU, "list new number desc")
		if !strings.Contains(got, "#1001* Acme") || strings.Contains(got, "Globex") || !strings.Contains(got, `"action_id":"assign"`) {
			t.Errorf("list answered\n%s", got)
		}
		for _, step := range [][2]string{
			{"assign 1001", "You took request #1001."},
			{"join 1001", "You joined the chat of request #1001."},
			{"note 1001 PRIVATE: check the toner", "Private note added to request #1001."},
			{"invite 1001 <@" + bobU + "|bob>", "Bob joined the chat of request #1001."},
			{"leave 1001", "That did not work: you own request #1001: transfer or unassign it instead of leaving"},
			{"screenshare 1001", "The customer of request #1001 was asked to share their screen."},
			{"sysinfo 1001", "The customer of request #1001 was asked for their system details."},
			{"end 1001", "You ended the chat of request #1001."},
			{"screenshare 1001", "That did not work: join the chat of request #1001 first"},
			{"status busy", "You are now busy."},
			{"close 1001 replaced the fuser", "You closed request #1001."},
		} {
			if step[0] == "end 1001" {
				// Bob, invited, leaves the chat before it ends.
				for _, bob := range [][2]string{
					{"leave", "Give the request's number.\nUsage: `/support leave N`"},
					{"leave 1001", "You left the chat of request #1001."},
				} {
					if got := h.command(bobU, bob[0]); got != bob[1] {
						t.Errorf("Bob's /support %s answered %q, want %q", bob[0], got, bob[1])
					}
				}
			}
			if got := h.command(aliceU, step[0]); got != step[1] {
				t.Errorf("/support %s answered %q, want %q", step[0], got, step[1])
			}
		}
		r := must[core.Request](t)(d.Store.Request(ctx, o.Request.ID))
		if r.Status != core.StatusCompleted || r.ClosingNote != "replaced the fuser" {
			t.Errorf("after close: %+v", r)
		}
		if a := must[core.Technician](t)(d.Store.Technician(ctx, d.Alice.ID)); a.Availability != core.Busy {
			t.Errorf("Alice is %s", a.Availability)
		}

		// A link code from the CLI links a Slack account once; setup by an admin.
		code := must[string](t)(bots.NewLinkCode(ctx, d.Store, slack.Platform, d.Admin.ID, time.Hour))
		if got := h.command(strangerU, "link "+strings.ToLower(code)); !strings.Contains(got, "now linked to Admin") {
			t.Fatalf("link answered %q", got)
		}
		if got := h.command("U0SOMEONEELSE", "link "+code); !strings.Contains(got, "not valid") {
			t.Fatalf("a used code answered %q", got)
		}
		if got := h.command(strangerU, "setup globex"); !strings.Contains(got, "now Globex's queue") {
			t.Fatalf("setup answered %q", got)
		}
		if got := h.command(strangerU, "invite-customer acme Printer set-up"); !strings.Contains(got, "https://help.example.com/widget/join?code=") {
			t.Fatalf("invite-customer answered %q", got)
		}
	})
}
