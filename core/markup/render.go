package markup

import (
	"strconv"
	"strings"
	"unicode/utf16"
)

// Plain renders doc as plain text: the words without markup, a link as
// its text and, when that differs, its URL in brackets.
func Plain(doc Doc) string {
	return render(doc, style{
		text: func(s string) string { return s },
		span: func(k InlineKind, inner string) string { return inner },
		code: func(s string) string { return s },
		link: func(u, inner string) string {
			if inner == u || strings.TrimPrefix(u, "mailto:") == inner {
				return inner
			}
			return inner + " (" + u + ")"
		},
		block:  func(s, _ string) string { return s },
		quote:  "> ",
		bullet: "- ",
	})
}

// Markdown renders doc back as this package's Markdown, with text kept by
// escape from the target's own markup (Discord's, say).
func Markdown(doc Doc, escape func(string) string) string {
	return render(doc, markdown(escape, "*"))
}

// markdown is the style of this package's Markdown, escape keeping text
// as it is and italic delimiting italic.
func markdown(escape func(string) string, italic string) style {
	return style{
		text: escape,
		span: func(k InlineKind, inner string) string {
			d := map[InlineKind]string{Bold: "**", Italic: italic, Strike: "~~"}[k]
			return d + inner + d
		},
		code: func(s string) string { return "`" + strings.ReplaceAll(s, "`", "'") + "`" },
		link: func(u, inner string) string { return "[" + inner + "](" + linkURL(u) + ")" },
		block: func(s, lang string) string {
			return "```" + lang + "\n" + strings.ReplaceAll(s, "```", "'''") + "\n```"
		},
		quote:  "> ",
		bullet: "- ",
	}
}

// linkURL is u as a Markdown link's target: its parentheses encoded when
// they do not balance, as a link's target ends at the parenthesis that
// closes it.
func linkURL(u string) string {
	open := 0
	for _, c := range u {
		if c == '(' {
			open++
		} else if c == ')' {
			if open--; open < 0 {
				break
			}
		}
	}
	if open == 0 {
		return u
	}
	return strings.NewReplacer("(", "%28", ")", "%29").Replace(u)
}

// Slack renders doc as Slack's mrkdwn, escaping &, < and > as Slack asks.
func Slack(doc Doc) string {
	esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace
	return render(doc, style{
		text: esc,
		span: func(k InlineKind, inner string) string {
			d := map[InlineKind]string{Bold: "*", Italic: "_", Strike: "~"}[k]
			return d + inner + d
		},
		code: func(s string) string { return "`" + esc(strings.ReplaceAll(s, "`", "'")) + "`" },
		link: func(u, inner string) string {
			u = strings.NewReplacer("|", "%7C", ">", "%3E", "<", "%3C").Replace(u)
			return "<" + u + "|" + strings.ReplaceAll(inner, "|", "¦") + ">"
		},
		block:  func(s, _ string) string { return "```\n" + esc(strings.ReplaceAll(s, "```", "'''")) + "\n```" },
		quote:  "> ",
		bullet: "• ",
	})
}

// style is how one target writes each part of a Doc.
type style struct {
	text   func(string) string
	span   func(k InlineKind, inner string) string
	code   func(string) string
	link   func(u, inner string) string
	label  func(string) string            // text in a link's label, when not text
	block  func(text, lang string) string // a code block
	quote  string                         // what starts each line of a quote
	bullet string
}

func render(doc Doc, st style) string {
	var parts []string
	for _, b := range doc {
		switch b.Kind {
		case Paragraph:
			parts = append(parts, inlines(b.Inlines, st, ""))
		case Quote:
			parts = append(parts, st.quote+inlines(b.Inlines, st, st.quote))
		case CodeBlock:
			parts = append(parts, st.block(b.Text, fenceLang("```"+b.Lang)))
		case List:
			var lines []string
			for i, it := range b.Items {
				mark := st.bullet
				if b.Ordered {
					mark = strconv.Itoa(i+1) + ". "
				}
				lines = append(lines, mark+inlines(it, st, ""))
			}
			parts = append(parts, strings.Join(lines, "\n"))
		}
	}
	return strings.Join(parts, "\n\n")
}

func inlines(xs []Inline, st style, breakPrefix string) string {
	var b strings.Builder
	for _, x := range xs {
		switch x.Kind {
		case Text:
			b.WriteString(st.text(x.Text))
		case Break:
			b.WriteString("\n" + breakPrefix)
		case Code:
			b.WriteString(st.code(x.Text))
		case Link:
			in := st
			if st.label != nil {
				in.text = st.label
			}
			b.WriteString(st.link(x.URL, inlines(x.Children, in, breakPrefix)))
		default:
			b.WriteString(st.span(x.Kind, inlines(x.Children, st, breakPrefix)))
		}
	}
	return b.String()
}

