package core

import (
	"context"
	"errors"
	"slices"
)

// Queue returns one page of a Support Center view, limited to the companies
// the technician may serve. New requests are for available technicians
// only, as the seed manual says: one who is busy or away sees none in any
// view (an empty New view, not a refusal), admins too.
//
// Mine holds the open requests the technician owns or was invited to and
// is still in the chat of. Each row says the technician's part in it, the
// last chat line and how many of the customer's lines they have not read.
func (e *Engine) Queue(ctx context.Context, by Actor, req QueueRequest) (QueuePage, error) {
	t, err := technician(ctx, e.store, by)
	if err != nil {
		return QueuePage{}, err
	}
	sort, err := parseSort(req.Sort)
	if err != nil {
		return QueuePage{}, err
	}
	q := QueueQuery{Sort: sort, Desc: req.Desc, Limit: req.Limit, Viewer: t.ID}
	switch {
	case q.Limit <= 0:
		q.Limit = 50
	case q.Limit > 200:
		q.Limit = 200
	}
	switch req.View {
	case ViewAll, "":
	case ViewNew:
		q.Statuses = []Status{StatusNew}
	case ViewActive:
		q.Statuses = []Status{StatusActive}
	case ViewCompleted:
		q.Statuses = []Status{StatusCompleted}
	case ViewMine:
		// A collaborator stays in a request its owner unassigned: open is
		// New or Active. An owner's are always Active.
		q.Statuses, q.Mine = []Status{StatusNew, StatusActive}, t.ID
	default:
		return QueuePage{}, Errorf(CodeInvalid, "there is no view %q; use all, new, active, completed or mine", req.View)
	}
	if req.After != "" {
		if q.After, err = decodeCursor(sort, req.After); err != nil {
			return QueuePage{}, err
		}
	}
	if t.Availability != Available {
		if len(q.Statuses) == 0 {
			q.Statuses = Statuses()
		}
		q.Statuses = slices.DeleteFunc(q.Statuses, func(s Status) bool { return s == StatusNew })
		if len(q.Statuses) == 0 {
			return QueuePage{}, nil
		}
	}
	all, ids, err := served(ctx, e.store, t)
	if err != nil {
		return QueuePage{}, err
	}
	q.CompanyIDs = ids
	if all {
		cos, err := e.store.Companies(ctx)
		if err != nil {
			return QueuePage{}, err
		}
		for _, c := range cos {
			q.CompanyIDs = append(q.CompanyIDs, c.ID)
		}
	}
	if len(q.CompanyIDs) == 0 {
		return QueuePage{}, nil
	}
	q.Limit++ // one more row tells whether there is a next page
	rows, err := e.store.Queue(ctx, q)
	if err != nil {
		return QueuePage{}, err
	}
	var page QueuePage
	if len(rows) == q.Limit {
		rows = rows[:len(rows)-1]
		page.NextPage = encodeCursor(sort, rows[len(rows)-1].Request)
	}
	page.Rows, page.Requests = rows, make([]Request, len(rows))
	for i := range rows {
		rows[i].Actions = AllowedWith(t, rows[i].Request, Presence{
			Collaborator: rows[i].Part == PartCollaborator, CustomersGone: rows[i].CustomerLeft})
		page.Requests[i] = rows[i].Request
	}
	return page, nil
}

// RequestView is everything one viewer may see of a request.
type RequestView struct {
	Request      Request
	Participants []Participant
	Messages     []Message
	Files        map[string]File
	// Viewer is the customer participant viewing, for a customer view.
	Viewer *Participant
	// Deliveries holds, for technicians, the state of each message the
	// customers see towards each destination showing the request, by
	// message ID.
	Deliveries map[string][]Delivery
	// Actions is, for a technician, what they may do with the request now.
	Actions []Action
	// ReadRSeq is, for a technician, their read mark (Engine.MarkRead):
	// the rseq of the last line they were shown, 0 for none. Viewing does
	// not move it.
	ReadRSeq int64
}

