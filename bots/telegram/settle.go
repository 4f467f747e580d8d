package telegram

import (
	"reflect"
	"strings"

	"github.com/relaydesk/relaydesk/core/markup"
)

// settle returns a line's spans in a form that reads back as it is
// written: tidied, then with spans given up until it does: one span of a
// kind when that is enough (of the first few), else every span of the
// kind, italic first and inline code last.
func settle(line []markup.Inline) []markup.Inline {
	line = tidy(line)
	if fits(line) {
		return line
	}
	for _, k := range []markup.InlineKind{markup.Italic, markup.Strike, markup.Bold, markup.Link, markup.Code} {
		for i := range min(count(line, k), maxTries) {
			n := 0
			if l := tidy(unwrap(line, k, i, &n)); fits(l) {
				return l
			}
		}
		n := 0
		line = tidy(unwrap(line, k, -1, &n))
		if fits(line) {
			return line
		}
	}
	return line
}

// maxTries bounds how many spans of a kind settle tries giving up one at
// a time, and so the time a line full of spans that cannot be written
// takes.
const maxTries = 8

// fits reports whether line, written as stored text, reads back as itself.
func fits(line []markup.Inline) bool {
	doc := markup.Doc{{Kind: markup.Paragraph, Inlines: line}}
	back := markup.Parse(markup.Write(doc))
	if len(back) == 0 {
		return strings.TrimSpace(markup.Plain(doc)) == ""
	}
	return len(back) == 1 && back[0].Kind == markup.Paragraph && reflect.DeepEqual(norm(line), norm(back[0].Inlines))
}

// norm is line as far as reading it back must keep it: a bare URL is text
// (Parse links it by itself), texts side by side are one.
func norm(line []markup.Inline) []markup.Inline {
	var out []markup.Inline
	for _, x := range line {
		if x.Kind == markup.Link && len(x.Children) == 1 && x.Children[0].Kind == markup.Text && x.Children[0].Text == x.URL {
			x = x.Children[0]
		}
		x.Children = norm(x.Children)
		if x.Kind == markup.Text {
			if x.Text == "" {
				continue
			}
			if n := len(out); n > 0 && out[n-1].Kind == markup.Text {
				out[n-1].Text += x.Text
				continue
			}
		}
		out = append(out, x)
	}
	return out
}

// tidy puts a line's spans the way the subset writes them: inline code
// without backticks (a backtick is text between two codes), emphasis
// without spaces at its edges (they move outside), no empty span, and
// neighbours of one kind joined.
func tidy(line []markup.Inline) []markup.Inline {
	var out []markup.Inline
	add := func(x markup.Inline) {
		n := len(out)
		switch {
		case (x.Kind == markup.Text || x.Kind == markup.Code) && x.Text == "":
			return
		case n > 0 && out[n-1].Kind == x.Kind && (x.Kind == markup.Text || x.Kind == markup.Code):
			out[n-1].Text += x.Text
			return
		case n > 0 && out[n-1].Kind == x.Kind && x.Kind != markup.Break && out[n-1].URL == x.URL:
			out[n-1].Children = tidy(append(out[n-1].Children, x.Children...))
			return
		}
		out = append(out, x)
	}
	for _, x := range line {
		switch x.Kind {
		case markup.Text, markup.Break:
			add(x)
		case markup.Code:
			for i, part := range strings.Split(x.Text, "`") {
				if i > 0 {
					add(markup.Inline{Kind: markup.Text, Text: "`"})
				}
				add(markup.Inline{Kind: markup.Code, Text: part})
			}
		case markup.Link:
			x.Children = tidy(x.Children)
			if strings.TrimSpace(markup.Plain(markup.Doc{{Kind: markup.Paragraph, Inlines: x.Children}})) == "" {
				for _, k := range x.Children {
					add(k)
				}
				continue
			}
			add(x)
		default: // emphasis
			kids := tidy(x.Children)
			var before, after string
			if len(kids) > 0 && kids[0].Kind == markup.Text {
				t := strings.TrimLeft(kids[0].Text, " \t")
				before, kids[0].Text = kids[0].Text[:len(kids[0].Text)-len(t)], t
			}
			if n := len(kids); n > 0 && kids[n-1].Kind == markup.Text {
				t := strings.TrimRight(kids[n-1].Text, " \t")
				after, kids[n-1].Text = kids[n-1].Text[len(t):], t
			}
			kids = tidy(kids)
			add(markup.Inline{Kind: markup.Text, Text: before})
			if len(kids) > 0 {
				x.Children = kids
				add(x)
			}
			add(markup.Inline{Kind: markup.Text, Text: after})
		}
	}
	return out
}

// count is how many spans of kind k line holds, at any depth.
func count(line []markup.Inline, k markup.InlineKind) int {
	n := 0
	for _, x := range line {
		if x.Kind == k {
			n++
		}
		n += count(x.Children, k)
	}
	return n
}

// unwrap gives up the which-th span of kind k in line (every one when
// which is -1), keeping what it held; *seen counts the spans passed.
// A link given up keeps its URL in brackets after its text, unless the
// text says it already.
func unwrap(line []markup.Inline, k markup.InlineKind, which int, seen *int) []markup.Inline {
	var out []markup.Inline
	for _, x := range line {
		hit := false
		if x.Kind == k {
			hit = which < 0 || *seen == which
			*seen++
		}
		x.Children = unwrap(x.Children, k, which, seen)
		if !hit {
			out = append(out, x)
			continue
		}
		switch x.Kind {
		case markup.Code:
			out = append(out, markup.Inline{Kind: markup.Text, Text: x.Text})
		case markup.Link:
			out = append(out, x.Children...)
			label := markup.Plain(markup.Doc{{Kind: markup.Paragraph, Inlines: x.Children}})
			if label != x.URL && "mailto:"+label != x.URL && "http://"+label != x.URL {
				out = append(out, markup.Inline{Kind: markup.Text, Text: " (" + x.URL + ")"})
			}
		default:
			out = append(out, x.Children...)
		}
	}
	return out
}
