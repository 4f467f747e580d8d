package discord

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/relaydesk/relaydesk/core/markup"
)

// What technicians write in Discord reaches the customer in relaydesk's
// one message format (core/markup). Discord's Markdown is largely that
// format's: bold, italic, strikethrough, code, code blocks, quotes, lists
// and masked links read as they are. What is Discord's alone becomes
// plain text, its words kept: __underline__, ||spoilers||, # headings,
// -# subtext, >>> for a quote of all that follows, <url> that hides a
// link's preview. Mentions become the names people see in Discord, looked
// up once in a while (names.go); a custom emoji becomes :its_name:, a
// timestamp its date. What goes back to Discord is rendered by
// markup.Markdown with Discord's escaping, and pings nobody.

// names finds what a message's mentions name; false when it cannot (the
// message shows the ID). guild is the message's server, "" in a DM.
type names interface {
	user(ctx context.Context, guild, id string) (string, bool)
	channel(ctx context.Context, id string) (string, bool)
	role(ctx context.Context, guild, id string) (string, bool)
}

// readMessage is the Doc of a message's content as Discord sent it, in
// guild; mentioned are the users the message says it mentions, whose
// names stand in when a lookup fails.
func readMessage(ctx context.Context, n names, guild, content string, mentioned []*discordgo.User) markup.Doc {
	r := &reader{ctx: ctx, names: n, guild: guild, mentioned: map[string]string{}}
	for _, u := range mentioned {
		if u != nil && u.ID != "" {
			r.mentioned[u.ID] = firstOf(u.GlobalName, u.Username)
		}
	}
	doc := markup.Parse(discordOnly(content))
	for i := range doc {
		doc[i].Inlines = r.inlines(doc[i].Inlines)
		for j := range doc[i].Items {
			doc[i].Items[j] = r.inlines(doc[i].Items[j])
		}
	}
	return doc
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

type reader struct {
	ctx       context.Context
	names     names
	guild     string
	mentioned map[string]string
}

// inlines replaces, in texts and links' labels, what Discord writes
// between angle brackets by what Discord shows.
func (r *reader) inlines(xs []markup.Inline) []markup.Inline {
	for i, x := range xs {
		if x.Kind == markup.Text {
			xs[i].Text = tokens.ReplaceAllStringFunc(x.Text, r.token)
		}
		xs[i].Children = r.inlines(x.Children)
	}
	return xs
}

// tokens are what Discord writes between angle brackets: a mention of a
// user (<@1>, <@!1>), a role (<@&1>), a channel (<#1>), a slash command
// (</name:1>), a custom emoji (<:name:1>, <a:name:1>), a timestamp
// (<t:1700000000:R>).
var tokens = regexp.MustCompile(`<(@!?|@&|#)(\d{1,20})>|<a?:(\w{1,32}):\d{1,20}>|<t:(-?\d{1,13})(?::([tTdDfFR]))?>|</([\w -]{1,100}):\d{1,20}>`)

func (r *reader) token(t string) string {
	m := tokens.FindStringSubmatch(t)
	switch {
	case m[1] == "@" || m[1] == "@!":
		if name, ok := r.names.user(r.ctx, r.guild, m[2]); ok {
			return "@" + name
		}
		if name := r.mentioned[m[2]]; name != "" {
			return "@" + name
		}
		return "@" + m[2]
	case m[1] == "@&":
		if name, ok := r.names.role(r.ctx, r.guild, m[2]); ok {
			return "@" + strings.TrimPrefix(name, "@") // @everyone is a role too
		}
		return "@" + m[2]
	case m[1] == "#":
		if name, ok := r.names.channel(r.ctx, m[2]); ok {
			return "#" + name
		}
		return "#" + m[2]
	case m[3] != "":
		return ":" + m[3] + ":"
	case m[4] != "":
		sec, err := strconv.ParseInt(m[4], 10, 64)
		if err != nil {
			return t
		}
		layout := map[string]string{"t": "15:04", "T": "15:04:05", "d": "2006-01-02", "D": "2 January 2006",
			"F": "Monday, 2 January 2006 15:04"}[m[5]]
		if layout == "" {
			layout = "2 January 2006 15:04" // f, R and none
		}
		return time.Unix(sec, 0).UTC().Format(layout) + " UTC"
	case m[6] != "":
		return "/" + m[6]
	}
	return t
}

// discordOnly rewrites what is Discord's alone, outside code, into this
// format: a code block opened and closed within lines gets lines of its
// own (its language dropped), and underline, spoilers, headings, subtext,
// >>> and <url> lose their marks.
func discordOnly(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	var b strings.Builder
	for {
		i := strings.Index(s, "```")
		if i < 0 {
			break
		}
		j := strings.Index(s[i+3:], "```")
		if j < 0 {
			break
		}
		b.WriteString(marks(strings.TrimRight(s[:i], " ")))
		code := s[i+3 : i+3+j]
		if first, rest, ok := strings.Cut(code, "\n"); ok && !strings.ContainsAny(strings.TrimSpace(first), " \t") {
			code = rest // ```go: the language
		}
		code = strings.Trim(code, "\n")
		b.WriteString("\n```\n" + code + "\n```\n")
		s = strings.TrimLeft(s[i+3+j+3:], " ")
	}
	b.WriteString(marks(s))
	return b.String()
}

// marks rewrites Discord's own marks in text without code blocks.
func marks(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if rest, ok := strings.CutPrefix(l, ">>> "); ok {
			// A quote of everything that follows.
			lines[i] = "> " + rest
			for j := i + 1; j < len(lines); j++ {
				lines[j] = "> " + lines[j]
			}
			break
		}
		for _, h := range []string{"### ", "## ", "# ", "-# "} {
			if rest, ok := strings.CutPrefix(l, h); ok && strings.TrimSpace(rest) != "" {
				lines[i] = rest
				break
			}
		}
	}
	return unmark(strings.Join(lines, "\n"))
}

// unmark drops the marks of underline (__x__) and spoilers (||x||), in
// pairs, and the brackets of <https://...>, outside code spans, escapes
// and what Discord writes between angle brackets.
func unmark(s string) string {
	open := map[string]int{"__": -1, "||": -1}
	drop := map[int]bool{}
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i += 2
			continue
		case c == '`':
			if j := strings.IndexByte(s[i+1:], '`'); j > 0 && !strings.Contains(s[i+1:i+1+j], "\n") {
				i += j + 2
				continue
			}
		case c == '<':
			if j := strings.IndexAny(s[i+1:], "<> \n"); j > 0 && s[i+1+j] == '>' {
				inner := s[i+1 : i+1+j]
				if strings.HasPrefix(inner, "https://") || strings.HasPrefix(inner, "http://") {
					drop[i], drop[i+1+j] = true, true // the link, without its brackets
				}
				i += j + 2
				continue
			}
		case (c == '_' || c == '|') && i+1 < len(s) && s[i+1] == c:
			d := s[i : i+2]
			if o := open[d]; o >= 0 && i > o+2 {
				drop[o], drop[o+1], drop[i], drop[i+1] = true, true, true, true
				open[d] = -1
			} else if o < 0 {
				open[d] = i
			}
			i += 2
			continue
		}
		i++
	}
	if len(drop) == 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if !drop[i] {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
