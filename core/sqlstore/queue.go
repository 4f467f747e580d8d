package sqlstore

import (
	"context"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/relaydesk/relaydesk/core"
)

// sortColumns maps each sortable column to its SQL column; every one has an
// index on (column, id) so that a page is an index range scan.
var sortColumns = map[core.SortColumn]string{
	core.SortNumber:   "number",
	core.SortCreated:  "created_at",
	core.SortUpdated:  "updated_at",
	core.SortCompany:  "company_name",
	core.SortStatus:   "status",
	core.SortOwner:    "owner_name",
	core.SortCustomer: "customer_email",
}

// Queue returns one keyset page: the rows after q.After in (column, id)
// order, ascending or descending.
func (q queries) Queue(ctx context.Context, qq core.QueueQuery) ([]core.Request, error) {
	col, ok := sortColumns[qq.Sort]
	if !ok {
		col = "created_at"
	}
	// Small views (New, Mine) are best found through their filter indexes;
	// large ones (All, Active, Completed) by walking the sort index.
	small := qq.OwnerID != "" || slices.Equal(qq.Statuses, []core.Status{core.StatusNew})
	filter := q.d.noIndex
	if small {
		filter = ""
	}
	where := []string{filter + "company_id IN (?)"}
	args := []any{qq.CompanyIDs}
	if len(qq.Statuses) > 0 {
		where = append(where, filter+"status IN (?)")
		args = append(args, qq.Statuses)
	}
	if qq.OwnerID != "" {
		where = append(where, "owner_id = ?")
		args = append(args, qq.OwnerID)
	}
	dir, cmp := "ASC", ">"
	if qq.Desc {
		dir, cmp = "DESC", "<"
	}
	if qq.After != nil {
		where = append(where, "("+col+", id) "+cmp+" (?, ?)")
		args = append(args, qq.After.Value, qq.After.ID)
	}
	query := `SELECT ` + requestCols + ` FROM requests WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY ` + col + ` ` + dir + `, id ` + dir + ` LIMIT ?`
	args = append(args, qq.Limit)
	query, args, err := sqlx.In(query, args...)
	if err != nil {
		return nil, err
	}
	var rows []requestRow
	if err := q.selDynamic(ctx, &rows, "requests", query, args...); err != nil {
		return nil, err
	}
	out := make([]core.Request, len(rows))
	for i, r := range rows {
		out[i] = r.core()
	}
	return out, nil
}
