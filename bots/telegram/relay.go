package telegram

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
)

// What the bot sent customers of a chat line changes with it: each
// Telegram message sent for a message or file is recorded as its copy
// (part by part when the text took several), and an edit or a withdrawal
// changes those copies in place. Every call goes through the same pacing
// as messages: Telegram counts edits against the same limits.

// deleteWindow is how long after sending it a bot may delete its message
// (Bot API, deleteMessage: "A message can only be deleted if it was sent
// less than 48 hours ago"). After it, a withdrawn message is overwritten.
const deleteWindow = 48 * time.Hour

// changes reports whether events of typ change a chat line sent before.
func changes(typ core.EventType) bool { return typ == core.EventEdited || typ == core.EventWithdrawn }

// copyOf is the copy a chat line's messages to chat are, before the part
// and the platform's message ID are known; nil for an event of no message.
func (a *Adapter) copyOf(ev core.Event, chat int64) *core.Copy {
	if ev.Data.MessageID == "" {
		return nil
	}
	return &core.Copy{MessageID: ev.Data.MessageID, Destination: a.Name(), Target: chatID(chat), Version: max(ev.Data.Version, 1)}
}

// keep records that a piece of a chat line, part line.Part+i, went out as
// Telegram message m. The customer has the message whatever happens here: a failure to
// record it is logged rather than retried, which would send it again; a
// later edit or withdrawal of the line then misses this piece.
func (a *Adapter) keep(ctx context.Context, line *core.Copy, i int, m *models.Message) {
	if line == nil || m == nil {
		return
	}
	c := *line
	c.Part, c.PlatformID, c.SentAt = c.Part+i, strconv.Itoa(m.ID), a.cfg.Clock().UTC()
	if err := a.store.SaveCopy(context.WithoutCancel(ctx), c); err != nil {
		a.log.Warn("telegram: cannot record a message sent; its edits and withdrawal will not reach it",
			"message", c.MessageID, "chat", c.Target, "part", c.Part, "err", err)
	}
}

// copiesIn lists what the bot sent chat of a message, by part.
func (a *Adapter) copiesIn(ctx context.Context, messageID string, chat int64) ([]core.Copy, error) {
	all, err := a.store.Copies(ctx, messageID, a.Name())
	if err != nil {
		return nil, err
	}
	var out []core.Copy
	for _, c := range all {
		if c.Target == chatID(chat) && !c.Origin {
			out = append(out, c)
		}
	}
	return out, nil
}

// relayEdit brings what chat was sent of an edited message to its text
// now (ev has been through Engine.Current), rendered as a new message
// would be. Copies that show that version already are left alone, so an
// edit delivered again changes nothing. When the new text takes more
// messages than the old, the edited parts are followed by new ones; when
// it takes fewer, the parts left over are deleted (after Telegram's 48
// hours, overwritten to point at the message above).
func (a *Adapter) relayEdit(ctx context.Context, d *dispatch.Delivery, ev core.Event, chat int64, lang string) error {
	if ev.Data.Withdrawn {
		return nil // withdrawn since: its chat.withdrawn takes the copies down
	}
	cs, err := a.copiesIn(ctx, ev.Data.MessageID, chat)
	if err != nil || len(cs) == 0 {
		return err
	}
	v := ev.Data.Version
	pieces := message(ev)
	byPart := map[int]core.Copy{}
	parts := 0
	for _, c := range cs {
		byPart[c.Part] = c
		parts = max(parts, c.Part+1)
	}
	for i := range max(parts, len(pieces)) {
		c, ok := byPart[i]
		switch {
		case i >= parts: // a piece more than before: it follows below
			line := a.copyOf(ev, chat)
			line.Part = i
			if err := a.send(ctx, d, fmt.Sprintf("%s/%d/%d", ev.Pos, chat, i), chat, pieces[i:i+1], nil, line); err != nil {
				return err
			}
		case !ok || c.Version >= v:
			// Gone (the customer deleted it), or showing this text already.
		case i < len(pieces):
			if err := a.editText(ctx, d, chat, c, v, pieces[i]); err != nil {
				return err
			}
		default: // a piece fewer than before
			if err := a.takeDown(ctx, d, chat, c, texts.Text(lang, "editedAway"), false); err != nil {
				return err
			}
		}
	}
	return nil
}

