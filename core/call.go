package core

import "context"

// A call (voice, and video for those who turn their camera on) follows the
// seed: the owner starts it from a live chat once a customer is in it
// ("video cannot start until a customer has joined"); the customer answers
// or declines; the invited technicians still in the chat may join; either
// side ends it, and it ends with the chat, the request's close or hand-over,
// or the answering customer leaving. Who takes part is CallSession's; the
// media passes through the web layer, never the engine.

// CallState is where a request's call stands.
type CallState string

// Call states: none, ringing (the customer has not answered), live.
const (
	CallNone    CallState = ""
	CallRinging CallState = "ringing"
	CallLive    CallState = "live"
)

// StartCall rings the customer of a live chat.
func (e *Engine) StartCall(ctx context.Context, by Actor, id string) (Request, error) {
	return e.requestAction(ctx, by, id, func(tx Tx, t Technician, c *change) (func() error, error) {
		ps, err := tx.Participants(ctx, c.r.ID)
		if err != nil {
			return nil, err
		}
		if err := ActionCall.check(t, *c.r, PresenceOf(t, *c.r, ps)); err != nil {
			return nil, err
		}
		c.r.Call = CallRinging
		c.add(EventCallStarted, by, AudienceAll, EventData{ActorName: t.Name})
		return nil, nil
	})
}

// AnswerCall is the customer's answer to a ringing call.
func (e *Engine) AnswerCall(ctx context.Context, by Actor, accept bool) (Request, error) {
	return e.customerAction(ctx, by, "", true, func(p Participant, r *Request, c *change) error {
		switch {
		case r.Call == CallLive:
			return Errorf(CodeInvalidState, "the call was answered already")
		case r.Call != CallRinging:
			return Errorf(CodeInvalidState, "nobody is calling you")
		}
		if accept {
			r.Call, r.CallBy = CallLive, p.ID
			c.add(EventCallAnswered, by, AudienceAll, EventData{ParticipantID: p.ID, ActorName: p.Name})
		} else {
			r.Call = CallNone
			c.add(EventCallDeclined, by, AudienceAll, EventData{ParticipantID: p.ID, ActorName: p.Name})
		}
		return nil
	})
}

// EndCall hangs up (or stops ringing): the owner (ActionCallEnd) or the
// customer.
func (e *Engine) EndCall(ctx context.Context, by Actor, id string) (Request, error) {
	return e.stopBy(ctx, by, id, ActionCallEnd, func(r Request) bool { return r.Call != CallNone },
		"there is no call", func(c *change, by Actor, name string) { c.endCall(by, name, "") })
}

func (c *change) endCall(by Actor, name, reason string) {
	if c.r.Recording != RecordingNone && c.r.Screen != ScreenLive {
		c.stopRecording(by, name, "the call ended")
	}
	c.r.Call, c.r.CallBy = CallNone, ""
	c.add(EventCallEnded, by, AudienceAll, EventData{ActorName: name, Note: reason})
}

// CallSession reads who takes part in a request's call (see
// ScreenSession).
func (e *Engine) CallSession(ctx context.Context, requestID string) (LiveSession, error) {
	return e.liveSession(ctx, LiveCall, requestID)
}
