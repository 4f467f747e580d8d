package core

import (
	"bytes"
	"context"
	"errors"
	"io"
)

// JoinChat lets the owner join the chat with the customer; from then on
// technician messages reach the customer. A chat that was ended may be
// joined again.
func (e *Engine) JoinChat(ctx context.Context, by Actor, id string) (Request, error) {
	return e.requestAction(ctx, by, id, func(tx Tx, t Technician, c *change) (func() error, error) {
		if err := ActionJoin.check(t, *c.r, Presence{}); err != nil {
			return nil, err
		}
		c.r.Chat = ChatLive
		c.add(EventJoined, by, AudienceAll, EventData{ActorName: t.Name})
		return nil, nil
	})
}

// EndChat ends the chat: the customer is told, the request stays Active
// until it is closed.
func (e *Engine) EndChat(ctx context.Context, by Actor, id string) (Request, error) {
	return e.requestAction(ctx, by, id, func(tx Tx, t Technician, c *change) (func() error, error) {
		if err := ActionEnd.check(t, *c.r, Presence{}); err != nil {
			return nil, err
		}
		c.r.Chat = ChatEnded
		c.add(EventEnded, by, AudienceAll, EventData{ActorName: t.Name})
		return nil, nil
	})
}

// RequestSystemInfo asks the customer to allow relaydesk to read their
// system details. The customer may send them until they have answered
// (ProvideSystemInfo), and at no other time.
func (e *Engine) RequestSystemInfo(ctx context.Context, by Actor, id string) (Request, error) {
	return e.requestAction(ctx, by, id, func(tx Tx, t Technician, c *change) (func() error, error) {
		if err := ActionSystemInfo.check(t, *c.r, Presence{}); err != nil {
			return nil, err
		}
		c.r.SystemInfoAsked = true
		c.add(EventSystemInfoAsked, by, AudienceAll, EventData{ActorName: t.Name})
		return nil, nil
	})
}

func mustOwnLive(t Technician, r Request) error {
	if err := mustOwn(t, r); err != nil {
		return err
	}
	if r.Chat != ChatLive {
		return Errorf(CodeInvalidState, "join the chat of request #%d first", r.Number)
	}
	return nil
}

// Post is a chat message. To addresses one customer participant; "" is
// everyone in the chat. Key makes a platform's retried delivery harmless.
type Post struct {
	Body string
	To   string
	Key  Idempotency
}

// Upload is a file sent into a chat. Size is advisory (checked early when
// known); the limit is enforced on the bytes read.
type Upload struct {
	Name string
	Body io.Reader
	Size int64
	To   string
	Key  Idempotency
}

// PostMessage stores a chat message, then (through the event log) relays it.
// Customers write until the request is closed; their messages before anyone
// joined are kept. Technicians write once they are in the live chat.
func (e *Engine) PostMessage(ctx context.Context, by Actor, requestID string, post Post) (Message, error) {
	body, err := cleanBody(post.Body)
	if err != nil {
		return Message{}, err
	}
	return e.post(ctx, by, requestID, post.To, post.Key, asMessage, textOf(body), nil)
}

// textOf fills a text message or note with body.
func textOf(body string) func(*Message) (EventType, EventData) {
	return func(m *Message) (EventType, EventData) {
		m.Body = body
		if m.Audience == AudienceTechnicians {
			return EventNote, EventData{MessageID: m.ID, Body: body}
		}
		return EventMessage, EventData{MessageID: m.ID, Body: body}
	}
}

// Reply is what a technician writes in a request's thread on a chat
// platform.
type Reply struct {
	Body    string
	Private bool // its author marked it a private note
	Key     Idempotency
}

// ReplyInThread stores what a technician writes in a request's thread on
// a chat platform by the thread rule: a message to the customer when they
// may write to them now (they own the request or were invited into it, and
// its chat is live), otherwise, or when marked private, a private note.
// The rule is applied in the transaction that stores the reply, so a chat
// that ends meanwhile turns it into a note rather than losing it.
func (e *Engine) ReplyInThread(ctx context.Context, by Actor, requestID string, r Reply) (Message, error) {
	body, err := cleanBody(r.Body)
	if err != nil {
		return Message{}, err
	}
	as := asReply
	if r.Private {
		as = asNote
	}
	return e.post(ctx, by, requestID, "", r.Key, as, textOf(body), nil)
}

// AttachInThread stores a file a technician shares in a request's thread
// on a chat platform, by the thread rule of ReplyInThread.
func (e *Engine) AttachInThread(ctx context.Context, by Actor, requestID string, up Upload, private bool) (Message, File, error) {
	up.To = ""
	as := asReply
	if private {
		as = asNote
	}
	return e.attach(ctx, by, requestID, up, as)
}

