package core

// Edits and withdrawals of messages: what an edit in Slack or Discord, a
// Telegram edited_message, an edit in the widget, and a delete in Slack or
// Discord do to a message relaydesk stored.
//
// The rules, and why:
//
//   - Only a message's author edits or withdraws it: nobody, admins
//     included, changes what another person wrote. relaydesk's own notes
//     are changed by nobody.
//   - A technician edits and withdraws their own messages and notes at any
//     time, as Slack and Discord let them, as long as they still serve the
//     request's company.
//   - A customer edits their own messages for CustomerEditWindow after
//     sending them, whichever surface they write from (the widget, a
//     Telegram edited_message): one rule for the one request that looks the
//     same everywhere. Telegram would allow 48 hours, but by then a
//     technician has read and answered the text; rewriting it would change
//     what their answer answers. A later edit is refused, and the adapter
//     tells the customer to write a new message.
//   - A customer withdraws nothing, not even their own messages: the widget
//     offers no delete, and the Telegram Bot API reports no deletion in a
//     private chat. A customer can never withdraw a technician's message.
//   - Once a request is closed, what its customers were sent stays as it
//     was (they have it, in the widget, in Telegram, in a transcript):
//     technicians may still edit and withdraw their private notes, which
//     are the team's own record, and nothing else.
//   - Files are not edited (send a new one); they may be withdrawn.
//   - An edit of the message a customer opened their request with edits
//     the request's subject too, which is made of it.
//   - An edit to the text a message has already is no change: no version,
//     no event. Platforms send such edits (Slack, when it unfurls a link).
//     Withdrawing a withdrawn message is no change either.
//   - A withdrawn message stays in the request for technicians, marked
//     withdrawn, and can no longer be edited; customers see only that it
//     was withdrawn.
//
// Each change is one transaction, like every engine action: the request
// row is locked and its version checked (the edit appends an event to it),
// the message row is written only if its own version is still the one
// read, and the new text is kept in message_versions. Of two edits of one
// message at once, the second waits for the first or is run again after
// it, so no edit is lost and each gets its own version.

import (
	"context"
	"errors"
	"time"
)

// CustomerEditWindow is how long after sending a message its customer may
// still edit it. Surfaces may offer an edit only that long.
const CustomerEditWindow = 15 * time.Minute

// Edit is a new text for a message. Key makes a platform's retried
// delivery harmless: the Slack event_id of a message_changed, a Telegram
// update_id, the widget's Idempotency-Key.
type Edit struct {
	Body string
	Key  Idempotency
}

// EditMessage replaces the text of a message or note by a new version,
// by the rules above; its body is checked like PostMessage's. It returns
// the message as it is now (for a customer, as they may see it). The
// edit is appended as EventEdited, to the message's own audience, which
// the dispatcher and the live streams carry to every surface; its earlier
// texts stay for technicians (MessageVersions). An edit to the same text
// returns the message unchanged and appends nothing.
func (e *Engine) EditMessage(ctx context.Context, by Actor, messageID string, ed Edit) (Message, error) {
	if err := checkKey(ed.Key); err != nil {
		return Message{}, err
	}
	body, err := cleanBody(ed.Body)
	if err != nil {
		return Message{}, err
	}
	var out Message
	err = e.update(ctx, func(tx Tx) error {
		if done, err := replayed(ctx, tx, by, ed.Key, messageID, &out); done {
			return err
		}
		o, err := ownMessage(ctx, tx, by, messageID, "edit")
		if err != nil {
			return err
		}
		m, r := o.m, o.r
		out = m
		switch {
		case m.FileID != "":
			return Errorf(CodeInvalid, "a file cannot be edited; send a new one instead")
		case m.Body == body:
			return nil // nothing to change: no version, no event
		case m.Withdrawn():
			return Errorf(CodeInvalidState, "the message was withdrawn; it can no longer be edited")
		}
		if err := e.mayChange(o, "edited"); err != nil {
			return err
		}
		prev, now := m.Version, e.now().UTC()
		var versions []MessageVersion
		if prev <= 1 { // the first edit keeps the original too
			prev = 1
			versions = append(versions, MessageVersion{MessageID: m.ID, Version: 1, Body: m.Body, EditedAt: m.CreatedAt,
				Editor: Actor{Kind: m.AuthorKind, ID: m.AuthorID}})
		}
		if m.AuthorKind == ActorCustomer && m.RSeq == 2 && r.Subject == subjectOf(m.Body) {
			r.Subject = subjectOf(body) // the opening message names the request
		}
		m.Body, m.Version, m.EditedAt = body, prev+1, now
		versions = append(versions, MessageVersion{MessageID: m.ID, Version: m.Version, Body: body, EditedAt: now, Editor: by})
		c := e.begin(&r)
		c.add(EventEdited, by, m.Audience, lineData(m, o.name, ed.Key, EventData{Body: body, Version: m.Version}))
		out = m
		return e.save(ctx, tx, c, false, func() error {
			if err := tx.UpdateMessage(ctx, m, prev); err != nil {
				return err
			}
			for _, v := range versions {
				if err := tx.InsertMessageVersion(ctx, v); err != nil {
					return err
				}
			}
			return recordKey(ctx, tx, ed.Key, m.ID)
		})
	})
	if err != nil {
		return Message{}, err
	}
	return shownTo(by, out), nil
}

