package core

import (
	"context"
	"errors"
)

// Conversation is a platform account's part in the latest request its
// customer takes part in: where a chat platform's next message goes.
type Conversation struct {
	Request     Request
	Participant Participant
}

// Open reports whether the account's messages still go into the request:
// it is not closed and the customer has not left it.
func (c Conversation) Open() bool {
	return c.Request.Status != StatusCompleted && c.Participant.Active()
}

// ConversationOf returns the latest request that the customer linked to a
// platform account (a Telegram chat) takes part in, open or not. It is
// CodeNotFound when the account never opened or joined one.
func (e *Engine) ConversationOf(ctx context.Context, platform, externalID string) (Conversation, error) {
	none := Errorf(CodeNotFound, "you have no support request yet")
	id, err := e.store.Identity(ctx, platform, externalID)
	if errors.Is(err, ErrNotFound) || (err == nil && id.Subject != ActorCustomer) {
		return Conversation{}, none
	} else if err != nil {
		return Conversation{}, err
	}
	p, err := e.store.LatestParticipation(ctx, id.SubjectID)
	if errors.Is(err, ErrNotFound) {
		return Conversation{}, none
	} else if err != nil {
		return Conversation{}, err
	}
	r, err := e.store.Request(ctx, p.RequestID)
	if err != nil {
		return Conversation{}, err
	}
	p.TokenHash = ""
	return Conversation{Request: r, Participant: p}, nil
}

// SystemName is the author name of what relaydesk itself writes.
const SystemName = "relaydesk"

// AddSystemNote stores a private note written by relaydesk itself, such as
// an adapter reporting that a customer could not be reached. Technicians
// see it; customers never do. It may be added to a closed request too. key
// makes a repeated report harmless: the first note is returned.
func (e *Engine) AddSystemNote(ctx context.Context, requestID, body string, key Idempotency) (Message, error) {
	if err := checkKey(key); err != nil {
		return Message{}, err
	}
	body, err := cleanBody(body)
	if err != nil {
		return Message{}, err
	}
	by := SystemActor()
	var out Message
	err = e.update(ctx, func(tx Tx) error {
		if !key.IsZero() {
			prev, err := tx.Inbound(ctx, key)
			if err == nil {
				out, err = tx.Message(ctx, prev)
				return err
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		r, err := tx.Request(ctx, requestID)
		if errors.Is(err, ErrNotFound) {
			return ErrRequestNotFound
		} else if err != nil {
			return err
		}
		m := Message{ID: NewID("msg"), RequestID: r.ID, RSeq: r.Version + 1, AuthorKind: ActorSystem, AuthorID: by.ID,
			AuthorName: SystemName, Audience: AudienceTechnicians, Body: body, CreatedAt: e.now().UTC()}
		c := e.begin(&r)
		c.add(EventNote, by, AudienceTechnicians, EventData{MessageID: m.ID, Body: body, ActorName: SystemName, Origin: origin(key)})
		out = m
		return e.save(ctx, tx, c, false, func() error {
			if err := tx.InsertMessage(ctx, m); err != nil {
				return err
			}
			return claim(ctx, tx, key, m.ID)
		})
	})
	return out, err
}

// AttachNoteFile stores a file as a private note: for a chat platform where
// a technician shares a file among colleagues (a Slack thread whose rule
// says what they write there stays private). The company's policy applies
// as for AttachFile; only technicians see the file.
func (e *Engine) AttachNoteFile(ctx context.Context, by Actor, requestID string, up Upload) (Message, File, error) {
	up.To = ""
	return e.attach(ctx, by, requestID, up, asNote)
}