// writeAs is what a technician's writing is meant to be.
type writeAs int

const (
	asMessage writeAs = iota // to the customer, or refused
	asNote                   // a private note
	asReply                  // to the customer when allowed, else a note
)

// Note is a private note: technicians see it, customers never do. Key
// makes a platform's retried delivery harmless.
type Note struct {
	Body string
	Key  Idempotency
}

// AddNote stores a private note: any technician with access may write one and
// it is never shown to a customer.
func (e *Engine) AddNote(ctx context.Context, by Actor, requestID string, n Note) (Message, error) {
	body, err := cleanBody(n.Body)
	if err != nil {
		return Message{}, err
	}
	return e.post(ctx, by, requestID, "", n.Key, asNote, textOf(body), nil)
}

// AttachFile checks a file against the company's policy (extension, sniffed
// content, size; images only from iOS customers), stores it and posts it
// in the chat as a link. The bytes are stored before the transaction opens,
// so a slow upload holds no database lock.
func (e *Engine) AttachFile(ctx context.Context, by Actor, requestID string, up Upload) (Message, File, error) {
	return e.attach(ctx, by, requestID, up, asMessage)
}

// attach is AttachFile, AttachNoteFile and AttachInThread.
func (e *Engine) attach(ctx context.Context, by Actor, requestID string, up Upload, as writeAs) (Message, File, error) {
	if !up.Key.IsZero() {
		if prev, err := e.store.Inbound(ctx, up.Key); err == nil {
			return e.fileMessage(ctx, prev)
		}
	}
	r, _, _, err := e.author(ctx, e.store, by, requestID, up.To, as)
	if err != nil {
		return Message{}, File{}, err
	}
	f, err := e.storeFile(ctx, e.store, r, by, up)
	if err != nil {
		return Message{}, File{}, err
	}
	m, err := e.post(ctx, by, requestID, up.To, up.Key, as, func(m *Message) (EventType, EventData) {
		m.FileID, m.Body = f.ID, f.Name
		ref := FileRef{ID: f.ID, Name: f.Name, ContentType: f.ContentType, Size: f.Size}
		return EventFile, EventData{MessageID: m.ID, File: &ref, Body: f.Name}
	}, func(tx Tx) error { return tx.InsertFile(ctx, f) })
	if err != nil {
		return Message{}, File{}, err
	}
	if m.FileID != f.ID { // a concurrent delivery of the same platform event won
		return e.fileMessage(ctx, m.ID)
	}
	return m, f, nil
}

func (e *Engine) fileMessage(ctx context.Context, messageID string) (Message, File, error) {
	m, err := e.store.Message(ctx, messageID)
	if err != nil {
		return m, File{}, err
	}
	f, err := e.store.File(ctx, m.FileID)
	return m, f, err
}

// storeFile validates and stores the bytes before the transaction writes
// anything. A failure later leaves an unreferenced blob, which is harmless:
// blobs are content-addressed and reused, and the garbage collector
// (blob.GC) removes those no file names after a grace period.
func (e *Engine) storeFile(ctx context.Context, q Queries, r Request, by Actor, up Upload) (File, error) {
	co, err := q.Company(ctx, r.CompanyID)
	if err != nil {
		return File{}, err
	}
	pol := co.Policy()
	pol.ImagesOnly = by.Kind == ActorCustomer && r.Source.IsIOS()
	name, err := pol.CheckName(up.Name)
	if err != nil {
		return File{}, err
	}
	if up.Size > pol.MaxBytes {
		return File{}, tooLarge(pol.MaxBytes)
	}
	head := make([]byte, SniffLen)
	n, err := io.ReadFull(up.Body, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return File{}, Errorf(CodeInvalid, "the upload was interrupted; send the file again")
	}
	head = head[:n]
	if n == 0 {
		return File{}, Errorf(CodeInvalid, "the file %q is empty", name)
	}
	ctype, err := CheckContent(name, head)
	if err != nil {
		return File{}, err
	}
	sum, size, err := e.blobs.Put(ctx, io.MultiReader(bytes.NewReader(head), up.Body), pol.MaxBytes)
	if errors.Is(err, ErrTooLarge) {
		return File{}, tooLarge(pol.MaxBytes)
	} else if err != nil {
		return File{}, err
	}
	return File{ID: NewID("fil"), RequestID: r.ID, Name: name, ContentType: ctype, Size: size, SHA256: sum,
		UploaderKind: by.Kind, UploaderID: by.ID, CreatedAt: e.now().UTC()}, nil
}

func tooLarge(max int64) error {
	return Errorf(CodeTooLarge, "the file is larger than this company's limit of %s", FormatBytes(max))
}

