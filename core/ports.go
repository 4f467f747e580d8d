package core

import (
	"context"
	"io"
	"time"
)

// Store persists the domain. Update runs fn in one read-write transaction
// and commits when fn returns nil; every engine action is one Update.
// Reads outside a transaction go through the embedded Queries.
type Store interface {
	Queries
	Update(ctx context.Context, fn func(Tx) error) error
}

// Queries are the reads the engine needs, answered both inside and outside a
// transaction. Missing rows are *Error with CodeNotFound.
type Queries interface {
	Company(ctx context.Context, id string) (Company, error)
	CompanyBySlug(ctx context.Context, slug string) (Company, error)
	CompanyByPortalKey(ctx context.Context, key string) (Company, error)
	Companies(ctx context.Context) ([]Company, error)

	Technician(ctx context.Context, id string) (Technician, error)
	TechnicianByEmail(ctx context.Context, email string) (Technician, error)
	Technicians(ctx context.Context) ([]Technician, error)
	// Access lists the IDs of the companies a technician may serve.
	Access(ctx context.Context, technicianID string) ([]string, error)
	HasAccess(ctx context.Context, technicianID, companyID string) (bool, error)
	// AvailableTechnicians lists who should hear of a new request of companyID.
	AvailableTechnicians(ctx context.Context, companyID string) ([]Technician, error)

	Identity(ctx context.Context, platform, externalID string) (Identity, error)
	// IdentityOf returns the account on platform linked to a customer or
	// technician: the reverse of Identity.
	IdentityOf(ctx context.Context, platform, subjectID string) (Identity, error)
	// QueueChannel is the channel of a technician platform bound to a
	// company as its queue; ChannelCompany the company a channel is the
	// queue of. CodeNotFound when there is none.
	QueueChannel(ctx context.Context, platform, companyID string) (string, error)
	ChannelCompany(ctx context.Context, platform, channel string) (string, error)
	Customer(ctx context.Context, id string) (Customer, error)

	Request(ctx context.Context, id string) (Request, error)
	RequestByNumber(ctx context.Context, companyID string, number int64) (Request, error)
	RequestByInvite(ctx context.Context, inviteHash string) (Request, error)
	// TechnicianRequest loads a technician, a request and whether the
	// technician has been granted its company, all at once; CodeNotFound if
	// either is missing.
	TechnicianRequest(ctx context.Context, technicianID, requestID string) (Technician, Request, bool, error)
	Participants(ctx context.Context, requestID string) ([]Participant, error)
	Participant(ctx context.Context, id string) (Participant, error)
	// LatestParticipation returns the customer participant of the request
	// the customer joined last, left or not.
	LatestParticipation(ctx context.Context, customerID string) (Participant, error)
	ParticipantByToken(ctx context.Context, tokenHash string) (Participant, error)
	Messages(ctx context.Context, requestID string) ([]Message, error)
	Message(ctx context.Context, id string) (Message, error)
	// MessageVersions returns the texts a message has had, oldest first;
	// none for a message never edited (its one text is its Body).
	MessageVersions(ctx context.Context, messageID string) ([]MessageVersion, error)
	File(ctx context.Context, id string) (File, error)
	// Queue returns one keyset page of a view, each row with what the
	// lists show beside the request (QueueRow) but its Actions, in one
	// query.
	Queue(ctx context.Context, q QueueQuery) ([]QueueRow, error)
	// ReadMark is the technician's read mark in a request, 0 for none.
	ReadMark(ctx context.Context, technicianID, requestID string) (int64, error)
	// RequestEvents returns a request's events with RSeq > after, in order.
	RequestEvents(ctx context.Context, requestID string, after int64, limit int) ([]Event, error)
	// EventsAfter returns up to limit events after pos in log order. held
	// reports that later events exist but wait for an older transaction to
	// finish: look again shortly.
	EventsAfter(ctx context.Context, pos Position, limit int) (evs []Event, held bool, err error)
	// LogEnd is the position of the last event.
	LogEnd(ctx context.Context) (Position, error)
	// Inbound returns the result recorded for an idempotency key.
	Inbound(ctx context.Context, key Idempotency) (string, error)

	// AdminLog returns the latest limit entries of the admin log, newest
	// first.
	AdminLog(ctx context.Context, limit int) ([]AdminEntry, error)
	// OpenOwned counts the open requests of each owner, by technician ID.
	OpenOwned(ctx context.Context) (map[string]int, error)
	// OpenRequestsOf lists the open requests technicianID owns, oldest first.
	OpenRequestsOf(ctx context.Context, technicianID string) ([]string, error)
	// DeskState counts what the first-run checklist asks about.
	DeskState(ctx context.Context) (DeskState, error)
}

