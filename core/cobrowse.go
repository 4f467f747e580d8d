package core

import (
	"context"
	"slices"
)

// Co-browsing follows the screen share's shape: the owner asks
// (RequestCobrowse), the customer consents or declines (AnswerCobrowse),
// either side stops it (StopCobrowse). It lives only while the chat is live
// under the same owner and the customer whose page is shown is in it; any
// change that ends one of those ends it in the same transaction
// (change.endCobrowse). The page's DOM changes never pass through the
// engine: the web layer forwards them between the people CobrowseSession
// names.

// cobrowseChannel is the only source whose customer has a web page to
// show: the widget and the portal. Only the widget sits on a page of the
// customer's site; the portal's page says so (the engine cannot tell them
// apart).
const cobrowseChannel = "web"

func checkCobrowse(a Action, t Technician, r Request) error {
	if a == ActionCobrowseStop {
		if err := mustOwn(t, r); err != nil {
			return err
		}
		if r.Cobrowse == ScreenNone {
			return Errorf(CodeInvalidState, "the page of request #%d is not shown", r.Number)
		}
		return nil
	}
	if err := mustOwnLive(t, r); err != nil {
		return err
	}
	switch {
	case r.Source.Channel != cobrowseChannel:
		return Errorf(CodeInvalidState, "co-browsing needs a customer in the website's chat widget")
	case r.Cobrowse == ScreenAsked:
		return Errorf(CodeInvalidState, "you asked to see the page of request #%d already; the customer has not answered yet", r.Number)
	case r.Cobrowse == ScreenLive:
		return Errorf(CodeInvalidState, "the customer of request #%d is showing their page already", r.Number)
	}
	return nil
}

// RequestCobrowse asks the customer to show the page the widget sits on.
func (e *Engine) RequestCobrowse(ctx context.Context, by Actor, id string) (Request, error) {
	return e.ownerAsk(ctx, by, id, ActionCobrowse, func(c *change, t Technician) {
		c.r.Cobrowse = ScreenAsked
		c.add(EventCobrowseAsked, by, AudienceAll, EventData{ActorName: t.Name})
	})
}

// AnswerCobrowse is the customer's answer to the owner's ask: show the
// page or not. It is refused when nobody asked, or it is shown already.
func (e *Engine) AnswerCobrowse(ctx context.Context, by Actor, show bool) (Request, error) {
	return e.customerAction(ctx, by, "", true, func(p Participant, r *Request, c *change) error {
		switch {
		case r.Cobrowse == ScreenLive:
			return Errorf(CodeInvalidState, "your page is shown already")
		case r.Cobrowse != ScreenAsked:
			return Errorf(CodeInvalidState, "no technician has asked to see this page; it is shown only when they ask")
		}
		if show {
			r.Cobrowse, r.CobrowseBy = ScreenLive, p.ID
			c.add(EventCobrowseStarted, by, AudienceAll, EventData{ParticipantID: p.ID, ActorName: p.Name})
		} else {
			r.Cobrowse = ScreenNone
			c.add(EventCobrowseDeclined, by, AudienceAll, EventData{ParticipantID: p.ID, ActorName: p.Name})
		}
		return nil
	})
}

// StopCobrowse ends co-browsing, or withdraws the ask: by the customer, or
// by the owner (ActionCobrowseStop).
func (e *Engine) StopCobrowse(ctx context.Context, by Actor, id string) (Request, error) {
	return e.stopBy(ctx, by, id, ActionCobrowseStop, func(r Request) bool { return r.Cobrowse != ScreenNone },
		"your page is not shown", func(c *change, by Actor, name string) { c.stopCobrowse(by, name, "") })
}

// stopCobrowse ends co-browsing (or the ask) as part of c; reason says why
// when nobody pressed Stop.
func (c *change) stopCobrowse(by Actor, name, reason string) {
	c.r.Cobrowse, c.r.CobrowseBy = ScreenNone, ""
	c.add(EventCobrowseStopped, by, AudienceAll, EventData{ActorName: name, Note: reason})
}

// endCobrowse ends co-browsing that the change leaves without its ground,
// as endScreen does for a screen share.
func (c *change) endCobrowse() {
	if c.r.Cobrowse == ScreenNone || len(c.events) == 0 {
		return
	}
	var reason string
	switch {
	case c.r.Status == StatusCompleted:
		reason = "the request was closed"
	case c.r.OwnerID != c.owner:
		reason = "the request changed hands"
	case c.r.Chat != ChatLive:
		reason = "the chat ended"
	default:
		return
	}
	// The last event may be endScreen's own stop: take the actor of the
	// change's first event, which is who made the change.
	first := c.events[0]
	c.stopCobrowse(first.Actor, first.Data.ActorName, reason)
}

// CobrowseSession says who takes part in a request's co-browsing: the
// customer whose page is shown, and the technicians who may watch it (the
// owner and the invited technicians still in the chat).
type CobrowseSession struct {
	RequestID string
	Number    int64
	State     ScreenState
	Sharer    string // the customer participant whose page is shown, while live
	Viewers   []string
}

// MayView reports whether technician technicianID may watch the page now.
func (s CobrowseSession) MayView(technicianID string) bool {
	return s.State == ScreenLive && slices.Contains(s.Viewers, technicianID)
}

// MayShare reports whether customer participant participantID may send
// their page now.
func (s CobrowseSession) MayShare(participantID string) bool {
	return s.State == ScreenLive && participantID != "" && s.Sharer == participantID
}

// CobrowseSession reads who takes part in a request's co-browsing. It
// checks no actor: the web layer has authenticated the browser, and asks
// again after every commit on the request.
func (e *Engine) CobrowseSession(ctx context.Context, requestID string) (CobrowseSession, error) {
	r, err := e.store.Request(ctx, requestID)
	if err != nil {
		return CobrowseSession{}, err
	}
	s := CobrowseSession{RequestID: r.ID, Number: r.Number, State: r.Cobrowse}
	if r.Cobrowse != ScreenLive {
		return s, nil
	}
	ps, err := e.store.Participants(ctx, requestID)
	if err != nil {
		return CobrowseSession{}, err
	}
	if r.OwnerID != "" {
		s.Viewers = append(s.Viewers, r.OwnerID)
	}
	for _, p := range ps {
		switch {
		case !p.Active():
		case p.Role == RoleCollaborator:
			s.Viewers = append(s.Viewers, p.SubjectID)
		case p.Role == RoleCustomer && p.ID == r.CobrowseBy:
			s.Sharer = p.ID
		}
	}
	return s, nil
}
