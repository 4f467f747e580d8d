package markup

import (
	"strings"
	"unicode/utf8"
)

// Tidy returns doc as this format can say it, so that what Write makes of
// it reads back as it: a platform's formatting allows more than the
// format does (bold that ends in a space, italic in the middle of a word,
// a line break inside a span), and Tidy moves or drops that formatting,
// never the words. Spaces at a span's edges move out of it; a span is cut
// at line breaks; an empty span goes; italic next to a letter is dropped,
// as is a span holding code or a link whose text would close it early; a
// link in a link's label becomes its text, a link with no label shows its
// URL, a link that shows its own URL is a bare URL in the text where it
// reads back so, and an unsafe link is its label; code loses its
// backticks and line breaks; two line breaks in a row end a paragraph.
func Tidy(doc Doc) Doc {
	out := tidyBlocks(doc)
	for i := range out {
		out[i].Inlines = bare(out[i].Inlines)
		for j := range out[i].Items {
			out[i].Items[j] = bare(out[i].Items[j])
		}
	}
	return out
}

// bare applies bareLinks to xs and the spans' children, once the rest is
// tidy: a link written bare must keep the neighbours it was checked with.
func bare(xs []Inline) []Inline {
	xs = merge(bareLinks(xs)) // a bare URL is part of the text around it
	for i := range xs {
		if xs[i].Kind != Link {
			xs[i].Children = bare(xs[i].Children)
		}
	}
	return xs
}

// tidyBlocks is Tidy but for bare links.
func tidyBlocks(doc Doc) Doc {
	var out Doc
	for _, b := range doc {
		switch b.Kind {
		case Paragraph:
			for _, p := range paragraphs(tidyInlines(b.Inlines, false)) {
				out = append(out, Block{Kind: Paragraph, Inlines: p})
			}
		case Quote:
			lines := splitLines(tidyInlines(b.Inlines, false))
			for i, l := range lines {
				if blank(l) {
					lines[i] = nil // a quote's blank line reads back empty
				}
			}
			for len(lines) > 0 && lines[0] == nil {
				lines = lines[1:]
			}
			for len(lines) > 0 && lines[len(lines)-1] == nil {
				lines = lines[:len(lines)-1]
			}
			if len(lines) > 0 {
				out = append(out, Block{Kind: Quote, Inlines: joinLines(lines)})
			}
		case List:
			l := Block{Kind: List, Ordered: b.Ordered}
			for _, it := range b.Items {
				if xs := tidyInlines(it, true); !blank(xs) {
					l.Items = append(l.Items, xs)
				}
			}
			if len(l.Items) > 0 {
				out = append(out, l)
			}
		case CodeBlock:
			text := strings.ReplaceAll(newlines(b.Text), "```", "'''")
			out = append(out, Block{Kind: CodeBlock, Text: text, Lang: b.Lang})
		}
	}
	return out
}

