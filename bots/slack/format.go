package slack

import (
	"context"
	"sort"
	"strings"

	"github.com/slack-go/slack"

	"github.com/relaydesk/relaydesk/core/markup"
)

// What technicians write in Slack reaches the customer in relaydesk's one
// message format (core/markup): a message's rich_text blocks, when it has
// some relaydesk reads whole, else its text, Slack's mrkdwn as Slack sends
// it (&amp; &lt; &gt; escaped; links, mentions and channels between angle
// brackets; emoji as short codes). Mentions become the names people see in
// Slack, looked up once in a while (names.go). What goes back to Slack is
// rendered by markup.Slack.

// names finds who and what a message's mentions name; false when it
// cannot (the message shows the ID).
type names interface {
	user(ctx context.Context, id string) (string, bool)
	channel(ctx context.Context, id string) (string, bool)
}

// readMessage is the Doc of a message as Slack sent it: its text, and its
// blocks.
func readMessage(ctx context.Context, n names, text string, blocks slack.Blocks) markup.Doc {
	r := &reader{ctx: ctx, names: n, hints: hints(text)}
	if doc, ok := r.richText(blocks); ok {
		return doc
	}
	return r.mrkdwn(text)
}

// reader reads one message.
type reader struct {
	ctx   context.Context
	names names
	// hints are the names the message's text gives beside IDs ("#C1" ->
	// "general", "!subteam^S1" -> "@oncall", "@U1" -> "alice"), which rich
	// text has not: a user group's handle has no API relaydesk may call.
	hints map[string]string
}

// hints gathers the names text gives beside IDs.
func hints(text string) map[string]string {
	h := map[string]string{}
	for {
		i := strings.IndexByte(text, '<')
		if i < 0 {
			return h
		}
		j := strings.IndexByte(text[i:], '>')
		if j < 0 {
			return h
		}
		if id, label, ok := strings.Cut(text[i+1:i+j], "|"); ok && label != "" && id != "" && strings.ContainsAny(id[:1], "@#!") {
			h[id] = unescape(label)
		}
		text = text[i+j+1:]
	}
}

// unescape undoes Slack's escaping of text: &amp; &lt; &gt; and nothing
// else.
var unescape = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">").Replace

// user is how a mention of user id shows: "@Display Name", else the name
// Slack wrote beside it, else the ID.
func (r *reader) user(id, label string) string {
	if validID(id) {
		if name, ok := r.names.user(r.ctx, id); ok {
			return "@" + name
		}
	}
	if label = strings.TrimPrefix(label, "@"); label == "" {
		label = r.hints["@"+id]
	}
	if label == "" {
		label = id
	}
	return "@" + label
}

// channel is how a mention of channel id shows: "#name", else the ID.
func (r *reader) channel(id, label string) string {
	if label == "" {
		label = r.hints["#"+id]
	}
	if label == "" && validID(id) {
		label, _ = r.names.channel(r.ctx, id)
	}
	if label == "" {
		label = id
	}
	return "#" + label
}

// validID reports whether id looks like Slack's IDs (U0123ABC): only those
// are looked up.
func validID(id string) bool {
	if id == "" || len(id) > 32 {
		return false
	}
	for _, c := range id {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// angle reads what Slack writes between < and >: a link, a mention of a
// user or a channel, or a special mention (here, a user group, a date).
func (r *reader) angle(s string) []markup.Inline {
	ref, label, _ := strings.Cut(s, "|")
	label = unescape(label)
	text := func(t string) []markup.Inline { return []markup.Inline{{Kind: markup.Text, Text: t}} }
	switch {
	case strings.HasPrefix(ref, "@"):
		return text(r.user(ref[1:], label))
	case strings.HasPrefix(ref, "#"):
		return text(r.channel(ref[1:], label))
	case strings.HasPrefix(ref, "!"):
		cmd := ref[1:]
		switch {
		case cmd == "here" || cmd == "channel" || cmd == "everyone":
			return text("@" + cmd) // words: the customer is no channel member to notify
		case strings.HasPrefix(cmd, "subteam^"):
			if label == "" {
				label = "@" + strings.TrimPrefix(cmd, "subteam^")
			}
			return text("@" + strings.TrimPrefix(label, "@"))
		case label != "":
			return text(label) // a date's fallback, say
		}
		return text(cmd)
	}
	u := unescape(ref)
	if label == "" {
		label = strings.TrimPrefix(u, "mailto:")
	}
	if safe, ok := markup.SafeURL(u); ok {
		return []markup.Inline{{Kind: markup.Link, URL: safe, Children: text(label)}}
	}
	return text(label)
}

// plain is text as Slack sent it without its markup: what code shows.
func (r *reader) plain(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '<')
		j := -1
		if i >= 0 {
			j = strings.IndexByte(s[i:], '>')
		}
		if j < 0 {
			b.WriteString(unescape(s))
			return b.String()
		}
		b.WriteString(unescape(s[:i]))
		b.WriteString(inlineText(r.angle(s[i+1 : i+j])))
		s = s[i+j+1:]
	}
}

