package telegram_test

import (
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"

	"github.com/relaydesk/relaydesk/bots/telegram"
	"github.com/relaydesk/relaydesk/core/markup"
)

// ent is an entity of type typ over [offset, offset+length) UTF-16 code
// units, with its URL (text_link) or language (pre) when given.
func ent(typ string, offset, length int, extra ...string) models.MessageEntity {
	e := models.MessageEntity{Type: models.MessageEntityType(typ), Offset: offset, Length: length}
	if len(extra) > 0 {
		if typ == "pre" {
			e.Language = extra[0]
		} else {
			e.URL = extra[0]
		}
	}
	return e
}

type ents = []models.MessageEntity

// TestFromEntities: what relaydesk stores of a text and its entities.
func TestFromEntities(t *testing.T) {
	tests := []struct {
		name string
		text string
		ents ents
		want string
	}{
		{"plain text that looks like markup stays text", "**not bold** [x](https://y.example) - a\n1. b\n> c\n  - d\n• e\nsnake_case 2*3", nil,
			"\\*\\*not bold\\*\\* \\[x\\](https://y.example) - a\n1\\. b\n\\> c\n  \\- d\n\\• e\nsnake\\_case 2\\*3"},
		{"bold, italic, strikethrough, code", "bold italic gone code", ents{ent("bold", 0, 4), ent("italic", 5, 6), ent("strikethrough", 12, 4), ent("code", 17, 4)},
			"**bold** _italic_ ~~gone~~ `code`"},
		{"an emoji before the entity counts two units", "😀 bold", ents{ent("bold", 3, 4)}, "😀 **bold**"},
		{"emoji inside and around entities", "👍🏽 ok 🇩🇪 👨‍👩‍👧 fine", ents{ent("italic", 0, 4), ent("bold", 8, 4), ent("code", 13, 8)},
			"_👍🏽_ ok **🇩🇪** `👨‍👩‍👧` fine"},
		{"an offset inside a surrogate pair widens to the character", "x😀y", ents{ent("bold", 2, 1)}, "x**😀**y"},
		{"underline, spoiler and the like keep their words", "under secret #tag $USD /help +1 555 @tess", ents{ent("underline", 0, 5),
			ent("spoiler", 6, 6), ent("hashtag", 13, 4), ent("cashtag", 18, 4), ent("bot_command", 23, 5), ent("phone_number", 29, 6),
			ent("mention", 36, 5)}, "under secret #tag $USD /help +1 555 @tess"},
		{"a text_mention reads @name", "thanks Bob!", ents{ent("text_mention", 7, 3)}, "thanks @Bob!"},
		{"text_link, url without a scheme, email", "docs, example.com/a_b or me@example.com",
			ents{ent("text_link", 0, 4, "https://docs.example.com/x"), ent("url", 6, 15), ent("email", 25, 14)},
			"[docs](https://docs.example.com/x), [example.com/a\\_b](http://example.com/a_b) or [me@example.com](mailto:me@example.com)"},
		{"a url with its scheme is a bare link", "see https://example.com/a_b.", ents{ent("url", 4, 23)},
			"see https://example.com/a_b."},
		{"a URL with parentheses", "wiki", ents{ent("text_link", 0, 4, "https://en.wikipedia.org/wiki/Printer_(computing)")},
			"[wiki](https://en.wikipedia.org/wiki/Printer_%28computing%29)"},
		{"unsafe links stay text", "click here or there", ents{ent("text_link", 0, 5, "javascript:alert(1)"), ent("text_link", 14, 5, "tg://user?id=1")},
			"click here or there"},
		{"bold inside a link, and a link inside bold", "read the manual now", ents{ent("text_link", 0, 15, "https://m.example"),
			ent("bold", 9, 6), ent("bold", 16, 3), ent("text_link", 16, 3, "https://n.example")},
			"[read the **manual**](https://m.example) [**now**](https://n.example)"},
		{"bold and italic over the same words keep both", "very important", ents{ent("bold", 0, 14), ent("italic", 0, 14)},
			"**_very important_**"},
		{"bold and italic over the same words, with more around", "a very important b", ents{ent("bold", 0, 18), ent("italic", 2, 14)},
			"**a _very important_ b**"},
		{"crossing entities are split where they cross", "one two three", ents{ent("bold", 0, 7), ent("strikethrough", 4, 9)},
			"**one ~~two~~** ~~three~~"},
		{"italic closing with bold is kept", "one two three", ents{ent("bold", 0, 7), ent("italic", 4, 9)},
			"**one _two_** _three_"},
		{"spaces at an entity's edges move outside", "a  bold  b", ents{ent("bold", 1, 8)}, "a  **bold**  b"},
		{"italic inside a word is given up", "unbelievable", ents{ent("italic", 2, 6)}, "unbelievable"},
		{"code holding a backtick", "run a`b now", ents{ent("code", 4, 3)}, "run `a`\\``b` now"},
		{"an entity over two lines is one per line", "line one\nline two", ents{ent("bold", 5, 8)}, "line **one**\n**line** two"},
		{"a link label with brackets stays a link", "[1] docs", ents{ent("text_link", 0, 8, "https://d.example")},
			"[\\[1\\] docs](https://d.example)"},
		{"pre on lines of its own is a code block, with its language", "Try:\nfmt.Println(1)\nthen", ents{ent("pre", 5, 14, "go")},
			"Try:\n\n```go\nfmt.Println(1)\n```\n\nthen"},
		{"pre that takes the line break after it", "a\ncode\nb", ents{ent("pre", 2, 5)}, "a\n\n```\ncode\n```\n\nb"},
		{"pre inside a line is inline code", "run ls -l now", ents{ent("pre", 4, 5)}, "run `ls -l` now"},
		{"pre holding a fence is code line by line", "x\n```\ny", ents{ent("pre", 0, 7)}, "`x`\n\\`\\`\\`\n`y`"},
		{"a language is what a fence can name", "x", ents{ent("pre", 0, 1, "c++ (ISO)")}, "```c++\nx\n```"},
		{"a language that is none is dropped", "x", ents{ent("pre", 0, 1, "a`b")}, "```\nx\n```"},
		{"a language over lines is dropped", "x", ents{ent("pre", 0, 1, "go\nrm")}, "```\nx\n```"},
		{"blockquote and expandable_blockquote", "I wrote:\nfirst\nsecond\n\nand\nmore", ents{ent("blockquote", 9, 12),
			ent("expandable_blockquote", 23, 8)}, "I wrote:\n\n> first\n> second\n\n> and\n> more"},
		{"a quote inside a line is text", "he said hi there", ents{ent("blockquote", 8, 2)}, "he said hi there"},
		{"code inside a quote", "see:\nrun ls", ents{ent("blockquote", 5, 6), ent("pre", 9, 2)}, "see:\n\n> run `ls`"},
		{"blank lines part paragraphs", "a\n\n\n  \nb\r\nc\rd", nil, "a\n\nb\nc\nd"},
		{"entities out of range are cut to the text", "short text", ents{ent("bold", -3, 5), ent("italic", 6, 1<<62), ent("code", 99, 2),
			ent("bold", 1, 0), ent("bold", 2, -4), ent("bold", -1<<62, 1<<62+3)}, "**sho**rt _text_"},
		{"overlapping links: the first wins", "abcdef", ents{ent("text_link", 0, 4, "https://a.example"), ent("text_link", 2, 4, "https://b.example")},
			"[abcd](https://a.example)[ef](https://b.example)"},
		{"no entities, no text", "", ents{ent("bold", 0, 3)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := telegram.Stored(tt.text, tt.ents); got != tt.want {
				t.Errorf("Stored(%q) =\n%q\nwant\n%q", tt.text, got, tt.want)
			}
		})
	}
}

