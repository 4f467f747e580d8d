package markup

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func text(s string) Inline { return Inline{Kind: Text, Text: s} }

func span(k InlineKind, xs ...Inline) Inline { return Inline{Kind: k, Children: xs} }

func para(xs ...Inline) Doc { return Doc{{Kind: Paragraph, Inlines: xs}} }

// TestWriteReadsBack: what Write makes of a Doc that a platform's
// formatting gave reads back as the same words, with the formatting the
// format can say.
func TestWriteReadsBack(t *testing.T) {
	link := func(u string, xs ...Inline) Inline { return Inline{Kind: Link, URL: u, Children: xs} }
	tests := []struct {
		name  string
		doc   Doc
		write string
	}{
		{"bold italic", para(span(Bold, span(Italic, text("both")))), "**_both_**"},
		{"italic bold then text", para(span(Italic, span(Bold, text("a")), text(" b"))), "_**a** b_"},
		{"spaces move out of spans", para(text("a"), span(Bold, text(" bold ")), text("b")), "a **bold** b"},
		{"empty span", para(text("a "), span(Bold, text("  ")), text("b")), "a   b"},
		{"italic inside a word", para(text("un"), span(Italic, text("believ")), text("able")), "unbelievable"},
		{"span cut at a line break", para(span(Bold, text("one\ntwo"))), "**one**\n**two**"},
		{"span of one kind in another", para(span(Bold, text("a "), span(Bold, text("b")))), "**a b**"},
		{"neighbouring spans", para(span(Bold, text("a")), span(Bold, text("b"))), "**ab**"},
		{"a text ending in a backslash", para(span(Bold, text(`a\`))), `**a\\**`},
		{"an asterisk in bold", para(span(Bold, text("*"))), `**\***`},
		{"italic around code with an underscore", para(span(Italic, Inline{Kind: Code, Text: "a_b"})), "`a_b`"},
		{"a label with brackets", para(link("https://x.example/", text("a]b"))), `[a\]b](https://x.example/)`},
		{"a URL with parentheses", para(link("https://en.example.org/wiki/Foo_(bar)", text("Foo"))),
			"[Foo](https://en.example.org/wiki/Foo_(bar))"},
		{"a URL with one parenthesis", para(link("https://x.example/a)", text("a"))), "[a](https://x.example/a%29)"},
		{"a link in a label", para(link("https://a.example/", text("see "), link("https://b.example/", text("b")))),
			"[see b](https://a.example/)"},
		{"a link without a label", para(link("https://a.example/")), "https://a.example/"},
		{"a bare link", para(text("see "), link("https://a.example/x_y", text("https://a.example/x_y")), text(". Next")),
			"see https://a.example/x_y. Next"},
		{"a bare link after a word", para(text("see:"), link("https://a.example/", text("https://a.example/")), text("x")),
			"see:[https://a.example/](https://a.example/)x"},
		{"an unsafe link", para(link("javascript:alert(1)", text("x"))), "x"},
		{"a bare URL in text", para(text("see https://a.example/c_d now")), "see https://a.example/c_d now"},
		{"a bare URL in a label", para(link("https://a.example/", text("https://b.example/*x*"))),
			`[https://b.example/\*x\*](https://a.example/)`},
		{"what only starts like a link", para(text("see http://a.example:*0")), `see http\://a.example:\*0`},
		{"a bullet", para(text("• not a list")), `\• not a list`},
		{"an indented quote mark", para(text("  > not a quote")), `  \> not a quote`},
		{"an indented number", para(text("  1. not a list")), `  1\. not a list`},
		{"two breaks end a paragraph", para(text("a\n\n\nb")), "a\n\nb"},
		{"code with a backtick", para(Inline{Kind: Code, Text: "a`b"}), "`a'b`"},
		{"a list item's break", Doc{{Kind: List, Items: [][]Inline{{text("a\nb")}, {text(" ")}}}}, "- a b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := Write(tt.doc)
			if w != tt.write {
				t.Errorf("Write = %q, want %q", w, tt.write)
			}
			if got, want := Plain(Parse(w)), Plain(Tidy(tt.doc)); got != want {
				t.Errorf("Write = %q reads back as %q, want %q", w, got, want)
			}
		})
	}
}

// FuzzTidy: any Doc, written, reads back as its tidy self: the same
// words, and written again, the same text.
func FuzzTidy(f *testing.F) {
	for _, s := range []string{"\x01a\x02b\x05 \x05c", "\x02 a \x05b", "\x04\x01x\x05\x05y", "\x06a`b\x06\x07\x01c\x07d\x05",
		"\x00- \x01a", "\x00> x\x07y", "\x00```z", "a\\\x01\\\x05", "\x02\x01a\x05\x05b", "\x03~\x05~"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		doc := genDoc(s)
		w := Write(doc)
		back := Parse(w)
		if got, want := Plain(back), Plain(Tidy(doc)); got != want {
			t.Fatalf("%q: Write = %q reads back as %q, want %q\ndoc %+v", s, w, got, want, doc)
		}
		if again := Write(back); again != w {
			t.Fatalf("%q: Write = %q, read and written again %q", s, w, again)
		}
	})
}

// genDoc makes a Doc of s: \x00 starts a block (its first byte chooses a
// paragraph, a quote, a list or code), \x01 \x02 \x03 open bold, italic and
// strikethrough, \x04 a link, \x05 closes, \x06 starts and ends code, \x07
// is a line break; the rest is text.
func genDoc(s string) Doc {
	var doc Doc
	for _, chunk := range strings.Split(s, "\x00") {
		r, size := utf8.DecodeRuneInString(chunk)
		kind := byte(r % 4)
		chunk = chunk[size:]
		xs, _ := genInlines(chunk, 0)
		switch kind {
		case 0:
			doc = append(doc, Block{Kind: Paragraph, Inlines: xs})
		case 1:
			doc = append(doc, Block{Kind: Quote, Inlines: xs})
		case 2:
			doc = append(doc, Block{Kind: List, Items: [][]Inline{xs, xs}, Ordered: len(chunk)%2 == 0})
		case 3:
			doc = append(doc, Block{Kind: CodeBlock, Text: chunk})
		}
	}
	return doc
}

func genInlines(s string, depth int) ([]Inline, string) {
	var out []Inline
	urls := []string{"https://a.example/x_y", "https://b.example/(c)", "mailto:d@example.com", "javascript:x", "https://e.example/**"}
	for s != "" {
		c := s[0]
		if c < 8 {
			s = s[1:]
		}
		switch c {
		case 1, 2, 3, 4:
			var children []Inline
			if depth < 6 {
				children, s = genInlines(s, depth+1)
			}
			k := map[byte]InlineKind{1: Bold, 2: Italic, 3: Strike, 4: Link}[c]
			out = append(out, Inline{Kind: k, Children: children, URL: urls[len(s)%len(urls)]})
		case 5:
			return out, s
		case 6:
			code, rest, _ := strings.Cut(s, "\x06")
			out, s = append(out, Inline{Kind: Code, Text: code}), rest
		case 7:
			out = append(out, Inline{Kind: Break})
		default:
			n := strings.IndexFunc(s, func(r rune) bool { return r < 8 })
			if n < 0 {
				n = len(s)
			}
			out, s = append(out, Inline{Kind: Text, Text: s[:n]}), s[n:]
		}
	}
	return out, s
}