// inlineText is the words of xs.
func inlineText(xs []markup.Inline) string {
	var b strings.Builder
	for _, x := range xs {
		b.WriteString(x.Text)
		b.WriteString(inlineText(x.Children))
	}
	return b.String()
}

// mrkdwn reads a message's text: preformatted text between ``` (which
// may start and end within a line), quotes ("&gt; ", and "&gt;&gt;&gt;"
// for all that follows), lists ("• " and "1. ", as Slack writes a rich
// text list in a message's text) and paragraphs, then each line's spans.
func (r *reader) mrkdwn(text string) markup.Doc {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	var doc markup.Doc
	for {
		i := strings.Index(text, "```")
		if i < 0 {
			break
		}
		j := strings.Index(text[i+3:], "```")
		if j < 0 {
			break
		}
		// Preformatted text is a block of its own: the spaces around it
		// within a line go.
		doc = append(doc, r.blocks(strings.TrimRight(text[:i], " "))...)
		if code := strings.TrimSuffix(strings.TrimPrefix(text[i+3:i+3+j], "\n"), "\n"); strings.TrimSpace(code) != "" {
			doc = append(doc, markup.Block{Kind: markup.CodeBlock, Text: r.plain(code)})
		}
		text = strings.TrimLeft(text[i+3+j+3:], " ")
	}
	return append(doc, r.blocks(text)...)
}

// blocks reads text without preformatted parts into paragraphs, quotes
// and lists.
func (r *reader) blocks(text string) markup.Doc {
	var doc markup.Doc
	var cur *markup.Block
	flush := func() {
		if cur != nil {
			doc = append(doc, *cur)
			cur = nil
		}
	}
	add := func(kind markup.BlockKind, ordered bool, line string) {
		if cur != nil && (cur.Kind != kind || cur.Ordered != ordered) {
			flush()
		}
		if cur == nil {
			cur = &markup.Block{Kind: kind, Ordered: ordered}
		} else if kind != markup.List {
			cur.Inlines = append(cur.Inlines, markup.Inline{Kind: markup.Break})
		}
		if kind == markup.List {
			cur.Items = append(cur.Items, r.line(line))
		} else {
			cur.Inlines = append(cur.Inlines, r.line(line)...)
		}
	}
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		if rest, ok := strings.CutPrefix(line, "&gt;&gt;&gt;"); ok {
			// A quote of everything that follows.
			flush()
			add(markup.Quote, false, strings.TrimPrefix(rest, " "))
			for _, l := range lines[i+1:] {
				add(markup.Quote, false, l)
			}
			break
		}
		switch rest, quote := strings.CutPrefix(line, "&gt;"); {
		case quote:
			add(markup.Quote, false, strings.TrimPrefix(rest, " "))
		case strings.TrimSpace(line) == "":
			flush()
		default:
			if item, ordered, ok := listItem(line); ok {
				add(markup.List, ordered, item)
			} else {
				add(markup.Paragraph, false, line)
			}
		}
	}
	flush()
	return doc
}

