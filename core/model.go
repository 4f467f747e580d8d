package core

import (
	"slices"
	"time"
)

// Company is a customer organisation whose requests some technicians serve.
type Company struct {
	ID           string
	Name         string
	Slug         string   // URL name, as in /c/{slug}
	PortalKey    string   // public key embedded in the widget snippet
	AllowedExts  []string // lower-case, with the dot: ".pdf"
	MaxFileBytes int64
	CreatedAt    time.Time
	// ArchivedAt is when an admin archived the company (zero: open). An
	// archived company takes no new requests; its old ones stay readable.
	ArchivedAt time.Time
}

// Archived reports whether c takes no new requests.
func (c Company) Archived() bool { return !c.ArchivedAt.IsZero() }

// Role is what a technician may administer.
type Role string

// Roles. Admins may close any request and manage companies and technicians.
const (
	RoleAdmin      Role = "admin"
	RoleTechnician Role = "technician"
)

// Availability decides whether a technician sees and is told of new requests.
type Availability string

// Availabilities, as in the seed manual.
const (
	Available Availability = "available"
	Busy      Availability = "busy"
	Away      Availability = "away"
)

// Valid reports whether a is one of the three availabilities.
func (a Availability) Valid() bool { return a == Available || a == Busy || a == Away }

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleTechnician }

// Technician is a member of the support team.
type Technician struct {
	ID           string
	Email        string
	Name         string
	Role         Role
	Availability Availability
	PasswordHash string // bcrypt; empty when the technician has no console password
	// SignInResetAt is when an admin last cleared the technician's failed
	// console sign-ins: failures before it no longer count.
	SignInResetAt time.Time
	CreatedAt     time.Time
	// DeactivatedAt is when an admin deactivated the technician (zero:
	// active). A deactivated technician cannot sign in or act, and is
	// nobody's colleague; what they wrote stays.
	DeactivatedAt time.Time
}

// IsAdmin reports whether t administers relaydesk.
func (t Technician) IsAdmin() bool { return t.Role == RoleAdmin }

// Active reports whether t may sign in and act.
func (t Technician) Active() bool { return t.DeactivatedAt.IsZero() }

// Customer is a person who asks a company for help. Email may be empty for
// customers who came through a chat platform and were not asked for one.
type Customer struct {
	ID        string
	CompanyID string
	Email     string
	Name      string
	CreatedAt time.Time
}

// Identity links a platform account (Slack user, Discord user, Telegram
// chat) to a technician or a customer.
type Identity struct {
	Platform   string // "slack", "discord", "telegram", ...
	ExternalID string
	Subject    ActorKind
	SubjectID  string
}

// Status is where a request is in its life.
type Status string

// Statuses, as the seed manual's views name them.
const (
	StatusNew       Status = "new"
	StatusActive    Status = "active"
	StatusCompleted Status = "completed"
)

// ChatState tracks the live chat inside an active request.
type ChatState string

// Chat states: nobody joined yet, a technician joined, the chat was ended.
const (
	ChatWaiting ChatState = "waiting"
	ChatLive    ChatState = "live"
	ChatEnded   ChatState = "ended"
)

// ScreenState is where a request's screen share stands.
type ScreenState string

// Screen states: none, asked by the owner and awaiting the customer's
// answer, and live (the customer consented and shares).
const (
	ScreenNone  ScreenState = ""
	ScreenAsked ScreenState = "asked"
	ScreenLive  ScreenState = "live"
)

// Source is what is known of the device a customer asked from. The fields
// but Reported are what relaydesk itself saw: the connection, the
// User-Agent and Accept-Language headers, the chat platform. Decisions
// (images only from iOS, screen sharing from a desktop) go by them.
type Source struct {
	Channel  string // "web", "telegram", ...
	IP       string
	Device   string // "desktop", "mobile", "tablet", "" when unknown
	OS       string
	Browser  string
	Language string
	// Reported is what the customer's browser said when a technician asked
	// for it and the customer allowed it: shown beside the rest, never
	// replacing it.
	Reported SystemInfo `json:",omitzero"`
}

// SystemInfo is what a customer's browser reports of itself.
type SystemInfo struct {
	Device   string `json:",omitempty"` // "desktop", "mobile", "tablet"
	OS       string `json:",omitempty"`
	Browser  string `json:",omitempty"`
	Language string `json:",omitempty"`
}

// IsZero reports whether nothing was reported.
func (s SystemInfo) IsZero() bool { return s == SystemInfo{} }

// IsMobile reports whether the customer is on a phone or tablet.
func (s Source) IsMobile() bool { return s.Device == "mobile" || s.Device == "tablet" }

// IsIOS reports whether the customer's operating system is iOS or iPadOS,
// whose customers may only send images.
func (s Source) IsIOS() bool { return s.OS == "iOS" || s.OS == "iPadOS" }

// Request is a support request: one customer's problem, from New to Completed.
type Request struct {
	ID            string
	CompanyID     string
	CompanyName   string
	Number        int64 // short, per company: #1042
	Status        Status
	Chat          ChatState
	OwnerID       string // "" when unassigned
	OwnerName     string
	CustomerID    string // the primary customer
	CustomerEmail string
	CustomerName  string
	Subject       string // the first message, shortened
	Source        Source
	ClosingNote   string
	InviteHash    string // hash of the customer invite code of a technician-started request
	// SystemInfoAsked is set while a technician's request for the
	// customer's system information is unanswered.
	SystemInfoAsked bool
	// Screen is where the request's screen share stands; ScreenBy is the
	// customer participant sharing while it is live.
	Screen   ScreenState
	ScreenBy string
	// Recording is where the recording of the screen share stands.
	Recording RecordingState
	// Call is where the request's call stands; CallBy is the customer
	// participant who answered it.
	Call   CallState
	CallBy string
	// Cobrowse is where co-browsing of the customer's page stands (the
	// same states); CobrowseBy is the customer participant whose page is
	// shown while it is live.
	Cobrowse   ScreenState
	CobrowseBy string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	ClosedAt   time.Time // zero until completed
	// Version counts the request's events; it is the rseq of the last one and
	// the optimistic-concurrency token of every update.
	Version int64
}

