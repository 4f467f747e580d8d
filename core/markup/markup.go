// Package markup is relaydesk's one message format: a small, safe subset
// of Markdown that every surface translates to and from. A message is
// stored as the text a person wrote in it; Parse reads it into a Doc, and
// each surface renders the Doc its own way: Slack's mrkdwn, Telegram's
// text with entities, Discord's Markdown, the browser's DOM (from the Doc
// as JSON, never from HTML), or plain text.
//
// The subset: paragraphs and line breaks, **bold**, *italic* or _italic_,
// ~~strikethrough~~, `inline code`, fenced code blocks ("```go" names a
// language), [links](https://...)
// and bare https:// links, lists ("- item", "1. item") and quotes
// ("> line"). A backslash keeps the next punctuation character as it is.
// Anything else is text: there is no HTML, no image, no heading, and a
// link goes to http, https or mailto only.
package markup

import (
	"net/url"
	"strings"
)

// Doc is a parsed message: its blocks in order.
type Doc []Block

// BlockKind is what a block is.
type BlockKind string

// The blocks.
const (
	Paragraph BlockKind = "p"
	CodeBlock BlockKind = "code"
	Quote     BlockKind = "quote"
	List      BlockKind = "list"
)

// Block is a paragraph or quote (Inlines), a code block (Text, in the
// language Lang names if it names one) or a list (Items).
type Block struct {
	Kind    BlockKind  `json:"kind"`
	Inlines []Inline   `json:"inlines,omitempty"`
	Text    string     `json:"text,omitempty"`
	Lang    string     `json:"lang,omitempty"`
	Items   [][]Inline `json:"items,omitempty"`
	Ordered bool       `json:"ordered,omitempty"`
}

// InlineKind is what a span of a block is.
type InlineKind string

// The spans.
const (
	Text   InlineKind = "text"
	Break  InlineKind = "br"
	Bold   InlineKind = "b"
	Italic InlineKind = "i"
	Strike InlineKind = "s"
	Code   InlineKind = "code"
	Link   InlineKind = "a"
)

// Inline is text (Text, Code), a line break, emphasis around Children, or
// a link to URL showing Children.
type Inline struct {
	Kind     InlineKind `json:"kind"`
	Text     string     `json:"text,omitempty"`
	URL      string     `json:"url,omitempty"`
	Children []Inline   `json:"children,omitempty"`
}

// SafeURL returns u when it is an absolute http, https or mailto URL, and
// false for anything else (javascript:, data:, relative paths).
func SafeURL(u string) (string, bool) {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil {
		return "", false
	}
	switch strings.ToLower(p.Scheme) {
	case "http", "https":
		if p.Host == "" {
			return "", false
		}
	case "mailto":
		if p.Opaque == "" {
			return "", false
		}
	default:
		return "", false
	}
	return p.String(), true
}