// editText edits copy c to show p, version v of its message.
func (a *Adapter) editText(ctx context.Context, d *dispatch.Delivery, chat int64, c core.Copy, v int64, p piece) error {
	id, err := strconv.Atoi(c.PlatformID)
	if err != nil {
		return fmt.Errorf("telegram message_id %q: %w", c.PlatformID, err)
	}
	if err := a.pace(ctx, d, chat); err != nil {
		return err
	}
	_, err = a.bot.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: chat, MessageID: id, Text: p.text, Entities: p.ents})
	switch {
	case err == nil, refusedFor(err, notModified):
	case refusedFor(err, editGone):
		return a.store.DeleteCopy(ctx, c) // the customer deleted it
	default:
		return err
	}
	c.Version = v
	return a.store.SaveCopy(ctx, c)
}

// withdraw takes down what chat was sent of a withdrawn message or file.
func (a *Adapter) withdraw(ctx context.Context, d *dispatch.Delivery, ev core.Event, chat int64, lang string) error {
	cs, err := a.copiesIn(ctx, ev.Data.MessageID, chat)
	if err != nil || len(cs) == 0 {
		return err
	}
	m, err := a.store.Message(ctx, ev.Data.MessageID)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if err := a.takeDown(ctx, d, chat, c, texts.Text(lang, "withdrawn"), m.FileID != ""); err != nil {
			return err
		}
	}
	return nil
}

// takeDown deletes copy c from chat and forgets it. A message older than
// Telegram's 48 hours can no longer be deleted: it is overwritten with
// instead (its caption, for a file sent as a photo or document: media).
// Done before is done: a message deleted already, or overwritten already,
// needs nothing more.
func (a *Adapter) takeDown(ctx context.Context, d *dispatch.Delivery, chat int64, c core.Copy, instead string, media bool) error {
	id, err := strconv.Atoi(c.PlatformID)
	if err != nil {
		return fmt.Errorf("telegram message_id %q: %w", c.PlatformID, err)
	}
	if a.cfg.Clock().Sub(c.SentAt) < deleteWindow {
		if err := a.pace(ctx, d, chat); err != nil {
			return err
		}
		_, err := a.bot.DeleteMessage(ctx, &bot.DeleteMessageParams{ChatID: chat, MessageID: id})
		switch {
		case err == nil, refusedFor(err, deleteGone):
			return a.store.DeleteCopy(ctx, c)
		case !refusedFor(err, cannotDelete):
			return err
		}
		// Older than it looked (clocks differ): overwrite it.
	}
	if err := a.overwrite(ctx, d, chat, id, instead, media); err != nil {
		return err
	}
	return a.store.DeleteCopy(ctx, c)
}

// overwrite replaces the text of message id, or its caption (media), by
// text, without entities. Which of the two a message has is tried the
// other way round when Telegram says it has not the one tried (a file
// announced in a text, when too large to send).
func (a *Adapter) overwrite(ctx context.Context, d *dispatch.Delivery, chat int64, id int, text string, media bool) error {
	for range 2 {
		if err := a.pace(ctx, d, chat); err != nil {
			return err
		}
		var err error
		if media {
			_, err = a.bot.EditMessageCaption(ctx, &bot.EditMessageCaptionParams{ChatID: chat, MessageID: id, Caption: text})
		} else {
			_, err = a.bot.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: chat, MessageID: id, Text: text})
		}
		switch {
		case err == nil, refusedFor(err, notModified, editGone):
			return nil
		case !refusedFor(err, noText, noCaption):
			return err
		}
		media = !media
	}
	return nil
}

// Telegram's reasons for refusing an edit or a deletion (400), as its
// descriptions say them: the Bot API has no codes for them.
const (
	notModified  = "message is not modified"
	editGone     = "message to edit not found"
	deleteGone   = "message to delete not found"
	cannotDelete = "message can't be deleted"
	noText       = "there is no text in the message to edit"
	noCaption    = "there is no caption in the message to edit"
)

// refusedFor reports whether Telegram refused a call (400) for one of
// the reasons.
func refusedFor(err error, reasons ...string) bool {
	if !errors.Is(err, bot.ErrorBadRequest) {
		return false
	}
	msg := strings.ToLower(err.Error())
	for _, r := range reasons {
		if strings.Contains(msg, r) {
			return true
		}
	}
	return false
}
