package core

import (
	"context"
	"errors"
)

// Invited is a technician-started request and the code that lets customers
// join it. The code is shown once; only its hash is stored.
type Invited struct {
	Request Request
	Code    string
}

// InviteCustomer starts a session from the technician's side: an Active
// request they own, with the chat live, and an invite code for the customer
// (a web link or a Telegram deep link). Customers need no account.
func (e *Engine) InviteCustomer(ctx context.Context, by Actor, companyID, subject string) (Invited, error) {
	var out Invited
	subject, err := cleanLine("the subject", subject, 200)
	if err != nil {
		return out, err
	}
	err = e.update(ctx, func(tx Tx) error {
		t, err := technician(ctx, tx, by)
		if err != nil {
			return err
		}
		co, err := tx.Company(ctx, companyID)
		if errors.Is(err, ErrNotFound) {
			return Errorf(CodeNotFound, "there is no such company")
		} else if err != nil {
			return err
		}
		if co.Archived() {
			return Errorf(CodeInvalidState, "%s is archived: it takes no new requests until an admin unarchives it", co.Name)
		}
		if ok, err := canServe(ctx, tx, t, co.ID); err != nil {
			return err
		} else if !ok {
			return Errorf(CodeForbidden, "you do not have access to %s's requests", co.Name)
		}
		num, err := tx.NextRequestNumber(ctx, co.ID)
		if err != nil {
			return err
		}
		code, hash := NewToken()
		if subject == "" {
			subject = "Session started by " + t.Name
		}
		r := Request{ID: NewID("req"), CompanyID: co.ID, CompanyName: co.Name, Number: num,
			Status: StatusActive, Chat: ChatLive, OwnerID: t.ID, OwnerName: t.Name, Subject: subject,
			InviteHash: hash, CreatedAt: e.now().UTC()}
		c := e.begin(&r)
		c.add(EventCreated, by, AudienceAll, EventData{ActorName: t.Name, OwnerID: t.ID, OwnerName: t.Name, Body: subject})
		c.add(EventJoined, by, AudienceAll, EventData{ActorName: t.Name})
		err = e.save(ctx, tx, c, true, nil)
		out = Invited{Request: r, Code: code}
		return err
	})
	return out, err
}

// JoinInvite is a customer accepting an invite code. The first customer to
// join becomes the primary one; several may join.
type JoinInvite struct {
	Code          string
	Email         string
	Name          string
	Source        Source
	EmailOptional bool
	Identity      *Identity
	Key           Idempotency
}

// JoinInvite adds a customer to a technician-started request.
func (e *Engine) JoinInvite(ctx context.Context, in JoinInvite) (Opened, error) {
	var out Opened
	if err := checkKey(in.Key); err != nil {
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
	invalid := Errorf(CodeNotFound, "this invitation is not valid; ask your technician for a new link")
	if in.Code == "" {
		return out, invalid
	}
	err = e.update(ctx, func(tx Tx) error {
		if !in.Key.IsZero() {
			if prev, err := tx.Inbound(ctx, in.Key); err == nil {
				out, err = e.reopened(ctx, tx, prev)
				return err
			}
		}
		r, err := tx.RequestByInvite(ctx, HashToken(in.Code))
		if errors.Is(err, ErrNotFound) {
			return invalid
		} else if err != nil {
			return err
		}
		if r.Status == StatusCompleted {
			return Errorf(CodeInvalidState, "this support session has ended")
		}
		ps, err := tx.Participants(ctx, r.ID)
		if err != nil {
			return err
		}
		first := !hasCustomer(ps)
		token, hash := NewToken()
		now := e.now().UTC()
		p := Participant{ID: NewID("par"), RequestID: r.ID, Role: RoleCustomer, Primary: first, TokenHash: hash, JoinedAt: now}
		// The request row is locked already, so the customer row may come first.
		cust, err := e.customer(ctx, tx, r.CompanyID, email, name)
		if err != nil {
			return err
		}
		c := e.begin(&r)
		p.SubjectID, p.Name = cust.ID, displayName(cust)
		if first {
			r.CustomerID, r.CustomerEmail, r.CustomerName, r.Source = cust.ID, cust.Email, cust.Name, in.Source
		}
		src := in.Source
		c.add(EventCustomerJoined, CustomerActor(p.ID), AudienceAll, EventData{ParticipantID: p.ID, ActorName: p.Name,
			CustomerEmail: cust.Email, CustomerName: cust.Name, Source: &src})
		err = e.save(ctx, tx, c, false, func() error { return seat(ctx, tx, p, in.Identity, in.Key) })
		out = Opened{Request: r, Participant: p, Token: token}
		return err
	})
	return out, err
}

func hasCustomer(ps []Participant) bool {
	for _, p := range ps {
		if p.Role == RoleCustomer {
			return true
		}
	}
	return false
}