// newlines makes every line end "\n", as Parse reads them.
func newlines(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// paragraphs cuts xs into paragraphs where a line is empty (or blank) and
// drops empty lines at either end.
func paragraphs(xs []Inline) [][]Inline {
	var out [][]Inline
	var cur [][]Inline
	flush := func() {
		if len(cur) > 0 {
			out = append(out, joinLines(cur))
			cur = nil
		}
	}
	for _, l := range splitLines(xs) {
		if blank(l) {
			flush()
			continue
		}
		cur = append(cur, l)
	}
	flush()
	return out
}

// splitLines cuts xs at its line breaks.
func splitLines(xs []Inline) [][]Inline {
	var lines [][]Inline
	var cur []Inline
	end := func() {
		lines = append(lines, cur)
		cur = nil
	}
	for _, x := range xs {
		if x.Kind == Break {
			end()
			continue
		}
		cur = append(cur, x)
	}
	end()
	return lines
}

func joinLines(lines [][]Inline) []Inline {
	var out []Inline
	for i, l := range lines {
		if i > 0 {
			out = append(out, Inline{Kind: Break})
		}
		out = append(out, l...)
	}
	return out
}

// blank reports whether xs shows nothing but spaces.
func blank(xs []Inline) bool {
	for _, x := range xs {
		switch x.Kind {
		case Text:
			if strings.TrimSpace(x.Text) != "" {
				return false
			}
		case Break:
		default:
			return false // code, a link, or a span, which tidyInlines keeps only with content
		}
	}
	return true
}

// tidyInlines tidies a block's (or a span's) inlines. oneLine turns line
// breaks into spaces: a list item, a link's label and code are one line.
func tidyInlines(xs []Inline, oneLine bool) []Inline {
	var out []Inline
	for _, x := range xs {
		switch x.Kind {
		case Text:
			for i, line := range strings.Split(newlines(x.Text), "\n") {
				if i > 0 {
					out = append(out, lineBreak(oneLine))
				}
				out = append(out, Inline{Kind: Text, Text: line})
			}
		case Break:
			out = append(out, lineBreak(oneLine))
		case Code:
			text := strings.ReplaceAll(strings.ReplaceAll(newlines(x.Text), "\n", " "), "`", "'")
			if text != "" {
				out = append(out, Inline{Kind: Code, Text: text})
			}
		case Link:
			out = append(out, tidyLink(x)...)
		case Bold, Italic, Strike:
			out = append(out, tidySpan(x, oneLine)...)
		default:
			out = append(out, x.Children...) // a kind this package does not know: its words
		}
	}
	return dropItalic(merge(out))
}

// bareLinks writes a link that shows its own URL as that URL, bare, where
// Parse reads it back as the same link: "see https://example.com" rather
// than "see [https://example.com](https://example.com)".
func bareLinks(xs []Inline) []Inline {
	out := append([]Inline(nil), xs...)
	for j, x := range out {
		if x.Kind != Link || len(x.Children) != 1 || x.Children[0].Kind != Text || x.Children[0].Text != x.URL ||
			!strings.HasPrefix(x.URL, "https://") && !strings.HasPrefix(x.URL, "http://") {
			continue
		}
		if j > 0 && (out[j-1].Kind != Text || wordRune(lastRune(out[j-1].Text))) {
			continue // Parse links a bare URL only at a word's start
		}
		next := ""
		if j+1 < len(out) {
			switch out[j+1].Kind {
			case Text:
				next = out[j+1].Text
			case Break, Code: // a line's end, a backtick: the URL ends
			default:
				continue
			}
		}
		if autolink(x.URL+next) == len(x.URL) {
			out[j] = Inline{Kind: Text, Text: x.URL}
		}
	}
	var kept []Inline
	for _, x := range out {
		if x.Kind == Link {
			// The URL as Markdown writes it and Parse reads it back.
			u, ok := SafeURL(linkURL(x.URL))
			if !ok {
				kept = append(kept, x.Children...)
				continue
			}
			x.URL = u
		}
		kept = append(kept, x)
	}
	return kept
}

func safe(u string) bool {
	_, ok := SafeURL(u)
	return ok
}

func lineBreak(oneLine bool) Inline {
	if oneLine {
		return Inline{Kind: Text, Text: " "}
	}
	return Inline{Kind: Break}
}

// tidyLink is x with a one-line label holding no link, or x's label alone
// when its URL is not safe.
func tidyLink(x Inline) []Inline {
	label := tidyInlines(unlink(x.Children), true)
	u, ok := SafeURL(x.URL)
	if !ok {
		return label
	}
	if len(label) == 1 && label[0].Kind == Text && label[0].Text == x.URL && autolink(x.URL) == len(x.URL) {
		u = x.URL // a bare URL, as written: Parse keeps it so (and bareLinks)
	} else if u = linkURL(u); !safe(u) {
		return label // a URL that, written, would not read back as one
	}
	if blank(label) {
		label = []Inline{{Kind: Text, Text: u}}
	}
	// A bracket in the label's code would end the label.
	label = mapCode(label, strings.NewReplacer("[", "(", "]", ")").Replace)
	return []Inline{{Kind: Link, URL: u, Children: label}}
}

// unlink replaces the links among xs (and their spans' children) by their
// labels.
func unlink(xs []Inline) []Inline {
	var out []Inline
	for _, x := range xs {
		switch x.Kind {
		case Link:
			out = append(out, unlink(x.Children)...)
		case Bold, Italic, Strike:
			x.Children = unlink(x.Children)
			out = append(out, x)
		default:
			out = append(out, x)
		}
	}
	return out
}

func mapCode(xs []Inline, f func(string) string) []Inline {
	out := make([]Inline, len(xs))
	for i, x := range xs {
		if x.Kind == Code {
			x.Text = f(x.Text)
		}
		x.Children = mapCode(x.Children, f)
		out[i] = x
	}
	return out
}

// delims are the delimiters Write gives each span.
var delims = map[InlineKind]string{Bold: "**", Italic: "_", Strike: "~~"}

// tidySpan is a span as the format can write it: one per line, spaces
// outside, never empty, never inside a span of its kind, and only around
// code and links whose text cannot close it early.
func tidySpan(x Inline, oneLine bool) []Inline {
	children := tidyInlines(flatten(x.Children, x.Kind), oneLine)
	if closesEarly(children, delims[x.Kind]) {
		return children
	}
	var out []Inline
	for i, line := range splitLines(children) {
		if i > 0 {
			out = append(out, Inline{Kind: Break})
		}
		lead, body, trail := edges(line)
		out = append(out, lead...)
		if len(body) > 0 {
			out = append(out, Inline{Kind: x.Kind, Children: body})
		}
		out = append(out, trail...)
	}
	return out
}

// flatten replaces the spans of kind k among xs by their children.
func flatten(xs []Inline, k InlineKind) []Inline {
	var out []Inline
	for _, x := range xs {
		if x.Kind == k {
			out = append(out, flatten(x.Children, k)...)
			continue
		}
		x.Children = flatten(x.Children, k)
		out = append(out, x)
	}
	return out
}

// closesEarly reports whether the text of code or of a link's URL among
// xs holds delim, which Parse would take for the span's end.
func closesEarly(xs []Inline, delim string) bool {
	for _, x := range xs {
		if (x.Kind == Code && strings.Contains(x.Text, delim)) || (x.Kind == Link && strings.Contains(x.URL, delim)) ||
			closesEarly(x.Children, delim) {
			return true
		}
	}
	return false
}

// edges splits a line into the spaces it starts with, what is between,
// and the spaces it ends with.
func edges(xs []Inline) (lead, body, trail []Inline) {
	body = append([]Inline(nil), xs...)
	if len(body) > 0 && body[0].Kind == Text {
		t := body[0].Text
		if rest := strings.TrimLeft(t, " "); rest != t {
			lead = []Inline{{Kind: Text, Text: t[:len(t)-len(rest)]}}
			body[0].Text = rest
		}
	}
	if n := len(body); n > 0 && body[n-1].Kind == Text {
		t := body[n-1].Text
		if rest := strings.TrimRight(t, " "); rest != t {
			trail = []Inline{{Kind: Text, Text: t[len(rest):]}}
			body[n-1].Text = rest
		}
	}
	var kept []Inline
	for _, x := range body {
		if x.Kind != Text || x.Text != "" {
			kept = append(kept, x)
		}
	}
	if blank(kept) {
		// Nothing but spaces: they stay, without the span.
		return append(append(lead, kept...), trail...), nil, nil
	}
	return lead, kept, trail
}

// merge joins neighbouring texts, and neighbouring spans of one kind,
// and drops empty texts.
func merge(xs []Inline) []Inline {
	var out []Inline
	for _, x := range xs {
		if x.Kind == Text && x.Text == "" {
			continue
		}
		if n := len(out); n > 0 {
			last := &out[n-1]
			switch {
			case x.Kind == Text && last.Kind == Text:
				last.Text += x.Text
				continue
			case x.Kind == last.Kind && (x.Kind == Bold || x.Kind == Italic || x.Kind == Strike):
				last.Children = dropItalic(merge(append(append([]Inline(nil), last.Children...), x.Children...)))
				continue
			}
		}
		out = append(out, x)
	}
	return out
}

// dropItalic replaces italic next to a letter or digit by its words:
// Parse reads _ as italic only at a word's edge, so that snake_case is
// text.
func dropItalic(xs []Inline) []Inline {
	for {
		i := -1
		for j, x := range xs {
			if x.Kind != Italic {
				continue
			}
			if j > 0 && xs[j-1].Kind == Text && wordRune(lastRune(xs[j-1].Text)) ||
				j+1 < len(xs) && xs[j+1].Kind == Text && wordRune(firstRune(xs[j+1].Text)) {
				i = j
				break
			}
		}
		if i < 0 {
			return xs
		}
		out := append(append(append([]Inline(nil), xs[:i]...), xs[i].Children...), xs[i+1:]...)
		xs = merge(out)
	}
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

// wordRune is wordByte for the rune that starts with it; false for none
// (an empty text).
func wordRune(r rune) bool {
	return r != utf8.RuneError && (r >= 0x80 || wordByte(byte(r)))
}
