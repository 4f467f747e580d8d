package slack_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/bots/slack/slacktest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestFormatEndToEnd: what a technician writes in Slack reaches the
// customer as it shows in Slack, in relaydesk's format (Slack's escapes
// undone, the link a link, the emoji and the mention as Slack shows them,
// names looked up in Slack), from a plain reply, from rich text and from
// /support note; and what the customer writes in that format reaches the
// thread as mrkdwn.
func TestFormatEndToEnd(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		h := newHarness(t, d, options{})
		h.sl.AddUser(slacktest.User{ID: aliceU, Name: "alice", RealName: "Alice Example", DisplayName: "Alice"})
		h.sl.AddUser(slacktest.User{ID: bobU, Name: "bob", RealName: "Bob Builder"}) // no display name: the full name shows
		h.sl.AddChannel(slacktest.Channel{ID: "C0123GENRL", Name: "general", Member: true})
		o := d.Live(t)
		cust := core.CustomerActor(o.Participant.ID)
		cardTS := h.card(o.Request.Number)
		h.waitThread(cardTS, "Alice joined the chat")

		h.reply(aliceU, cardTS, "1767225800.000100", "if x &lt; 5 &amp;&amp; y &gt; 3, see <https://status.example.com|our status page> "+
			":white_check_mark: <@"+aliceU+">")
		customerGets(t, d, cust, o.Request.ID, "if x < 5 && y > 3, see [our status page](https://status.example.com) ✅ @Alice")

		h.event("format/rich_text.json", map[string]any{"event.thread_ts": cardTS, "event.ts": "1767225801.000100",
			"event.user": aliceU, "event_id": "Ev0E2E0001"})
		customerGets(t, d, cust, o.Request.ID, "Hi @Bob Builder, **bold** _italic_ ~~strike~~ `code` "+
			"[the driver page](https://docs.example.com/driver_(v5)) ✅ @channel in #general\n\n- first\n- second **step**\n\n"+
			"> quoted line\n\n```\n$ restart --now\n```")
		if n := len(h.sl.Calls("users.info")); n != 2 {
			t.Errorf("users.info was called %d times for two people, want 2 (the names are kept)", n)
		}

		// A name Slack will not give now (rate limited) never holds the
		// message up: the ID shows.
		h.sl.Fail("users.info", slacktest.TooManyRequests(30))
		h.reply(aliceU, cardTS, "1767225802.000100", "ask <@"+carolU+">")
		customerGets(t, d, cust, o.Request.ID, "ask @"+carolU)

		if got := h.command(aliceU, fmt.Sprintf("note %d *check* the &lt;fuser&gt; on <#C0123GENRL>", o.Request.Number)); !strings.Contains(got, "Private note added") {
			t.Fatalf("/support note answered %q", got)
		}
		if !hasMessage(t, d, storetest.Actor(d.Alice), o.Request.ID, "**check** the <fuser> on #general") {
			t.Error("the note is not stored in relaydesk's format")
		}

		if _, err := d.Engine.PostMessage(ctx, cust, o.Request.ID, core.Post{
			Body: "**Still** broken, see [the log](https://logs.example.com/x_y) & <this> _now_"}); err != nil {
			t.Fatal(err)
		}
		h.waitThread(cardTS, "(customer): *Still* broken, see <https://logs.example.com/x_y|the log> &amp; &lt;this&gt; _now_")
	})
}

// customerGets waits for the customer's events to carry a technician's
// message whose body is want.
func customerGets(t *testing.T, d *storetest.Desk, cust core.Actor, requestID, want string) {
	t.Helper()
	evs, err := d.Engine.Events(ctx, cust, requestID, 0, 500)
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, ev := range evs {
		if ev.Type == core.EventMessage && ev.Actor.Kind == core.ActorTechnician {
			if ev.Data.Body == want {
				return
			}
			bodies = append(bodies, ev.Data.Body)
		}
	}
	t.Errorf("the customer got %q, want %q", bodies, want)
}

// hasMessage reports whether by sees a message of the request whose body
// is want.
func hasMessage(t *testing.T, d *storetest.Desk, by core.Actor, requestID, want string) bool {
	t.Helper()
	v, err := d.Engine.ViewRequest(ctx, by, requestID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range v.Messages {
		if m.Body == want {
			return true
		}
	}
	return false
}
