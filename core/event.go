package core

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// EventType names what happened to a request.
type EventType string

// Every change to a request is exactly one of these events.
const (
	EventCreated           EventType = "request.created"
	EventAssigned          EventType = "request.assigned"
	EventUnassigned        EventType = "request.unassigned"
	EventTransferred       EventType = "request.transferred"
	EventClosed            EventType = "request.closed"
	EventJoined            EventType = "chat.joined"
	EventEnded             EventType = "chat.ended"
	EventMessage           EventType = "chat.message"
	EventFile              EventType = "chat.file"
	EventNote              EventType = "chat.note"
	EventInvited           EventType = "technician.invited"
	EventTechnicianLeft    EventType = "technician.left" // an invited collaborator left (LeaveChat)
	EventCustomerJoined    EventType = "customer.joined"
	EventCustomerLeft      EventType = "customer.left"
	EventScreenShareAsked  EventType = "screenshare.requested"
	EventScreenStarted     EventType = "screenshare.started"  // the customer consented and shares
	EventScreenDeclined    EventType = "screenshare.declined" // the customer said no
	EventScreenStopped     EventType = "screenshare.stopped"  // by the customer, the owner, or the request moving on
	EventScreenViewed      EventType = "screenshare.viewed"   // a technician's viewer received the share (technicians only)
	EventRecordingAsked    EventType = "recording.requested"
	EventRecordingAllowed  EventType = "recording.allowed" // the customer allowed it: recording starts
	EventRecordingDeclined EventType = "recording.declined"
	EventRecordingStopped  EventType = "recording.stopped"
	EventCallStarted       EventType = "call.started" // the owner rings the customer
	EventCallAnswered      EventType = "call.answered"
	EventCallDeclined      EventType = "call.declined"
	EventCallEnded         EventType = "call.ended"
	EventSystemInfoAsked   EventType = "sysinfo.requested"
	EventSystemInfoGiven   EventType = "sysinfo.provided"
	EventEdited            EventType = "chat.edited"    // see EditMessage
	EventWithdrawn         EventType = "chat.withdrawn" // see WithdrawMessage
	EventCobrowseAsked     EventType = "cobrowse.requested"
	EventCobrowseStarted   EventType = "cobrowse.started"  // the customer consented: their page is shown
	EventCobrowseDeclined  EventType = "cobrowse.declined" // the customer said no
	EventCobrowseStopped   EventType = "cobrowse.stopped"  // by the customer, the owner, or the request moving on
)

// Position orders the event log. On PostgreSQL TxID is the writing
// transaction's ID, which makes "everything after this position" safe against
// transactions that commit out of sequence order; on SQLite it is zero.
type Position struct {
	TxID int64
	Seq  int64
}

// String encodes p for clients: "txid.seq".
func (p Position) String() string { return fmt.Sprintf("%d.%d", p.TxID, p.Seq) }

// ParsePosition decodes Position.String; "" is the start of the log.
func ParsePosition(s string) (Position, error) {
	var p Position
	if s == "" {
		return p, nil
	}
	a, b, ok := strings.Cut(s, ".")
	var err1, err2 error
	p.TxID, err1 = strconv.ParseInt(a, 10, 64)
	p.Seq, err2 = strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil || p.TxID < 0 || p.Seq < 0 {
		return Position{}, Errorf(CodeInvalid, "%q is not an event position", s)
	}
	return p, nil
}

// Less reports whether p comes before q in the log.
func (p Position) Less(q Position) bool {
	return p.TxID < q.TxID || (p.TxID == q.TxID && p.Seq < q.Seq)
}

// Event is one appended entry of the log: what happened, to which request,
// by whom, and the data an adapter needs to render it without another query.
type Event struct {
	Pos       Position
	RequestID string
	CompanyID string
	RSeq      int64 // 1, 2, 3... within the request: browsers resume with it
	Type      EventType
	Actor     Actor
	Audience  Audience
	Data      EventData
	CreatedAt time.Time
}

// EventData is the rendered-ready content of an event. Fields that do not
// apply to an event's type are empty.
//
// An edit (EventEdited) carries MessageID, the new Body, its Version and
// the author's ActorName; a withdrawal (EventWithdrawn) MessageID and
// ActorName, and no text. On the chat lines a customer reads (Events,
// Current) Body is the message's current text, Version its number (more
// than 1 says "edited"), and Withdrawn says that the message was withdrawn
// since: Body and File are then empty.
type EventData struct {
	Number         int64        `json:"number,omitempty"`
	Status         Status       `json:"status,omitempty"`
	ActorName      string       `json:"actor_name,omitempty"`
	OwnerID        string       `json:"owner_id,omitempty"`
	OwnerName      string       `json:"owner_name,omitempty"`
	TechnicianID   string       `json:"technician_id,omitempty"` // invited or transferred-to
	TechnicianName string       `json:"technician_name,omitempty"`
	CustomerEmail  string       `json:"customer_email,omitempty"`
	CustomerName   string       `json:"customer_name,omitempty"`
	ParticipantID  string       `json:"participant_id,omitempty"`
	MessageID      string       `json:"message_id,omitempty"`
	Body           string       `json:"body,omitempty"`
	File           *FileRef     `json:"file,omitempty"`
	Source         *Source      `json:"source,omitempty"`
	Note           string       `json:"note,omitempty"`
	Screen         *ScreenInfo  `json:"screen,omitempty"`    // the shared screen, as the customer's browser describes it
	Version        int64        `json:"version,omitempty"`   // a message's text: 1 is the original
	Withdrawn      bool         `json:"withdrawn,omitempty"` // for customers: the message was withdrawn
	Origin         *Idempotency `json:"origin,omitempty"`    // the inbound platform event it came from, so its adapter does not echo it
}

// FileRef is what an event says of a file.
type FileRef struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// VisibleToCustomer reports whether the customer holding participant
// participantID may see e.
func (e Event) VisibleToCustomer(participantID string) bool {
	return e.Audience.VisibleToCustomer(participantID)
}

// Idempotency names an inbound platform event (a Slack event_id, a Telegram
// update_id, a Discord interaction id). A command carrying one that was
// already applied does nothing and returns the first result.
type Idempotency struct {
	Source     string `json:"source"`
	ExternalID string `json:"external_id"`
}

// IsZero reports whether no idempotency key was given.
func (k Idempotency) IsZero() bool { return k.Source == "" && k.ExternalID == "" }