// WithdrawMessage withdraws a technician's own message, file or note, by
// the rules above: from a delete in Slack or Discord, or the console. The
// message stays for technicians, marked withdrawn with its text; customers
// see only that it was withdrawn. EventWithdrawn, to the message's own
// audience and without its text, tells every surface to take its copy
// down. Withdrawing a withdrawn message changes nothing. key makes a
// platform's retried delivery harmless.
func (e *Engine) WithdrawMessage(ctx context.Context, by Actor, messageID string, key Idempotency) (Message, error) {
	if err := checkKey(key); err != nil {
		return Message{}, err
	}
	if by.Kind == ActorCustomer {
		return Message{}, Errorf(CodeForbidden, "customers cannot withdraw messages; edit yours within %d minutes of sending it, or write a new one",
			int(CustomerEditWindow/time.Minute))
	}
	var out Message
	err := e.update(ctx, func(tx Tx) error {
		if done, err := replayed(ctx, tx, by, key, messageID, &out); done {
			return err
		}
		o, err := ownMessage(ctx, tx, by, messageID, "withdraw")
		if err != nil {
			return err
		}
		m, r := o.m, o.r
		out = m
		if m.Withdrawn() {
			return nil // withdrawn already: nothing to change
		}
		if err := e.mayChange(o, "withdrawn"); err != nil {
			return err
		}
		m.WithdrawnAt, m.WithdrawnBy = e.now().UTC(), by
		c := e.begin(&r)
		c.add(EventWithdrawn, by, m.Audience, lineData(m, o.name, key, EventData{}))
		out = m
		return e.save(ctx, tx, c, false, func() error {
			if err := tx.UpdateMessage(ctx, m, m.Version); err != nil {
				return err
			}
			return recordKey(ctx, tx, key, m.ID)
		})
	})
	return out, err
}

// MessageVersions returns every text a message or note has had, oldest
// first (version 1 is the original, the last is its current text), for a
// technician who may read its request: the console's audit of edits.
// Customers never see earlier versions.
func (e *Engine) MessageVersions(ctx context.Context, by Actor, messageID string) ([]MessageVersion, error) {
	if by.Kind != ActorTechnician {
		return nil, Errorf(CodeForbidden, "only technicians see the earlier versions of a message")
	}
	m, err := e.store.Message(ctx, messageID)
	if errors.Is(err, ErrNotFound) {
		return nil, errMessageNotFound
	} else if err != nil {
		return nil, err
	}
	if _, _, err := readRequest(ctx, e.store, by, m.RequestID); errors.Is(err, ErrRequestNotFound) {
		return nil, errMessageNotFound
	} else if err != nil {
		return nil, err
	}
	vs, err := e.store.MessageVersions(ctx, m.ID)
	if err != nil || len(vs) > 0 {
		return vs, err
	}
	return []MessageVersion{{MessageID: m.ID, Version: 1, Body: m.Body, EditedAt: m.CreatedAt,
		Editor: Actor{Kind: m.AuthorKind, ID: m.AuthorID}}}, nil
}

