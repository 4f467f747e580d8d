// Participants are here too: they exist only within a request.

package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/relaydesk/relaydesk/core"
)

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
	Screen        string `db:"screen"`
	ScreenBy      string `db:"screen_by"`
	Recording     string `db:"recording"`
	Call          string `db:"call_state"`
	CallBy        string `db:"call_by"`
	Cobrowse      string `db:"cobrowse"`
	CobrowseBy    string `db:"cobrowse_by"`
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
	screen, screen_by, recording, call_state, call_by, cobrowse, cobrowse_by, closing_note, invite_hash, created_at, updated_at, closed_at, version`

func toRequestRow(r core.Request) requestRow {
	rep := r.Source.Reported
	row := requestRow{ID: r.ID, CompanyID: r.CompanyID, CompanyName: r.CompanyName, Number: r.Number,
		Status: string(r.Status), Chat: string(r.Chat), OwnerID: r.OwnerID, OwnerName: r.OwnerName,
		CustomerID: r.CustomerID, CustomerEmail: r.CustomerEmail, CustomerName: r.CustomerName, Subject: r.Subject,
		SrcChannel: r.Source.Channel, SrcIP: r.Source.IP, SrcDevice: r.Source.Device, SrcOS: r.Source.OS,
		SrcBrowser: r.Source.Browser, SrcLanguage: r.Source.Language,
		RepDevice: rep.Device, RepOS: rep.OS, RepBrowser: rep.Browser, RepLanguage: rep.Language,
		Screen: string(r.Screen), ScreenBy: r.ScreenBy, Recording: string(r.Recording), Call: string(r.Call), CallBy: r.CallBy,
		Cobrowse: string(r.Cobrowse), CobrowseBy: r.CobrowseBy, ClosingNote: r.ClosingNote, InviteHash: r.InviteHash, CreatedAt: us(r.CreatedAt), UpdatedAt: us(r.UpdatedAt),
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
		SystemInfoAsked: r.SysinfoAsked != 0, Screen: core.ScreenState(r.Screen), ScreenBy: r.ScreenBy,
		Recording: core.RecordingState(r.Recording), Call: core.CallState(r.Call), CallBy: r.CallBy, Cobrowse: core.ScreenState(r.Cobrowse), CobrowseBy: r.CobrowseBy,
		ClosingNote: r.ClosingNote, InviteHash: r.InviteHash, CreatedAt: fromUS(r.CreatedAt),
		UpdatedAt: fromUS(r.UpdatedAt), ClosedAt: fromUS(r.ClosedAt), Version: r.Version}
}

// request loads a request; inside a transaction it also locks the row until
// commit. Being the transaction's first lock, it also orders the log: the
// transaction that takes it first gets the lower transaction ID.
func (q queries) request(ctx context.Context, where string, args ...any) (core.Request, error) {
	var r requestRow
	lock := ""
	if q.tx {
		lock = q.d.forUpdate
	}
	err := q.get(ctx, &r, "request", `SELECT `+requestCols+` FROM requests WHERE `+where+lock, args...)
	return r.core(), err
}

func (q queries) Request(ctx context.Context, id string) (core.Request, error) {
	return q.request(ctx, `id = ?`, id)
}

func (q queries) RequestByNumber(ctx context.Context, companyID string, number int64) (core.Request, error) {
	return q.request(ctx, `company_id = ? AND number = ?`, companyID, number)
}

func (q queries) RequestByInvite(ctx context.Context, hash string) (core.Request, error) {
	return q.request(ctx, `invite_hash = ? AND invite_hash <> ''`, hash)
}

// techRequestCols selects a technician's columns beside a request's, as
// "t.column" for sqlx to fill the nested struct.
var techRequestCols = func() string {
	var b strings.Builder
	for _, c := range strings.Split(technicianCols, ",") {
		c = strings.TrimSpace(c)
		fmt.Fprintf(&b, `, technicians.%s AS "t.%s"`, c, c)
	}
	return b.String()
}()

func (q queries) TechnicianRequest(ctx context.Context, technicianID, requestID string) (core.Technician, core.Request, bool, error) {
	var row struct {
		requestRow
		T      technicianRow `db:"t"`
		Access bool          `db:"access"`
	}
	lock := ""
	if q.tx {
		lock = q.d.forUpdate
	}
	err := q.get(ctx, &row, "request", `SELECT `+qualified("requests", requestCols)+techRequestCols+`,
		EXISTS (SELECT 1 FROM access WHERE access.technician_id = technicians.id AND access.company_id = requests.company_id) AS access
		FROM requests CROSS JOIN technicians WHERE requests.id = ? AND technicians.id = ?`+lock, requestID, technicianID)
	return row.T.core(), row.requestRow.core(), row.Access, err
}

// qualified prefixes each column of a list with its table.
func qualified(table, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = table + "." + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

func (t *txn) NextRequestNumber(ctx context.Context, companyID string) (int64, error) {
	var n int64
	err := t.get(ctx, &n, "company", `UPDATE companies SET next_number = next_number + 1 WHERE id = ? RETURNING next_number`, companyID)
	return n, err
}

func (t *txn) InsertRequest(ctx context.Context, r core.Request) error {
	w := toRequestRow(r)
	_, err := t.exec(ctx, "create request", `INSERT INTO requests (`+requestCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		w.ID, w.CompanyID, w.CompanyName, w.Number, w.Status, w.Chat, w.OwnerID, w.OwnerName,
		w.CustomerID, w.CustomerEmail, w.CustomerName, w.Subject, w.SrcChannel, w.SrcIP, w.SrcDevice, w.SrcOS,
		w.SrcBrowser, w.SrcLanguage, w.RepDevice, w.RepOS, w.RepBrowser, w.RepLanguage, w.SysinfoAsked, w.Screen, w.ScreenBy, w.Recording, w.Call, w.CallBy, w.Cobrowse, w.CobrowseBy,
		w.ClosingNote, w.InviteHash, w.CreatedAt, w.UpdatedAt, w.ClosedAt, w.Version)
	return err
}

func (t *txn) UpdateRequest(ctx context.Context, r core.Request, prev int64) error {
	row := toRequestRow(r)
	n, err := t.exec(ctx, "update request", `UPDATE requests SET status = ?, chat = ?, owner_id = ?, owner_name = ?,
		customer_id = ?, customer_email = ?, customer_name = ?, subject = ?, src_channel = ?, src_ip = ?,
		src_device = ?, src_os = ?, src_browser = ?, src_language = ?, rep_device = ?, rep_os = ?,
		rep_browser = ?, rep_language = ?, sysinfo_asked = ?, screen = ?, screen_by = ?, recording = ?, call_state = ?, call_by = ?,
		cobrowse = ?, cobrowse_by = ?, closing_note = ?,
		invite_hash = ?, updated_at = ?, closed_at = ?, version = ? WHERE id = ? AND version = ?`,
		row.Status, row.Chat, row.OwnerID, row.OwnerName, row.CustomerID, row.CustomerEmail, row.CustomerName,
		row.Subject, row.SrcChannel, row.SrcIP, row.SrcDevice, row.SrcOS, row.SrcBrowser, row.SrcLanguage,
		row.RepDevice, row.RepOS, row.RepBrowser, row.RepLanguage, row.SysinfoAsked, row.Screen, row.ScreenBy, row.Recording, row.Call, row.CallBy, row.Cobrowse, row.CobrowseBy,
		row.ClosingNote, row.InviteHash, row.UpdatedAt, row.ClosedAt, row.Version, row.ID, prev)
	if err != nil {
		return err
	}
	if n != 1 {
		return core.ErrStale
	}
	return nil
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

func (q queries) participants(ctx context.Context, where string, args ...any) ([]core.Participant, error) {
	var rows []participantRow
	if err := q.sel(ctx, &rows, "participants", `SELECT `+participantCols+` FROM participants WHERE `+where+` ORDER BY joined_at, id`, args...); err != nil {
		return nil, err
	}
	out := make([]core.Participant, len(rows))
	for i, r := range rows {
		out[i] = r.core()
	}
	return out, nil
}

func (q queries) Participants(ctx context.Context, requestID string) ([]core.Participant, error) {
	return q.participants(ctx, `request_id = ?`, requestID)
}

func (q queries) Participant(ctx context.Context, id string) (core.Participant, error) {
	var r participantRow
	err := q.get(ctx, &r, "participant", `SELECT `+participantCols+` FROM participants WHERE id = ?`, id)
	return r.core(), err
}

func (q queries) ParticipantByToken(ctx context.Context, hash string) (core.Participant, error) {
	var r participantRow
	err := q.get(ctx, &r, "participant", `SELECT `+participantCols+` FROM participants WHERE token_hash = ? AND token_hash <> ''`, hash)
	return r.core(), err
}

// LatestParticipation returns the customer participant of the request the
// customer joined last (the participants_subject index of migration 0004).
func (q queries) LatestParticipation(ctx context.Context, customerID string) (core.Participant, error) {
	var r participantRow
	err := q.get(ctx, &r, "participant", `SELECT `+participantCols+` FROM participants
		WHERE subject_id = ? AND role = 'customer' ORDER BY joined_at DESC, id DESC LIMIT 1`, customerID)
	return r.core(), err
}

func (t *txn) InsertParticipant(ctx context.Context, p core.Participant) error {
	r := toParticipantRow(p)
	_, err := t.exec(ctx, "add participant", `INSERT INTO participants (`+participantCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.RequestID, r.Role, r.SubjectID, r.Name, r.Primary, r.TokenHash, r.JoinedAt, r.LeftAt)
	return err
}

func (t *txn) UpdateParticipant(ctx context.Context, p core.Participant) error {
	r := toParticipantRow(p)
	n, err := t.exec(ctx, "update participant", `UPDATE participants SET role = ?, name = ?, is_primary = ?, left_at = ?
		WHERE id = ?`, r.Role, r.Name, r.Primary, r.LeftAt, r.ID)
	return one(n, err, "participant")
}

func (t *txn) SetParticipantToken(ctx context.Context, participantID, tokenHash string) error {
	n, err := t.exec(ctx, "set a participant's token", `UPDATE participants SET token_hash = ? WHERE id = ?`, tokenHash, participantID)
	return one(n, err, "participant")
}

// RequestCounts is how many requests are in each status, for metrics.
func (s *Store) RequestCounts(ctx context.Context) (map[core.Status]int, error) {
	var rows []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT status, COUNT(*) AS n FROM requests GROUP BY status`); err != nil {
		return nil, fmt.Errorf("count requests: %w", err)
	}
	out := map[core.Status]int{}
	for _, r := range rows {
		out[core.Status(r.Status)] = r.N
	}
	return out, nil
}
