package discord_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/bots/discord/discordtest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

const guild = "290926798626357999" // the fixtures' server

// TestFormatEndToEnd: what a technician writes in Discord reaches the
// customer as it shows in Discord, in relaydesk's format (mentions as the
// server shows the people, channels and roles, looked up in Discord;
// custom emoji by name; Discord's own marks dropped, their words kept),
// from a thread message and from /support note; and what the customer
// writes in that format reaches the thread as Discord Markdown that pings
// nobody.
func TestFormatEndToEnd(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		h := newHarness(t, d, options{})
		h.dc.AddMember(guild, discordtest.Member{User: discordtest.User{ID: aliceU, Username: "alice", GlobalName: "Alice"}})
		h.dc.AddMember(guild, discordtest.Member{User: discordtest.User{ID: bobU, Username: "bob.builder", GlobalName: "Bob Builder"},
			Nick: "Bob (printers)"})
		h.dc.AddChannel(discordtest.Channel{ID: "1300000000000000002", GuildID: guild, Name: "printer-logs"})
		h.dc.AddRole(guild, discordtest.Role{ID: "1100000000000000001", Name: "printer-team"})
		o := d.Live(t)
		cust := core.CustomerActor(o.Participant.ID)
		_, thread := h.card(o.Request.Number)
		h.waitThread(thread, "Alice joined the chat")

		h.say(aliceU, thread, "if x < 5 && y > 3, see [our status page](<https://status.example.com>) ✅ <@"+aliceU+">")
		h.waitView(cust, o.Request.ID, "the customer gets Alice's message in relaydesk's format",
			hasBody("if x < 5 && y > 3, see [our status page](https://status.example.com) ✅ @Alice"))

		m := fixture(t, "format/mentions_emoji.json", map[string]any{"id": h.dc.NextID(), "channel_id": thread, "author.id": aliceU})
		h.dc.Dispatch(t, "MESSAGE_CREATE", m)
		h.waitView(cust, o.Request.ID, "the customer gets the mentions as names",
			hasBody("@Bob (printers) can you check #printer-logs? cc @printer-team and @Carol :blobwave: :party\\_blob: @everyone @here"))
		// Alice was looked up for the first message, Bob and Carol now;
		// Carol is no member, nor a user the fake knows: the name the
		// message gives shows.
		if m, u := len(h.dc.Calls("member")), len(h.dc.Calls("user")); m != 3 || u != 1 {
			t.Errorf("%d member and %d user lookups, want 3 (Alice once) and 1 (Carol)", m, u)
		}

		n := strconv.FormatInt(o.Request.Number, 10)
		if got := h.command(aliceU, "note", "request", n, "text", "**check** <#1300000000000000002> __now__"); !strings.Contains(got, "Private note added") {
			t.Fatalf("/support note answered %q", got)
		}
		h.waitView(core.TechnicianActor(d.Alice.ID), o.Request.ID, "the note in relaydesk's format", hasBody("**check** #printer-logs now"))

		if _, err := d.Engine.PostMessage(ctx, cust, o.Request.ID, core.Post{
			Body: "**Still** broken, see [the log](https://logs.example.com/x_y) & <this> _now_ @everyone"}); err != nil {
			t.Fatal(err)
		}
		want := "(customer): **Still** broken, see [the log](https://logs.example.com/x_y) & <this\\> *now* @everyone"
		h.waitThread(thread, want)
		for _, c := range h.dc.Calls("createMessage") {
			if strings.Contains(c.Content(), want) {
				am, ok := c.Body["allowed_mentions"].(map[string]any)
				if parse, _ := am["parse"].([]any); !ok || len(parse) != 0 || am["users"] != nil || am["roles"] != nil {
					t.Errorf("the line allows mentions: %s", c.JSON())
				}
			}
		}
	})
}
