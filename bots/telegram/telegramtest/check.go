package telegramtest

import (
	"encoding/json"
	"fmt"
	"unicode/utf16"
)

// Entity is a MessageEntity as a call sent it: offsets and lengths in
// UTF-16 code units.
type Entity struct {
	Type     string `json:"type"`
	Offset   int    `json:"offset"`
	Length   int    `json:"length"`
	URL      string `json:"url,omitempty"`
	Language string `json:"language,omitempty"`
}

// Entities are the call's entities (or caption_entities), nil when it
// sent none.
func (c Call) Entities() []Entity {
	raw := c.Fields["entities"]
	if raw == "" {
		raw = c.Fields["caption_entities"]
	}
	var es []Entity
	json.Unmarshal([]byte(raw), &es)
	return es
}

// Spans lists the call's entities as type@offset+length, with a link's
// URL after it: for comparing in tests.
func (c Call) Spans() []string {
	var out []string
	for _, e := range c.Entities() {
		s := fmt.Sprintf("%s@%d+%d", e.Type, e.Offset, e.Length)
		if e.URL != "" {
			s += " " + e.URL
		}
		if e.Language != "" {
			s += " " + e.Language
		}
		out = append(out, s)
	}
	return out
}

// entityTypes are the entities a bot may send.
var entityTypes = map[string]bool{"mention": true, "hashtag": true, "cashtag": true, "bot_command": true, "url": true,
	"email": true, "phone_number": true, "bold": true, "italic": true, "underline": true, "strikethrough": true,
	"spoiler": true, "blockquote": true, "expandable_blockquote": true, "code": true, "pre": true, "text_link": true,
	"text_mention": true, "custom_emoji": true}

// refusal is why Telegram would answer the call 400, "" when it would
// not: a text longer than 4096 UTF-16 code units or a caption longer than
// 1024, entities it cannot read or that lie outside their text.
func refusal(c Call) string {
	text, field, limit := c.Fields["text"], "entities", 4096
	if _, ok := c.Fields["text"]; !ok {
		text, field, limit = c.Fields["caption"], "caption_entities", 1024
	}
	n := len(utf16.Encode([]rune(text)))
	if n > limit {
		if field == "entities" {
			return "Bad Request: message is too long"
		}
		return "Bad Request: message caption is too long"
	}
	raw, ok := c.Fields[field]
	if !ok {
		return ""
	}
	var es []Entity
	if err := json.Unmarshal([]byte(raw), &es); err != nil {
		return "Bad Request: can't parse entities: " + err.Error()
	}
	for _, e := range es {
		switch {
		case !entityTypes[e.Type]:
			return fmt.Sprintf("Bad Request: can't parse entities: unsupported entity type %q", e.Type)
		case e.Offset < 0 || e.Length <= 0 || e.Offset+e.Length > n:
			return fmt.Sprintf("Bad Request: can't parse entities: entity %s at %d+%d is outside a text of %d", e.Type, e.Offset, e.Length, n)
		case e.Type == "text_link" && e.URL == "":
			return "Bad Request: can't parse entities: a text_link without a URL"
		}
	}
	return ""
}
