package telegram_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/bots/telegram/telegramtest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestFormattingBothWays: through the real client and the fake Bot API,
// which refuses entities outside their text as Telegram does. Tess's
// formatted message and a photo's formatted caption are stored as neutral
// Markdown; Alice's replies, stored as neutral Markdown, reach Tess as
// text and entities at the right UTF-16 offsets after "Alice: ", with no
// parse_mode; a reply longer than Telegram's limit arrives in pieces cut
// at paragraphs, each with its own entities; a file's name is no markup.
func TestFormattingBothWays(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		d := storetest.NewDesk(t, newStore(t))
		h := newHarness(t, d, options{})
		e, alice := d.Engine, storetest.Actor(d.Alice)

		h.say("format/formatted_text.json", 1, nil)
		h.waitSent("Your request #1001 with Acme is open")
		r := h.conversation().Request
		must[core.Request](t)(e.AssignToMe(ctx, alice, r.ID))
		must[core.Request](t)(e.JoinChat(ctx, alice, r.ID))
		h.waitSent("Alice joined the chat.")

		h.tg.AddFile("AgACAgIAAxkBAAIBtGXcaption-x", "photos/file_9.jpg", jpegBytes(t))
		h.say("format/photo_caption.json", 2, nil)
		want := []string{
			"😤 Printer on floor 2 **still prints everything twice**!\nI followed your [help page](https://help.example.com/printers#duplex) and ran `sudo systemctl restart cups` — _no luck_.",
			"photo_35.jpg",
			"📸 **The error:** `0x80070057` after page 2 (_bottom right_)",
		}
		if got := h.bodies(r.ID); !slices.Equal(got, want) {
			t.Fatalf("stored\n%q\nwant\n%q", got, want)
		}

		reply := func(body string) {
			t.Helper()
			must[core.Message](t)(e.PostMessage(ctx, alice, r.ID, core.Post{Body: body}))
		}
		expect := func(c telegramtest.Call, text string, spans ...string) {
			t.Helper()
			if c.Fields["text"] != text || !slices.Equal(c.Spans(), spans) || c.Fields["parse_mode"] != "" {
				t.Errorf("Tess was sent %q %q (parse_mode %q), want %q %q", c.Fields["text"], c.Spans(), c.Fields["parse_mode"], text, spans)
			}
		}
		reply("**Restart** the [router](https://example.com/help) and run `ping`")
		expect(h.waitSent("Alice: Restart"), "Alice: Restart the router and run ping",
			"bold@7+7", "text_link@19+6 https://example.com/help", "code@34+4")

		reply("🎉 **Fixed**: see\n\n> the log\n\n```sh\nlpstat -t\n```")
		expect(h.waitSent("Alice: 🎉"), "Alice: 🎉 Fixed: see\n\nthe log\n\nlpstat -t",
			"bold@10+5", "blockquote@22+7", "pre@31+9 sh")

		reply("if x < 5 && y > 3, see <b>not html</b> and 2\\*3")
		expect(h.waitSent("Alice: if x"), "Alice: if x < 5 && y > 3, see <b>not html</b> and 2*3")

		// Longer than Telegram's limit: two messages, cut between paragraphs.
		para := func(word string) string { return "**" + word + "** " + strings.Repeat("then wait a moment, ", 90) }
		reply(para("First") + "\n\n" + para("Second") + "\n\n" + para("Third"))
		first := h.waitSent("Alice: First")
		rest := h.waitSent("Third")
		if !strings.Contains(first.Fields["text"], "\n\nSecond ") || strings.Contains(first.Fields["text"], "Third") ||
			!strings.HasPrefix(rest.Fields["text"], "Third ") || !slices.Equal(rest.Spans(), []string{"bold@0+5"}) ||
			!slices.Equal(first.Spans()[:1], []string{"bold@7+5"}) || len(first.Spans()) != 2 {
			t.Errorf("the long reply went as\n%q %q\n%q %q", first.Fields["text"], first.Spans(), rest.Fields["text"], rest.Spans())
		}

		// A file's name is no markup.
		if _, _, err := e.AttachFile(ctx, alice, r.ID, core.Upload{Name: "_draft_ notes.txt", Body: bytes.NewReader([]byte("ok"))}); err != nil {
			t.Fatal(err)
		}
		docs := h.tg.Wait(t, "the file", func(calls []telegramtest.Call) bool {
			return slices.ContainsFunc(calls, func(c telegramtest.Call) bool { return c.Method == "sendDocument" })
		})
		for _, c := range docs {
			if c.Method == "sendDocument" && (c.Fields["caption"] != "Alice: _draft_ notes.txt" || len(c.Spans()) != 0 || c.Failed) {
				t.Errorf("sendDocument caption %q %q failed %v", c.Fields["caption"], c.Spans(), c.Failed)
			}
		}
		for _, c := range h.tg.Calls() {
			if c.Failed && c.Method != "getUpdates" {
				t.Errorf("Telegram refused %s: %q", c.Method, c.Fields["text"])
			}
		}
	})
}
