package slack_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	goslack "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/relaydesk/relaydesk/bots/discord"
	"github.com/relaydesk/relaydesk/bots/slack"
	"github.com/relaydesk/relaydesk/core/markup"
	"github.com/relaydesk/relaydesk/internal/golden"
)

// The people and channels the format fixtures mention.
var (
	fixtureUsers    = map[string]string{aliceU: "Alice", bobU: "Bob Builder"}
	fixtureChannels = map[string]string{"C0123GENRL": "general"}
)

// TestFormatGolden: each Slack message of testdata/format, as Slack sends
// it, is stored as relaydesk's message format (what the customer gets),
// and that body shows in a Slack thread and in a Discord thread as the
// golden file says.
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
			ev, err := slackevents.ParseEvent(json.RawMessage(b), slackevents.OptionNoVerifyToken())
			if err != nil {
				t.Fatal(err)
			}
			m, ok := ev.InnerEvent.Data.(*slackevents.MessageEvent)
			if !ok {
				t.Fatalf("%s is no message event: %T", f, ev.InnerEvent.Data)
			}
			stored := markup.Write(slack.ReadMessage(fixtureUsers, fixtureChannels, m.Text, m.Blocks))
			if back := markup.Write(markup.Parse(stored)); back != stored {
				t.Errorf("the stored text %q does not read back: %q", stored, back)
			}
			golden.Check(t, filepath.Join("format", name+".golden"), fmt.Appendf(nil,
				"stored (what the customer gets):\n%s\n\nin a Slack thread:\n%s\n\nin a Discord thread:\n%s\n",
				stored, slack.Render(stored), discord.Render(stored)))
		})
	}
}

func TestReadMessage(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"escapes", "a &lt;b&gt; &amp;amp; c", "a <b> &amp; c"},
		{"a user without a name", "hi <@U0NOBODY>", "hi @U0NOBODY"},
		{"a user's legacy name", "hi <@U0NOBODY|carol>", "hi @carol"},
		{"a channel without a name", "in <#C0NOWHERE>", "in #C0NOWHERE"},
		{"special mentions", "<!here> <!channel> <!everyone> <!here|here>", "@here @channel @everyone @here"},
		{"a date", "at <!date^1392734382^{date_short}|Feb 18, 2014>", "at Feb 18, 2014"},
		{"a bare link", "see <https://example.com/a_b>", "see https://example.com/a_b"},
		{"an unsafe link", "<javascript:alert(1)|click>", "click"},
		{"bold needs word edges", "a*b*c *d* e*", "a\\*b\\*c **d** e\\*"},
		{"a span across a link", "*see <https://a.example/x_y|it>*", "**see [it](https://a.example/x_y)**"},
		{"emoji", ":smile::smile: 10:30:00 :not_an_emoji_we_know:", "😄😄 10:30:00 :not\\_an\\_emoji\\_we\\_know:"},
		{"quote all that follows", "&gt;&gt;&gt; one\ntwo", "> one\n> two"},
		{"code keeps its text", "`*not bold* &lt;x&gt;`", "`*not bold* <x>`"},
		{"preformatted within a line", "run ```make *all*``` now", "run\n\n```\nmake *all*\n```\n\nnow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := markup.Write(slack.ReadMessage(fixtureUsers, fixtureChannels, tt.text, goslack.Blocks{})); got != tt.want {
				t.Errorf("%q is stored as %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

// FuzzReadMrkdwn: whatever text Slack sends, reading it does not panic,
// and what is stored is the format's, reads back as what was read, and
// links nowhere but to safe URLs.
func FuzzReadMrkdwn(f *testing.F) {
	for _, s := range []string{"if x &lt; 5 &amp;&amp; y &gt; 3, see <https://status.example.com|our status page> :white_check_mark: <@U2147483697>",
		"*_~a~_* `b` ```c``` &gt; d\n• e\n1. f", "<javascript:alert(1)|x> <https://a.b/(c)|d]e> <!subteam^S1|@t> <#C1|g>",
		"*a *b* c* _a_b_ ~~x~~ :+1::skin-tone-9: <<>>", "&gt;&gt;&gt;\n\n*\n*", "*<@U1>*:smile:*", "```\n```"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		doc := slack.ReadMessage(fixtureUsers, fixtureChannels, s, goslack.Blocks{})
		stored := markup.Write(doc)
		back := markup.Parse(stored)
		if got, want := markup.Plain(back), markup.Plain(markup.Tidy(doc)); got != want {
			t.Fatalf("%q is stored as %q, which reads back as %q, not %q", s, stored, got, want)
		}
		if again := markup.Write(back); again != stored {
			t.Fatalf("%q is stored as %q, which written again is %q", s, stored, again)
		}
		checkLinks(t, back)
	})
}

// checkLinks fails t if doc links to an unsafe URL.
func checkLinks(t *testing.T, doc markup.Doc) {
	t.Helper()
	var check func(xs []markup.Inline)
	check = func(xs []markup.Inline) {
		for _, x := range xs {
			if x.Kind == markup.Link {
				if _, ok := markup.SafeURL(x.URL); !ok {
					t.Fatalf("a link to %q", x.URL)
				}
			}
			check(x.Children)
		}
	}
	for _, b := range doc {
		check(b.Inlines)
		for _, it := range b.Items {
			check(it)
		}
	}
}