// fuzzTypes and fuzzURLs are what FuzzFromEntities draws entities from.
var (
	fuzzTypes = []string{"bold", "italic", "underline", "strikethrough", "spoiler", "code", "pre", "text_link", "url", "email",
		"mention", "text_mention", "hashtag", "blockquote", "expandable_blockquote", "custom_emoji", "made_up"}
	fuzzURLs = []string{"https://example.com/a_b*c", "javascript:alert(1)", "http://x.example/(y) z", "", "tg://user?id=1",
		"mailto:a@b.example", "https://e.example/[x]"}
)

// FuzzFromEntities: for any text and entities (raw, five bytes each: type,
// offset, length, URL, language) the conversion does not panic, every
// link is safe, what is stored reads back as the Doc it was written from,
// and no text is lost: the stored text shows every character of the
// message in order, and nothing more unless links or mentions added it.
func FuzzFromEntities(f *testing.F) {
	f.Add("😀 bold [x](y) https://a.example/b_c\n> q\n```\nz", []byte{0, 3, 8, 0, 0, 7, 10, 5, 0, 0, 8, 25, 20, 0, 0})
	f.Add("one two three\n\nfour", []byte{0, 8, 11, 0, 0, 1, 12, 13, 0, 0, 13, 8, 12, 0, 0, 6, 22, 8, 0, 1})
	f.Add("**a** _b_ `c` • d\n  - e", []byte{5, 4, 4, 0, 0, 2, 8, 12, 0, 0})
	f.Fuzz(func(t *testing.T, text string, raw []byte) {
		if !utf8.ValidString(text) {
			return
		}
		var es ents
		adds := false // entities that may add text: links, mentions
		for i := 0; i+5 <= len(raw) && len(es) < 40; i += 5 {
			typ := fuzzTypes[int(raw[i])%len(fuzzTypes)]
			e := ent(typ, int(raw[i+1])-8, int(raw[i+2])-4)
			e.URL = fuzzURLs[int(raw[i+3])%len(fuzzURLs)]
			e.Language = []string{"", "go", "c++", "a`b"}[int(raw[i+4])%4]
			switch typ {
			case "text_link", "url", "email", "text_mention":
				adds = true
			}
			es = append(es, e)
		}
		doc := telegram.FromEntities(text, es)
		stored := markup.Write(doc)
		back := markup.Parse(stored)
		for _, d := range []markup.Doc{doc, back} {
			for _, u := range links(d) {
				if _, ok := markup.SafeURL(u); !ok {
					t.Fatalf("unsafe link %q from %q %+v", u, text, es)
				}
			}
		}
		if !sameDoc(doc, back) {
			t.Fatalf("%q %+v is stored as %q, which reads back as\n%+v\nnot\n%+v", text, es, stored, back, doc)
		}
		want, got := squash(text), squash(visible(back))
		if adds && !subsequence(want, got) || !adds && want != got {
			t.Fatalf("%q %+v is stored as %q, which shows %q", text, es, stored, visible(back))
		}
	})
}

