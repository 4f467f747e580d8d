package core

import (
	"context"
)

// requestAction is the shape of most technician actions: load the request
// and the technician, check the rules, record the change.
func (e *Engine) requestAction(ctx context.Context, by Actor, id string, act func(tx Tx, t Technician, c *change) (func() error, error)) (Request, error) {
	var out Request
	err := e.update(ctx, func(tx Tx) error {
		t, r, err := techRequest(ctx, tx, by, id)
		if err != nil {
			return err
		}
		c := e.begin(&r)
		more, err := act(tx, t, c)
		if err != nil {
			return err
		}
		err = e.save(ctx, tx, c, false, more)
		out = r
		return err
	})
	return out, err
}

// AssignToMe takes a New request: it becomes Active, owned by the technician,
// and enters their My Support Requests.
func (e *Engine) AssignToMe(ctx context.Context, by Actor, id string) (Request, error) {
	return e.requestAction(ctx, by, id, func(tx Tx, t Technician, c *change) (func() error, error) {
		if err := ActionAssign.check(t, *c.r, Presence{}); err != nil {
			return nil, err
		}
		r := c.r
		r.Status, r.OwnerID, r.OwnerName, r.Chat = StatusActive, t.ID, t.Name, ChatWaiting
		c.add(EventAssigned, by, AudienceTechnicians, EventData{OwnerID: t.ID, OwnerName: t.Name, ActorName: t.Name})
		return nil, nil
	})
}

// Unassign gives a request back to the queue: New, without owner, for
// anyone to take. It is allowed after joining or ending the chat; nothing of
// the chat is lost.
func (e *Engine) Unassign(ctx context.Context, by Actor, id string) (Request, error) {
	return e.requestAction(ctx, by, id, func(tx Tx, t Technician, c *change) (func() error, error) {
		if err := ActionUnassign.check(t, *c.r, Presence{}); err != nil {
			return nil, err
		}
		r := c.r
		r.Status, r.OwnerID, r.OwnerName, r.Chat = StatusNew, "", "", ChatWaiting
		c.add(EventUnassigned, by, AudienceAll, EventData{ActorName: t.Name})
		return nil, nil
	})
}

// Transfer makes another technician with access the owner. The old owner
// is recorded as a reader: a former owner, who reads on as long as they
// serve the company (readRequest) and no longer acts as the owner.
func (e *Engine) Transfer(ctx context.Context, by Actor, id, toTechnicianID string) (Request, error) {
	return e.requestAction(ctx, by, id, func(tx Tx, t Technician, c *change) (func() error, error) {
		if err := ActionTransfer.check(t, *c.r, Presence{}); err != nil {
			return nil, err
		}
		to, err := e.colleague(ctx, tx, t, c.r, toTechnicianID)
		if err != nil {
			return nil, err
		}
		ps, err := tx.Participants(ctx, c.r.ID)
		if err != nil {
			return nil, err
		}
		r := c.r
		r.OwnerID, r.OwnerName = to.ID, to.Name
		c.add(EventTransferred, by, AudienceAll, EventData{ActorName: t.Name, OwnerID: to.ID, OwnerName: to.Name,
			TechnicianID: to.ID, TechnicianName: to.Name})
		now := e.now().UTC()
		return func() error {
			// The new owner is no longer a collaborator; the old one is a reader.
			if p, ok := findParticipant(ps, RoleCollaborator, to.ID); ok {
				p.LeftAt = now
				if err := tx.UpdateParticipant(ctx, p); err != nil {
					return err
				}
			}
			if _, ok := findParticipant(ps, RoleReader, t.ID); ok {
				return nil
			}
			return tx.InsertParticipant(ctx, Participant{ID: NewID("par"), RequestID: r.ID, Role: RoleReader,
				SubjectID: t.ID, Name: t.Name, JoinedAt: now})
		}, nil
	})
}

// InviteTechnician adds a colleague with access to the chat as collaborator.
func (e *Engine) InviteTechnician(ctx context.Context, by Actor, id, technicianID string) (Request, error) {
	return e.requestAction(ctx, by, id, func(tx Tx, t Technician, c *change) (func() error, error) {
		if err := ActionInvite.check(t, *c.r, Presence{}); err != nil {
			return nil, err
		}
		to, err := e.colleague(ctx, tx, t, c.r, technicianID)
		if err != nil {
			return nil, err
		}
		ps, err := tx.Participants(ctx, c.r.ID)
		if err != nil {
			return nil, err
		}
		if _, ok := findParticipant(ps, RoleCollaborator, to.ID); ok {
			return nil, Errorf(CodeInvalidState, "%s is already in the chat of request #%d", to.Name, c.r.Number)
		}
		c.add(EventInvited, by, AudienceAll, EventData{ActorName: t.Name, TechnicianID: to.ID, TechnicianName: to.Name})
		p := Participant{ID: NewID("par"), RequestID: c.r.ID, Role: RoleCollaborator, SubjectID: to.ID,
			Name: to.Name, JoinedAt: e.now().UTC()}
		return func() error { return tx.InsertParticipant(ctx, p) }, nil
	})
}

// colleague loads the technician an owner hands over to or invites.
func (e *Engine) colleague(ctx context.Context, q Queries, me Technician, r *Request, id string) (Technician, error) {
	if id == me.ID {
		return Technician{}, Errorf(CodeInvalid, "choose a technician other than yourself")
	}
	to, err := q.Technician(ctx, id)
	if err != nil {
		return to, Errorf(CodeNotFound, "there is no such technician")
	}
	if !to.Active() {
		return to, Errorf(CodeForbidden, "%s is deactivated; choose someone else", to.Name)
	}
	ok, err := canServe(ctx, q, to, r.CompanyID)
	if err != nil {
		return to, err
	}
	if !ok {
		return to, Errorf(CodeForbidden, "%s does not have access to %s's requests", to.Name, r.CompanyName)
	}
	return to, nil
}

// Close completes a request with an optional closing note. The owner closes;
// an admin may close any open request, New ones included (spam, duplicates);
// any technician serving the company may close a New request whose
// customers all left.
func (e *Engine) Close(ctx context.Context, by Actor, id, note string) (Request, error) {
	return e.requestAction(ctx, by, id, func(tx Tx, t Technician, c *change) (func() error, error) {
		r := c.r
		var pr Presence
		if r.OwnerID == "" && !t.IsAdmin() { // a New request: may its customers have left?
			ps, err := tx.Participants(ctx, r.ID)
			if err != nil {
				return nil, err
			}
			pr = PresenceOf(t, *r, ps)
		}
		if err := ActionClose.check(t, *r, pr); err != nil {
			return nil, err
		}
		note, err := cleanLines("the closing note", note, maxBody)
		if err != nil {
			return nil, err
		}
		now := e.now().UTC()
		r.Status, r.ClosedAt, r.ClosingNote = StatusCompleted, now, note
		if r.Chat == ChatLive {
			r.Chat = ChatEnded
		}
		c.add(EventClosed, by, AudienceAll, EventData{ActorName: t.Name, Note: note})
		return nil, nil
	})
}

// SetAvailability sets the technician's own status.
func (e *Engine) SetAvailability(ctx context.Context, by Actor, a Availability) (Technician, error) {
	if !a.Valid() {
		return Technician{}, Errorf(CodeInvalid, "%q is not a status; use available, busy or away", a)
	}
	var out Technician
	err := e.store.Update(ctx, func(tx Tx) error {
		t, err := technician(ctx, tx, by)
		if err != nil {
			return err
		}
		t.Availability = a
		out = t
		return tx.UpdateTechnician(ctx, t)
	})
	return out, err
}
