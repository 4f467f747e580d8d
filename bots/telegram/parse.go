package telegram

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/relaydesk/relaydesk/core/markup"
)

// Kind is what a customer's update asks of the bot.
type Kind string

// Kinds of inbound updates.
const (
	KindText        Kind = "text"        // a message, or a new text for one (Edited)
	KindCommand     Kind = "command"     // /start, /new, /status, /leave, /help, or an unknown one
	KindFile        Kind = "file"        // a photo or a document, maybe with a caption
	KindUnsupported Kind = "unsupported" // a sticker, voice note, location...: answered, not relayed
)

// Inbound is a Telegram update reduced to what relaydesk acts on.
type Inbound struct {
	UpdateID int64
	Chat     int64 // the private chat, which is the customer's account
	// MessageID is the message's message_id in the chat; for an edit, that
	// of the message edited.
	MessageID int
	Sent      time.Time // when the message was sent (for an edit, first sent)
	Name      string    // the customer's name as Telegram shows it
	Lang      string    // the user's language_code, "" if Telegram gave none
	Kind      Kind
	// Text is the message or the caption of a file (for an edit, its new
	// text or caption) as relaydesk stores it: neutral Markdown
	// (core/markup) read from the text and Telegram's entities over it.
	// For a command it is what follows the command, /new's question.
	Text    string
	Command string // without slash and @botname, lower case
	Args    string // what follows the command as written: /start's deep-link payload
	Edited  bool   // an edited_message: a new text for message MessageID
	File    *File
}

// File is a photo or document a customer sent; its bytes stay with
// Telegram until fetched with getFile.
type File struct {
	ID    string
	Name  string
	Size  int64 // as Telegram reports it; 0 if unknown
	Photo bool
}

var commandRE = regexp.MustCompile(`^/([A-Za-z0-9_]{1,32})(?:@[A-Za-z0-9_]+)?(?:\s+([\s\S]*))?$`)

// Parse reduces an update to what the bot acts on. ok is false for what it
// ignores: updates other than (edited) messages, group and channel chats,
// and messages from other bots.
func Parse(u *models.Update) (in Inbound, ok bool) {
	m := u.Message
	if m == nil {
		m, in.Edited = u.EditedMessage, true
	}
	if m == nil || m.Chat.Type != models.ChatTypePrivate || m.From == nil || m.From.IsBot {
		return Inbound{}, false
	}
	in.UpdateID, in.Chat, in.MessageID, in.Lang = u.ID, m.Chat.ID, m.ID, m.From.LanguageCode
	in.Sent = time.Unix(int64(m.Date), 0).UTC()
	in.Name = strings.TrimSpace(m.From.FirstName + " " + m.From.LastName)
	if in.Name == "" && m.From.Username != "" {
		in.Name = "@" + m.From.Username
	}
	text, ents := m.Text, m.Entities
	if text == "" {
		text, ents = m.Caption, m.CaptionEntities
	}
	switch {
	case len(m.Photo) > 0:
		in.Kind = KindFile
		in.File = largest(m.Photo, m.ID)
	case m.Document != nil:
		in.Kind = KindFile
		in.File = &File{ID: m.Document.FileID, Name: m.Document.FileName, Size: m.Document.FileSize}
	case m.Text != "" && !in.Edited && strings.HasPrefix(m.Text, "/"):
		t := strings.TrimSpace(m.Text)
		if c := commandRE.FindStringSubmatchIndex(t); c != nil {
			in.Kind, in.Command = KindCommand, strings.ToLower(t[c[2]:c[3]])
			if c[4] >= 0 {
				args := t[c[4]:c[5]]
				in.Args = strings.TrimSpace(args)
				// What follows the command, as the message it may open.
				from := strings.Index(m.Text, t) + c[4] + strings.Index(args, in.Args)
				in.Text = markup.Write(FromEntities(in.Args, shift(ents, -utf16Len(m.Text[:from]))))
			}
			return in, true
		}
		in.Kind = KindText
	case m.Text != "":
		in.Kind = KindText
	default:
		in.Kind = KindUnsupported
	}
	if text == "" {
		return in, true
	}
	in.Text = markup.Write(FromEntities(text, ents))
	return in, true
}

// shift moves entities by d UTF-16 units.
func shift(ents []models.MessageEntity, d int) []models.MessageEntity {
	out := make([]models.MessageEntity, len(ents))
	for i, e := range ents {
		e.Offset += d
		out[i] = e
	}
	return out
}

// utf16Len is how many UTF-16 code units s takes: Telegram's measure.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// largest picks the biggest size Telegram offers of a photo. Telegram
// re-encodes photos as JPEG.
func largest(sizes []models.PhotoSize, messageID int) *File {
	best := sizes[0]
	for _, s := range sizes[1:] {
		if s.Width*s.Height > best.Width*best.Height || (s.Width*s.Height == best.Width*best.Height && s.FileSize > best.FileSize) {
			best = s
		}
	}
	return &File{ID: best.FileID, Name: fmt.Sprintf("photo_%d.jpg", messageID), Size: int64(best.FileSize), Photo: true}
}
