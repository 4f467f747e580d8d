package telegram

import (
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/go-telegram/bot/models"

	"github.com/relaydesk/relaydesk/core/markup"
)

// FromEntities reads a message's text and its entities into a Doc.
// Telegram sends a message's formatting as entities over its plain text,
// offsets and lengths in UTF-16 code units; relaydesk keeps the message as
// neutral Markdown (core/markup):
//
//   - bold, italic and strikethrough become the same spans; underline and
//     spoiler, which the subset lacks, keep their words only;
//   - code becomes inline code, pre a code block with its language (inline
//     code when it does not stand on lines of its own);
//   - blockquote and expandable_blockquote become quotes (ignored when they
//     do not stand on lines of their own);
//   - text_link, url and email become links (url without a scheme goes to
//     http://, as Telegram opens it; email to mailto:), when the URL is safe
//     (markup.SafeURL), else their text stays;
//   - text_mention reads "@name"; mention, hashtag, cashtag, bot_command,
//     phone_number and custom_emoji are their text.
//
// Entities that cross each other are split where they cross. What the
// subset cannot write so that it reads back the same (italic inside a
// word, a link label with brackets) falls back, one line at a time, to
// fewer spans and at last to plain text; a link given up on keeps its URL
// in brackets after its text. No text is lost: entities out of range are
// cut to the text, and offsets inside a character (half of an emoji's
// surrogate pair) widen to the whole character.
func FromEntities(text string, ents []models.MessageEntity) markup.Doc {
	c := newConverter(text, ents)
	return c.doc()
}

// Stored is the text relaydesk stores for a message with these entities.
func Stored(text string, ents []models.MessageEntity) string {
	return markup.Write(FromEntities(text, ents))
}

// span is an entity over runes [start, end).
type span struct {
	kind       markup.InlineKind // Bold, Italic, Strike, Code, Link; "" for a text_mention
	start, end int
	url        string
	id         int // the entity's place, to tell two links apart
}

// block is a pre or quote entity standing on lines of its own.
type block struct {
	kind       markup.BlockKind // CodeBlock or Quote
	start, end int
	lang       string
}

type converter struct {
	rs     []rune
	spans  []span
	blocks []block
}

func newConverter(text string, ents []models.MessageEntity) *converter {
	rs := []rune(text)
	for i, r := range rs {
		if r == '\r' && (i+1 == len(rs) || rs[i+1] != '\n') {
			rs[i] = '\n' // a line break, as Parse reads it
		}
	}
	c := &converter{rs: rs}
	// units[k] is the UTF-16 offset of rune k; units[len(rs)] the length.
	units := make([]int, len(rs)+1)
	for i, r := range rs {
		w := 1
		if r >= 0x10000 && r <= 0x10FFFF {
			w = 2
		}
		units[i+1] = units[i] + w
	}
	n16 := units[len(rs)]
	var pres []block
	for i, e := range ents {
		if e.Length <= 0 || e.Offset >= n16 {
			continue
		}
		from := max(e.Offset, 0)
		to := n16
		if e.Length <= math.MaxInt-from {
			to = min(e.Offset+e.Length, n16)
		}
		// An offset inside a character widens to the whole character.
		start := sort.SearchInts(units, from)
		if units[start] > from {
			start--
		}
		end := sort.SearchInts(units, to)
		if start >= end {
			continue
		}
		s := span{start: start, end: end, id: i}
		switch e.Type {
		case models.MessageEntityTypeBold:
			s.kind = markup.Bold
		case models.MessageEntityTypeItalic:
			s.kind = markup.Italic
		case models.MessageEntityTypeStrikethrough:
			s.kind = markup.Strike
		case models.MessageEntityTypeCode:
			s.kind = markup.Code
		case models.MessageEntityTypeTextLink:
			s.kind, s.url = markup.Link, e.URL
		case models.MessageEntityTypeURL:
			u := strings.TrimSpace(string(rs[start:end]))
			if !strings.Contains(u, "://") {
				u = "http://" + u
			}
			s.kind, s.url = markup.Link, u
		case models.MessageEntityTypeEmail:
			s.kind, s.url = markup.Link, "mailto:"+strings.TrimSpace(string(rs[start:end]))
		case models.MessageEntityTypeTextMention:
		case models.MessageEntityTypePre:
			pres = append(pres, block{kind: markup.CodeBlock, start: start, end: end, lang: e.Language})
			continue
		case models.MessageEntityTypeBlockquote, models.MessageEntityTypeExpandableBlockquote:
			pres = append(pres, block{kind: markup.Quote, start: start, end: end})
			continue
		default: // underline, spoiler, mention, hashtag...: their text
			continue
		}
		if s.kind == markup.Link {
			// A URL shown as itself stays as written, so that it reads
			// back as a bare link to itself when the subset cannot write
			// it as a link (parentheses); a URL behind other words is
			// encoded so that it can be written.
			asWritten := e.Type == models.MessageEntityTypeURL && strings.Contains(s.url, "://") && strings.Contains(string(rs[start:end]), "://")
			u, ok := linkURL(s.url, !asWritten)
			if !ok {
				continue
			}
			s.url = u
		}
		c.spans = append(c.spans, s)
	}
	c.chooseBlocks(pres)
	return c
}

