package core

import (
	"context"
	"errors"
	"net/mail"
	"strings"
)

// OpenRequest is what a customer gives to open a request.
type OpenRequest struct {
	CompanyID string
	Email     string // required unless EmailOptional
	Name      string
	Message   string
	Source    Source
	// EmailOptional lets chat platforms open requests for customers who
	// were not asked for an address.
	EmailOptional bool
	// Identity links the customer to a platform account (a Telegram chat).
	Identity *Identity
	Key      Idempotency
}

// Opened is a new request and the customer's credential for it. Token is
// shown once: only its hash is stored.
type Opened struct {
	Request     Request
	Participant Participant
	Token       string
	Message     Message
}

// OpenRequest opens a request as a customer: status New, in the company's
// queue at once, with the customer's first message kept in the chat.
func (e *Engine) OpenRequest(ctx context.Context, in OpenRequest) (Opened, error) {
	var out Opened
	if err := checkKey(in.Key); err != nil {
		return out, err
	}
	body, err := cleanBody(in.Message)
	if err != nil {
		return out, err
	}
	email, err := cleanEmail(in.Email, in.EmailOptional)
	if err != nil {
		return out, err
	}
	name, err := cleanLine("the name", in.Name, 200)
	if err != nil {
		return out, err
	}
	if in.Source, err = cleanSource(in.Source); err != nil {
		return out, err
	}
	if err := checkIdentity(in.Identity); err != nil {
		return out, err
	}
	err = e.update(ctx, func(tx Tx) error {
		if !in.Key.IsZero() {
			if prev, err := tx.Inbound(ctx, in.Key); err == nil {
				out, err = e.reopened(ctx, tx, prev)
				return err
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		co, err := tx.Company(ctx, in.CompanyID)
		if errors.Is(err, ErrNotFound) {
			return Errorf(CodeNotFound, "there is no such company")
		} else if err != nil {
			return err
		}
		if co.Archived() {
			return ErrDeskClosed
		}
		cust, err := e.customer(ctx, tx, co.ID, email, name)
		if err != nil {
			return err
		}
		num, err := tx.NextRequestNumber(ctx, co.ID)
		if err != nil {
			return err
		}
		now := e.now().UTC()
		r := Request{
			ID: NewID("req"), CompanyID: co.ID, CompanyName: co.Name, Number: num,
			Status: StatusNew, Chat: ChatWaiting, CustomerID: cust.ID,
			CustomerEmail: cust.Email, CustomerName: cust.Name, Subject: subjectOf(body),
			Source: in.Source, CreatedAt: now,
		}
		token, hash := NewToken()
		p := Participant{ID: NewID("par"), RequestID: r.ID, Role: RoleCustomer, SubjectID: cust.ID,
			Name: displayName(cust), Primary: true, TokenHash: hash, JoinedAt: now}
		m := Message{ID: NewID("msg"), RequestID: r.ID, RSeq: 2, AuthorKind: ActorCustomer, AuthorID: p.ID,
			AuthorName: p.Name, Audience: AudienceAll, Body: body, CreatedAt: now, Version: 1}
		by := CustomerActor(p.ID)
		c := e.begin(&r)
		src := in.Source
		c.add(EventCreated, by, AudienceAll, EventData{CustomerEmail: cust.Email, CustomerName: cust.Name,
			ParticipantID: p.ID, Body: body, Source: &src, ActorName: p.Name})
		c.add(EventMessage, by, AudienceAll, EventData{MessageID: m.ID, Body: body, ActorName: p.Name, Origin: origin(in.Key)})
		err = e.save(ctx, tx, c, true, func() error {
			if err := tx.InsertMessage(ctx, m); err != nil {
				return err
			}
			return seat(ctx, tx, p, in.Identity, in.Key)
		})
		out = Opened{Request: r, Participant: p, Token: token, Message: m}
		return err
	})
	if err != nil {
		return Opened{}, err
	}
	e.log.InfoContext(ctx, "request opened", "request", out.Request.ID, "company", out.Request.CompanyID, "number", out.Request.Number)
	return out, nil
}

// reopened answers a repeated OpenRequest: the same request, without a token
// (the first answer had it; a retry of the same platform event needs none).
func (e *Engine) reopened(ctx context.Context, q Queries, participantID string) (Opened, error) {
	p, err := q.Participant(ctx, participantID)
	if err != nil {
		return Opened{}, err
	}
	r, err := q.Request(ctx, p.RequestID)
	if err != nil {
		return Opened{}, err
	}
	return Opened{Request: r, Participant: p}, nil
}

// seat records a customer joining a request: their participant row, the
// platform account they came from, and the inbound event that brought them.
func seat(ctx context.Context, tx Tx, p Participant, id *Identity, key Idempotency) error {
	if err := tx.InsertParticipant(ctx, p); err != nil {
		return err
	}
	if id != nil {
		link := *id
		link.Subject, link.SubjectID = ActorCustomer, p.SubjectID
		if err := tx.LinkIdentity(ctx, link); err != nil {
			return err
		}
	}
	return recordKey(ctx, tx, key, p.ID)
}

func origin(k Idempotency) *Idempotency {
	if k.IsZero() {
		return nil
	}
	return &k
}

func (e *Engine) customer(ctx context.Context, tx Tx, companyID, email, name string) (Customer, error) {
	if email != "" {
		c, err := tx.CustomerByEmail(ctx, companyID, email)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return c, err
		}
	}
	c := Customer{ID: NewID("cus"), CompanyID: companyID, Email: email, Name: name, CreatedAt: e.now().UTC()}
	if err := tx.InsertCustomer(ctx, c); errors.Is(err, ErrConflict) {
		return c, errRetry // the same address, first seen twice at once
	} else if err != nil {
		return c, err
	}
	return c, nil
}

func displayName(c Customer) string {
	switch {
	case c.Name != "":
		return c.Name
	case c.Email != "":
		return c.Email
	}
	return "Customer"
}

func cleanEmail(s string, optional bool) (string, error) {
	s, err := cleanLine("the e-mail address", s, 254)
	if err != nil {
		return "", err
	}
	if s == "" {
		if optional {
			return "", nil
		}
		return "", Errorf(CodeInvalid, "an e-mail address is required")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s[strings.LastIndexByte(s, '@'):], ".") || len(s) > 254 {
		return "", Errorf(CodeInvalid, "%q is not an e-mail address like name@example.com", s)
	}
	return strings.ToLower(s), nil
}

// customerRequest loads the request of a customer actor and checks that the
// customer has not left it.
func customerRequest(ctx context.Context, q Queries, by Actor) (Participant, Request, error) {
	if by.Kind != ActorCustomer || by.ID == "" {
		return Participant{}, Request{}, Errorf(CodeForbidden, "only the customer can do this")
	}
	p, err := q.Participant(ctx, by.ID)
	if err != nil || p.Role != RoleCustomer {
		return p, Request{}, Errorf(CodeForbidden, "this support request link is not valid")
	}
	r, err := q.Request(ctx, p.RequestID)
	return p, r, err
}

// customerAction runs a customer's answer (open: the request must be open
// and the customer still in it) or Stop on their own request (requestID ""
// or theirs): act changes the request through c, or refuses, and the
// change is saved with its events.
func (e *Engine) customerAction(ctx context.Context, by Actor, requestID string, open bool,
	act func(p Participant, r *Request, c *change) error) (Request, error) {
	var out Request
	err := e.update(ctx, func(tx Tx) error {
		p, r, err := customerRequest(ctx, tx, by)
		if err != nil {
			return err
		}
		switch {
		case requestID != "" && requestID != r.ID:
			return ErrRequestNotFound
		case open && r.Status == StatusCompleted:
			return Errorf(CodeInvalidState, "request #%d is closed", r.Number)
		case open && !p.Active():
			return Errorf(CodeInvalidState, "you left this chat")
		}
		c := e.begin(&r)
		if err := act(p, &r, c); err != nil {
			return err
		}
		err = e.save(ctx, tx, c, false, nil)
		out = r
		return err
	})
	return out, err
}

// ownerAsk is the owner's ask that starts a live session's consent (share
// the screen, record, show the page): action a's rule, then ask changes
// the request and says what happened.
func (e *Engine) ownerAsk(ctx context.Context, by Actor, id string, a Action, ask func(c *change, t Technician)) (Request, error) {
	return e.requestAction(ctx, by, id, func(tx Tx, t Technician, c *change) (func() error, error) {
		if err := a.check(t, *c.r, Presence{}); err != nil {
			return nil, err
		}
		ask(c, t)
		return nil, nil
	})
}

// stopBy ends a live session's part (a share, a recording, a call,
// co-browsing) or withdraws its ask: by the owner, under action a's rule,
// or by the customer while running says there is something to end (else
// they are told none). stop records it in the change.
func (e *Engine) stopBy(ctx context.Context, by Actor, id string, a Action, running func(Request) bool, none string,
	stop func(c *change, by Actor, name string)) (Request, error) {
	if by.Kind == ActorTechnician {
		return e.ownerAsk(ctx, by, id, a, func(c *change, t Technician) { stop(c, by, t.Name) })
	}
	return e.customerAction(ctx, by, id, false, func(p Participant, r *Request, c *change) error {
		if !running(*r) {
			return Errorf(CodeInvalidState, "%s", none)
		}
		stop(c, by, p.Name)
		return nil
	})
}

// Leave takes the customer out of the request. Only technicians end chats
// and close requests; the request itself is unchanged.
func (e *Engine) Leave(ctx context.Context, by Actor) error {
	return e.update(ctx, func(tx Tx) error {
		p, r, err := customerRequest(ctx, tx, by)
		if err != nil {
			return err
		}
		if !p.Active() {
			return Errorf(CodeInvalidState, "you already left this chat")
		}
		p.LeftAt = e.now().UTC()
		c := e.begin(&r)
		c.add(EventCustomerLeft, by, AudienceAll, EventData{ParticipantID: p.ID, ActorName: p.Name})
		if r.Screen == ScreenLive && r.ScreenBy == p.ID {
			c.stopScreen(by, p.Name, "the customer left")
		}
		if r.Call == CallLive && r.CallBy == p.ID {
			c.endCall(by, p.Name, "the customer left")
		}
		if r.Cobrowse != ScreenNone && r.CobrowseBy == p.ID {
			c.stopCobrowse(by, p.Name, "the customer left")
		}
		return e.save(ctx, tx, c, false, func() error { return tx.UpdateParticipant(ctx, p) })
	})
}

// ProvideSystemInfo records the details the customer's browser gave, on
// the customer's consent, in answer to a technician's request for them
// (RequestSystemInfo) that is still unanswered: at any other time it is
// refused and nothing changes. They are kept beside what relaydesk saw
// itself (Source.Reported), which they never replace: a customer's browser
// says what it likes, and the rules that depend on the device (images only
// from iOS) go by what relaydesk saw.
func (e *Engine) ProvideSystemInfo(ctx context.Context, by Actor, info SystemInfo) (Request, error) {
	info, err := cleanSystemInfo(info)
	if err != nil {
		return Request{}, err
	}
	return e.customerAction(ctx, by, "", true, func(p Participant, r *Request, c *change) error {
		if !r.SystemInfoAsked {
			return Errorf(CodeInvalidState, "no technician has asked for your system information; it is sent only in answer to their request")
		}
		r.Source.Reported, r.SystemInfoAsked = info, false
		c.add(EventSystemInfoGiven, by, AudienceAll, EventData{Source: &Source{Reported: info}, ActorName: p.Name})
		return nil
	})
}

// cleanSystemInfo checks what a browser reports of itself.
func cleanSystemInfo(in SystemInfo) (SystemInfo, error) {
	for _, f := range []*string{&in.Device, &in.OS, &in.Browser, &in.Language} {
		v, err := cleanLine("the system information", *f, 200)
		if err != nil {
			return in, err
		}
		*f = v
	}
	switch in.Device {
	case "", "desktop", "mobile", "tablet":
	default:
		return in, Errorf(CodeInvalid, "device must be desktop, mobile or tablet")
	}
	return in, nil
}

// CustomerSession is a customer signed in by their token: the actor and
// the one request they take part in.
type CustomerSession struct {
	Actor     Actor
	RequestID string
}

// CustomerByToken resolves a customer's bearer token to the actor it
// stands for and their request.
func (e *Engine) CustomerByToken(ctx context.Context, token string) (CustomerSession, error) {
	invalid := Errorf(CodeForbidden, "this support request link is not valid")
	if token == "" {
		return CustomerSession{}, invalid
	}
	p, err := e.store.ParticipantByToken(ctx, HashToken(token))
	if errors.Is(err, ErrNotFound) {
		return CustomerSession{}, invalid
	} else if err != nil {
		return CustomerSession{}, err
	}
	return CustomerSession{Actor: CustomerActor(p.ID), RequestID: p.RequestID}, nil
}

// checkIdentity checks a platform account named by a chat adapter.
func checkIdentity(id *Identity) error {
	if id == nil {
		return nil
	}
	for _, s := range []string{id.Platform, id.ExternalID, id.SubjectID} {
		if _, err := checkText("the account ID", s, oneLine); err != nil {
			return err
		}
	}
	return nil
}