// ViewRequest returns a request as the actor may see it: a technician with
// access to its company sees everything, edited and withdrawn messages
// with their current text and marks (Message.Version, EditedAt,
// WithdrawnAt, WithdrawnBy); a customer sees the request they take part
// in, without private notes, other customers' direct messages, closing
// notes or tokens, and withdrawn messages without their text or file
// (Message.ForCustomer).
func (e *Engine) ViewRequest(ctx context.Context, by Actor, id string) (RequestView, error) {
	var v RequestView
	var err error
	if by.Kind == ActorCustomer {
		var p Participant
		if p, v.Request, err = customerRequest(ctx, e.store, by); err != nil {
			return v, err
		}
		if id != v.Request.ID {
			return v, Errorf(CodeForbidden, "you can only see your own support request")
		}
		v.Viewer = &p
		v.Request.ClosingNote, v.Request.InviteHash = "", ""
	}
	var t Technician
	if v.Viewer == nil {
		if t, v.Request, err = readRequest(ctx, e.store, by, id); err != nil {
			return v, err
		}
		if v.ReadRSeq, err = e.store.ReadMark(ctx, t.ID, v.Request.ID); err != nil {
			return v, err
		}
	}
	if v.Participants, err = e.store.Participants(ctx, v.Request.ID); err != nil {
		return v, err
	}
	if v.Viewer == nil {
		v.Actions = AllowedWith(t, v.Request, PresenceOf(t, v.Request, v.Participants))
	}
	if v.Messages, err = e.store.Messages(ctx, v.Request.ID); err != nil {
		return v, err
	}
	if v.Viewer != nil {
		v.Messages = slices.DeleteFunc(v.Messages, func(m Message) bool { return !m.Audience.VisibleToCustomer(v.Viewer.ID) })
		for i := range v.Messages {
			v.Messages[i] = v.Messages[i].ForCustomer()
		}
		v.Participants = slices.DeleteFunc(v.Participants, func(p Participant) bool { return p.Role == RoleReader })
	}
	for i := range v.Participants {
		v.Participants[i].TokenHash = ""
	}
	v.Files = map[string]File{}
	for _, m := range v.Messages {
		if m.FileID == "" {
			continue
		}
		f, err := e.store.File(ctx, m.FileID)
		if err != nil {
			return v, err
		}
		v.Files[f.ID] = f
	}
	if v.Viewer == nil {
		if v.Deliveries, err = e.deliveries(ctx, v); err != nil {
			return v, err
		}
	}
	return v, nil
}

// readRequest loads a request for a technician who reads it: its details,
// its events, its files, the colleagues it could go to. Reading follows the
// one rule every technician action follows (techRequest): admins read every
// request, other technicians those of the companies they are granted now.
// A former owner reads on after a transfer only while they keep that grant,
// so revoking a company ends every read of its requests, on every surface,
// at once.
//
// A request the technician may not read is not found, in the same words as
// one that does not exist: on no surface does its ID tell that it exists.
func readRequest(ctx context.Context, q Queries, by Actor, id string) (Technician, Request, error) {
	t, r, err := techRequest(ctx, q, by, id)
	if errors.Is(err, ErrNoAccess) {
		return t, Request{}, ErrRequestNotFound
	}
	return t, r, err
}

