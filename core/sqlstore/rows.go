package sqlstore

import (
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/core"
)

// Timestamps are stored as Unix microseconds; 0 is the zero time.
func us(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromUS(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.UnixMicro(n).UTC()
}

type companyRow struct {
	ID           string `db:"id"`
	Name         string `db:"name"`
	Slug         string `db:"slug"`
	PortalKey    string `db:"portal_key"`
	AllowedExts  string `db:"allowed_exts"`
	MaxFileBytes int64  `db:"max_file_bytes"`
	CreatedAt    int64  `db:"created_at"`
}

const companyCols = `id, name, slug, portal_key, allowed_exts, max_file_bytes, created_at`

func (r companyRow) core() core.Company {
	c := core.Company{ID: r.ID, Name: r.Name, Slug: r.Slug, PortalKey: r.PortalKey,
		MaxFileBytes: r.MaxFileBytes, CreatedAt: fromUS(r.CreatedAt)}
	if r.AllowedExts != "" {
		c.AllowedExts = strings.Split(r.AllowedExts, " ")
	}
	return c
}

type technicianRow struct {
	ID           string `db:"id"`
	Email        string `db:"email"`
	Name         string `db:"name"`
	Role         string `db:"role"`
	Availability string `db:"availability"`
	PasswordHash string `db:"password_hash"`
	SignInReset  int64  `db:"signin_reset_at"`
	CreatedAt    int64  `db:"created_at"`
}

const technicianCols = `id, email, name, role, availability, password_hash, signin_reset_at, created_at`

func (r technicianRow) core() core.Technician {
	return core.Technician{ID: r.ID, Email: r.Email, Name: r.Name, Role: core.Role(r.Role),
		Availability: core.Availability(r.Availability), PasswordHash: r.PasswordHash,
		SignInResetAt: fromUS(r.SignInReset), CreatedAt: fromUS(r.CreatedAt)}
}

type requestRow struct {
	ID            string `db:"id"`
	CompanyID     string `db:"company_id"`
	CompanyName   string `db:"company_name"`
	Number        int64  `db:"number"`
	Status        string `db:"status"`
	Chat          string `db:"chat"`
	OwnerID       string `db:"owner_id"`
	OwnerName     string `db:"owner_name"`
	CustomerID    string `db:"customer_id"`
	CustomerEmail string `db:"customer_email"`
	CustomerName  string `db:"customer_name"`
	Subject       string `db:"subject"`
	SrcChannel    string `db:"src_channel"`
	SrcIP         string `db:"src_ip"`
	SrcDevice     string `db:"src_device"`
	SrcOS         string `db:"src_os"`
	SrcBrowser    string `db:"src_browser"`
	SrcLanguage   string `db:"src_language"`
	RepDevice     string `db:"rep_device"`
	RepOS         string `db:"rep_os"`
	RepBrowser    string `db:"rep_browser"`
	RepLanguage   string `db:"rep_language"`
	SysinfoAsked  int    `db:"sysinfo_asked"`
	ClosingNote   string `db:"closing_note"`
	InviteHash    string `db:"invite_hash"`
	CreatedAt     int64  `db:"created_at"`
	UpdatedAt     int64  `db:"updated_at"`
	ClosedAt      int64  `db:"closed_at"`
	Version       int64  `db:"version"`
}

const requestCols = `id, company_id, company_name, number, status, chat, owner_id, owner_name,
	customer_id, customer_email, customer_name, subject, src_channel, src_ip, src_device, src_os,
	src_browser, src_language, rep_device, rep_os, rep_browser, rep_language, sysinfo_asked,
	closing_note, invite_hash, created_at, updated_at, closed_at, version`

func toRequestRow(r core.Request) requestRow {
	rep := r.Source.Reported
	row := requestRow{ID: r.ID, CompanyID: r.CompanyID, CompanyName: r.CompanyName, Number: r.Number,
		Status: string(r.Status), Chat: string(r.Chat), OwnerID: r.OwnerID, OwnerName: r.OwnerName,
		CustomerID: r.CustomerID, CustomerEmail: r.CustomerEmail, CustomerName: r.CustomerName, Subject: r.Subject,
		SrcChannel: r.Source.Channel, SrcIP: r.Source.IP, SrcDevice: r.Source.Device, SrcOS: r.Source.OS,
		SrcBrowser: r.Source.Browser, SrcLanguage: r.Source.Language,
		RepDevice: rep.Device, RepOS: rep.OS, RepBrowser: rep.Browser, RepLanguage: rep.Language,
		ClosingNote: r.ClosingNote, InviteHash: r.InviteHash, CreatedAt: us(r.CreatedAt), UpdatedAt: us(r.UpdatedAt),
		ClosedAt: us(r.ClosedAt), Version: r.Version}
	if r.SystemInfoAsked {
		row.SysinfoAsked = 1
	}
	return row
}

func (r requestRow) core() core.Request {
	return core.Request{ID: r.ID, CompanyID: r.CompanyID, CompanyName: r.CompanyName, Number: r.Number,
		Status: core.Status(r.Status), Chat: core.ChatState(r.Chat), OwnerID: r.OwnerID, OwnerName: r.OwnerName,
		CustomerID: r.CustomerID, CustomerEmail: r.CustomerEmail, CustomerName: r.CustomerName, Subject: r.Subject,
		Source: core.Source{Channel: r.SrcChannel, IP: r.SrcIP, Device: r.SrcDevice, OS: r.SrcOS,
			Browser: r.SrcBrowser, Language: r.SrcLanguage, Reported: core.SystemInfo{Device: r.RepDevice,
				OS: r.RepOS, Browser: r.RepBrowser, Language: r.RepLanguage}},
		SystemInfoAsked: r.SysinfoAsked != 0,
		ClosingNote:     r.ClosingNote, InviteHash: r.InviteHash, CreatedAt: fromUS(r.CreatedAt),
		UpdatedAt: fromUS(r.UpdatedAt), ClosedAt: fromUS(r.ClosedAt), Version: r.Version}
}

type participantRow struct {
	ID        string `db:"id"`
	RequestID string `db:"request_id"`
	Role      string `db:"role"`
	SubjectID string `db:"subject_id"`
	Name      string `db:"name"`
	Primary   int    `db:"is_primary"`
	TokenHash string `db:"token_hash"`
	JoinedAt  int64  `db:"joined_at"`
	LeftAt    int64  `db:"left_at"`
}

const participantCols = `id, request_id, role, subject_id, name, is_primary, token_hash, joined_at, left_at`

func toParticipantRow(p core.Participant) participantRow {
	r := participantRow{ID: p.ID, RequestID: p.RequestID, Role: string(p.Role), SubjectID: p.SubjectID, Name: p.Name,
		TokenHash: p.TokenHash, JoinedAt: us(p.JoinedAt), LeftAt: us(p.LeftAt)}
	if p.Primary {
		r.Primary = 1
	}
	return r
}

func (r participantRow) core() core.Participant {
	return core.Participant{ID: r.ID, RequestID: r.RequestID, Role: core.ParticipantRole(r.Role), SubjectID: r.SubjectID,
		Name: r.Name, Primary: r.Primary != 0, TokenHash: r.TokenHash, JoinedAt: fromUS(r.JoinedAt), LeftAt: fromUS(r.LeftAt)}
}

type messageRow struct {
	ID         string `db:"id"`
	RequestID  string `db:"request_id"`
	RSeq       int64  `db:"rseq"`
	AuthorKind string `db:"author_kind"`
	AuthorID   string `db:"author_id"`
	AuthorName string `db:"author_name"`
	Audience   string `db:"audience"`
	Body       string `db:"body"`
	FileID     string `db:"file_id"`
	CreatedAt  int64  `db:"created_at"`
}

const messageCols = `id, request_id, rseq, author_kind, author_id, author_name, audience, body, file_id, created_at`

func (r messageRow) core() core.Message {
	return core.Message{ID: r.ID, RequestID: r.RequestID, RSeq: r.RSeq, AuthorKind: core.ActorKind(r.AuthorKind),
		AuthorID: r.AuthorID, AuthorName: r.AuthorName, Audience: core.Audience(r.Audience), Body: r.Body,
		FileID: r.FileID, CreatedAt: fromUS(r.CreatedAt)}
}

type fileRow struct {
	ID           string `db:"id"`
	RequestID    string `db:"request_id"`
	Name         string `db:"name"`
	ContentType  string `db:"content_type"`
	Size         int64  `db:"size"`
	SHA256       string `db:"sha256"`
	UploaderKind string `db:"uploader_kind"`
	UploaderID   string `db:"uploader_id"`
	CreatedAt    int64  `db:"created_at"`
}

const fileCols = `id, request_id, name, content_type, size, sha256, uploader_kind, uploader_id, created_at`

func (r fileRow) core() core.File {
	return core.File{ID: r.ID, RequestID: r.RequestID, Name: r.Name, ContentType: r.ContentType, Size: r.Size,
		SHA256: r.SHA256, UploaderKind: core.ActorKind(r.UploaderKind), UploaderID: r.UploaderID, CreatedAt: fromUS(r.CreatedAt)}
}

type eventRow struct {
	Seq       int64  `db:"seq"`
	TxID      int64  `db:"txid"`
	RequestID string `db:"request_id"`
	CompanyID string `db:"company_id"`
	RSeq      int64  `db:"rseq"`
	Type      string `db:"type"`
	ActorKind string `db:"actor_kind"`
	ActorID   string `db:"actor_id"`
	Audience  string `db:"audience"`
	Data      string `db:"data"`
	CreatedAt int64  `db:"created_at"`
}

const eventCols = `seq, txid, request_id, company_id, rseq, type, actor_kind, actor_id, audience, data, created_at`