// chooseBlocks keeps the pre and quote entities that stand on lines of
// their own and overlap no block kept before; a pre that does not is
// inline code, a quote that does not is ignored.
func (c *converter) chooseBlocks(cands []block) {
	slices.SortStableFunc(cands, func(a, b block) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return b.end - a.end
	})
	last := 0
	for _, b := range cands {
		// A block may take the line break after it; it is no part of it.
		for b.end > b.start && c.rs[b.end-1] == '\n' {
			b.end--
		}
		lines := b.end > b.start && (b.start == 0 || c.rs[b.start-1] == '\n') && (b.end == len(c.rs) || c.rs[b.end] == '\n')
		if lines && b.start >= last && (b.kind != markup.CodeBlock || c.codeBlockFits(b)) {
			c.blocks = append(c.blocks, b)
			last = b.end
			continue
		}
		if b.kind == markup.CodeBlock && b.end > b.start {
			c.spans = append(c.spans, span{kind: markup.Code, start: b.start, end: b.end, id: -1})
		}
	}
}

// codeBlockFits reports whether the code block reads back as written: its
// text holds no ``` that would end it.
func (c *converter) codeBlockFits(b block) bool {
	cb := markup.Block{Kind: markup.CodeBlock, Text: c.text(b.start, b.end), Lang: b.lang}
	back := markup.Parse(markup.Write(markup.Doc{cb}))
	return len(back) == 1 && back[0].Kind == markup.CodeBlock && back[0].Text == cb.Text
}

// text is runes [a, b) as a string, without the \r of \r\n.
func (c *converter) text(a, b int) string {
	return strings.ReplaceAll(string(c.rs[a:b]), "\r", "")
}

func (c *converter) doc() markup.Doc {
	var doc markup.Doc
	pos := 0
	for _, b := range c.blocks {
		doc = append(doc, c.paragraphs(pos, b.start)...)
		switch b.kind {
		case markup.CodeBlock:
			doc = append(doc, markup.Block{Kind: markup.CodeBlock, Text: c.text(b.start, b.end), Lang: lang(b.lang)})
		case markup.Quote:
			if q := c.lines(b.start, b.end, true); len(q) > 0 {
				doc = append(doc, markup.Block{Kind: markup.Quote, Inlines: q})
			}
		}
		pos = b.end
	}
	return append(doc, c.paragraphs(pos, len(c.rs))...)
}

// lang is a pre entity's language as a code fence can name it, "" for
// none.
func lang(l string) string {
	if strings.ContainsAny(l, "\r\n") {
		return ""
	}
	d := markup.Parse("```" + l + "\nx\n```")
	if len(d) == 1 && d[0].Kind == markup.CodeBlock {
		return d[0].Lang
	}
	return ""
}

// paragraphs reads runes [a, b) outside blocks: paragraphs apart where a
// line is blank, as Parse reads them.
func (c *converter) paragraphs(a, b int) markup.Doc {
	var doc markup.Doc
	start := -1 // the first line of the paragraph being read
	flush := func(end int) {
		if start >= 0 {
			doc = append(doc, markup.Block{Kind: markup.Paragraph, Inlines: c.lines(start, end, false)})
			start = -1
		}
	}
	for ls := a; ls <= b; {
		le := ls
		for le < b && c.rs[le] != '\n' {
			le++
		}
		if strings.TrimSpace(c.text(ls, le)) == "" {
			flush(max(ls-1, a))
		} else if start < 0 {
			start = ls
		}
		if le == b {
			flush(b)
			break
		}
		ls = le + 1
	}
	return doc
}

// lines reads runes [a, b), a paragraph's or a quote's, one line at a
// time, with a Break between lines. A quote drops its blank lines at
// either end and keeps none of a blank line's spaces.
func (c *converter) lines(a, b int, quote bool) []markup.Inline {
	var out []markup.Inline
	var pending []markup.Inline // breaks not yet followed by text
	for ls := a; ls <= b; {
		le := ls
		for le < b && c.rs[le] != '\n' {
			le++
		}
		if quote && strings.TrimSpace(c.text(ls, le)) == "" {
			if len(out) > 0 {
				pending = append(pending, markup.Inline{Kind: markup.Break})
			}
		} else {
			if len(out) > 0 {
				out = append(out, pending...)
				out = append(out, markup.Inline{Kind: markup.Break})
			}
			pending = nil
			out = append(out, c.line(ls, le)...)
		}
		if le == b {
			break
		}
		ls = le + 1
	}
	return out
}

