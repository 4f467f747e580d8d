package widget

import (
	"path"
	"slices"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/markup"
)

// The JSON shapes of the widget API, documented in docs/widget-api.md.
// They are built field by field from what the engine lets a customer see,
// so nothing a technician alone may read (notes, e-mail addresses, IP
// addresses, participant IDs) can slip into an answer.

type companyView struct {
	Name         string   `json:"name"`
	Slug         string   `json:"slug"`
	AllowedExts  []string `json:"allowed_exts"`
	MaxFileBytes int64    `json:"max_file_bytes"`
	// ImagesOnly is set for customers on iOS, who may send images only.
	ImagesOnly bool `json:"images_only,omitempty"`
}

type fileView struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
	// Image is set for a file the page may show as a picture: the
	// download serves it inline.
	Image bool `json:"image,omitempty"`
}

type messageView struct {
	ID         string         `json:"id"`
	RSeq       int64          `json:"rseq"`
	AuthorKind core.ActorKind `json:"author_kind"`
	AuthorName string         `json:"author_name"`
	Mine       bool           `json:"mine,omitempty"`   // written by this customer
	Direct     bool           `json:"direct,omitempty"` // addressed to this customer alone
	Body       string         `json:"body"`
	File       *fileView      `json:"file,omitempty"`
	CreatedAt  time.Time      `json:"created_at"`
	// Doc is Body parsed (core/markup), for the page to build its DOM
	// from; a file message has none.
	Doc markup.Doc `json:"doc,omitempty"`
	// Version is the number of the current text (more than 1: edited, at
	// EditedAt). A withdrawn message has neither text nor file.
	Version   int64      `json:"version,omitempty"`
	EditedAt  *time.Time `json:"edited_at,omitempty"`
	Withdrawn bool       `json:"withdrawn,omitempty"`
}

type participantView struct {
	Name string `json:"name"`
	Role string `json:"role"` // "customer" or "technician"
	You  bool   `json:"you,omitempty"`
}

type requestView struct {
	Number    int64          `json:"number"`
	Status    core.Status    `json:"status"`
	Chat      core.ChatState `json:"chat"`
	Subject   string         `json:"subject"`
	CreatedAt time.Time      `json:"created_at"`
	ClosedAt  *time.Time     `json:"closed_at,omitempty"`
	Company   companyView    `json:"company"`
	// Technician is the owner's name once they joined the chat.
	Technician   string            `json:"technician,omitempty"`
	Participants []participantView `json:"participants"`
	Left         bool              `json:"left"` // this customer left the chat
	// Screen is "asked" while a technician waits for an answer to their
	// ask to see the screen, "live" while a customer shares it;
	// ScreenMine says this customer is the one sharing.
	Screen     core.ScreenState `json:"screen,omitempty"`
	ScreenMine bool             `json:"screen_mine,omitempty"`
	// Recording is "asked" or "on": the customer always sees that a
	// recording is asked for or running.
	Recording core.RecordingState `json:"recording,omitempty"`
	// Call is "ringing" or "live"; CallMine says this customer answered.
	Call     core.CallState `json:"call,omitempty"`
	CallMine bool           `json:"call_mine,omitempty"`
	// Cobrowse and CobrowseMine are the same for co-browsing of the page
	// the widget sits on.
	Cobrowse     core.ScreenState `json:"cobrowse,omitempty"`
	CobrowseMine bool             `json:"cobrowse_mine,omitempty"`
}

// chatView is the answer of GET /api/widget/request and, with the token,
// of POST /api/widget/requests.
type chatView struct {
	Token    string        `json:"token,omitempty"`
	Request  requestView   `json:"request"`
	Messages []messageView `json:"messages"`
	LastRSeq int64         `json:"last_rseq"`
}