// post is the one path of every chat line: checks who may write what, then
// stores the message (and file) and its event in one transaction.
func (e *Engine) post(ctx context.Context, by Actor, requestID, to string, key Idempotency, as writeAs,
	fill func(*Message) (EventType, EventData), insert func(Tx) error) (Message, error) {
	if err := checkKey(key); err != nil {
		return Message{}, err
	}
	var out Message
	err := e.update(ctx, func(tx Tx) error {
		if !key.IsZero() {
			prev, err := tx.Inbound(ctx, key)
			if err == nil {
				out, err = tx.Message(ctx, prev)
				return err
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		r, name, aud, err := e.author(ctx, tx, by, requestID, to, as)
		if err != nil {
			return err
		}
		m := Message{ID: NewID("msg"), RequestID: r.ID, RSeq: r.Version + 1, AuthorKind: by.Kind, AuthorID: by.ID,
			AuthorName: name, Audience: aud, CreatedAt: e.now().UTC(), Version: 1}
		typ, data := fill(&m)
		data.ActorName, data.Origin = name, origin(key)
		if aud != AudienceAll && aud != AudienceTechnicians {
			data.ParticipantID = string(aud)
		}
		c := e.begin(&r)
		c.add(typ, by, aud, data)
		out = m
		return e.save(ctx, tx, c, false, func() error {
			if insert != nil {
				if err := insert(tx); err != nil {
					return err
				}
			}
			if err := tx.InsertMessage(ctx, m); err != nil {
				return err
			}
			return recordKey(ctx, tx, key, m.ID)
		})
	})
	return out, err
}

// author checks that by may write into the request (a note, a message to
// everyone or to one customer, or a thread reply that is either) and
// returns the request, the author's name and the audience.
func (e *Engine) author(ctx context.Context, q Queries, by Actor, requestID, to string, as writeAs) (Request, string, Audience, error) {
	if by.Kind == ActorSystem {
		// relaydesk's own notes, on any request, closed ones too.
		if as != asNote {
			return Request{}, "", "", Errorf(CodeForbidden, "relaydesk writes private notes only")
		}
		r, err := q.Request(ctx, requestID)
		if errors.Is(err, ErrNotFound) {
			err = ErrRequestNotFound
		}
		return r, SystemName, AudienceTechnicians, err
	}
	if by.Kind == ActorCustomer {
		p, r, err := customerRequest(ctx, q, by)
		switch {
		case err != nil:
			return r, "", "", err
		case requestID != r.ID:
			return r, "", "", Errorf(CodeForbidden, "you can only write in your own support request")
		case as != asMessage:
			return r, "", "", Errorf(CodeForbidden, "only technicians write private notes")
		case to != "":
			return r, "", "", Errorf(CodeForbidden, "customers write to everyone in the chat")
		case !p.Active():
			return r, "", "", Errorf(CodeInvalidState, "you left this chat")
		case r.Status == StatusCompleted:
			return r, "", "", Errorf(CodeInvalidState, "request #%d is closed; open a new one", r.Number)
		}
		return r, p.Name, AudienceAll, nil
	}
	t, r, err := techRequest(ctx, q, by, requestID)
	if err != nil {
		return r, "", "", err
	}
	if as == asNote {
		return r, t.Name, AudienceTechnicians, nil
	}
	err = writesToCustomer(ctx, q, t, r)
	if c := ErrorCode(err); as == asReply && (c == CodeForbidden || c == CodeInvalidState) {
		return r, t.Name, AudienceTechnicians, nil
	} else if err != nil {
		return r, "", "", err
	}
	if to == "" {
		return r, t.Name, AudienceAll, nil
	}
	p, err := q.Participant(ctx, to)
	if err != nil || p.RequestID != r.ID || p.Role != RoleCustomer || !p.Active() {
		return r, "", "", Errorf(CodeInvalid, "the addressee is not a customer in the chat of request #%d", r.Number)
	}
	return r, t.Name, Audience(p.ID), nil
}

// writesToCustomer checks that t may write to r's customers now: they own
// it or were invited into it, and its chat is live.
func writesToCustomer(ctx context.Context, q Queries, t Technician, r Request) error {
	if r.OwnerID != t.ID {
		ps, err := q.Participants(ctx, r.ID)
		if err != nil {
			return err
		}
		if _, ok := findParticipant(ps, RoleCollaborator, t.ID); !ok || r.Status != StatusActive {
			return Errorf(CodeForbidden, "only the owner and invited technicians write to the customer of request #%d; add a private note instead", r.Number)
		}
	} else if err := mustOwn(t, r); err != nil {
		return err
	}
	if r.Chat != ChatLive {
		return Errorf(CodeInvalidState, "join the chat of request #%d before writing to the customer", r.Number)
	}
	return nil
}
