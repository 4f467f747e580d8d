package telegramtest

import (
	"encoding/json"
	"slices"
	"strconv"
	"time"
)

// firstMessageID is the message_id of the first message the fake sends:
// above the IDs of the fixtures' own messages, so that a customer's
// message and one of the bot's never share an ID in a chat, as on
// Telegram.
const firstMessageID = 1000

// deleteWindow is how long after sending a bot may delete its message
// (Bot API, deleteMessage: "A message can only be deleted if it was sent
// less than 48 hours ago").
const deleteWindow = 48 * time.Hour

// Message is what a chat shows of one message the fake sent: its text and
// entities, or for a photo or document its caption, as last edited.
type Message struct {
	ID       int
	Chat     int64
	Text     string // a text message's text
	Caption  string // a photo's or document's caption
	Entities []Entity
	Media    bool      // a photo or a document: it has a caption, not a text
	SentAt   time.Time // by the fake's clock (SetClock)
	Edits    int       // how often it was edited
	Deleted  bool
}

type msgKey struct {
	chat int64
	id   int
}

// SetClock makes s read the time from now: the clock of the enforced
// limits, of Call.At, and of the age of messages (deleteMessage refuses
// messages older than 48 hours), so that tests need not wait for them.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// Message returns message id of chat as it reads now, and whether the fake
// sent it.
func (s *Server) Message(chat int64, id int) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.msgs[msgKey{chat, id}]
	if !ok {
		return Message{}, false
	}
	out := *m
	out.Entities = slices.Clone(m.Entities)
	return out, true
}

// Messages returns the messages the fake sent to chat and did not delete,
// oldest first: the chat as its user sees it.
func (s *Server) Messages(chat int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.msgs {
		if m.Chat == chat && !m.Deleted {
			c := *m
			c.Entities = slices.Clone(m.Entities)
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b Message) int { return a.ID - b.ID })
	return out
}

// sent records the message a successful send call made. Call with mu
// held.
func (s *Server) sent(c Call, id int) {
	m := &Message{ID: id, Chat: c.Chat(), SentAt: s.now()}
	if text, ok := c.Fields["text"]; ok {
		m.Text = text
	} else {
		m.Media, m.Caption = true, c.Fields["caption"]
	}
	m.Entities = c.Entities()
	s.msgs[msgKey{m.Chat, id}] = m
}

// change answers editMessageText, editMessageCaption and deleteMessage as
// Telegram does for a bot's messages in a private chat: a message never
// sent or deleted is not found; a text message has no caption to edit and
// a photo no text; an edit that changes nothing is refused as "not
// modified"; a message older than 48 hours can no longer be deleted (but
// still edited). Call with mu held.
func (s *Server) change(c Call) (Failure, any) {
	id, _ := strconv.Atoi(c.Fields["message_id"])
	m, ok := s.msgs[msgKey{c.Chat(), id}]
	if ok && m.Deleted {
		ok = false
	}
	switch c.Method {
	case "deleteMessage":
		switch {
		case !ok:
			return Failure{Code: 400, Description: "Bad Request: message to delete not found"}, nil
		case s.now().Sub(m.SentAt) >= deleteWindow:
			return Failure{Code: 400, Description: "Bad Request: message can't be deleted"}, nil
		}
		m.Deleted = true
		return Failure{}, true
	case "editMessageText":
		switch {
		case !ok:
			return Failure{Code: 400, Description: "Bad Request: message to edit not found"}, nil
		case m.Media:
			return Failure{Code: 400, Description: "Bad Request: there is no text in the message to edit"}, nil
		case c.Fields["text"] == "":
			return Failure{Code: 400, Description: "Bad Request: message text is empty"}, nil
		case c.Fields["text"] == m.Text && slices.Equal(c.Entities(), m.Entities):
			return Failure{Code: 400, Description: notModified}, nil
		}
		m.Text = c.Fields["text"]
	case "editMessageCaption":
		switch {
		case !ok:
			return Failure{Code: 400, Description: "Bad Request: message to edit not found"}, nil
		case !m.Media:
			return Failure{Code: 400, Description: "Bad Request: there is no caption in the message to edit"}, nil
		case c.Fields["caption"] == m.Caption && slices.Equal(c.Entities(), m.Entities):
			return Failure{Code: 400, Description: notModified}, nil
		}
		m.Caption = c.Fields["caption"]
	}
	m.Entities = c.Entities()
	m.Edits++
	return Failure{}, m.wire(s.now())
}

// notModified is Telegram's answer to an edit that changes nothing.
const notModified = "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"

// wire is m as the Bot API returns an edited message.
func (m *Message) wire(now time.Time) map[string]any {
	out := map[string]any{"message_id": m.ID, "date": m.SentAt.Unix(), "edit_date": now.Unix(),
		"chat": map[string]any{"id": m.Chat, "type": "private"}}
	ents := json.RawMessage("[]")
	if len(m.Entities) > 0 {
		ents, _ = json.Marshal(m.Entities)
	}
	if m.Media {
		out["caption"], out["caption_entities"] = m.Caption, ents
	} else {
		out["text"], out["entities"] = m.Text, ents
	}
	return out
}
