package telegram

import (
	"unicode/utf16"

	"github.com/go-telegram/bot/models"

	"github.com/relaydesk/relaydesk/core/markup"
)

// maxCaption is how long a file's caption may be, in UTF-16 code units.
const maxCaption = 1024

// piece is what one Telegram message says: its text and the entities
// over it. A message body goes as text and entities, never with a
// parse_mode: there is nothing to escape, and nothing a person wrote can
// turn into markup on the way.
type piece struct {
	text string
	ents []models.MessageEntity
}

// formatted is a message body, neutral Markdown as relaydesk stores it,
// after who wrote it ("Alice: "), as Telegram shows it.
func formatted(who string, doc markup.Doc) piece {
	text, ents := markup.Telegram(doc)
	prefix := ""
	if who != "" {
		prefix = who + ": "
	}
	d := utf16Len(prefix)
	p := piece{text: prefix + text}
	for _, e := range ents {
		p.ents = append(p.ents, models.MessageEntity{Type: models.MessageEntityType(e.Type), Offset: e.Offset + d,
			Length: e.Length, URL: e.URL, Language: e.Language})
	}
	return p
}

// plainDoc is text that is no markup, a file's name say, as a Doc.
func plainDoc(text string) markup.Doc {
	return markup.Doc{{Kind: markup.Paragraph, Inlines: []markup.Inline{{Kind: markup.Text, Text: text}}}}
}

// cut splits p into pieces of at most max UTF-16 code units, Telegram's
// measure: where possible at a paragraph's end, else at a line's, else at
// a space, in the second half of what fits; entities over a cut are cut
// with it and every piece's start from zero.
func cut(p piece, max int) []piece {
	rs := []rune(p.text)
	at := make([]int, len(rs)+1) // the UTF-16 offset of rune i
	for i, r := range rs {
		w := utf16.RuneLen(r)
		if w < 0 {
			w = 1
		}
		at[i+1] = at[i] + w
	}
	var out []piece
	for start := 0; ; {
		if at[len(rs)]-at[start] <= max {
			if start < len(rs) || len(out) == 0 {
				out = append(out, p.slice(rs, at, start, len(rs)))
			}
			return out
		}
		fit := start // the most runes from start that fit
		for fit < len(rs) && at[fit+1]-at[start] <= max {
			fit++
		}
		if fit == start {
			fit++ // max is less than one character
		}
		end, next := fit, fit
		for _, sep := range []string{"\n\n", "\n", " "} {
			if i := lastIndex(rs[start:fit], []rune(sep)); i >= 0 && at[start+i]-at[start] > max/2 {
				end, next = start+i, start+i+len(sep)
				break
			}
		}
		out = append(out, p.slice(rs, at, start, end))
		for next < len(rs) && (rs[next] == '\n' || rs[next] == ' ') {
			next++
		}
		start = next
	}
}

// fit is p cut to at most max UTF-16 code units, "…" where it was cut: a
// caption, which cannot go on in a second message.
func fit(p piece, max int) piece {
	ps := cut(p, max-1)
	if len(ps) == 1 {
		return p
	}
	first := ps[0]
	first.text += "…"
	return first
}

// slice is runes [a, b) of p, with the entities over them.
func (p piece) slice(rs []rune, at []int, a, b int) piece {
	out := piece{text: string(rs[a:b])}
	for _, e := range p.ents {
		s, t := max(e.Offset, at[a]), min(e.Offset+e.Length, at[b])
		if t > s {
			e.Offset, e.Length = s-at[a], t-s
			out.ents = append(out.ents, e)
		}
	}
	return out
}

// lastIndex is where the last sep in rs begins, -1 for none.
func lastIndex(rs, sep []rune) int {
outer:
	for i := len(rs) - len(sep); i >= 0; i-- {
		for j, r := range sep {
			if rs[i+j] != r {
				continue outer
			}
		}
		return i
	}
	return -1
}