// Role of a participant other than the owner, who lives on Request.OwnerID.
type ParticipantRole string

// Participant roles. A reader is a former owner: a record of who held the
// request, granting nothing beyond their access to its company.
const (
	RoleCustomer     ParticipantRole = "customer"
	RoleCollaborator ParticipantRole = "collaborator"
	RoleReader       ParticipantRole = "reader"
)

// Participant is a customer or a technician other than the owner taking part
// in one request.
type Participant struct {
	ID        string
	RequestID string
	Role      ParticipantRole
	SubjectID string // customer ID or technician ID
	Name      string
	Primary   bool // the primary customer
	TokenHash string
	JoinedAt  time.Time
	LeftAt    time.Time
}

// Active reports whether p has not left.
func (p Participant) Active() bool { return p.LeftAt.IsZero() }

// Audience says who may see a message or an event.
type Audience string

// Audiences. A participant ID (par_...) addresses one customer.
const (
	AudienceAll         Audience = "all"
	AudienceTechnicians Audience = "technicians"
)

// VisibleToCustomer reports whether the customer participant p may see
// something addressed to a.
func (a Audience) VisibleToCustomer(participantID string) bool {
	return a == AudienceAll || string(a) == participantID
}

// Message is one line of a request's chat: text, a file, or a private note.
//
// Body is the current text. Its author may edit it (Engine.EditMessage):
// Version counts the texts it has had, 1 being the original, and the
// earlier ones are kept for technicians (Engine.MessageVersions). A
// technician may withdraw what they wrote (Engine.WithdrawMessage): the
// row keeps its text for technicians, and customers see only that a
// message was withdrawn.
type Message struct {
	ID         string
	RequestID  string
	RSeq       int64 // the rseq of its event: chat order
	AuthorKind ActorKind
	AuthorID   string
	AuthorName string
	Audience   Audience
	Body       string
	FileID     string
	CreatedAt  time.Time
	// Version is the number of the current text: 1 until the first edit.
	Version int64
	// EditedAt is when the current text was written; zero when never edited.
	EditedAt time.Time
	// WithdrawnAt is when the message was withdrawn, zero if it was not;
	// WithdrawnBy is who withdrew it (its author: nobody else may).
	WithdrawnAt time.Time
	WithdrawnBy Actor
}

// Edited reports whether m's text was ever changed.
func (m Message) Edited() bool { return m.Version > 1 }

// Withdrawn reports whether m was withdrawn.
func (m Message) Withdrawn() bool { return !m.WithdrawnAt.IsZero() }

// ForCustomer strips from m what only technicians may read: the text and
// the file of a withdrawn message, and who withdrew it. A customer learns
// that a message was edited (EditedAt) and when, never what it said
// before nor its versions.
func (m Message) ForCustomer() Message {
	if m.Withdrawn() {
		m.Body, m.FileID = "", ""
	}
	m.WithdrawnBy = Actor{}
	return m
}

// MessageVersion is one text a message has had: version 1 is the original,
// written by its author when it was sent (EditedAt is then its CreatedAt).
// Only a message's author edits it, so Editor is always its author.
type MessageVersion struct {
	MessageID string
	Version   int64
	Body      string
	EditedAt  time.Time
	Editor    Actor
}

// File is the metadata of an uploaded file; its bytes live in a BlobStore
// under SHA256.
type File struct {
	ID           string
	RequestID    string
	Name         string // cleaned, safe to show and to use in Content-Disposition
	ContentType  string
	Size         int64
	SHA256       string
	UploaderKind ActorKind
	UploaderID   string
	CreatedAt    time.Time
}

// ActorKind is who acts: a technician, a customer or relaydesk itself.
type ActorKind string

// Actor kinds.
const (
	ActorTechnician ActorKind = "technician"
	ActorCustomer   ActorKind = "customer"
	ActorSystem     ActorKind = "system"
)

// Actor is who performs an action. For a technician ID is the technician's
// ID; for a customer it is their participant ID in the request they act on.
type Actor struct {
	Kind ActorKind
	ID   string
}

// TechnicianActor and CustomerActor build actors.
func TechnicianActor(id string) Actor { return Actor{Kind: ActorTechnician, ID: id} }

// CustomerActor is the customer holding participant ID participantID.
func CustomerActor(participantID string) Actor { return Actor{Kind: ActorCustomer, ID: participantID} }

// DefaultAllowedExts is the seed manual's file allowlist.
var defaultAllowedExts = []string{
	".jpeg", ".jpg", ".png", ".gif", ".bmp", ".tiff", ".pdf", ".doc", ".docx",
	".odt", ".xls", ".xlsx", ".ppt", ".pptx", ".pps", ".ppsx", ".log", ".cfg",
	".rar", ".zip", ".txt",
}

// DefaultAllowedExts returns a fresh copy of the seed manual's allowlist.
func DefaultAllowedExts() []string { return slices.Clone(defaultAllowedExts) }

// DefaultMaxFileBytes is the per-company size limit unless configured.
const DefaultMaxFileBytes int64 = 25 << 20