// Entity is a span of formatting over a text, as Telegram's Bot API has
// them: Offset and Length count UTF-16 code units.
type Entity struct {
	Type     string // bold, italic, strikethrough, code, pre, text_link, blockquote
	Offset   int
	Length   int
	URL      string // text_link
	Language string // pre
}

// Telegram renders doc as plain text with entities over it, so that a
// Telegram customer sees bold as bold and a link as a link, with nothing
// to escape.
func Telegram(doc Doc) (string, []Entity) {
	t := &tgWriter{}
	for i, b := range doc {
		if i > 0 {
			t.write("\n\n")
		}
		switch b.Kind {
		case Paragraph:
			t.inlines(b.Inlines)
		case Quote:
			start := t.n
			t.inlines(b.Inlines)
			t.entity(Entity{Type: "blockquote"}, start)
		case CodeBlock:
			start := t.n
			t.write(b.Text)
			t.entity(Entity{Type: "pre", Language: fenceLang("```" + b.Lang)}, start)
		case List:
			for j, it := range b.Items {
				if j > 0 {
					t.write("\n")
				}
				if b.Ordered {
					t.write(strconv.Itoa(j+1) + ". ")
				} else {
					t.write("• ")
				}
				t.inlines(it)
			}
		}
	}
	return t.b.String(), t.ents
}

type tgWriter struct {
	b    strings.Builder
	n    int // UTF-16 units written
	ents []Entity
}

func (t *tgWriter) write(s string) {
	t.b.WriteString(s)
	t.n += len(utf16.Encode([]rune(s)))
}

// entity records e over what was written since start, if anything was.
func (t *tgWriter) entity(e Entity, start int) {
	if t.n > start {
		e.Offset, e.Length = start, t.n-start
		t.ents = append(t.ents, e)
	}
}

func (t *tgWriter) inlines(xs []Inline) {
	for _, x := range xs {
		start := t.n
		switch x.Kind {
		case Text:
			t.write(x.Text)
		case Break:
			t.write("\n")
		case Code:
			t.write(x.Text)
			t.entity(Entity{Type: "code"}, start)
		case Link:
			t.inlines(x.Children)
			t.entity(Entity{Type: "text_link", URL: x.URL}, start)
		default:
			t.inlines(x.Children)
			t.entity(Entity{Type: map[InlineKind]string{Bold: "bold", Italic: "italic", Strike: "strikethrough"}[x.Kind]}, start)
		}
	}
}

// Write renders doc as this package's Markdown, escaping text so that
// Parse(Write(doc)) reads back Tidy(doc): how an adapter turns what a
// platform sent (Slack's mrkdwn and rich text, Discord's Markdown,
// Telegram's entities) into the text relaydesk stores. Italic is written
// _so_, which reads back unambiguously next to bold (**_both_**).
func Write(doc Doc) string {
	st := markdown(EscapeText, "_")
	st.label = func(s string) string { return escapeText(s, false) } // a label holds no link
	return render(Tidy(doc), st)
}

// EscapeText keeps s from being read as markup: a backslash before each
// character that could open or close a span or a link, and before what
// would start a quote or a list at the start of a line (after spaces).
// A bare http(s) link stays as written: it reads back as a link to
// itself, which an escape inside it would break; what only starts like
// one gets "http\:", lest a part of it read as a link.
func EscapeText(s string) string { return escapeText(s, true) }

// escapeText is EscapeText; links says whether bare links stay as
// written.
func escapeText(s string, links bool) string {
	var b strings.Builder
	lineStart := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 'h' && links && (i == 0 || !wordByte(s[i-1])) && (strings.HasPrefix(s[i:], "https://") || strings.HasPrefix(s[i:], "http://")) {
			if n := autolink(s[i:]); n > 0 {
				if _, ok := SafeURL(s[i : i+n]); ok {
					b.WriteString(s[i : i+n])
					i += n - 1
					lineStart = false
					continue
				}
			}
			// No link here: escaped, a part of it would read as one.
			scheme, _, _ := strings.Cut(s[i:], ":")
			b.WriteString(scheme + `\:`)
			i += len(scheme)
			lineStart = false
			continue
		}
		switch {
		case strings.IndexByte("\\`*_~[]", c) >= 0:
			b.WriteByte('\\')
		case lineStart && (c == '>' || c == '-' || c == '+'):
			b.WriteByte('\\')
		case lineStart && strings.HasPrefix(s[i:], bullet):
			b.WriteByte('\\')
		case lineStart && c >= '0' && c <= '9':
			// "1. " at a line's start would be a list item.
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j+1 < len(s) && (s[j] == '.' || s[j] == ')') && s[j+1] == ' ' {
				b.WriteString(s[i:j])
				b.WriteByte('\\')
				i = j - 1
				lineStart = false
				continue
			}
		}
		b.WriteByte(c)
		lineStart = c == '\n' || lineStart && c == ' '
	}
	return b.String()
}
