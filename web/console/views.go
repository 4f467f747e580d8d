package console

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/markup"
)

// requestJSON is a request as the lists show it.
type requestJSON struct {
	ID            string         `json:"id"`
	Number        int64          `json:"number"`
	CompanyID     string         `json:"company_id"`
	Company       string         `json:"company"`
	Status        core.Status    `json:"status"`
	Chat          core.ChatState `json:"chat"`
	OwnerID       string         `json:"owner_id"`
	Owner         string         `json:"owner"`
	CustomerEmail string         `json:"customer_email"`
	CustomerName  string         `json:"customer_name"`
	Subject       string         `json:"subject"`
	CreatedAt     time.Time      `json:"created_at"`
	UpdatedAt     time.Time      `json:"updated_at"`
	ClosedAt      *time.Time     `json:"closed_at,omitempty"`
	// Screen is "asked" or "live" while the customer is asked to share
	// their screen or shares it.
	Screen core.ScreenState `json:"screen,omitempty"`
	// Recording is "asked" or "on" while the share's recording is asked
	// for or running.
	Recording core.RecordingState `json:"recording,omitempty"`
	// Call is "ringing" or "live" while the request has a call.
	Call core.CallState `json:"call,omitempty"`
	// Cobrowse is "asked" or "live" while the customer is asked to show
	// the page they are on, or shows it.
	Cobrowse core.ScreenState `json:"cobrowse,omitempty"`
}

// rowJSON is a request as a list shows it: beside the request, the
// viewer's part in it (owner, collaborator or ""), its last chat line,
// whether its customers left, how many of the customer's lines the viewer
// has not read, and what the viewer may do with it now.
type rowJSON struct {
	requestJSON
	Role              string   `json:"role"`
	Preview           string   `json:"preview"`
	PreviewAuthorKind string   `json:"preview_author_kind"`
	CustomerLeft      bool     `json:"customer_left"`
	Unread            int      `json:"unread"`
	Actions           []string `json:"actions"`
}

func toRowJSON(r core.QueueRow) rowJSON {
	return rowJSON{requestJSON: toRequestJSON(r.Request), Role: r.Part, Preview: r.Preview,
		PreviewAuthorKind: string(r.PreviewAuthor), CustomerLeft: r.CustomerLeft, Unread: r.Unread, Actions: actionNames(r.Actions)}
}

func toRequestJSON(r core.Request) requestJSON {
	out := requestJSON{ID: r.ID, Number: r.Number, CompanyID: r.CompanyID, Company: r.CompanyName, Status: r.Status,
		Chat: r.Chat, OwnerID: r.OwnerID, Owner: r.OwnerName, CustomerEmail: r.CustomerEmail, CustomerName: r.CustomerName,
		Subject: r.Subject, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Screen: r.Screen, Recording: r.Recording,
		Cobrowse: r.Cobrowse, Call: r.Call}
	if !r.ClosedAt.IsZero() {
		t := r.ClosedAt
		out.ClosedAt = &t
	}
	return out
}

// sourceJSON is the seed manual's source information: what relaydesk saw
// itself and, once the customer shared it, what their browser reported.
type sourceJSON struct {
	Channel  string          `json:"channel"`
	IP       string          `json:"ip"`
	Device   string          `json:"device"`
	OS       string          `json:"os"`
	Browser  string          `json:"browser"`
	Language string          `json:"language"`
	Reported *systemInfoJSON `json:"reported,omitempty"`
	// Asked is set while a request for the system information waits for
	// the customer's answer.
	Asked bool `json:"asked,omitempty"`
}

// systemInfoJSON is what a customer's browser reported of itself.
type systemInfoJSON struct {
	Device   string `json:"device"`
	OS       string `json:"os"`
	Browser  string `json:"browser"`
	Language string `json:"language"`
}