// listItem is a list line's text: "• x" (Slack's bullets, nested ones
// too), "- x", or "1. x".
func listItem(line string) (text string, ordered, ok bool) {
	t := strings.TrimLeft(line, " \t")
	for _, m := range []string{"• ", "◦ ", "▪ ", "- "} {
		if rest, ok := strings.CutPrefix(t, m); ok && strings.TrimSpace(rest) != "" {
			return rest, false, true
		}
	}
	n := 0
	for n < len(t) && n < 9 && t[n] >= '0' && t[n] <= '9' {
		n++
	}
	if n > 0 && n+1 < len(t) && t[n] == '.' && t[n+1] == ' ' && strings.TrimSpace(t[n+2:]) != "" {
		return t[n+2:], true, true
	}
	return "", false, false
}

// line reads one line's spans: *bold*, _italic_, ~strike~ and `code`
// between word edges, as Slack shows them, around text, links, mentions
// and emoji.
func (r *reader) line(s string) []markup.Inline {
	p := &lineParser{r: r, s: s, atoms: map[int]atom{}, closers: map[byte][]int{}}
	p.scan()
	return p.parse(0, len(s))
}

// atom is what no span delimiter can cut: a construct in angle brackets,
// code, an emoji.
type atom struct {
	end int
	xs  []markup.Inline
}

type lineParser struct {
	r       *reader
	s       string
	atoms   map[int]atom   // by where they start
	closers map[byte][]int // where each delimiter can close a span, in order
}

// scan finds the line's atoms and where delimiters can close.
func (p *lineParser) scan() {
	s := p.s
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '<':
			if j := strings.IndexByte(s[i:], '>'); j > 0 {
				p.atoms[i] = atom{end: i + j + 1, xs: p.r.angle(s[i+1 : i+j])}
				i += j + 1
				continue
			}
		case c == '`':
			if j := strings.IndexByte(s[i+1:], '`'); j > 0 {
				p.atoms[i] = atom{end: i + j + 2, xs: []markup.Inline{{Kind: markup.Code, Text: p.r.plain(s[i+1 : i+1+j])}}}
				i += j + 2
				continue
			}
		case c == ':' && (i == 0 || !wordByte(s[i-1])):
			if n := emojiName(s[i:]); n > 0 {
				text := s[i : i+n] // a custom emoji stays as written
				if e, ok := emojiOf(strings.Trim(text, ":")); ok {
					text = e
				}
				p.atoms[i] = atom{end: i + n, xs: []markup.Inline{{Kind: markup.Text, Text: text}}}
				i += n
				continue
			}
		case (c == '*' || c == '_' || c == '~') && i > 0 && s[i-1] != ' ' && (i+1 == len(s) || !wordByte(s[i+1])):
			p.closers[c] = append(p.closers[c], i)
		}
		i++
	}
}

// parse reads s[from:to].
func (p *lineParser) parse(from, to int) []markup.Inline {
	s := p.s
	var out []markup.Inline
	start := from // of the text not yet out
	text := func(end int) {
		if end > start {
			out = append(out, markup.Inline{Kind: markup.Text, Text: unescape(s[start:end])})
		}
	}
	for i := from; i < to; {
		if a, ok := p.atoms[i]; ok && a.end <= to {
			text(i)
			out = append(out, a.xs...)
			i, start = a.end, a.end
			continue
		}
		c := s[i]
		if (c == '*' || c == '_' || c == '~') && (i == 0 || !wordByte(s[i-1])) && i+1 < to && s[i+1] != ' ' {
			if k := p.closer(c, i+2, to); k >= 0 {
				text(i)
				kind := map[byte]markup.InlineKind{'*': markup.Bold, '_': markup.Italic, '~': markup.Strike}[c]
				out = append(out, markup.Inline{Kind: kind, Children: p.parse(i+1, k)})
				i, start = k+1, k+1
				continue
			}
		}
		i++
	}
	text(to)
	return out
}

// closer is the first place at or after from, before to, where c closes
// a span; -1 for none.
func (p *lineParser) closer(c byte, from, to int) int {
	ks := p.closers[c]
	n := sort.SearchInts(ks, from)
	if n < len(ks) && ks[n] < to {
		return ks[n]
	}
	return -1
}

func wordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b >= 0x80
}
