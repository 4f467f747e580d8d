package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/hub"
)

func (t *txn) InsertCompany(ctx context.Context, c core.Company) error {
	_, err := t.exec(ctx, "create company", `INSERT INTO companies (`+companyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Name, c.Slug, c.PortalKey, strings.Join(c.AllowedExts, " "), c.MaxFileBytes, us(c.CreatedAt))
	return err
}

func (t *txn) UpdateCompany(ctx context.Context, c core.Company) error {
	n, err := t.exec(ctx, "update company", `UPDATE companies SET name = ?, slug = ?, portal_key = ?, allowed_exts = ?,
		max_file_bytes = ? WHERE id = ?`, c.Name, c.Slug, c.PortalKey, strings.Join(c.AllowedExts, " "), c.MaxFileBytes, c.ID)
	return one(n, err, "company")
}

func (t *txn) InsertTechnician(ctx context.Context, x core.Technician) error {
	_, err := t.exec(ctx, "create technician", `INSERT INTO technicians (`+technicianCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		x.ID, strings.ToLower(x.Email), x.Name, x.Role, x.Availability, x.PasswordHash, us(x.SignInResetAt), us(x.CreatedAt))
	return err
}

func (t *txn) UpdateTechnician(ctx context.Context, x core.Technician) error {
	n, err := t.exec(ctx, "update technician", `UPDATE technicians SET email = ?, name = ?, role = ?, availability = ?,
		password_hash = ?, signin_reset_at = ? WHERE id = ?`, strings.ToLower(x.Email), x.Name, x.Role, x.Availability,
		x.PasswordHash, us(x.SignInResetAt), x.ID)
	if err == nil {
		t.touch(hub.Technician(x.ID)) // the role decides what they see
	}
	return one(n, err, "technician")
}

func (t *txn) GrantAccess(ctx context.Context, technicianID, companyID string) error {
	_, err := t.exec(ctx, "grant access", `INSERT INTO access (technician_id, company_id) VALUES (?, ?)
		ON CONFLICT (technician_id, company_id) DO NOTHING`, technicianID, companyID)
	if err == nil {
		t.touch(hub.Technician(technicianID))
	}
	return err
}

func (t *txn) RevokeAccess(ctx context.Context, technicianID, companyID string) error {
	_, err := t.exec(ctx, "revoke access", `DELETE FROM access WHERE technician_id = ? AND company_id = ?`, technicianID, companyID)
	if err == nil {
		t.touch(hub.Technician(technicianID))
	}
	return err
}

func (t *txn) LinkIdentity(ctx context.Context, id core.Identity) error {
	_, err := t.exec(ctx, "link account", `INSERT INTO identities (platform, external_id, subject_kind, subject_id)
		VALUES (?, ?, ?, ?) ON CONFLICT (platform, external_id) DO UPDATE SET subject_kind = excluded.subject_kind,
		subject_id = excluded.subject_id`, id.Platform, id.ExternalID, id.Subject, id.SubjectID)
	return err
}

func (t *txn) InsertCustomer(ctx context.Context, c core.Customer) error {
	_, err := t.exec(ctx, "create customer", `INSERT INTO customers (id, company_id, email, name, created_at)
		VALUES (?, ?, ?, ?, ?)`, c.ID, c.CompanyID, strings.ToLower(c.Email), c.Name, us(c.CreatedAt))
	return err
}

func (t *txn) NextRequestNumber(ctx context.Context, companyID string) (int64, error) {
	var n int64
	err := t.get(ctx, &n, "company", `UPDATE companies SET next_number = next_number + 1 WHERE id = ? RETURNING next_number`, companyID)
	return n, err
}

func (t *txn) InsertRequest(ctx context.Context, r core.Request) error {
	w := toRequestRow(r)
	_, err := t.exec(ctx, "create request", `INSERT INTO requests (`+requestCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		w.ID, w.CompanyID, w.CompanyName, w.Number, w.Status, w.Chat, w.OwnerID, w.OwnerName,
		w.CustomerID, w.CustomerEmail, w.CustomerName, w.Subject, w.SrcChannel, w.SrcIP, w.SrcDevice, w.SrcOS,
		w.SrcBrowser, w.SrcLanguage, w.RepDevice, w.RepOS, w.RepBrowser, w.RepLanguage, w.SysinfoAsked, w.ClosingNote, w.InviteHash, w.CreatedAt, w.UpdatedAt, w.ClosedAt, w.Version)
	return err
}

