package core

import (
	"context"
	"math"
	"slices"
)

// A screen share follows the seeds: the owner asks (RequestScreenShare),
// a desktop customer consents or declines (AnswerScreenShare), and either
// side stops it (StopScreenShare). It lives only while the chat is live
// under the same owner and the sharing customer is in it: any change that
// ends one of those ends the share in the same transaction (change.endScreen).
// The media itself never passes through the engine: the web layer forwards
// it between the people ScreenSession names (LiveSession).

// ScreenInfo is what the customer's browser says of the screen it shares.
type ScreenInfo struct {
	Width   int     `json:"width,omitempty"`  // CSS pixels
	Height  int     `json:"height,omitempty"` // CSS pixels
	DPR     float64 `json:"dpr,omitempty"`    // device pixel ratio
	Browser string  `json:"browser,omitempty"`
	OS      string  `json:"os,omitempty"`
}

func cleanScreenInfo(in ScreenInfo) (ScreenInfo, error) {
	for _, f := range []*string{&in.Browser, &in.OS} {
		v, err := cleanLine("the screen information", *f, 200)
		if err != nil {
			return in, err
		}
		*f = v
	}
	if in.Width < 0 || in.Width > 100_000 || in.Height < 0 || in.Height > 100_000 {
		return in, Errorf(CodeInvalid, "the screen size must be between 0 and 100000 pixels")
	}
	if math.IsNaN(in.DPR) || in.DPR < 0 || in.DPR > 16 {
		return in, Errorf(CodeInvalid, "the device pixel ratio must be between 0 and 16")
	}
	return in, nil
}

// RequestScreenShare asks a desktop customer to share their screen.
func (e *Engine) RequestScreenShare(ctx context.Context, by Actor, id string) (Request, error) {
	return e.ownerAsk(ctx, by, id, ActionScreenShare, func(c *change, t Technician) {
		c.r.Screen = ScreenAsked
		c.add(EventScreenShareAsked, by, AudienceAll, EventData{ActorName: t.Name})
	})
}

// AnswerScreenShare is the customer's answer to the owner's ask: share
// (with what their browser says of the screen) or not. It is refused when
// nobody asked, or the share is live already.
func (e *Engine) AnswerScreenShare(ctx context.Context, by Actor, share bool, info ScreenInfo) (Request, error) {
	info, err := cleanScreenInfo(info)
	if err != nil {
		return Request{}, err
	}
	return e.customerAction(ctx, by, "", true, func(p Participant, r *Request, c *change) error {
		switch {
		case r.Screen == ScreenLive:
			return Errorf(CodeInvalidState, "a screen is shared already")
		case r.Screen != ScreenAsked:
			return Errorf(CodeInvalidState, "no technician has asked to see your screen; it is shared only when they ask")
		case share && r.Source.IsMobile():
			return errDesktopOnly
		}
		if share {
			r.Screen, r.ScreenBy = ScreenLive, p.ID
			c.add(EventScreenStarted, by, AudienceAll, EventData{ParticipantID: p.ID, ActorName: p.Name, Screen: &info})
		} else {
			r.Screen = ScreenNone
			c.add(EventScreenDeclined, by, AudienceAll, EventData{ParticipantID: p.ID, ActorName: p.Name})
		}
		return nil
	})
}

var errDesktopOnly = Errorf(CodeInvalidState, "screen sharing needs a customer on a desktop web browser")

// StopScreenShare ends the request's screen share, or withdraws the ask:
// by the customer, or by the owner (ActionScreenStop).
func (e *Engine) StopScreenShare(ctx context.Context, by Actor, id string) (Request, error) {
	return e.stopBy(ctx, by, id, ActionScreenStop, func(r Request) bool { return r.Screen != ScreenNone },
		"your screen is not shared", func(c *change, by Actor, name string) { c.stopScreen(by, name, "") })
}

// ScreenViewed records that a technician's viewer received the share: who
// watched is part of the request's history, told to technicians only. The
// web layer calls it once per technician and share.
func (e *Engine) ScreenViewed(ctx context.Context, by Actor, id string) error {
	_, err := e.requestAction(ctx, by, id, func(tx Tx, t Technician, c *change) (func() error, error) {
		if c.r.Screen != ScreenLive {
			return nil, Errorf(CodeInvalidState, "the screen of request #%d is not shared", c.r.Number)
		}
		c.add(EventScreenViewed, by, AudienceTechnicians, EventData{ActorName: t.Name})
		return nil, nil
	})
	return err
}

