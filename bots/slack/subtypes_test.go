package slack_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/slack-go/slack/slackevents"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestSubtypeFixtures checks that the fixtures, written from the examples
// of Slack's event reference, are what slack-go makes of Slack's events:
// message events of the subtype named, in a thread, with the fields the
// adapter reads.
func TestSubtypeFixtures(t *testing.T) {
	for _, tt := range []struct {
		file, subtype string
		check         func(m *slackevents.MessageEvent) bool
	}{
		{"thread_broadcast.json", "thread_broadcast", func(m *slackevents.MessageEvent) bool {
			return m.User != "" && m.ThreadTimeStamp != m.TimeStamp && m.Root != nil && m.Root.Timestamp == m.ThreadTimeStamp
		}},
		{"thread_broadcast_changed.json", "message_changed", func(m *slackevents.MessageEvent) bool {
			return m.Message.SubType == "thread_broadcast" && m.Message.Edited != nil && m.Message.ThreadTimestamp != ""
		}},
		{"me_message.json", "me_message", func(m *slackevents.MessageEvent) bool {
			return m.User != "" && m.Text != "" && m.ThreadTimeStamp != ""
		}},
		{"bot_message.json", "bot_message", func(m *slackevents.MessageEvent) bool { return m.BotID != "" && m.User == "" }},
		{"message_replied.json", "message_replied", func(m *slackevents.MessageEvent) bool {
			return m.Message.ThreadTimestamp == m.Message.Timestamp
		}},
		{"channel_join.json", "channel_join", func(m *slackevents.MessageEvent) bool { return m.User != "" }},
		{"message_deleted.json", "message_deleted", func(m *slackevents.MessageEvent) bool {
			p := m.PreviousMessage
			return p != nil && p.SubType == "thread_broadcast" && p.Timestamp == m.DeletedTimeStamp && p.ThreadTimestamp != ""
		}},
	} {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			ev, err := slackevents.ParseEvent(json.RawMessage(b), slackevents.OptionNoVerifyToken())
			if err != nil {
				t.Fatal(err)
			}
			m, ok := ev.InnerEvent.Data.(*slackevents.MessageEvent)
			if !ok || ev.Type != slackevents.CallbackEvent {
				t.Fatalf("a %s with %T", ev.Type, ev.InnerEvent.Data)
			}
			if m.SubType != tt.subtype || m.Channel != channel || !tt.check(m) {
				t.Fatalf("parsed as %+v", m)
			}
		})
	}
}

