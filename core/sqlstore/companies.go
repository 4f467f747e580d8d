package sqlstore

import (
	"context"
	"strings"

	"github.com/relaydesk/relaydesk/core"
)

type companyRow struct {
	ID           string `db:"id"`
	Name         string `db:"name"`
	Slug         string `db:"slug"`
	PortalKey    string `db:"portal_key"`
	AllowedExts  string `db:"allowed_exts"`
	MaxFileBytes int64  `db:"max_file_bytes"`
	CreatedAt    int64  `db:"created_at"`
	ArchivedAt   int64  `db:"archived_at"`
}

const companyCols = `id, name, slug, portal_key, allowed_exts, max_file_bytes, created_at, archived_at`

func (r companyRow) core() core.Company {
	c := core.Company{ID: r.ID, Name: r.Name, Slug: r.Slug, PortalKey: r.PortalKey,
		MaxFileBytes: r.MaxFileBytes, CreatedAt: fromUS(r.CreatedAt), ArchivedAt: fromUS(r.ArchivedAt)}
	if r.AllowedExts != "" {
		c.AllowedExts = strings.Split(r.AllowedExts, " ")
	}
	return c
}

func (q queries) company(ctx context.Context, where string, arg any) (core.Company, error) {
	var r companyRow
	err := q.get(ctx, &r, "company", `SELECT `+companyCols+` FROM companies WHERE `+where+` = ?`, arg)
	return r.core(), err
}

func (q queries) Company(ctx context.Context, id string) (core.Company, error) {
	return q.company(ctx, "id", id)
}

func (q queries) CompanyBySlug(ctx context.Context, slug string) (core.Company, error) {
	return q.company(ctx, "slug", slug)
}

func (q queries) CompanyByPortalKey(ctx context.Context, key string) (core.Company, error) {
	return q.company(ctx, "portal_key", key)
}

func (q queries) Companies(ctx context.Context) ([]core.Company, error) {
	var rows []companyRow
	if err := q.sel(ctx, &rows, "companies", `SELECT `+companyCols+` FROM companies ORDER BY name, id`); err != nil {
		return nil, err
	}
	out := make([]core.Company, len(rows))
	for i, r := range rows {
		out[i] = r.core()
	}
	return out, nil
}

func (t *txn) InsertCompany(ctx context.Context, c core.Company) error {
	_, err := t.exec(ctx, "create company", `INSERT INTO companies (`+companyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Name, c.Slug, c.PortalKey, strings.Join(c.AllowedExts, " "), c.MaxFileBytes, us(c.CreatedAt), us(c.ArchivedAt))
	return err
}

func (t *txn) UpdateCompany(ctx context.Context, c core.Company) error {
	n, err := t.exec(ctx, "update company", `UPDATE companies SET name = ?, slug = ?, portal_key = ?, allowed_exts = ?,
		max_file_bytes = ?, archived_at = ? WHERE id = ?`, c.Name, c.Slug, c.PortalKey, strings.Join(c.AllowedExts, " "),
		c.MaxFileBytes, us(c.ArchivedAt), c.ID)
	if err := one(n, err, "company"); err != nil {
		return err
	}
	// Requests keep a copy of the name for queue sorting; a rename shows
	// in every queue at once.
	_, err = t.exec(ctx, "rename company in requests", `UPDATE requests SET company_name = ?
		WHERE company_id = ? AND company_name <> ?`, c.Name, c.ID, c.Name)
	return err
}

// DeskState counts what the first-run checklist asks about.
func (q queries) DeskState(ctx context.Context) (core.DeskState, error) {
	var r struct {
		Companies   int  `db:"companies"`
		Technicians int  `db:"technicians"`
		Web         bool `db:"web"`
	}
	err := q.get(ctx, &r, "desk state", `SELECT
		(SELECT COUNT(*) FROM companies WHERE archived_at = 0) AS companies,
		(SELECT COUNT(*) FROM technicians WHERE deactivated_at = 0) AS technicians,
		EXISTS (SELECT 1 FROM requests WHERE src_channel = 'web' AND invite_hash = '') AS web`)
	return core.DeskState{Companies: r.Companies, Technicians: r.Technicians, WebRequests: r.Web}, err
}
