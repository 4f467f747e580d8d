package slack

import (
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/relaydesk/relaydesk/core/markup"
)

// richText reads a message's rich_text blocks, the structure Slack's
// editor wrote; false when the message has none, or something relaydesk
// does not know how to read (then the text says it).
func (r *reader) richText(blocks slack.Blocks) (markup.Doc, bool) {
	if len(blocks.BlockSet) == 0 {
		return nil, false
	}
	var doc markup.Doc
	for _, b := range blocks.BlockSet {
		rt, ok := b.(*slack.RichTextBlock)
		if !ok {
			return nil, false
		}
		for _, e := range rt.Elements {
			switch e := e.(type) {
			case *slack.RichTextSection:
				xs, ok := r.elements(e.Elements)
				if !ok {
					return nil, false
				}
				doc = append(doc, markup.Block{Kind: markup.Paragraph, Inlines: xs})
			case *slack.RichTextQuote:
				xs, ok := r.elements(e.Elements)
				if !ok {
					return nil, false
				}
				doc = append(doc, markup.Block{Kind: markup.Quote, Inlines: xs})
			case *slack.RichTextPreformatted:
				xs, ok := r.elements(e.Elements)
				if !ok {
					return nil, false
				}
				doc = append(doc, markup.Block{Kind: markup.CodeBlock, Text: strings.Trim(inlineText(xs), "\n")})
			case *slack.RichTextList:
				l := markup.Block{Kind: markup.List, Ordered: e.Style == slack.RTEListOrdered}
				for _, it := range e.Elements {
					sec, ok := it.(*slack.RichTextSection)
					if !ok {
						return nil, false
					}
					xs, ok := r.elements(sec.Elements)
					if !ok {
						return nil, false
					}
					l.Items = append(l.Items, xs)
				}
				doc = append(doc, l)
			default:
				return nil, false
			}
		}
	}
	return markup.Tidy(doc), true
}

// elements reads a section's elements, each styled.
func (r *reader) elements(es []slack.RichTextSectionElement) ([]markup.Inline, bool) {
	var out []markup.Inline
	for _, e := range es {
		var x markup.Inline
		var st *slack.RichTextSectionTextStyle
		switch e := e.(type) {
		case *slack.RichTextSectionTextElement:
			x, st = markup.Inline{Kind: markup.Text, Text: e.Text}, e.Style
			if st != nil && st.Code {
				x = markup.Inline{Kind: markup.Code, Text: e.Text}
			}
		case *slack.RichTextSectionLinkElement:
			text := e.Text
			if text == "" {
				text = strings.TrimPrefix(e.URL, "mailto:")
			}
			x, st = markup.Inline{Kind: markup.Text, Text: text}, e.Style
			if u, ok := markup.SafeURL(e.URL); ok {
				x = markup.Inline{Kind: markup.Link, URL: u, Children: []markup.Inline{x}}
			}
		case *slack.RichTextSectionUserElement:
			x, st = markup.Inline{Kind: markup.Text, Text: r.user(e.UserID, "")}, e.Style
		case *slack.RichTextSectionChannelElement:
			x, st = markup.Inline{Kind: markup.Text, Text: r.channel(e.ChannelID, "")}, e.Style
		case *slack.RichTextSectionUserGroupElement:
			handle := r.hints["!subteam^"+e.UsergroupID]
			if handle == "" {
				handle = e.UsergroupID
			}
			x, st = markup.Inline{Kind: markup.Text, Text: "@" + strings.TrimPrefix(handle, "@")}, e.Style
		case *slack.RichTextSectionBroadcastElement:
			x, st = markup.Inline{Kind: markup.Text, Text: "@" + e.Range}, e.Style
		case *slack.RichTextSectionEmojiElement:
			text, ok := emojiUnicode(e.Unicode)
			if !ok {
				name := e.Name
				if e.SkinTone > 1 {
					name += "::skin-tone-" + string(rune('0'+e.SkinTone%10))
				}
				if text, ok = emojiOf(name); !ok {
					text = ":" + e.Name + ":"
				}
			}
			x, st = markup.Inline{Kind: markup.Text, Text: text}, e.Style
		case *slack.RichTextSectionDateElement:
			text := time.Unix(int64(e.Timestamp), 0).UTC().Format("2006-01-02 15:04 UTC")
			if e.Fallback != nil && *e.Fallback != "" {
				text = *e.Fallback
			}
			x, st = markup.Inline{Kind: markup.Text, Text: text}, e.Style
		case *slack.RichTextSectionColorElement:
			x, st = markup.Inline{Kind: markup.Text, Text: e.Value}, e.Style
		default:
			return nil, false
		}
		out = append(out, styled(x, st))
	}
	return out, true
}

// styled is x in the styles st gives it; underline and highlight are not
// the format's.
func styled(x markup.Inline, st *slack.RichTextSectionTextStyle) markup.Inline {
	if st == nil {
		return x
	}
	for _, s := range []struct {
		on   bool
		kind markup.InlineKind
	}{{st.Strike, markup.Strike}, {st.Italic, markup.Italic}, {st.Bold, markup.Bold}} {
		if s.on {
			x = markup.Inline{Kind: s.kind, Children: []markup.Inline{x}}
		}
	}
	return x
}
