package markup

import (
	"strings"
	"unicode/utf8"
)

// Parse reads a message's text into a Doc. It never fails: what is not
// markup is text.
func Parse(s string) Doc {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	lines := strings.Split(s, "\n")
	var doc Doc
	var para []string
	flush := func() {
		if len(para) > 0 {
			doc = append(doc, Block{Kind: Paragraph, Inlines: inlineLines(para)})
			para = nil
		}
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "```"):
			end := i + 1
			for end < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[end]), "```") {
				end++
			}
			if end == len(lines) { // never closed: text
				para = append(para, line)
				continue
			}
			flush()
			doc = append(doc, Block{Kind: CodeBlock, Text: strings.Join(lines[i+1:end], "\n"), Lang: fenceLang(trimmed)})
			i = end
		case trimmed == "":
			flush()
		case quoted(line) != "" || trimmed == ">":
			flush()
			var q []string
			for ; i < len(lines) && (quoted(lines[i]) != "" || strings.TrimSpace(lines[i]) == ">"); i++ {
				q = append(q, quoted(lines[i]))
			}
			i--
			doc = append(doc, Block{Kind: Quote, Inlines: inlineLines(q)})
		default:
			if _, ordered, ok := item(line); ok {
				flush()
				b := Block{Kind: List, Ordered: ordered}
				for ; i < len(lines); i++ {
					text, o, ok := item(lines[i])
					if !ok || o != ordered {
						break
					}
					b.Items = append(b.Items, parseInline(text))
				}
				i--
				doc = append(doc, b)
				continue
			}
			para = append(para, line)
		}
	}
	flush()
	return doc
}

// quoted is a quote line's text after "> ", "" when line is no quote.
func quoted(line string) string {
	t := strings.TrimLeft(line, " ")
	if rest, ok := strings.CutPrefix(t, ">"); ok && strings.TrimSpace(rest) != "" {
		return strings.TrimPrefix(rest, " ")
	}
	return ""
}

// item is a list line's text: "- x", "* x", "• x" or "1. x", "1) x".
func item(line string) (text string, ordered, ok bool) {
	t := strings.TrimLeft(line, " ")
	for _, m := range []string{"- ", "* ", bullet + " "} {
		if rest, ok := strings.CutPrefix(t, m); ok && strings.TrimSpace(rest) != "" {
			return rest, false, true
		}
	}
	n := 0
	for n < len(t) && n < 9 && t[n] >= '0' && t[n] <= '9' {
		n++
	}
	if n > 0 && n+1 < len(t) && (t[n] == '.' || t[n] == ')') && t[n+1] == ' ' && strings.TrimSpace(t[n+2:]) != "" {
		return t[n+2:], true, true
	}
	return "", false, false
}

// inlineLines parses lines of one block, a line break between each.
func inlineLines(lines []string) []Inline {
	var out []Inline
	for i, l := range lines {
		if i > 0 {
			out = append(out, Inline{Kind: Break})
		}
		out = append(out, parseInline(l)...)
	}
	return out
}

// parseInline reads one line's spans. Delimiters that do not close are
// text.
func parseInline(s string) []Inline { return parseSpans(s, false) }

// parseSpans reads spans; in a link's label (label) there is no link.
func parseSpans(s string, label bool) []Inline {
	var out []Inline
	var buf strings.Builder
	closers := map[string]*found{}
	closer := func(from int, delim string) int {
		if from >= len(s) || s[from] == ' ' {
			return -1 // the content would start with a space
		}
		f := closers[delim]
		if f == nil || from < f.from || (f.at >= 0 && from >= f.at) {
			f = &found{from: from, at: closing(s, from, delim)}
			closers[delim] = f
		}
		if f.at >= 0 && f.at <= from {
			return -1
		}
		return f.at
	}
	var noLink = len(s) // no "](" at or after this index
	text := func() {
		if buf.Len() > 0 {
			out = append(out, Inline{Kind: Text, Text: buf.String()})
			buf.Reset()
		}
	}
	span := func(k InlineKind, children []Inline) {
		text()
		out = append(out, Inline{Kind: k, Children: children})
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && strings.IndexByte(escapable, s[i+1]) >= 0:
			buf.WriteByte(s[i+1])
			i += 2
			continue
		case c == '\\' && strings.HasPrefix(s[i+1:], bullet):
			buf.WriteString(bullet)
			i += 1 + len(bullet)
			continue
		case c == '`':
			if j := strings.IndexByte(s[i+1:], '`'); j > 0 {
				text()
				out = append(out, Inline{Kind: Code, Text: s[i+1 : i+1+j]})
				i += j + 2
				continue
			}
		case strings.HasPrefix(s[i:], "***") && closer(i+3, "***") > 0:
			// Bold and italic at once, as Discord and CommonMark read it.
			j := closer(i+3, "***")
			span(Bold, []Inline{{Kind: Italic, Children: parseSpans(s[i+3:j], label)}})
			i = j + 3
			continue
		case strings.HasPrefix(s[i:], "**"):
			if j := closer(i+2, "**"); j > 0 {
				span(Bold, parseSpans(s[i+2:j], label))
				i = j + 2
				continue
			}
		case strings.HasPrefix(s[i:], "~~"):
			if j := closer(i+2, "~~"); j > 0 {
				span(Strike, parseSpans(s[i+2:j], label))
				i = j + 2
				continue
			}
		case (c == '*' || c == '_') && (i == 0 || !wordByte(s[i-1])):
			// Single-character emphasis needs word edges on both sides:
			// snake_case and 2*3*4 stay as written.
			if j := closer(i+1, string(c)); j > 0 && (j+1 >= len(s) || !wordByte(s[j+1])) {
				span(Italic, parseSpans(s[i+1:j], label))
				i = j + 1
				continue
			}
		case c == '[' && i < noLink && !label:
			if !strings.Contains(s[i:], "](") {
				noLink = i
			} else if l, u, n, ok := link(s[i:]); ok {
				text()
				out = append(out, Inline{Kind: Link, URL: u, Children: parseSpans(l, true)})
				i += n
				continue
			}
		case c == 'h' && !label && (i == 0 || !wordByte(s[i-1])) && (strings.HasPrefix(s[i:], "https://") || strings.HasPrefix(s[i:], "http://")):
			if n := autolink(s[i:]); n > 0 {
				if _, ok := SafeURL(s[i : i+n]); ok {
					// The URL as written (its scheme checked): a bare link
					// shows and goes to the same text.
					text()
					out = append(out, Inline{Kind: Link, URL: s[i : i+n], Children: []Inline{{Kind: Text, Text: s[i : i+n]}}})
					i += n
					continue
				}
			}
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		buf.WriteString(s[i : i+size])
		i += size
	}
	text()
	return out
}