func toSourceJSON(r core.Request) sourceJSON {
	s := r.Source
	out := sourceJSON{Channel: s.Channel, IP: s.IP, Device: s.Device, OS: s.OS, Browser: s.Browser, Language: s.Language,
		Asked: r.SystemInfoAsked}
	if rep := s.Reported; !rep.IsZero() {
		out.Reported = &systemInfoJSON{Device: rep.Device, OS: rep.OS, Browser: rep.Browser, Language: rep.Language}
	}
	return out
}

// personJSON is a participant of a request.
type personJSON struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Role    string `json:"role"`
	Primary bool   `json:"primary,omitempty"`
	Active  bool   `json:"active"`
}

// fileJSON is a file in the chat.
type fileJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	URL         string `json:"url"`
	Image       bool   `json:"image"`
}

// lineJSON is one line of a request's timeline: a chat message, a private
// note, a file, or a notice of what happened ("Alice joined the chat").
type lineJSON struct {
	// ID is the message's, for a chat line: the edit, withdraw and
	// versions routes name it.
	ID         string    `json:"id,omitempty"`
	RSeq       int64     `json:"rseq"`
	Kind       string    `json:"kind"` // message, note, file, notice
	Event      string    `json:"event,omitempty"`
	AuthorKind string    `json:"author_kind,omitempty"`
	Author     string    `json:"author,omitempty"`
	Mine       bool      `json:"mine,omitempty"`
	To         string    `json:"to,omitempty"` // the one customer it was addressed to
	Body       string    `json:"body"`
	File       *fileJSON `json:"file,omitempty"`
	At         time.Time `json:"at"`
	// Deliveries is where a message the customers see stands towards each
	// platform showing the request.
	Deliveries []deliveryJSON `json:"deliveries,omitempty"`
	// Doc is Body parsed (core/markup), for the page to build its DOM
	// from: messages and notes have one, files and notices none.
	Doc markup.Doc `json:"doc,omitempty"`
	marks
}

// marks say what became of a message since it was written: technicians
// keep a withdrawn message's text, marked, and may read its versions.
type marks struct {
	// Version is the number of the current text; more than 1: edited.
	Version  int64      `json:"version,omitempty"`
	EditedAt *time.Time `json:"edited_at,omitempty"`
	// WithdrawnAt and WithdrawnBy (a name: only the author withdraws) are
	// set for a withdrawn message.
	WithdrawnAt *time.Time `json:"withdrawn_at,omitempty"`
	WithdrawnBy string     `json:"withdrawn_by,omitempty"`
}

func marksOf(m core.Message) marks {
	mk := marks{Version: m.Version}
	if m.Edited() && !m.EditedAt.IsZero() {
		t := m.EditedAt
		mk.EditedAt = &t
	}
	if m.Withdrawn() {
		t := m.WithdrawnAt
		mk.WithdrawnAt, mk.WithdrawnBy = &t, m.AuthorName
	}
	return mk
}

// deliveryJSON is one message's delivery state towards one platform.
type deliveryJSON struct {
	Destination string `json:"destination"`
	State       string `json:"state"` // queued, sent, retrying, failed
	Reason      string `json:"reason,omitempty"`
}

// detailJSON is the Details panel: the request, what the viewer may do with
// it now, the people in it and its timeline.
type detailJSON struct {
	Request     requestJSON  `json:"request"`
	ClosingNote string       `json:"closing_note,omitempty"`
	Source      sourceJSON   `json:"source"`
	Actions     []string     `json:"actions"`
	CanMessage  bool         `json:"can_message"`
	CanNote     bool         `json:"can_note"`
	Customers   []personJSON `json:"customers"`
	Technicians []personJSON `json:"technicians"`
	Timeline    []lineJSON   `json:"timeline"`
	Version     int64        `json:"version"`
	// ReadRSeq is the viewer's read mark: the rseq of the last line they
	// were shown (POST .../read), 0 for none. Loading the details does not
	// move it.
	ReadRSeq int64 `json:"read_rseq"`
}

