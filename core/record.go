package core

import (
	"context"
	"io"
)

// A screen share may be recorded, as the seed says, only once the customer
// allowed it: the owner asks (RequestRecording), the customer allows or
// declines (AnswerRecording), either stops it (StopRecording), and it stops
// with the share. The web layer writes the forwarded media while the
// request's Recording is on and stores the file with StoreRecording, a
// private file of the request: technicians only.

// recorded is the live session a recording of r is of: its call while one
// is live, else its screen share while one is live, else none.
func (r Request) recorded() LiveKind {
	switch {
	case r.Call == CallLive:
		return LiveCall
	case r.Screen == ScreenLive:
		return LiveScreen
	}
	return ""
}

// RecordingState is where a request's recording stands.
type RecordingState string

// Recording states: none, asked (waiting for the customer), on.
const (
	RecordingNone  RecordingState = ""
	RecordingAsked RecordingState = "asked"
	RecordingOn    RecordingState = "on"
)

// MaxRecordingBytes bounds one recording's file: about six hours of a
// 720p screen. The company's upload limit does not apply: the file is
// relaydesk's own, not an upload.
const MaxRecordingBytes int64 = 4 << 30

// RequestRecording asks the customer to allow the live call, or else the
// live screen share, to be recorded.
func (e *Engine) RequestRecording(ctx context.Context, by Actor, id string) (Request, error) {
	return e.ownerAsk(ctx, by, id, ActionRecord, func(c *change, t Technician) {
		c.r.Recording = RecordingAsked
		c.add(EventRecordingAsked, by, AudienceAll, EventData{ActorName: t.Name})
	})
}

// AnswerRecording is the customer's answer to the ask to record.
func (e *Engine) AnswerRecording(ctx context.Context, by Actor, allow bool) (Request, error) {
	return e.customerAction(ctx, by, "", true, func(p Participant, r *Request, c *change) error {
		if r.Recording != RecordingAsked {
			return Errorf(CodeInvalidState, "nobody asks to record your screen now")
		}
		if allow {
			r.Recording = RecordingOn
			c.add(EventRecordingAllowed, by, AudienceAll, EventData{ParticipantID: p.ID, ActorName: p.Name})
		} else {
			r.Recording = RecordingNone
			c.add(EventRecordingDeclined, by, AudienceAll, EventData{ParticipantID: p.ID, ActorName: p.Name})
		}
		return nil
	})
}

// StopRecording stops the recording (or withdraws the ask): by the owner
// (ActionRecordStop) or by the customer.
func (e *Engine) StopRecording(ctx context.Context, by Actor, id string) (Request, error) {
	return e.stopBy(ctx, by, id, ActionRecordStop, func(r Request) bool { return r.Recording != RecordingNone },
		"nothing is being recorded", func(c *change, by Actor, name string) { c.stopRecording(by, name, "") })
}

func (c *change) stopRecording(by Actor, name, reason string) {
	c.r.Recording = RecordingNone
	c.add(EventRecordingStopped, by, AudienceAll, EventData{ActorName: name, Note: reason})
}

// StoreRecording keeps a finished recording as a private file of the
// request, in its chat for technicians only, written by relaydesk itself.
// It may be stored after the request closed (the share ended with it).
func (e *Engine) StoreRecording(ctx context.Context, requestID, name string, body io.Reader) (Message, File, error) {
	r, err := e.store.Request(ctx, requestID)
	if err != nil {
		return Message{}, File{}, err
	}
	sum, size, err := e.blobs.Put(ctx, body, MaxRecordingBytes)
	if err != nil {
		return Message{}, File{}, err
	}
	if size == 0 {
		return Message{}, File{}, Errorf(CodeInvalid, "the recording is empty")
	}
	by := SystemActor()
	f := File{ID: NewID("fil"), RequestID: r.ID, Name: name, ContentType: "video/webm", Size: size, SHA256: sum,
		UploaderKind: by.Kind, UploaderID: by.ID, CreatedAt: e.now().UTC()}
	m, err := e.post(ctx, by, requestID, "", Idempotency{}, asNote, func(m *Message) (EventType, EventData) {
		m.FileID, m.Body = f.ID, f.Name
		ref := FileRef{ID: f.ID, Name: f.Name, ContentType: f.ContentType, Size: f.Size}
		return EventFile, EventData{MessageID: m.ID, File: &ref, Body: f.Name}
	}, func(tx Tx) error { return tx.InsertFile(ctx, f) })
	return m, f, err
}