var errMessageNotFound error = &Error{Code: CodeNotFound, Message: "message not found"}

// owned is a message its author acts on, with its request, locked.
type owned struct {
	by   Actor
	m    Message
	r    Request
	name string // the author's name now
	left bool   // a customer author left the chat
}

// ownMessage loads, in tx, a message by wants to change, with its request,
// which it locks; by must be its author. A message its actor may not see
// is not found, in the same words as one that does not exist.
func ownMessage(ctx context.Context, tx Tx, by Actor, id, verb string) (owned, error) {
	o := owned{by: by}
	m, err := tx.Message(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return o, errMessageNotFound
	} else if err != nil {
		return o, err
	}
	switch by.Kind {
	case ActorTechnician:
		t, r, err := techRequest(ctx, tx, by, m.RequestID)
		if errors.Is(err, ErrNoAccess) || errors.Is(err, ErrRequestNotFound) {
			return o, errMessageNotFound
		} else if err != nil {
			return o, err
		}
		o.r, o.name = r, t.Name
	case ActorCustomer:
		p, r, err := customerRequest(ctx, tx, by)
		if err != nil {
			return o, err
		}
		if r.ID != m.RequestID || !m.Audience.VisibleToCustomer(p.ID) {
			return o, errMessageNotFound
		}
		o.r, o.name, o.left = r, p.Name, !p.Active()
	default:
		return o, Errorf(CodeForbidden, "only the author of a message may %s it", verb)
	}
	if m.AuthorKind != by.Kind || m.AuthorID != by.ID {
		return o, Errorf(CodeForbidden, "you can only %s your own messages", verb)
	}
	// Read it again now that the request is locked: a change committed
	// meanwhile is seen, rather than failing the version check below.
	o.m, err = tx.Message(ctx, id)
	return o, err
}

// mayChange applies the rules of time and state to an author's change
// ("edited", "withdrawn").
func (e *Engine) mayChange(o owned, done string) error {
	r, m := o.r, o.m
	if o.by.Kind == ActorCustomer {
		switch {
		case o.left:
			return Errorf(CodeInvalidState, "you left this chat")
		case r.Status == StatusCompleted:
			return Errorf(CodeInvalidState, "request #%d is closed; its messages can no longer be %s", r.Number, done)
		case e.now().Sub(m.CreatedAt) > CustomerEditWindow:
			return Errorf(CodeInvalidState, "a message can be %s only within %d minutes of sending it; write a new one instead",
				done, int(CustomerEditWindow/time.Minute))
		}
		return nil
	}
	if r.Status == StatusCompleted && m.Audience != AudienceTechnicians {
		return Errorf(CodeInvalidState, "request #%d is closed: what its customer was sent stays as it was; only private notes can still be %s",
			r.Number, done)
	}
	return nil
}

// lineData is the data of an event about message m by its author name.
func lineData(m Message, name string, key Idempotency, d EventData) EventData {
	d.MessageID, d.ActorName, d.Origin = m.ID, name, origin(key)
	if m.Audience != AudienceAll && m.Audience != AudienceTechnicians {
		d.ParticipantID = string(m.Audience)
	}
	return d
}

// replayed answers a change whose key was applied already: the message as
// it is now. done reports that it did (or failed). A key applied to
// another message, or to a message by's change could not have been, is a
// conflict rather than an answer.
func replayed(ctx context.Context, tx Tx, by Actor, key Idempotency, messageID string, out *Message) (done bool, err error) {
	if key.IsZero() {
		return false, nil
	}
	prev, err := tx.Inbound(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	} else if err != nil {
		return true, err
	}
	conflict := Errorf(CodeConflict, "this platform event was applied to something else already")
	if prev != messageID {
		return true, conflict
	}
	m, err := tx.Message(ctx, prev)
	if err != nil {
		return true, err
	}
	if m.AuthorKind != by.Kind || m.AuthorID != by.ID {
		return true, conflict
	}
	*out = m
	return true, nil
}

// shownTo is m as by may see it.
func shownTo(by Actor, m Message) Message {
	if by.Kind == ActorCustomer {
		return m.ForCustomer()
	}
	return m
}