// actionNames are the engine's actions as the API names them; never null.
func actionNames(as []core.Action) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = string(a)
	}
	return out
}

// detail builds the Details panel of a request for v.
func (h *Handler) detail(ctx context.Context, v *visitor, id string) (detailJSON, error) {
	rv, err := h.eng.ViewRequest(ctx, v.actor, id)
	if err != nil {
		return detailJSON{}, err
	}
	r := rv.Request
	d := detailJSON{Request: toRequestJSON(r), ClosingNote: r.ClosingNote, Version: r.Version, ReadRSeq: rv.ReadRSeq,
		Source:  toSourceJSON(r),
		Actions: actionNames(rv.Actions), CanNote: true, Customers: []personJSON{}, Technicians: []personJSON{}}
	names := map[string]string{}
	collaborator := false
	for _, p := range rv.Participants {
		names[p.ID] = p.Name
		pj := personJSON{ID: p.ID, Name: p.Name, Role: string(p.Role), Primary: p.Primary, Active: p.Active()}
		if p.Role == core.RoleCustomer {
			d.Customers = append(d.Customers, pj)
		} else {
			d.Technicians = append(d.Technicians, pj)
			if p.Role == core.RoleCollaborator && p.SubjectID == v.tech.ID && p.Active() {
				collaborator = true
			}
		}
	}
	d.CanMessage = r.Status == core.StatusActive && r.Chat == core.ChatLive && (r.OwnerID == v.tech.ID || collaborator)

	for _, m := range rv.Messages {
		l := lineJSON{ID: m.ID, RSeq: m.RSeq, Kind: "message", AuthorKind: string(m.AuthorKind), Author: m.AuthorName,
			Mine: m.AuthorKind == core.ActorTechnician && m.AuthorID == v.tech.ID, Body: m.Body, At: m.CreatedAt, marks: marksOf(m)}
		switch m.Audience {
		case core.AudienceTechnicians:
			l.Kind = "note"
		case core.AudienceAll:
		default:
			l.To = names[string(m.Audience)]
			if l.To == "" {
				l.To = "one customer"
			}
		}
		for _, dl := range rv.Deliveries[m.ID] {
			l.Deliveries = append(l.Deliveries, deliveryJSON{Destination: dl.Destination, State: string(dl.State), Reason: dl.Reason})
		}
		if f, ok := rv.Files[m.FileID]; ok && m.FileID != "" {
			l.Kind = "file"
			l.File = &fileJSON{ID: f.ID, Name: f.Name, ContentType: f.ContentType, Size: f.Size,
				URL: "/console/api/files/" + f.ID, Image: isImage(f.ContentType)}
		} else {
			l.Doc = markup.Parse(m.Body)
		}
		d.Timeline = append(d.Timeline, l)
	}
	// The notices come from the request's events; its chat lines are the
	// messages above.
	var after int64
	for {
		evs, err := h.eng.Events(ctx, v.actor, r.ID, after, 500)
		if err != nil {
			return detailJSON{}, err
		}
		for _, ev := range evs {
			if text := notice(ev); text != "" {
				d.Timeline = append(d.Timeline, lineJSON{RSeq: ev.RSeq, Kind: "notice", Event: string(ev.Type),
					Author: ev.Data.ActorName, Body: text, At: ev.CreatedAt})
			}
			after = ev.RSeq
		}
		if len(evs) < 500 {
			break
		}
	}
	slices.SortStableFunc(d.Timeline, func(a, b lineJSON) int {
		switch {
		case a.RSeq < b.RSeq:
			return -1
		case a.RSeq > b.RSeq:
			return 1
		}
		return 0
	})
	if d.Timeline == nil {
		d.Timeline = []lineJSON{}
	}
	return d, nil
}

