package sqlstore

import (
	"context"
	"strings"

	"github.com/relaydesk/relaydesk/core"
)

func (q queries) Customer(ctx context.Context, id string) (core.Customer, error) {
	return q.customer(ctx, `id = ?`, id)
}

func (q queries) CustomerByEmail(ctx context.Context, companyID, email string) (core.Customer, error) {
	return q.customer(ctx, `company_id = ? AND email = ?`, companyID, strings.ToLower(email))
}

func (q queries) customer(ctx context.Context, where string, args ...any) (core.Customer, error) {
	var r struct {
		ID        string `db:"id"`
		CompanyID string `db:"company_id"`
		Email     string `db:"email"`
		Name      string `db:"name"`
		CreatedAt int64  `db:"created_at"`
	}
	err := q.get(ctx, &r, "customer", `SELECT id, company_id, email, name, created_at FROM customers WHERE `+where, args...)
	return core.Customer{ID: r.ID, CompanyID: r.CompanyID, Email: r.Email, Name: r.Name, CreatedAt: fromUS(r.CreatedAt)}, err
}

func (t *txn) InsertCustomer(ctx context.Context, c core.Customer) error {
	_, err := t.exec(ctx, "create customer", `INSERT INTO customers (id, company_id, email, name, created_at)
		VALUES (?, ?, ?, ?, ?)`, c.ID, c.CompanyID, strings.ToLower(c.Email), c.Name, us(c.CreatedAt))
	return err
}