// Events returns the events of a request after rseq after, as the actor may
// see them: browsers catch up with it after reconnecting. Technicians get
// the log as it was written. A customer gets the events addressed to them
// (Event.ForCustomer), their chat lines as they read now: a message, file
// or edit shows the message's current text, or none when it was withdrawn
// since (EventData.Withdrawn), so a customer reading the log never sees a
// withdrawn text or an earlier version.
func (e *Engine) Events(ctx context.Context, by Actor, requestID string, after int64, limit int) ([]Event, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	var viewer string
	if by.Kind == ActorCustomer {
		_, r, err := customerRequest(ctx, e.store, by)
		if err != nil {
			return nil, err
		}
		if requestID != r.ID {
			return nil, Errorf(CodeForbidden, "you can only see your own support request")
		}
		requestID, viewer = r.ID, by.ID
	} else if _, _, err := readRequest(ctx, e.store, by, requestID); err != nil {
		return nil, err
	}
	evs, err := e.store.RequestEvents(ctx, requestID, after, limit)
	if err != nil || viewer == "" {
		return evs, err
	}
	complete := len(evs) < limit
	out := evs[:0]
	for _, ev := range evs {
		if ev.VisibleToCustomer(viewer) {
			out = append(out, ev.ForCustomer())
		}
	}
	return out, e.currentLines(ctx, requestID, out, complete)
}

// ForCustomer strips from e what only technicians may read. The opening
// event loses its text too: the chat.message that follows carries it, as
// it reads now (see Events).
func (e Event) ForCustomer() Event {
	e.Data.Note = ""
	e.Data.Origin = nil
	if e.Data.Source != nil && e.Type != EventSystemInfoGiven {
		e.Data.Source = nil
	}
	if e.Type == EventCreated {
		e.Data.Body = ""
	}
	return e
}

// FeedPage is one read of a technician's feed.
type FeedPage struct {
	// Events are those of the companies the technician serves.
	Events []Event
	// Next is the position to continue from.
	Next Position
	// More says the log held more after Next already: read again at once.
	More bool
	// Held says later events wait for an older transaction to commit: read
	// again shortly rather than waiting for a wake-up.
	Held bool
	// Every says the technician serves every company (an admin); otherwise
	// Companies lists those they serve, sorted. A live view follows them.
	Every     bool
	Companies []string
}

// Feed returns the events after pos of the requests a technician serves,
// for the console's live view, and the position to continue from. Start
// with LogEnd and then follow, so no change is missed between loading a
// list and watching it.
func (e *Engine) Feed(ctx context.Context, by Actor, after Position, limit int) (FeedPage, error) {
	t, err := technician(ctx, e.store, by)
	if err != nil {
		return FeedPage{Next: after}, err
	}
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	all, held, err := e.store.EventsAfter(ctx, after, limit)
	if err != nil {
		return FeedPage{Next: after}, err
	}
	return e.feedPage(ctx, t, after, all, held, len(all) == limit)
}

// FeedOf is Feed over a page of the log its caller read: all, the events
// after after in log order as EventsAfter returns them, with EventsAfter's
// held, and more when the log goes on after them. Many live views can share
// one read of the log this way; each is still given only what its
// technician may see, by grants read now, after the events were.
func (e *Engine) FeedOf(ctx context.Context, by Actor, after Position, all []Event, held, more bool) (FeedPage, error) {
	t, err := technician(ctx, e.store, by)
	if err != nil {
		return FeedPage{Next: after}, err
	}
	return e.feedPage(ctx, t, after, all, held, more)
}

func (e *Engine) feedPage(ctx context.Context, t Technician, after Position, all []Event, held, more bool) (FeedPage, error) {
	// The grants are read after the events: a revoked company's events
	// stop with the first batch read after the revocation.
	every, cos, err := served(ctx, e.store, t)
	if err != nil {
		return FeedPage{Next: after}, err
	}
	page := FeedPage{Next: after, Held: held, More: more, Every: every, Companies: slices.Sorted(slices.Values(cos))}
	if len(all) == 0 {
		return page, nil
	}
	page.Next = all[len(all)-1].Pos
	if every {
		page.Events = all
		return page, nil
	}
	for _, ev := range all {
		if slices.Contains(cos, ev.CompanyID) {
			page.Events = append(page.Events, ev)
		}
	}
	return page, nil
}

// LogEnd is where a live view that just loaded its lists starts following.
func (e *Engine) LogEnd(ctx context.Context) (Position, error) { return e.store.LogEnd(ctx) }