// links lists the URLs of doc's links.
func links(doc markup.Doc) []string {
	var out []string
	var walk func(xs []markup.Inline)
	walk = func(xs []markup.Inline) {
		for _, x := range xs {
			if x.Kind == markup.Link {
				out = append(out, x.URL)
			}
			walk(x.Children)
		}
	}
	for _, b := range doc {
		walk(b.Inlines)
		for _, it := range b.Items {
			walk(it)
		}
	}
	return out
}

// sameDoc reports whether b is a as far as reading stored text back must
// keep it: a bare URL may read as a link to itself, texts side by side
// are one.
func sameDoc(a, b markup.Doc) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Kind != y.Kind || x.Text != y.Text || x.Lang != y.Lang || !reflect.DeepEqual(telegram.NormInlines(x.Inlines), telegram.NormInlines(y.Inlines)) {
			return false
		}
	}
	return true
}

// visible is what doc shows a reader: its words, without markup or URLs.
func visible(doc markup.Doc) string {
	var b strings.Builder
	var walk func(xs []markup.Inline)
	walk = func(xs []markup.Inline) {
		for _, x := range xs {
			switch x.Kind {
			case markup.Text, markup.Code:
				b.WriteString(x.Text)
			case markup.Break:
				b.WriteString("\n")
			default:
				walk(x.Children)
			}
		}
	}
	for _, bl := range doc {
		b.WriteString(bl.Text)
		walk(bl.Inlines)
		for _, it := range bl.Items {
			walk(it)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// squash is s without white space and without the @ a mention may gain.
func squash(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '@' {
			return -1
		}
		return r
	}, s)
}

// subsequence reports whether the runes of a appear in b in order.
func subsequence(a, b string) bool {
	rb := []rune(b)
	j := 0
	for _, r := range a {
		for j < len(rb) && rb[j] != r {
			j++
		}
		if j == len(rb) {
			return false
		}
		j++
	}
	return true
}

// TestFromEntitiesWorstCase: a message as long as Telegram allows, with
// many entities none of which the subset can write (italic inside words,
// crossing each other), converts quickly.
func TestFromEntitiesWorstCase(t *testing.T) {
	text := strings.Repeat("abcdefgh", 512)
	var es ents
	for i := 0; i+6 < len(text); i += 4 {
		es = append(es, ent([]string{"italic", "bold", "strikethrough", "text_link"}[i%16/4], i+1, 6, "https://x.example/[a]"))
	}
	start := time.Now()
	doc := telegram.FromEntities(text, es)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("%d entities over %d characters took %s", len(es), len(text), d)
	}
	if got := squash(visible(doc)); !strings.HasPrefix(got, text) {
		t.Errorf("the text was lost: %.80q...", got)
	}
}