type eventView struct {
	Type      core.EventType `json:"type"`
	RSeq      int64          `json:"rseq"`
	ActorKind core.ActorKind `json:"actor_kind"`
	ActorName string         `json:"actor_name,omitempty"`
	Mine      bool           `json:"mine,omitempty"`
	Direct    bool           `json:"direct,omitempty"`
	Number    int64          `json:"number,omitempty"`
	Status    core.Status    `json:"status,omitempty"`
	MessageID string         `json:"message_id,omitempty"`
	Body      string         `json:"body,omitempty"`
	Doc       markup.Doc     `json:"doc,omitempty"`
	// Version is the message's text as the event shows it: more than 1,
	// edited. Withdrawn says the message was withdrawn: no text, no file.
	Version   int64     `json:"version,omitempty"`
	Withdrawn bool      `json:"withdrawn,omitempty"`
	File      *fileView `json:"file,omitempty"`
	// TechnicianName is who was invited to the chat or handed the request.
	TechnicianName string    `json:"technician_name,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

// imageExts are the extensions an iOS customer may send; the engine checks
// again on upload.
var imageExts = []string{".jpeg", ".jpg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp"}

func viewCompany(c core.Company, src core.Source) companyView {
	p := c.Policy()
	v := companyView{Name: c.Name, Slug: c.Slug, AllowedExts: p.AllowedExts, MaxFileBytes: p.MaxBytes}
	if src.IsIOS() {
		v.ImagesOnly = true
		v.AllowedExts = slices.DeleteFunc(v.AllowedExts, func(x string) bool { return !slices.Contains(imageExts, x) })
	}
	return v
}

func viewFile(f core.File) *fileView {
	return &fileView{ID: f.ID, Name: f.Name, Size: f.Size, ContentType: f.ContentType, Image: isImage(f)}
}

func viewMessage(m core.Message, f *core.File, viewer string) messageView {
	// The engine's customer view has stripped withdrawn texts already;
	// stripping again keeps this view safe whatever it is handed.
	m = m.ForCustomer()
	mine := m.AuthorKind == core.ActorCustomer && m.AuthorID == viewer
	v := messageView{ID: m.ID, RSeq: m.RSeq, AuthorKind: m.AuthorKind, AuthorName: shownName(m.AuthorKind, m.AuthorName, mine),
		Mine: mine, Direct: string(m.Audience) == viewer, Body: m.Body, CreatedAt: m.CreatedAt, Version: m.Version}
	if m.Edited() && !m.EditedAt.IsZero() {
		t := m.EditedAt
		v.EditedAt = &t
	}
	if m.Withdrawn() {
		v.Withdrawn = true
		return v
	}
	if f != nil {
		v.File = viewFile(*f)
	} else {
		v.Doc = markup.Parse(m.Body)
	}
	return v
}

// viewChat renders what the engine's customer view holds.
func viewChat(rv core.RequestView, co core.Company) chatView {
	viewer := ""
	if rv.Viewer != nil {
		viewer = rv.Viewer.ID
	}
	r := rv.Request
	v := chatView{Request: requestView{Number: r.Number, Status: r.Status, Chat: r.Chat, Subject: r.Subject,
		CreatedAt: r.CreatedAt, Company: viewCompany(co, r.Source), Participants: []participantView{}},
		Messages: []messageView{}, LastRSeq: r.Version}
	if !r.ClosedAt.IsZero() {
		t := r.ClosedAt
		v.Request.ClosedAt = &t
	}
	v.Request.Screen, v.Request.ScreenMine = r.Screen, r.Screen == core.ScreenLive && r.ScreenBy == viewer && viewer != ""
	v.Request.Recording = r.Recording
	v.Request.Call, v.Request.CallMine = r.Call, r.Call == core.CallLive && r.CallBy == viewer && viewer != ""
	v.Request.Cobrowse, v.Request.CobrowseMine = r.Cobrowse, r.Cobrowse == core.ScreenLive && r.CobrowseBy == viewer && viewer != ""
	if r.Chat != core.ChatWaiting && r.OwnerName != "" {
		v.Request.Technician = r.OwnerName
		v.Request.Participants = append(v.Request.Participants, participantView{Name: r.OwnerName, Role: "technician"})
	}
	for _, p := range rv.Participants {
		if !p.Active() && p.ID != viewer {
			continue
		}
		switch p.Role {
		case core.RoleCustomer:
			you := p.ID == viewer
			v.Request.Participants = append(v.Request.Participants, participantView{Name: shownName(core.ActorCustomer, p.Name, you), Role: "customer", You: you})
			if p.ID == viewer && !p.Active() {
				v.Request.Left = true
			}
		case core.RoleCollaborator:
			v.Request.Participants = append(v.Request.Participants, participantView{Name: p.Name, Role: "technician"})
		}
	}
	for _, m := range rv.Messages {
		var f *core.File
		if file, ok := rv.Files[m.FileID]; ok && m.FileID != "" {
			f = &file
		}
		v.Messages = append(v.Messages, viewMessage(m, f, viewer))
	}
	return v
}

func viewEvent(ev core.Event, viewer string) eventView {
	mine := ev.Actor.Kind == core.ActorCustomer && ev.Actor.ID == viewer
	v := eventView{Type: ev.Type, RSeq: ev.RSeq, ActorKind: ev.Actor.Kind, ActorName: shownName(ev.Actor.Kind, ev.Data.ActorName, mine),
		Mine: mine, Direct: string(ev.Audience) == viewer,
		Number: ev.Data.Number, Status: ev.Data.Status, MessageID: ev.Data.MessageID, Body: ev.Data.Body,
		TechnicianName: ev.Data.TechnicianName, CreatedAt: ev.CreatedAt, Version: ev.Data.Version}
	// The engine rewrites a customer's chat events as their lines read now;
	// a withdrawal, or a line withdrawn since, carries no text here either.
	if ev.Type == core.EventWithdrawn || ev.Data.Withdrawn {
		v.Withdrawn, v.Body = true, ""
		return v
	}
	if f := ev.Data.File; f != nil {
		v.File = viewFile(core.File{ID: f.ID, Name: f.Name, Size: f.Size, ContentType: f.ContentType})
	} else if ev.Type == core.EventMessage || ev.Type == core.EventEdited {
		v.Doc = markup.Parse(v.Body)
	}
	return v
}

// shownName is how a chat author is named to a customer. A customer who
// gave no name is named by their e-mail address in the engine; the other
// customers of a shared session must not learn it.
func shownName(kind core.ActorKind, name string, self bool) string {
	if kind == core.ActorCustomer && !self && strings.Contains(name, "@") {
		return "Customer"
	}
	return name
}

// isImage reports whether a file may be shown in the browser rather than
// downloaded. SVG is never one: it can carry script.
func isImage(f core.File) bool {
	ext := strings.ToLower(path.Ext(f.Name))
	return strings.HasPrefix(f.ContentType, "image/") && !strings.Contains(f.ContentType, "svg") && slices.Contains(imageExts, ext)
}