// node is a span being built, or a piece of text (kind Text or Code).
type node struct {
	kind markup.InlineKind
	url  string
	id   int
	text string
	kids []*node
}

// line reads the spans of runes [a, b), a line.
func (c *converter) line(a, b int) []markup.Inline {
	var in []span
	cuts := []int{a, b}
	for _, s := range c.spans {
		if s.start < b && s.end > a {
			cl := s
			cl.start, cl.end = max(s.start, a), min(s.end, b)
			in = append(in, cl)
			cuts = append(cuts, cl.start, cl.end)
		}
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)

	root := &node{}
	stack := []*node{root}
	for i := 0; i+1 < len(cuts); i++ {
		x, y := cuts[i], cuts[i+1]
		// What applies to runes [x, y): one link at most, the earliest.
		var active []span
		var link *span
		code, mention := false, false
		for j := range in {
			s := &in[j]
			if s.start > x || s.end < y {
				continue
			}
			switch s.kind {
			case markup.Link:
				if link == nil || s.start < link.start || (s.start == link.start && s.end > link.end) {
					link = s
				}
			case markup.Code:
				code = true
			case "":
				mention = mention || c.mentionStart(s, x)
			default:
				active = append(active, *s)
			}
		}
		if link != nil {
			active = append(active, *link)
		}
		// Close what no longer applies, and everything opened inside it.
		keep := 1
		for keep < len(stack) && applies(stack[keep], active) {
			keep++
		}
		stack = stack[:keep]
		// Open what now applies: what lasts longer outside.
		var open []span
		for _, s := range active {
			if !slices.ContainsFunc(stack[1:], func(n *node) bool { return same(n, s) }) &&
				!slices.ContainsFunc(open, func(o span) bool { return o.kind == s.kind }) {
				open = append(open, longest(s, active))
			}
		}
		slices.SortStableFunc(open, func(p, q span) int {
			if p.end != q.end {
				return q.end - p.end
			}
			return rank(p.kind) - rank(q.kind)
		})
		for _, s := range open {
			n := &node{kind: s.kind, url: s.url, id: s.id}
			top := stack[len(stack)-1]
			top.kids = append(top.kids, n)
			stack = append(stack, n)
		}
		t := c.text(x, y)
		if mention && !strings.HasPrefix(t, "@") {
			t = "@" + t
		}
		leaf := &node{kind: markup.Text, text: t}
		if code {
			leaf.kind = markup.Code
		}
		top := stack[len(stack)-1]
		top.kids = append(top.kids, leaf)
	}
	return settle(inlines(root.kids))
}

func inlines(ns []*node) []markup.Inline {
	var out []markup.Inline
	for _, n := range ns {
		x := markup.Inline{Kind: n.kind, URL: n.url, Text: n.text}
		if n.kind != markup.Text && n.kind != markup.Code {
			x.Children = inlines(n.kids)
		}
		out = append(out, x)
	}
	return out
}

// mentionStart reports whether x is where text_mention s begins.
func (c *converter) mentionStart(s *span, x int) bool {
	for _, o := range c.spans {
		if o.id == s.id {
			return o.start == x
		}
	}
	return false
}

// applies reports whether the open span n still applies.
func applies(n *node, active []span) bool {
	return slices.ContainsFunc(active, func(s span) bool { return same(n, s) })
}

func same(n *node, s span) bool {
	return n.kind == s.kind && (s.kind != markup.Link || n.id == s.id)
}

// longest is s, ending where the last active span of its kind ends: it
// decides which span opens outside which.
func longest(s span, active []span) span {
	for _, o := range active {
		if o.kind == s.kind && o.kind != markup.Link && o.end > s.end {
			s.end = o.end
		}
	}
	return s
}

// rank orders spans of equal reach: links outside emphasis.
func rank(k markup.InlineKind) int {
	return map[markup.InlineKind]int{markup.Link: 0, markup.Bold: 1, markup.Strike: 2, markup.Italic: 3}[k]
}

// linkURL is u if it is safe (markup.SafeURL), with what would end a
// Markdown link's URL early percent-encoded when encode is set.
func linkURL(u string, encode bool) (string, bool) {
	u, ok := markup.SafeURL(u)
	if !ok || !encode {
		return u, ok
	}
	return markup.SafeURL(strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "\t", "%09").Replace(u))
}