// Tx is one open read-write transaction. Its Request methods lock the row
// they read until commit.
type Tx interface {
	Queries

	InsertCompany(ctx context.Context, c Company) error
	UpdateCompany(ctx context.Context, c Company) error
	InsertTechnician(ctx context.Context, t Technician) error
	UpdateTechnician(ctx context.Context, t Technician) error
	GrantAccess(ctx context.Context, technicianID, companyID string) error
	RevokeAccess(ctx context.Context, technicianID, companyID string) error
	LinkIdentity(ctx context.Context, id Identity) error
	// EndTechnicianAccess ends every console session of a technician and
	// removes their chat-platform links.
	EndTechnicianAccess(ctx context.Context, technicianID string) error
	// ActiveAdmins lists the active admins and locks their rows until
	// commit, so that two admins demoting each other at once cannot leave
	// the desk with none.
	ActiveAdmins(ctx context.Context) ([]Technician, error)
	AppendAdminLog(ctx context.Context, e AdminEntry) error
	// BindChannel makes channel the platform's queue of the company,
	// replacing the company's former channel and the channel's former
	// company.
	BindChannel(ctx context.Context, b ChannelBinding) error
	InsertCustomer(ctx context.Context, c Customer) error
	// CustomerByEmail finds a company's customer by e-mail address.
	CustomerByEmail(ctx context.Context, companyID, email string) (Customer, error)

	// NextRequestNumber allocates the company's next request number.
	NextRequestNumber(ctx context.Context, companyID string) (int64, error)
	InsertRequest(ctx context.Context, r Request) error
	// UpdateRequest writes r if the stored version is still prev, else it
	// fails with ErrStale. Load the request through the Tx (which locks it
	// until commit) before any other write, so that log order follows
	// request order.
	UpdateRequest(ctx context.Context, r Request, prev int64) error
	InsertParticipant(ctx context.Context, p Participant) error
	UpdateParticipant(ctx context.Context, p Participant) error
	// SetParticipantToken replaces a customer participant's token hash:
	// the one write of it after the participant is created.
	SetParticipantToken(ctx context.Context, participantID, tokenHash string) error
	InsertMessage(ctx context.Context, m Message) error
	// UpdateMessage writes m's text, version, edit time and withdrawal if
	// the stored message still has version prev and is not withdrawn, else
	// it fails with ErrStale. Only those fields change: a message never
	// moves to another request, author or audience.
	UpdateMessage(ctx context.Context, m Message, prev int64) error
	// InsertMessageVersion keeps one text of a message; CodeConflict if
	// the message has that version already.
	InsertMessageVersion(ctx context.Context, v MessageVersion) error
	InsertFile(ctx context.Context, f File) error
	AppendEvent(ctx context.Context, e Event) error
	// MarkRead raises the technician's read mark in a request to rseq, if
	// it is lower, and returns the mark.
	MarkRead(ctx context.Context, technicianID, requestID string, rseq int64) (int64, error)
	// ClaimInbound records key with result; if the key was already recorded
	// it changes nothing and returns the first result and true.
	ClaimInbound(ctx context.Context, key Idempotency, result string) (string, bool, error)
}

// BlobStore keeps file contents, addressed by the hex SHA-256 of their bytes.
type BlobStore interface {
	// Put stores r's bytes and returns their SHA-256 and size. It fails with
	// CodeTooLarge, storing nothing, once more than max bytes arrive.
	Put(ctx context.Context, r io.Reader, max int64) (sha256 string, size int64, err error)
	Open(ctx context.Context, sha256 string) (io.ReadCloser, error)
}

// ValidBlobSum reports whether s names a blob as BlobStore.Put does: 64
// lower-case hex digits. Upper case is refused rather than folded so that
// one blob has exactly one name, and anything else never reaches a path,
// an object key or a query.
func ValidBlobSum(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Clock tells the time; tests replace it.
type Clock func() time.Time