// notice is the timeline text of an event that is not a chat line.
func notice(ev core.Event) string {
	d := ev.Data
	who := d.ActorName
	if who == "" {
		who = "Someone"
	}
	switch ev.Type {
	case core.EventCreated:
		if ev.Actor.Kind == core.ActorTechnician {
			return who + " started this session"
		}
		return who + " opened the request"
	case core.EventAssigned:
		return who + " assigned the request to themself"
	case core.EventUnassigned:
		return who + " unassigned the request; it is back in New"
	case core.EventTransferred:
		return who + " transferred the request to " + d.TechnicianName
	case core.EventClosed:
		if d.Note != "" {
			return who + " closed the request. Closing note: " + d.Note
		}
		return who + " closed the request"
	case core.EventJoined:
		return who + " joined the chat"
	case core.EventEnded:
		return who + " ended the chat"
	case core.EventInvited:
		return who + " invited " + d.TechnicianName + " to the chat"
	case core.EventCustomerJoined:
		return who + " joined the chat (customer)"
	case core.EventCustomerLeft, core.EventTechnicianLeft:
		return who + " left the chat"
	case core.EventScreenShareAsked:
		return who + " asked the customer to share their screen"
	case core.EventScreenStarted:
		return who + " shares their screen" + screenDetails(d.Screen)
	case core.EventScreenDeclined:
		return who + " declined to share their screen"
	case core.EventScreenStopped:
		return endedLine(d.Note, "Screen sharing ended", who+" stopped screen sharing")
	case core.EventScreenViewed:
		return who + " watched the shared screen"
	case core.EventCallStarted:
		return who + " started a call: the customer's line is ringing"
	case core.EventCallAnswered:
		return who + " answered the call"
	case core.EventCallDeclined:
		return who + " declined the call"
	case core.EventCallEnded:
		return endedLine(d.Note, "The call ended", who+" ended the call")
	case core.EventRecordingAsked:
		return who + " asked the customer to allow recording the screen share"
	case core.EventRecordingAllowed:
		return who + " allowed the recording: it is on"
	case core.EventRecordingDeclined:
		return who + " declined the recording"
	case core.EventRecordingStopped:
		return endedLine(d.Note, "Recording stopped", who+" stopped the recording")
	case core.EventCobrowseAsked:
		return who + " asked the customer to show the page they are on (co-browsing)"
	case core.EventCobrowseStarted:
		return who + " shows the page they are on: co-browsing is live"
	case core.EventCobrowseDeclined:
		return who + " declined co-browsing"
	case core.EventCobrowseStopped:
		return endedLine(d.Note, "Co-browsing ended", who+" stopped co-browsing")
	case core.EventSystemInfoAsked:
		return who + " asked the customer for system information"
	case core.EventSystemInfoGiven:
		return who + " shared system information"
	}
	return ""
}

// endedLine is the line of a live session's end: why it ended, when the
// engine gave a reason (the chat ended, the request was handed over), or
// else who ended it.
func endedLine(reason, ended, byWhom string) string {
	if reason != "" {
		return ended + ": " + reason
	}
	return byWhom
}

// screenDetails says what the customer's browser told of the shared
// screen: " (1920×1080 at 1.25×, Chrome 131 on Windows 11)".
func screenDetails(s *core.ScreenInfo) string {
	if s == nil {
		return ""
	}
	var parts []string
	if s.Width > 0 && s.Height > 0 {
		size := fmt.Sprintf("%d×%d", s.Width, s.Height)
		if s.DPR > 0 && s.DPR != 1 {
			size += fmt.Sprintf(" at %g×", s.DPR)
		}
		parts = append(parts, size)
	}
	switch {
	case s.Browser != "" && s.OS != "":
		parts = append(parts, s.Browser+" on "+s.OS)
	case s.Browser != "" || s.OS != "":
		parts = append(parts, s.Browser+s.OS)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func isImage(ctype string) bool {
	switch ctype {
	case "image/jpeg", "image/png", "image/gif", "image/bmp", "image/webp", "image/tiff":
		return true
	}
	return false
}
