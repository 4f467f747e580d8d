package markup

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

func TestRender(t *testing.T) {
	tests := []struct {
		in                   string
		plain, slack, md, tg string
		ents                 string // Telegram entities, type@offset+length
	}{
		{in: "hello", plain: "hello", slack: "hello", md: "hello", tg: "hello"},
		{in: "if x < 5 && y > 3", plain: "if x < 5 && y > 3", slack: "if x &lt; 5 &amp;&amp; y &gt; 3", md: "if x < 5 && y > 3",
			tg: "if x < 5 && y > 3"},
		{in: "**bold** and *it* and _it_ and ~~gone~~", plain: "bold and it and it and gone",
			slack: "*bold* and _it_ and _it_ and ~gone~", md: "**bold** and *it* and *it* and ~~gone~~",
			tg: "bold and it and it and gone", ents: "bold@0+4 italic@9+2 italic@16+2 strikethrough@23+4"},
		{in: "see [our status page](https://status.example.com/x?a=1|2)", plain: "see our status page (https://status.example.com/x?a=1|2)",
			slack: "see <https://status.example.com/x?a=1%7C2|our status page>", md: "see [our status page](https://status.example.com/x?a=1|2)",
			tg: "see our status page", ents: "text_link@4+15"},
		{in: "go to https://example.com/a_b_c. now", plain: "go to https://example.com/a_b_c. now",
			slack: "go to <https://example.com/a_b_c|https://example.com/a_b_c>. now", md: "go to [https://example.com/a_b_c](https://example.com/a_b_c). now",
			tg: "go to https://example.com/a_b_c. now", ents: "text_link@6+25"},
		{in: "***both*** and ***not", plain: "both and ***not", slack: "*_both_* and ***not", md: "***both*** and ***not",
			tg: "both and ***not", ents: "italic@0+4 bold@0+4"},
		{in: "snake_case_name and 2*3*4", plain: "snake_case_name and 2*3*4", slack: "snake_case_name and 2*3*4", md: "snake_case_name and 2*3*4",
			tg: "snake_case_name and 2*3*4"},
		{in: "run `rm -rf <dir>` now", plain: "run rm -rf <dir> now", slack: "run `rm -rf &lt;dir&gt;` now", md: "run `rm -rf <dir>` now",
			tg: "run rm -rf <dir> now", ents: "code@4+12"},
		{in: "[click](javascript:alert(1))", plain: "[click](javascript:alert(1))", slack: "[click](javascript:alert(1))",
			md: "[click](javascript:alert(1))", tg: "[click](javascript:alert(1))"},
		{in: "line one\nline two\n\nnext", plain: "line one\nline two\n\nnext", slack: "line one\nline two\n\nnext", md: "line one\nline two\n\nnext",
			tg: "line one\nline two\n\nnext"},
		{in: "> quoted\n> more\nafter", plain: "> quoted\n> more\n\nafter", slack: "> quoted\n> more\n\nafter", md: "> quoted\n> more\n\nafter",
			tg: "quoted\nmore\n\nafter", ents: "blockquote@0+11"},
		{in: "- one\n- **two**\n\n1. a\n2. b", plain: "- one\n- two\n\n1. a\n2. b", slack: "• one\n• *two*\n\n1. a\n2. b",
			md: "- one\n- **two**\n\n1. a\n2. b", tg: "• one\n• two\n\n1. a\n2. b", ents: "bold@8+3"},
		{in: "```\nfunc main() {}\n```", plain: "func main() {}", slack: "```\nfunc main() {}\n```", md: "```\nfunc main() {}\n```",
			tg: "func main() {}", ents: "pre@0+14"},
		{in: "not \\*emphasis\\* here", plain: "not *emphasis* here", slack: "not *emphasis* here", md: "not *emphasis* here",
			tg: "not *emphasis* here"},
		{in: "😀 **ü**", plain: "😀 ü", slack: "😀 *ü*", md: "😀 **ü**", tg: "😀 ü", ents: "bold@3+1"},
		{in: "unclosed **bold and ```fence", plain: "unclosed **bold and ```fence", slack: "unclosed **bold and ```fence",
			md: "unclosed **bold and ```fence", tg: "unclosed **bold and ```fence"},
	}
	for _, tt := range tests {
		doc := Parse(tt.in)
		if got := Plain(doc); got != tt.plain {
			t.Errorf("Plain(%q) = %q, want %q", tt.in, got, tt.plain)
		}
		if got := Slack(doc); got != tt.slack {
			t.Errorf("Slack(%q) = %q, want %q", tt.in, got, tt.slack)
		}
		if got := Markdown(doc, func(s string) string { return s }); got != tt.md {
			t.Errorf("Markdown(%q) = %q, want %q", tt.in, got, tt.md)
		}
		text, ents := Telegram(doc)
		var es []string
		for _, e := range ents {
			es = append(es, e.Type+"@"+itoa(e.Offset)+"+"+itoa(e.Length))
		}
		if text != tt.tg || strings.Join(es, " ") != tt.ents {
			t.Errorf("Telegram(%q) = %q %v, want %q %s", tt.in, text, es, tt.tg, tt.ents)
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestSafeURL(t *testing.T) {
	for u, ok := range map[string]bool{"https://a.example/x": true, "http://a.example": true, "mailto:bob@example.com": true,
		"javascript:alert(1)": false, "JaVaScRiPt:alert(1)": false, "data:text/html,x": false, "/relative": false,
		"https://": false, "vbscript:x": false, "mailto:": false} {
		if _, got := SafeURL(u); got != ok {
			t.Errorf("SafeURL(%q) = %v, want %v", u, got, ok)
		}
	}
}

// FuzzParse: no input makes a parser or renderer panic; every link is
// safe; Slack's output opens no "<" but a link's; Telegram's entities lie
// within its text.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"**a** _b_ ~~c~~ `d` [e](https://f) https://g.h\n> i\n- j\n1. k\n```\nl\n```",
		"[x](javascript:alert(1))", "<script>alert(1)</script>", "***__~~``[[]]((", "\\*\\_", "😀 **ü**"} {
		f.Add(s)
	}
	slackOpen := regexp.MustCompile(`<(?:https?://|mailto:)[^|>]*\|[^>]*>`)
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		doc := Parse(s)
		var check func(xs []Inline)
		check = func(xs []Inline) {
			for _, x := range xs {
				if x.Kind == Link {
					if _, ok := SafeURL(x.URL); !ok {
						t.Fatalf("unsafe link %q from %q", x.URL, s)
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
		Plain(doc)
		Markdown(doc, func(s string) string { return s })
		if rest := slackOpen.ReplaceAllString(Slack(doc), ""); strings.Contains(rest, "<") {
			t.Fatalf("Slack output opens markup: %q from %q", Slack(doc), s)
		}
		text, ents := Telegram(doc)
		n := len(utf16.Encode([]rune(text)))
		for _, e := range ents {
			if e.Offset < 0 || e.Length <= 0 || e.Offset+e.Length > n {
				t.Fatalf("entity %+v outside a text of %d units: %q", e, n, s)
			}
		}
		if _, err := json.Marshal(doc); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzWrite: what Write makes of a text Parse reads back as that text.
func FuzzWrite(f *testing.F) {
	for _, s := range []string{"2*3", "a_b", "> not a quote", "1. not a list", "- no", "[x](https://y)", "`x`", "\\", "~~x~~",
		"  - indented", "• bullet", "\t> tab", "https://example.com/a_b_c", "https://a.b/c_", "(https://a.b/c)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || strings.ContainsAny(s, "\r\n") || strings.TrimSpace(s) == "" {
			return
		}
		doc := Doc{{Kind: Paragraph, Inlines: []Inline{{Kind: Text, Text: s}}}}
		back := Parse(Write(doc))
		if got := Plain(back); got != s || len(back) != 1 || back[0].Kind != Paragraph {
			t.Fatalf("Write(%q) = %q, read back as %q (%+v)", s, Write(doc), got, back)
		}
		for _, x := range back[0].Inlines {
			// A bare URL in text reads back as its own link, which is fine.
			if x.Kind != Text && (x.Kind != Link || len(x.Children) != 1 || x.Children[0].Text != x.URL) {
				t.Fatalf("Write(%q) = %q reads back with a %s span", s, Write(doc), x.Kind)
			}
		}
	})
}

// TestWriteReadsBack: what Write makes of a Doc, Parse reads back as that
// Doc: URLs with characters Write escapes, indented text that would read
// as a list or quote, emphasis ending in an escaped character, a link
// whose label is its URL, a code block's language.
func TestWriteReadsBackAsWritten(t *testing.T) {
	text := func(s string) Inline { return Inline{Kind: Text, Text: s} }
	span := func(k InlineKind, xs ...Inline) Inline { return Inline{Kind: k, Children: xs} }
	link := func(u string, xs ...Inline) Inline { return Inline{Kind: Link, URL: u, Children: xs} }
	para := func(xs ...Inline) Doc { return Doc{{Kind: Paragraph, Inlines: xs}} }
	tests := []struct {
		name string
		doc  Doc
		want string // what Write makes of it
		back Doc    // what Parse reads back, when not doc
	}{
		{name: "a bare URL Write escapes", doc: para(text("see https://example.com/a_b*c*d")), want: "see https://example.com/a_b*c*d",
			back: para(text("see "), link("https://example.com/a_b*c*d", text("https://example.com/a_b*c*d")))},
		{name: "a bare URL before punctuation Write escapes", doc: para(text("https://a.example/b_")), want: "https://a.example/b\\_",
			back: para(link("https://a.example/b", text("https://a.example/b")), text("_"))},
		{name: "a link whose label is its URL", doc: para(link("https://example.com/a_b", text("https://example.com/a_b"))),
			want: "https://example.com/a_b"},
		{name: "indented list and quote marks", doc: para(text("  - one"), Inline{Kind: Break}, text("\t> two"), Inline{Kind: Break}, text("   3. three")),
			want: "  \\- one\n\t> two\n   3\\. three"},
		{name: "a bullet", doc: para(text("• not a list")), want: "\\• not a list"},
		{name: "bold ending in an escaped character", doc: para(span(Bold, text("a*")), text(" and "), span(Bold, text("b\\"))),
			want: "**a\\*** and **b\\\\**"},
		{name: "strikethrough ending in an escaped tilde", doc: para(span(Strike, text("x~"))), want: "~~x\\~~~"},
		{name: "a link with parentheses in its URL", doc: para(link("https://en.wikipedia.org/wiki/Printer_(computing)", text("wiki"))),
			want: "[wiki](https://en.wikipedia.org/wiki/Printer_(computing))"},
		{name: "a code block's language", doc: Doc{{Kind: CodeBlock, Text: "fmt.Println(1)", Lang: "go"}}, want: "```go\nfmt.Println(1)\n```"},
		{name: "no language that is none", doc: Doc{{Kind: CodeBlock, Text: "x", Lang: "a`b"}}, want: "```\nx\n```",
			back: Doc{{Kind: CodeBlock, Text: "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Write(tt.doc)
			if got != tt.want {
				t.Errorf("Write = %q, want %q", got, tt.want)
			}
			want := tt.back
			if want == nil {
				want = tt.doc
			}
			back, _ := json.Marshal(Parse(got))
			if w, _ := json.Marshal(want); string(back) != string(w) {
				t.Errorf("Parse(%q) = %s, want %s", got, back, w)
			}
		})
	}
	if _, ents := Telegram(Parse("```go\nx\n```")); len(ents) != 1 || ents[0].Language != "go" {
		t.Errorf("a code block in Go: entities %+v", ents)
	}
	if got := Slack(Parse("```go\nx\n```")); got != "```\nx\n```" {
		t.Errorf("Slack shows a language it does not know as code: %q", got)
	}
}
