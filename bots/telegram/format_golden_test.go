package telegram_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/go-telegram/bot/models"

	"github.com/relaydesk/relaydesk/bots/telegram"
	"github.com/relaydesk/relaydesk/core/markup"
	"github.com/relaydesk/relaydesk/internal/golden"
)

// TestFormatGolden: updates as Telegram sends them, with entities
// (testdata/format/*.json: bold, italic, links, code, pre, quotes,
// mentions, emoji before entities, captions, an edit), become the neutral
// text relaydesk stores, and that text what the other surfaces get: a
// Slack thread (mrkdwn), a Discord thread (Markdown), plain text, and
// Telegram again (text and entities, as a technician's reply would go).
// The expected renderings are testdata/format/*.golden (go test -run
// TestFormatGolden -update rewrites them after a deliberate change).
func TestFormatGolden(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "format", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var u models.Update
			if err := json.Unmarshal(raw, &u); err != nil {
				t.Fatal(err)
			}
			in, ok := telegram.Parse(&u)
			if !ok || in.Text == "" {
				t.Fatalf("Parse: %+v, %v", in, ok)
			}
			doc := markup.Parse(in.Text)
			// What another surface builds from the stored text and stores
			// again (an edit, a copy) shows the same words.
			if again := markup.Write(doc); visible(markup.Parse(again)) != visible(doc) {
				t.Errorf("the stored text %q does not read back the same: written again it is %q", in.Text, again)
			}
			text, ents := markup.Telegram(doc)
			var b strings.Builder
			section := func(title, body string) { fmt.Fprintf(&b, "== %s\n%s\n\n", title, body) }
			section("stored", in.Text)
			section("slack", markup.Slack(doc))
			section("discord", markup.Markdown(doc, markup.EscapeText))
			section("plain", markup.Plain(doc))
			var es []string
			for _, e := range ents {
				s := fmt.Sprintf("%s@%d+%d %q", e.Type, e.Offset, e.Length, utf16Slice(text, e.Offset, e.Length))
				if e.URL != "" {
					s += " " + e.URL
				}
				if e.Language != "" {
					s += " " + e.Language
				}
				es = append(es, s)
			}
			section("telegram", text+"\n-- entities\n"+strings.Join(es, "\n"))
			golden.Check(t, filepath.Join("format", name+".golden"), []byte(b.String()))
		})
	}
}

// utf16Slice is the text an entity covers, for reading the golden files.
func utf16Slice(s string, offset, length int) string {
	u := utf16.Encode([]rune(s))
	return string(utf16.Decode(u[offset : offset+length]))
}
