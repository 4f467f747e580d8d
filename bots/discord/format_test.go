package discord_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/relaydesk/relaydesk/bots/discord"
	"github.com/relaydesk/relaydesk/bots/slack"
	"github.com/relaydesk/relaydesk/core/markup"
	"github.com/relaydesk/relaydesk/internal/golden"
)

// The people, channels and roles the format fixtures mention; Carol is
// known only from the message's own mentions.
var (
	fixtureUsers    = map[string]string{bobU: "Bob (printers)"}
	fixtureChannels = map[string]string{"1300000000000000002": "printer-logs"}
	fixtureRoles    = map[string]string{"1100000000000000001": "printer-team"}
)

// TestFormatGolden: each MESSAGE_CREATE of testdata/format, as Discord
// sends it, is stored as relaydesk's message format (what the customer
// gets), and that body shows in a Discord thread and in a Slack thread as
// the golden file says.
func TestFormatGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "format", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var m discordgo.MessageCreate
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			stored := markup.Write(discord.ReadMessage(fixtureUsers, fixtureChannels, fixtureRoles, m.Content, m.Mentions))
			if back := markup.Write(markup.Parse(stored)); back != stored {
				t.Errorf("the stored text %q does not read back: %q", stored, back)
			}
			golden.Check(t, filepath.Join("format", name+".golden"), fmt.Appendf(nil,
				"stored (what the customer gets):\n%s\n\nin a Discord thread:\n%s\n\nin a Slack thread:\n%s\n",
				stored, discord.Render(stored), slack.Render(stored)))
		})
	}
}

func TestReadMessage(t *testing.T) {
	tests := []struct{ name, content, want string }{
		{"an unknown user", "hi <@1234>", "hi @1234"},
		{"an unknown channel and role", "<#1234> <@&5678>", "#1234 @5678"},
		{"a name with markup", "<@" + aliceU + ">", `@\_al\*ice\_`},
		{"a mention in code stays", "`<@" + bobU + ">`", "`<@" + bobU + ">`"},
		{"underline in code stays", "`__x__` __y__", "`__x__` y"},
		{"an unpaired underline", "a__b", `a\_\_b`},
		{"a spoiler over lines", "||one\ntwo||", "one\ntwo"},
		{"a link without a preview", "[docs](<https://docs.example.com>)", "[docs](https://docs.example.com)"},
		{"a timestamp", "<t:1767225600:d> <t:1767225600>", "2026-01-01 UTC 1 January 2026 00:00 UTC"},
		{"a slash command", "</support note:123>", "/support note"},
		{"bold italic", "***both***", "**_both_**"},
		{"an unclosed code block", "```\nnever closed", "\\`\\`\\`\nnever closed"},
	}
	users := map[string]string{bobU: "Bob", aliceU: "_al*ice_"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := markup.Write(discord.ReadMessage(users, nil, nil, tt.content, nil)); got != tt.want {
				t.Errorf("%q is stored as %q, want %q", tt.content, got, tt.want)
			}
		})
	}
}

// FuzzReadDiscord: whatever content Discord sends, reading it does not
// panic, and what is stored is the format's, reads back as what was read,
// and links nowhere but to safe URLs.
func FuzzReadDiscord(f *testing.F) {
	for _, s := range []string{"<@53908232506183681> <#1300000000000000002> <@&1100000000000000001> <:a_b:1> <a:c:2> @everyone",
		"**a** *b* _c_ ~~d~~ __e__ ||f|| `g` ```h\ni```\n> j\n- k\n1. l\n[m](https://n.example/(o)) <https://p.example>",
		">>> q\n# r\n-# s <t:0:R> </t u:1>", "___x___ ||__y||__ `a``b`", "[x](javascript:alert(1)) [y](<javascript:z>)", "\\<@1>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		doc := discord.ReadMessage(fixtureUsers, fixtureChannels, fixtureRoles, s, nil)
		stored := markup.Write(doc)
		back := markup.Parse(stored)
		if got, want := markup.Plain(back), markup.Plain(markup.Tidy(doc)); got != want {
			t.Fatalf("%q is stored as %q, which reads back as %q, not %q", s, stored, got, want)
		}
		if again := markup.Write(back); again != stored {
			t.Fatalf("%q is stored as %q, which written again is %q", s, stored, again)
		}
		var check func(xs []markup.Inline)
		check = func(xs []markup.Inline) {
			for _, x := range xs {
				if _, ok := markup.SafeURL(x.URL); x.Kind == markup.Link && !ok {
					t.Fatalf("%q links to %q", s, x.URL)
				}
				check(x.Children)
			}
		}
		for _, b := range back {
			check(b.Inlines)
			for _, it := range b.Items {
				check(it)
			}
		}
	})
}