func (t *txn) UpdateRequest(ctx context.Context, r core.Request, prev int64) error {
	row := toRequestRow(r)
	n, err := t.exec(ctx, "update request", `UPDATE requests SET status = ?, chat = ?, owner_id = ?, owner_name = ?,
		customer_id = ?, customer_email = ?, customer_name = ?, subject = ?, src_channel = ?, src_ip = ?,
		src_device = ?, src_os = ?, src_browser = ?, src_language = ?, rep_device = ?, rep_os = ?,
		rep_browser = ?, rep_language = ?, sysinfo_asked = ?, closing_note = ?, invite_hash = ?,
		updated_at = ?, closed_at = ?, version = ? WHERE id = ? AND version = ?`,
		row.Status, row.Chat, row.OwnerID, row.OwnerName, row.CustomerID, row.CustomerEmail, row.CustomerName,
		row.Subject, row.SrcChannel, row.SrcIP, row.SrcDevice, row.SrcOS, row.SrcBrowser, row.SrcLanguage,
		row.RepDevice, row.RepOS, row.RepBrowser, row.RepLanguage, row.SysinfoAsked, row.ClosingNote, row.InviteHash, row.UpdatedAt, row.ClosedAt, row.Version, row.ID, prev)
	if err != nil {
		return err
	}
	if n != 1 {
		return core.ErrStale
	}
	return nil
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

func (t *txn) InsertMessage(ctx context.Context, m core.Message) error {
	_, err := t.exec(ctx, "store message", `INSERT INTO messages (`+messageCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.RequestID, m.RSeq, m.AuthorKind, m.AuthorID, m.AuthorName, m.Audience, m.Body, m.FileID, us(m.CreatedAt))
	return err
}

func (t *txn) InsertFile(ctx context.Context, f core.File) error {
	_, err := t.exec(ctx, "store file", `INSERT INTO files (`+fileCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.ID, f.RequestID, f.Name, f.ContentType, f.Size, f.SHA256, f.UploaderKind, f.UploaderID, us(f.CreatedAt))
	return err
}

func (t *txn) AppendEvent(ctx context.Context, e core.Event) error {
	data, err := json.Marshal(e.Data)
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	_, err = t.exec(ctx, "append event", `INSERT INTO events (txid, request_id, company_id, rseq, type, actor_kind,
		actor_id, audience, data, created_at) VALUES (`+t.d.txid+`, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.RequestID, e.CompanyID, e.RSeq, e.Type, e.Actor.Kind, e.Actor.ID, e.Audience, string(data), us(e.CreatedAt))
	if err == nil {
		t.touch(hub.Request(e.RequestID))
		t.touch(hub.Company(e.CompanyID))
	}
	return err
}

func (t *txn) ClaimInbound(ctx context.Context, key core.Idempotency, result string) (string, bool, error) {
	n, err := t.exec(ctx, "record inbound event", `INSERT INTO inbound (source, external_id, result, created_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (source, external_id) DO NOTHING`, key.Source, key.ExternalID, result, us(time.Now()))
	if err != nil {
		return "", false, err
	}
	if n == 1 {
		return result, false, nil
	}
	prev, err := t.Inbound(ctx, key)
	return prev, true, err
}

func one(n int64, err error, what string) error {
	if err != nil {
		return err
	}
	if n == 0 {
		return errNotFound(what)
	}
	return nil
}

// BindChannel replaces the company's queue channel on the platform, after
// taking the channel from any other company.
func (t *txn) BindChannel(ctx context.Context, b core.ChannelBinding) error {
	if _, err := t.exec(ctx, "free queue channel", `DELETE FROM platform_channels WHERE platform = ? AND channel = ? AND company_id <> ?`,
		b.Platform, b.Channel, b.CompanyID); err != nil {
		return err
	}
	_, err := t.exec(ctx, "bind queue channel", `INSERT INTO platform_channels (platform, company_id, channel, bound_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (platform, company_id) DO UPDATE SET channel = excluded.channel, bound_at = excluded.bound_at`,
		b.Platform, b.CompanyID, b.Channel, us(b.BoundAt))
	return err
}