// TestThreadSubtypes sends a card's thread every kind of message Slack
// delivers there. A reply sent "also to the channel" (thread_broadcast)
// and a /me message follow the thread's rule like a plain reply (to the
// customer, or a private note), once however often Slack delivers them, and
// so do their edits; other apps' posts and Slack's notices change nothing
// and are logged; words of an unknown subtype are kept as a note; a
// deleted reply or note is withdrawn.
func TestThreadSubtypes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		logs := &logBuffer{}
		h := newHarness(t, d, options{logs: logs})
		o := d.Open(t, d.Acme, "tess@example.com", "The printer jams.")
		r, cust := o.Request, core.CustomerActor(o.Participant.ID)
		cardTS := h.card(1001)
		h.click(aliceU, string(core.ActionAssign), r.ID)
		h.click(aliceU, string(core.ActionJoin), r.ID)
		h.waitThread(cardTS, "Alice joined the chat")

		const (
			aliceBroadcast = "1767225900.000100"
			bobBroadcast   = "1767225900.000200"
			aliceMe        = "1767225950.000100"
		)
		inThread := func(user, ts, text string, more map[string]any) map[string]any {
			// The fixture's rich text says its own text: without it, the
			// message is its text.
			set := map[string]any{"event.user": user, "event.ts": ts, "event.event_ts": ts, "event.thread_ts": cardTS,
				"event.text": text, "event.blocks": nil, "event_id": "Ev" + strings.ReplaceAll(ts, ".", "")}
			for k, v := range more {
				set[k] = v
			}
			return set
		}
		broadcast := func(user, ts, text string) map[string]any {
			return inThread(user, ts, text, map[string]any{"event.root.ts": cardTS, "event.root.thread_ts": cardTS})
		}
		retry := []string{"X-Slack-Retry-Num", "1", "X-Slack-Retry-Reason", "http_timeout"}
		for _, step := range []struct {
			name   string
			file   string
			set    map[string]any
			header []string
		}{
			{"Alice's reply also sent to the channel", "thread_broadcast.json",
				broadcast(aliceU, aliceBroadcast, "The fix is rolling out to every printer today."), nil},
			{"Slack delivers it again", "thread_broadcast.json",
				broadcast(aliceU, aliceBroadcast, "The fix is rolling out to every printer today."), retry},
			{"Bob, not in the chat, broadcasts", "thread_broadcast.json",
				broadcast(bobU, bobBroadcast, "PRIVATE-BOB: same fix as last week"), nil},
			{"Alice broadcasts a marked note", "thread_broadcast.json",
				broadcast(aliceU, "1767225900.000300", "!note PRIVATE-ALICE: out of warranty"), nil},
			{"a stranger broadcasts", "thread_broadcast.json",
				broadcast(strangerU, "1767225900.000400", "PRIVATE-STRANGER: hello"), nil},
			{"Alice's /me", "me_message.json", inThread(aliceU, aliceMe, "is checking the printer's logs", nil), nil},
			{"Alice edits her broadcast", "thread_broadcast_changed.json", map[string]any{
				"event.message.thread_ts": cardTS, "event.message.root.ts": cardTS, "event.message.root.thread_ts": cardTS,
				"event.previous_message.thread_ts": cardTS}, nil},
			{"Slack delivers the edit again", "thread_broadcast_changed.json", map[string]any{
				"event.message.thread_ts": cardTS, "event.message.root.ts": cardTS, "event.message.root.thread_ts": cardTS,
				"event.previous_message.thread_ts": cardTS}, retry},
			{"Alice edits her /me", "message_changed.json", map[string]any{"event.message.subtype": "me_message",
				"event.message.ts": aliceMe, "event.message.thread_ts": cardTS, "event.message.text": "is reading the logs",
				"event.message.edited.ts": "1767226050.000000", "event.previous_message.subtype": "me_message"}, nil},
			{"another app posts in the thread", "bot_message.json", map[string]any{"event.thread_ts": cardTS}, nil},
			{"Slack tells that the card got a reply", "message_replied.json", map[string]any{
				"event.message.ts": cardTS, "event.message.thread_ts": cardTS}, nil},
			{"Slack's join notice in the thread", "channel_join.json", map[string]any{"event.thread_ts": cardTS}, nil},
			{"Alice writes a subtype relaydesk does not know", "message.json",
				inThread(aliceU, "1767225990.000100", "PRIVATE-FUTURE: words of a new kind", map[string]any{"event.subtype": "some_future_subtype"}), nil},
			{"Alice deletes her broadcast", "message_deleted.json", map[string]any{
				"event.previous_message.thread_ts": cardTS}, nil},
			{"Bob deletes his broadcast note", "message_deleted.json", map[string]any{"event.deleted_ts": bobBroadcast,
				"event.previous_message.ts": bobBroadcast, "event.previous_message.user": bobU,
				"event.previous_message.thread_ts": cardTS, "event.previous_message.text": "PRIVATE-BOB: same fix as last week"}, nil},
		} {
			if code := h.event(step.file, step.set, step.header...); code != 200 {
				t.Fatalf("%s: HTTP %d", step.name, code)
			}
		}

		v := must[core.RequestView](t)(d.Engine.ViewRequest(ctx, cust, r.ID))
		var seen []string
		for _, m := range v.Messages {
			seen = append(seen, m.Body)
		}
		// Alice's broadcast, edited then deleted, is withdrawn; her /me reads
		// as edited.
		want := []string{"The printer jams.", "", "_is reading the logs_"}
		if !slices.Equal(seen, want) {
			t.Errorf("the customer sees\n%q\nwant\n%q", seen, want)
		}
		tv := must[core.RequestView](t)(d.Engine.ViewRequest(ctx, storetest.Actor(d.Admin), r.ID))
		var notes []string
		for _, m := range tv.Messages {
			if m.Audience == core.AudienceTechnicians && m.AuthorKind == core.ActorTechnician {
				notes = append(notes, m.AuthorName+": "+m.Body)
			}
		}
		wantNotes := []string{"Bob: PRIVATE-BOB: same fix as last week", "Alice: PRIVATE-ALICE: out of warranty",
			"Alice: PRIVATE-FUTURE: words of a new kind"}
		if !slices.Equal(notes, wantNotes) {
			t.Errorf("the notes\n%q\nwant\n%q", notes, wantNotes)
		}

		for _, m := range tv.Messages {
			if m.Withdrawn() != (m.Body == "The fix is rolling out to every printer tomorrow." ||
				m.Body == "PRIVATE-BOB: same fix as last week") {
				t.Errorf("%s's %q withdrawn: %v", m.AuthorName, m.Body, m.Withdrawn())
			}
		}
		if told := h.ephemerals(aliceU); len(told) != 0 {
			t.Errorf("Alice was told %q about deleting her broadcast", told)
		}
		if told := h.ephemerals(bobU); len(told) != 0 {
			t.Errorf("Bob was told %q about deleting a note", told)
		}
		if told := h.ephemerals(strangerU); len(told) != 1 || !strings.Contains(told[0], "not linked") {
			t.Errorf("the stranger was told %q", told)
		}
		log := logs.String()
		for _, subtype := range []string{"bot_message", "message_replied", "channel_join"} {
			if !strings.Contains(log, "level=DEBUG msg=\"slack: ignored a message event\" subtype="+subtype+" ") {
				t.Errorf("no debug line for the %s ignored; the log:\n%s", subtype, log)
			}
		}
		for _, c := range h.sl.Calls("chat.postMessage") {
			if strings.Contains(c.Fields["text"], "Build #512") || strings.Contains(c.Fields["text"], "has joined the channel") {
				t.Errorf("an ignored message was relayed: %+v", c.Fields)
			}
		}
	})
}
