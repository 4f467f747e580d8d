package core

// What the engine does for the chat platforms' adapters: the conversation
// of a platform account, relaydesk's own notes, notes and files shared in
// platform threads, and the queue channels of the technician platforms.

import (
	"context"
	"errors"
	"strings"
	"time"
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

// WebToken gives a customer who came from a chat platform a token for the
// web chat of their request, where what needs a browser is done (sharing
// their screen): their platform's adapter sends it to them as a link. It
// replaces any earlier web token of theirs. Adapters are trusted: no actor.
func (e *Engine) WebToken(ctx context.Context, participantID string) (string, error) {
	var token string
	err := e.update(ctx, func(tx Tx) error {
		p, err := tx.Participant(ctx, participantID)
		if errors.Is(err, ErrNotFound) || (err == nil && p.Role != RoleCustomer) {
			return Errorf(CodeNotFound, "there is no such customer")
		} else if err != nil {
			return err
		}
		r, err := tx.Request(ctx, p.RequestID)
		if err != nil {
			return err
		}
		if r.Status == StatusCompleted || !p.Active() {
			return Errorf(CodeInvalidState, "request #%d is over for this customer", r.Number)
		}
		tok, hash := NewToken()
		token = tok
		return tx.SetParticipantToken(ctx, p.ID, hash)
	})
	return token, err
}

// SystemName is the author name of what relaydesk itself writes.
const SystemName = "relaydesk"

// AddSystemNote stores a private note written by relaydesk itself, such as
// an adapter reporting that a customer could not be reached. Technicians
// see it; customers never do. It may be added to a closed request too. key
// makes a repeated report harmless: the first note is returned.
func (e *Engine) AddSystemNote(ctx context.Context, requestID, body string, key Idempotency) (Message, error) {
	body, err := cleanBody(body)
	if err != nil {
		return Message{}, err
	}
	return e.post(ctx, SystemActor(), requestID, "", key, asNote, textOf(body), nil)
}

// AttachNoteFile stores a file as a private note: for a chat platform where
// a technician shares a file among colleagues (a Slack thread whose rule
// says what they write there stays private). The company's policy applies
// as for AttachFile; only technicians see the file.
func (e *Engine) AttachNoteFile(ctx context.Context, by Actor, requestID string, up Upload) (Message, File, error) {
	up.To = ""
	return e.attach(ctx, by, requestID, up, asNote)
}

// ChannelBinding makes a technician platform's channel a company's queue:
// each new request of the company gets a card there, and the card's
// thread is its chat.
type ChannelBinding struct {
	Platform  string
	CompanyID string
	Channel   string
	BoundAt   time.Time
}

// BindChannel makes channel the queue of a company on a technician
// platform. Only admins bind; a company has one queue channel per
// platform and a channel is the queue of one company, so binding moves
// either side away from its former partner, in one transaction.
func (e *Engine) BindChannel(ctx context.Context, by Actor, platform, companyID, channel string) (Company, error) {
	platform, channel = strings.TrimSpace(platform), strings.TrimSpace(channel)
	if platform == "" || channel == "" {
		return Company{}, Errorf(CodeInvalid, "name the platform and the channel")
	}
	var co Company
	err := e.update(ctx, func(tx Tx) error {
		if err := mustAdmin(ctx, tx, by); ErrorCode(err) == CodeForbidden {
			return Errorf(CodeForbidden, "only relaydesk admins bind a company to a channel")
		} else if err != nil {
			return err
		}
		var err error
		if co, err = tx.Company(ctx, companyID); err != nil {
			return Errorf(CodeNotFound, "there is no such company")
		}
		return tx.BindChannel(ctx, ChannelBinding{Platform: platform, CompanyID: co.ID, Channel: channel, BoundAt: e.now().UTC()})
	})
	return co, err
}

// Card is where a request's card is on a technician platform (a Slack or
// Discord message in the company's queue channel), and its thread, the
// request's chat there. The adapters keep it so that a restart edits the
// same card.
type Card struct {
	Platform  string
	RequestID string
	// Channel and Message address the card; both "" while none was posted.
	Channel string
	Message string
	// Thread is the card's thread as the platform addresses it, "" until
	// it is started; unique per platform, so a message in a thread finds
	// its request.
	Thread string
	// Posting is the channel a card is being posted to since PostingAt:
	// set before the post, so that a process that died before recording
	// the card looks for it there instead of posting a second one.
	Posting   string
	PostingAt time.Time
}

// Copy is one platform message showing a relaydesk message: where an
// adapter relayed it (a Slack or Discord message in a request's thread, a
// Telegram message in a customer's chat), or, with Origin set, the message
// it was written as on that platform. Adapters record copies so that an
// edit or a withdrawal reaches each of them, and so that an edit or a
// delete made on a platform finds the relaydesk message it concerns.
type Copy struct {
	MessageID string
	// Destination is the adapter's dispatch destination ("slack",
	// "discord", "telegram").
	Destination string
	// Target is the conversation as the platform addresses it: a Slack
	// thread ("<channel>/<root ts>"), a Discord thread or channel ID, a
	// Telegram chat ID.
	Target string
	// Part numbers the pieces of a message the platform took in several
	// (Telegram's 4096-character limit), from 0.
	Part int
	// PlatformID is the message's ID on the platform within Target: a
	// Slack ts, a Discord message ID, a Telegram message_id.
	PlatformID string
	// Origin marks the message its author wrote on the platform, which
	// only they change there; the other copies are the adapter's own.
	Origin bool
	// Version is the message's text the copy shows (Message.Version): an
	// edit delivered again after a crash skips copies that show it already.
	Version int64
	SentAt  time.Time
}
