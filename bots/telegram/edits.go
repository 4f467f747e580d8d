package telegram

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/relaydesk/relaydesk/core"
)

// A customer's own messages: each Telegram message a customer wrote is
// recorded as the origin copy of the relaydesk message it was stored as,
// so that an edited_message of it finds that message and edits it. Telegram
// reports no deletion of a user's message in a private chat, and customers
// withdraw nothing anyway.

// origin records that Telegram message in.MessageID in the customer's
// chat is relaydesk message messageID, at version. It is called once the
// engine stored the message, and again when the update is processed again:
// recording it twice changes nothing.
func (a *Adapter) origin(ctx context.Context, in Inbound, messageID string, version int64) error {
	err := a.store.SaveCopy(ctx, core.Copy{MessageID: messageID, Destination: a.Name(), Target: chatID(in.Chat),
		PlatformID: strconv.Itoa(in.MessageID), Origin: true, Version: max(version, 1), SentAt: in.Sent})
	if core.ErrorCode(err) == core.CodeConflict {
		// Another message holds this message_id in this chat: Telegram does
		// not reuse them, so an edit of it cannot be told apart; it is
		// refused as one of an unknown message.
		a.log.Warn("telegram: a chat's message_id is recorded for another message already; its edits will be refused",
			"chat", in.Chat, "message_id", in.MessageID, "message", messageID)
		return nil
	}
	return err
}

// originOf records the origin copy of the message the engine stored for
// this update's action part, found by its key: for an update processed
// again after the engine applied it.
func (a *Adapter) originOf(ctx context.Context, in Inbound, part string) error {
	id, err := a.store.Inbound(ctx, a.key(in, part))
	if err != nil {
		return err
	}
	m, err := a.store.Message(ctx, id)
	if err != nil {
		return err
	}
	return a.origin(ctx, in, m.ID, m.Version)
}

// opening records the origin copy of the message this update opened
// request o with: the one OpenRequest returned, or, when the update was
// applied before and the engine only found the request again, the chat
// line the open key put there.
func (a *Adapter) opening(ctx context.Context, in Inbound, o *core.Opened) error {
	if o.Message.ID != "" {
		return a.origin(ctx, in, o.Message.ID, o.Message.Version)
	}
	return a.openingOf(ctx, in, o.Request.ID)
}

// openingOf records the origin copy of the message this update opened
// request requestID with.
func (a *Adapter) openingOf(ctx context.Context, in Inbound, requestID string) error {
	key := a.key(in, "open")
	evs, err := a.store.RequestEvents(ctx, requestID, 0, 3)
	if err != nil {
		return err
	}
	for _, ev := range evs {
		if ev.Type == core.EventMessage && ev.Data.Origin != nil && *ev.Data.Origin == key {
			m, err := a.store.Message(ctx, ev.Data.MessageID)
			if err != nil {
				return err
			}
			return a.origin(ctx, in, m.ID, m.Version)
		}
	}
	return fmt.Errorf("telegram: request %s holds no message opened by update %d", requestID, in.UpdateID)
}

// edit applies an edited_message: the customer's new text for a message
// they wrote, keyed by the update, so that an update processed again
// changes nothing. The engine lets a customer edit their messages for
// core.CustomerEditWindow while the request is open; a refused edit, of a
// file or of a message relaydesk did not store as such (a command, one
// sent before copies were kept), is answered with an explanation: the
// message stays as it was, and they may send a new one. Other edits (a
// live location moving) are ignored.
func (a *Adapter) edit(ctx context.Context, in Inbound) error {
	if in.Kind != KindText && in.Kind != KindFile {
		return nil
	}
	c, err := a.store.CopyAt(ctx, a.Name(), chatID(in.Chat), strconv.Itoa(in.MessageID))
	if core.ErrorCode(err) == core.CodeNotFound {
		return a.editRefused(ctx, in)
	} else if err != nil {
		return err
	}
	m, err := a.store.Message(ctx, c.MessageID)
	if err != nil {
		return err
	}
	// A file is not edited (nor its caption added afterwards: the caption
	// is a message of its own only when sent with it).
	if !c.Origin || m.AuthorKind != core.ActorCustomer || m.FileID != "" || in.Text == "" {
		return a.editRefused(ctx, in)
	}
	got, err := a.eng.EditMessage(ctx, core.CustomerActor(m.AuthorID), m.ID, core.Edit{Body: in.Text, Key: a.key(in, "edit")})
	switch core.ErrorCode(err) {
	case "":
	case core.CodeInvalidState, core.CodeNotFound, core.CodeForbidden:
		return a.editRefused(ctx, in)
	case core.CodeInternal, core.CodeConflict:
		return err // conflict: sustained contention; try again
	default: // the new text itself is refused (too long...)
		return a.refused(ctx, in, "refused", err)
	}
	if got.Version > c.Version {
		c.Version = got.Version
		return a.store.SaveCopy(ctx, c)
	}
	return nil
}

// editRefused tells the customer their edit did not reach support.
func (a *Adapter) editRefused(ctx context.Context, in Inbound) error {
	return a.reply(ctx, in, "editRefused", int(core.CustomerEditWindow/time.Minute))
}
