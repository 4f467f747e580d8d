package telegram_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/go-telegram/bot/models"

	"github.com/relaydesk/relaydesk/bots/telegram"
)

// spans lists entities as type@offset+length, a link's URL after it.
func spans(es []models.MessageEntity) []string {
	var out []string
	for _, e := range es {
		s := fmt.Sprintf("%s@%d+%d", e.Type, e.Offset, e.Length)
		if e.URL != "" {
			s += " " + e.URL
		}
		out = append(out, s)
	}
	return out
}

func units(s string) int { return len(utf16.Encode([]rune(s))) }

// TestFormatted: a stored body goes as text and entities, after the
// author's name, which shifts the entities by its UTF-16 length.
func TestFormatted(t *testing.T) {
	tests := []struct {
		who, body string
		text      string
		spans     []string
	}{
		{"Alice", "**Restart** the [router](https://example.com/help) and run `ping`", "Alice: Restart the router and run ping",
			[]string{"bold@7+7", "text_link@19+6 https://example.com/help", "code@34+4"}},
		{"Zoë 🛠", "🎉 **Fixed**", "Zoë 🛠: 🎉 Fixed", []string{"bold@11+5"}},
		{"", "*alone*", "alone", []string{"italic@0+5"}},
		{"Alice", "if x < 5 && y > 3, see <b>this</b> \\*not bold\\*", "Alice: if x < 5 && y > 3, see <b>this</b> *not bold*", nil},
	}
	for _, tt := range tests {
		text, es := telegram.Formatted(tt.who, tt.body)
		if text != tt.text || !slices.Equal(spans(es), tt.spans) {
			t.Errorf("Formatted(%q, %q) = %q %q, want %q %q", tt.who, tt.body, text, spans(es), tt.text, tt.spans)
		}
	}
}

// TestCut: a message longer than Telegram allows is cut at a paragraph's
// end where one is in the second half of what fits, else at a line's end
// or a space, else between characters (never inside an emoji); entities
// are cut with it and start from each piece's beginning.
func TestCut(t *testing.T) {
	para := func(n int, word string) string { return "**" + word + "** " + strings.Repeat("lorem ipsum ", n) }
	t.Run("at paragraphs", func(t *testing.T) {
		body := para(160, "one") + "\n\n" + para(160, "two") + "\n\n" + para(160, "three")
		text, es := telegram.Formatted("Alice", body)
		texts, ents := telegram.Cut(text, es, 4096)
		if len(texts) != 2 || !strings.HasPrefix(texts[0], "Alice: one ") || !strings.HasPrefix(texts[1], "three ") ||
			!strings.Contains(texts[0], "\n\ntwo ") || strings.HasSuffix(texts[0], "\n") {
			t.Fatalf("pieces %q", texts)
		}
		if got := spans(ents[1]); !slices.Equal(got, []string{"bold@0+5"}) {
			t.Errorf("the second piece's entities: %q", got)
		}
		check(t, text, texts, ents, 4096)
	})
	t.Run("an entity over the cut", func(t *testing.T) {
		text := strings.Repeat("word ", 30)
		texts, ents := telegram.Cut(text, []models.MessageEntity{{Type: "bold", Offset: 0, Length: units(text)}}, 100)
		if len(texts) != 2 || !slices.Equal(spans(ents[0]), []string{"bold@0+99"}) || !slices.Equal(spans(ents[1]), []string{fmt.Sprintf("bold@0+%d", units(texts[1]))}) {
			t.Fatalf("pieces %q %+v", texts, ents)
		}
		check(t, text, texts, ents, 100)
	})
	t.Run("emoji at the limit", func(t *testing.T) {
		text := "a" + strings.Repeat("😀", 60)
		texts, ents := telegram.Cut(text, []models.MessageEntity{{Type: "italic", Offset: 1, Length: 120}}, 100)
		if len(texts) != 2 || units(texts[0]) != 99 || texts[1] != strings.Repeat("😀", 11) {
			t.Fatalf("pieces %q", texts)
		}
		if !slices.Equal(spans(ents[0]), []string{"italic@1+98"}) || !slices.Equal(spans(ents[1]), []string{"italic@0+22"}) {
			t.Errorf("entities %+v", ents)
		}
	})
	t.Run("every fixture at small limits", func(t *testing.T) {
		for _, body := range []string{"😤 Printer on floor 2 **still prints everything twice**!\nI followed your [help page](https://help.example.com/printers#duplex) and ran `sudo systemctl restart cups` — *no luck*.",
			"Here is the log 📄:\n\n```log\n[ERROR] spooler: job 42 duplicated\n[ERROR] spooler: job 43 duplicated\n```\n\nYou said:\n\n> Turn it off and on again\n\nDid that 🙃 **twice**"} {
			text, es := telegram.Formatted("Alice", body)
			for _, max := range []int{7, 16, 40, 100} {
				texts, ents := telegram.Cut(text, es, max)
				check(t, text, texts, ents, max)
			}
		}
	})
}

// check: every piece fits, its entities lie within it and cover what the
// whole message's did there, and the pieces hold the text but the breaks
// they were cut at.
func check(t *testing.T, text string, texts []string, ents [][]models.MessageEntity, max int) {
	t.Helper()
	for i, p := range texts {
		if n := units(p); n > max || n == 0 {
			t.Errorf("piece %d is %d units, limit %d: %q", i, n, max, p)
		}
		for _, e := range ents[i] {
			if e.Offset < 0 || e.Length <= 0 || e.Offset+e.Length > units(p) {
				t.Errorf("piece %d: entity %+v outside %q", i, e, p)
			}
		}
	}
	squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
	if got := squash(strings.Join(texts, "")); got != squash(text) {
		t.Errorf("pieces %q do not hold %q", texts, text)
	}
}

// TestFit: a caption longer than Telegram allows ends in "…" within the
// limit, its entities cut with it.
func TestFit(t *testing.T) {
	text := "Alice: " + strings.Repeat("report ", 200) + ".pdf"
	got, es := telegram.Fit(text, []models.MessageEntity{{Type: "bold", Offset: 0, Length: 5}, {Type: "italic", Offset: 1000, Length: 400}}, 1024)
	if units(got) > 1024 || !strings.HasSuffix(got, "…") || !strings.HasPrefix(got, "Alice: report") {
		t.Fatalf("Fit = %q (%d units)", got, units(got))
	}
	if s := spans(es); len(s) != 2 || s[0] != "bold@0+5" || !strings.HasPrefix(s[1], "italic@1000+") {
		t.Errorf("entities %q", s)
	}
	if short, _ := telegram.Fit("Alice: a.txt", nil, 1024); short != "Alice: a.txt" {
		t.Errorf("a short caption became %q", short)
	}
}
