package sqlstore

import (
	"context"
	"strings"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/hub"
)

type technicianRow struct {
	ID           string `db:"id"`
	Email        string `db:"email"`
	Name         string `db:"name"`
	Role         string `db:"role"`
	Availability string `db:"availability"`
	PasswordHash string `db:"password_hash"`
	SignInReset  int64  `db:"signin_reset_at"`
	CreatedAt    int64  `db:"created_at"`
	Deactivated  int64  `db:"deactivated_at"`
}

const technicianCols = `id, email, name, role, availability, password_hash, signin_reset_at, created_at, deactivated_at`

func (r technicianRow) core() core.Technician {
	return core.Technician{ID: r.ID, Email: r.Email, Name: r.Name, Role: core.Role(r.Role),
		Availability: core.Availability(r.Availability), PasswordHash: r.PasswordHash,
		SignInResetAt: fromUS(r.SignInReset), CreatedAt: fromUS(r.CreatedAt), DeactivatedAt: fromUS(r.Deactivated)}
}

func (q queries) technician(ctx context.Context, where string, arg any) (core.Technician, error) {
	var r technicianRow
	err := q.get(ctx, &r, "technician", `SELECT `+technicianCols+` FROM technicians WHERE `+where+` = ?`, arg)
	return r.core(), err
}

func (q queries) Technician(ctx context.Context, id string) (core.Technician, error) {
	return q.technician(ctx, "id", id)
}

func (q queries) TechnicianByEmail(ctx context.Context, email string) (core.Technician, error) {
	return q.technician(ctx, "email", strings.ToLower(email))
}

func (q queries) technicians(ctx context.Context, query string, args ...any) ([]core.Technician, error) {
	var rows []technicianRow
	if err := q.sel(ctx, &rows, "technicians", query, args...); err != nil {
		return nil, err
	}
	out := make([]core.Technician, len(rows))
	for i, r := range rows {
		out[i] = r.core()
	}
	return out, nil
}

func (q queries) Technicians(ctx context.Context) ([]core.Technician, error) {
	return q.technicians(ctx, `SELECT `+technicianCols+` FROM technicians ORDER BY name, id`)
}

func (q queries) AvailableTechnicians(ctx context.Context, companyID string) ([]core.Technician, error) {
	return q.technicians(ctx, `SELECT `+technicianCols+` FROM technicians t
		WHERE t.availability = 'available' AND t.deactivated_at = 0
		  AND (t.role = 'admin' OR EXISTS (SELECT 1 FROM access a WHERE a.technician_id = t.id AND a.company_id = ?))
		ORDER BY t.name, t.id`, companyID)
}

func (t *txn) InsertTechnician(ctx context.Context, x core.Technician) error {
	_, err := t.exec(ctx, "create technician", `INSERT INTO technicians (`+technicianCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		x.ID, strings.ToLower(x.Email), x.Name, x.Role, x.Availability, x.PasswordHash, us(x.SignInResetAt), us(x.CreatedAt),
		us(x.DeactivatedAt))
	return err
}

func (t *txn) UpdateTechnician(ctx context.Context, x core.Technician) error {
	n, err := t.exec(ctx, "update technician", `UPDATE technicians SET email = ?, name = ?, role = ?, availability = ?,
		password_hash = ?, signin_reset_at = ?, deactivated_at = ? WHERE id = ?`, strings.ToLower(x.Email), x.Name, x.Role,
		x.Availability, x.PasswordHash, us(x.SignInResetAt), us(x.DeactivatedAt), x.ID)
	if err == nil {
		t.touch(hub.Technician(x.ID)) // the role decides what they see
	}
	return one(n, err, "technician")
}

func (q queries) Access(ctx context.Context, technicianID string) ([]string, error) {
	var ids []string
	err := q.sel(ctx, &ids, "access", `SELECT company_id FROM access WHERE technician_id = ? ORDER BY company_id`, technicianID)
	return ids, err
}

func (q queries) HasAccess(ctx context.Context, technicianID, companyID string) (bool, error) {
	var n int
	err := q.get(ctx, &n, "access", `SELECT COUNT(*) FROM access WHERE technician_id = ? AND company_id = ?`, technicianID, companyID)
	return n > 0, err
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

// EndTechnicianAccess signs a technician out of every console and unlinks
// their chat-platform accounts, in the transaction that deactivates them.
func (t *txn) EndTechnicianAccess(ctx context.Context, technicianID string) error {
	if _, err := t.exec(ctx, "end sessions", `DELETE FROM sessions WHERE technician_id = ?`, technicianID); err != nil {
		return err
	}
	_, err := t.exec(ctx, "unlink accounts", `DELETE FROM identities WHERE subject_kind = 'technician' AND subject_id = ?`, technicianID)
	return err
}

// OpenRequestsOf lists the open requests technicianID owns, oldest first.
func (q queries) OpenRequestsOf(ctx context.Context, technicianID string) ([]string, error) {
	var ids []string
	err := q.sel(ctx, &ids, "owned requests", `SELECT id FROM requests
		WHERE owner_id = ? AND status <> 'completed' ORDER BY created_at, id`, technicianID)
	return ids, err
}

// OpenOwned counts the open requests each technician owns.
func (q queries) OpenOwned(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		Owner string `db:"owner_id"`
		N     int    `db:"n"`
	}
	if err := q.sel(ctx, &rows, "owned requests", `SELECT owner_id, COUNT(*) AS n FROM requests
		WHERE owner_id <> '' AND status <> 'completed' GROUP BY owner_id`); err != nil {
		return nil, err
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.Owner] = r.N
	}
	return out, nil
}

func (t *txn) ActiveAdmins(ctx context.Context) ([]core.Technician, error) {
	return t.technicians(ctx, `SELECT `+technicianCols+` FROM technicians
		WHERE role = 'admin' AND deactivated_at = 0 ORDER BY id`+t.d.forUpdateRow)
}