// found is where a closing delimiter was looked for, and found (-1: none).
type found struct{ from, at int }

// escapable are the characters a backslash keeps as they are; so is
// bullet, a list's mark.
const escapable = "\\`*_~[]()#+-.!>|:"

// bullet marks a list item as "- " and "* " do.
const bullet = "•"

func wordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b >= 0x80
}

// closing is the first place after from where delim can close a span
// whose content starts at from: the content is not empty and does not end
// with a space, and the delimiter is not escaped; -1 for none.
func closing(s string, from int, delim string) int {
	for j := from; j < len(s); {
		k := strings.Index(s[j:], delim)
		if k < 0 {
			return -1
		}
		k += j
		if k > from && s[k-1] != ' ' && !escaped(s, k) {
			return k
		}
		j = k + 1 // "\\***": the delimiter may start at the next character
	}
	return -1
}

// escaped reports whether s[k] follows an odd number of backslashes: the
// last one escapes it.
func escaped(s string, k int) bool {
	n := 0
	for k-n > 0 && s[k-n-1] == '\\' {
		n++
	}
	return n%2 == 1
}

// link reads "[label](url)" at the start of s: its label, its URL (safe,
// see SafeURL) and its length. The label ends at the first bracket not
// escaped; the URL at the parenthesis that closes it, so that a URL may
// hold balanced parentheses (Foo_(bar)).
func link(s string) (label, u string, n int, ok bool) {
	end := -1
scan:
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '[', '\n':
			return "", "", 0, false
		case ']':
			end = i
			break scan
		}
	}
	if end <= 1 || !strings.HasPrefix(s[end:], "](") {
		return "", "", 0, false
	}
	rest := s[end+2:]
	close, open := -1, 0 // open: the parentheses opened before close
	for from := 0; ; from = close + 1 {
		k := strings.IndexByte(rest[from:], ')')
		if k < 0 {
			return "", "", 0, false
		}
		close = from + k
		if open += strings.Count(rest[from:close], "("); open == 0 {
			break
		}
		open--
	}
	if close == 0 {
		return "", "", 0, false
	}
	raw := rest[:close]
	if strings.ContainsAny(raw, " \t\n") {
		return "", "", 0, false
	}
	u, ok = SafeURL(raw)
	if !ok {
		return "", "", 0, false
	}
	return s[1:end], u, end + 3 + close, true
}

// autolink is the length of the bare URL at the start of s: up to a space
// or a character no URL ends with, less trailing punctuation.
func autolink(s string) int {
	n := strings.IndexFunc(s, func(r rune) bool {
		// A backslash escapes what follows the link: no URL holds one.
		return r == ' ' || r == '\t' || r == '<' || r == '>' || r == '"' || r == '`' || r == '\\'
	})
	if n < 0 {
		n = len(s)
	}
	for n > 0 && strings.IndexByte(".,;:!?'*_~", s[n-1]) >= 0 {
		n--
	}
	if n > 0 && s[n-1] == ')' && strings.Count(s[:n], "(") < strings.Count(s[:n], ")") {
		n--
	}
	if n <= len("https://") {
		return 0
	}
	return n
}

// fenceLang is the language a code fence's opening line names ("```go"),
// "" for none or for anything that is no plain language name.
func fenceLang(line string) string {
	words := strings.Fields(strings.TrimPrefix(line, "```"))
	if len(words) == 0 || len(words[0]) > 20 {
		return ""
	}
	lang := words[0] // "c++ (ISO)" names c++
	for _, r := range lang {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("+-#._", r)) {
			return ""
		}
	}
	return lang
}
