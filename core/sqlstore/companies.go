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
	_, err := t.exec(ctx, "create company", `INSERT INTO companies (`+companyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Name, c.Slug, c.PortalKey, strings.Join(c.AllowedExts, " "), c.MaxFileBytes, us(c.CreatedAt))
	return err
}

func (t *txn) UpdateCompany(ctx context.Context, c core.Company) error {
	n, err := t.exec(ctx, "update company", `UPDATE companies SET name = ?, slug = ?, portal_key = ?, allowed_exts = ?,
		max_file_bytes = ? WHERE id = ?`, c.Name, c.Slug, c.PortalKey, strings.Join(c.AllowedExts, " "), c.MaxFileBytes, c.ID)
	return one(n, err, "company")
}