// stopScreen ends the share (or the ask) as part of c; reason says why
// when nobody pressed Stop.
func (c *change) stopScreen(by Actor, name, reason string) {
	if c.r.Recording != RecordingNone && c.r.Call != CallLive {
		c.stopRecording(by, name, "screen sharing ended")
	}
	c.r.Screen, c.r.ScreenBy = ScreenNone, ""
	c.add(EventScreenStopped, by, AudienceAll, EventData{ActorName: name, Note: reason})
}

// endScreen ends a share that the change leaves without its ground: the
// chat no longer live, the request closed or given to someone else. The
// share is stopped by the same actor as the change, with the reason.
func (c *change) endScreen() {
	if (c.r.Screen == ScreenNone && c.r.Call == CallNone) || len(c.events) == 0 {
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
	last := c.events[len(c.events)-1]
	if c.r.Screen != ScreenNone {
		c.stopScreen(last.Actor, last.Data.ActorName, reason)
	}
	if c.r.Call != CallNone {
		c.endCall(last.Actor, last.Data.ActorName, reason)
	}
}

// LiveKind is a kind of live session: a screen share or a call.
type LiveKind string

// The kinds of live session.
const (
	LiveScreen LiveKind = "screen"
	LiveCall   LiveKind = "call"
)

// LiveSession says who takes part in a request's screen share or call
// while it is live: the customer (the one sharing, or who answered the
// call), and the technicians (the owner and the invited technicians still
// in the chat).
type LiveSession struct {
	Kind        LiveKind
	RequestID   string
	Number      int64
	Live        bool
	Customer    string // participant ID
	Technicians []string
	// Recording says the customer allowed the share to be recorded and it
	// has not been stopped.
	Recording bool
}

// MayTechnician reports whether technician technicianID takes part now.
func (s LiveSession) MayTechnician(technicianID string) bool {
	return s.Live && slices.Contains(s.Technicians, technicianID)
}

// MayCustomer reports whether customer participant participantID takes
// part now.
func (s LiveSession) MayCustomer(participantID string) bool {
	return s.Live && participantID != "" && s.Customer == participantID
}

// ScreenSession reads who takes part in a request's share. It checks no
// actor: the web layer has authenticated the browser and asks it of every
// peer, and again after every commit on the request.
func (e *Engine) ScreenSession(ctx context.Context, requestID string) (LiveSession, error) {
	return e.liveSession(ctx, LiveScreen, requestID)
}

// LiveSession reads who takes part in a request's live session of kind.
func (e *Engine) LiveSession(ctx context.Context, kind LiveKind, requestID string) (LiveSession, error) {
	switch kind {
	case LiveScreen, LiveCall:
		return e.liveSession(ctx, kind, requestID)
	}
	return LiveSession{}, Errorf(CodeInvalid, "there is no live session of kind %q", kind)
}

func (e *Engine) liveSession(ctx context.Context, kind LiveKind, requestID string) (LiveSession, error) {
	r, err := e.store.Request(ctx, requestID)
	if err != nil {
		return LiveSession{}, err
	}
	s := LiveSession{Kind: kind, RequestID: r.ID, Number: r.Number}
	customer := ""
	switch kind {
	case LiveScreen:
		s.Live, customer = r.Screen == ScreenLive, r.ScreenBy
	case LiveCall:
		s.Live, customer = r.Call == CallLive, r.CallBy
	}
	s.Recording = s.Live && r.Recording == RecordingOn && r.recorded() == kind
	if !s.Live {
		return s, nil
	}
	ps, err := e.store.Participants(ctx, requestID)
	if err != nil {
		return LiveSession{}, err
	}
	if r.OwnerID != "" {
		s.Technicians = append(s.Technicians, r.OwnerID)
	}
	for _, p := range ps {
		switch {
		case !p.Active():
		case p.Role == RoleCollaborator:
			s.Technicians = append(s.Technicians, p.SubjectID)
		case p.Role == RoleCustomer && p.ID == customer:
			s.Customer = p.ID
		}
	}
	return s, nil
}
