package sqlstore

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/relaydesk/relaydesk/core"
)

// sortColumns maps each sortable column to its SQL column; every one has an
// index on (column, number, id) so that a page is an index range scan.
var sortColumns = map[core.SortColumn]string{
	core.SortNumber:   "number",
	core.SortCreated:  "created_at",
	core.SortUpdated:  "updated_at",
	core.SortCompany:  "company_name",
	core.SortStatus:   "status",
	core.SortOwner:    "owner_name",
	core.SortCustomer: "customer_email",
}

// statusRank orders the statuses of table t's rows in workflow order, as
// core.StatusRank.
func statusRank(t string) string {
	return `CASE ` + t + `.status WHEN 'new' THEN 0 WHEN 'active' THEN 1 ELSE 2 END`
}

// queueRow is a page's row: the request and what the lists show beside it.
type queueRow struct {
	requestRow
	Part         string `db:"part"`
	LastBody     string `db:"last_body"`
	LastFile     string `db:"last_file"`
	LastAuthor   string `db:"last_author"`
	CustomerLeft int    `db:"customer_left"`
	Unread       int    `db:"unread"`
}

// branch is one keyset-ordered part of a page: a filter, its arguments and
// its own cursor condition. A page is one branch, or the union of a few
// (a status each when sorting by status; owned and shared requests in
// Mine), each walking its own index and stopping after a page's rows.
type branch struct {
	where []string
	args  []any
}

// Queue returns one keyset page: the rows after q.After in (column,
// number, id) order, ascending or descending, with each row's preview,
// the viewer's part and unread count and whether its customers left, in one
// query: the page is chosen first, then only its rows are looked into.
func (q queries) Queue(ctx context.Context, qq core.QueueQuery) ([]core.QueueRow, error) {
	col, ok := sortColumns[qq.Sort]
	if !ok {
		col = "created_at"
	}
	// Small views (New, Mine) are best found through their filter indexes;
	// large ones (All, Active, Completed) by walking the sort index.
	small := qq.Mine != "" || slices.Equal(qq.Statuses, []core.Status{core.StatusNew})
	filter := q.d.noIndex
	if small {
		filter = ""
	}
	dir, cmp := "ASC", ">"
	if qq.Desc {
		dir, cmp = "DESC", "<"
	}
	base := branch{where: []string{filter + "company_id IN (?)"}, args: []any{qq.CompanyIDs}}
	keyset := func(b branch) branch {
		c := qq.After
		switch {
		case c == nil:
			return b
		case col == "number":
			return b.with("(number, id) "+cmp+" (?, ?)", c.Number, c.ID)
		}
		return b.with("("+col+", number, id) "+cmp+" (?, ?, ?)", c.Value, c.Number, c.ID)
	}
	order := col + " " + dir + ", number " + dir + ", id " + dir // of a branch, on the requests table's columns
	if col == "number" {
		order = "number " + dir + ", id " + dir
	}
	var branches []branch
	switch {
	case col == "status", qq.Mine != "" && len(qq.Statuses) > 1:
		// One branch per status, each walking an index in order: by
		// status, the (status, number, id) index, where one ORDER BY on a
		// status rank would sort the whole view; Mine's New and Active,
		// the (owner_id, status, ...) index. Sorted by status, the
		// branches come in workflow order and those wholly before the
		// cursor are left out.
		statuses := qq.Statuses
		if len(statuses) == 0 {
			statuses = core.Statuses()
		}
		statuses = slices.Clone(statuses)
		slices.SortFunc(statuses, func(a, b core.Status) int { return core.StatusRank(a) - core.StatusRank(b) })
		bound := "<=" // the far end of one status's range, after a cursor
		if qq.Desc {
			slices.Reverse(statuses)
			bound = ">="
		}
		for _, s := range statuses {
			if col != "status" {
				branches = append(branches, keyset(base.with("status = ?", s)))
				continue
			}
			// One status: on PostgreSQL as a range, not an equality, which
			// it would take for a constant and then might walk the number
			// index instead, past every other status; SQLite, given a
			// range, might walk another index and sort.
			b := base.with("status = ?", s)
			if q.d.statusRange {
				b = base.with("status >= ? AND status <= ?", s, s)
			}
			if c := qq.After; c != nil {
				at, rank := core.StatusRank(core.Status(c.Value.(string))), core.StatusRank(s)
				switch {
				case qq.Desc && rank > at || !qq.Desc && rank < at:
					continue // wholly before the cursor
				case rank == at && q.d.statusRange:
					b = base.with("(status, number, id) "+cmp+" (?, ?, ?) AND status "+bound+" ?", s, c.Number, c.ID, s)
				case rank == at:
					b = b.with("(number, id) "+cmp+" (?, ?)", c.Number, c.ID)
				}
			}
			branches = append(branches, b)
		}
	default:
		b := base
		if len(qq.Statuses) > 0 {
			b = b.with(filter+"status IN (?)", qq.Statuses)
		}
		branches = []branch{keyset(b)}
	}
	if qq.Mine != "" {
		// What they own through requests_mine, what they were invited to
		// through their participations: an OR of the two would scan.
		var split []branch
		for _, b := range branches {
			split = append(split, b.with("owner_id = ?", qq.Mine),
				b.with(`id IN (SELECT request_id FROM participants WHERE subject_id = ? AND role = 'collaborator' AND left_at = 0)
					AND owner_id <> ?`, qq.Mine, qq.Mine))
		}
		branches = split
	}
	if len(branches) == 0 {
		return nil, nil
	}

	// sorted is the page's order on the rows of t.
	sorted := func(t string) string {
		o := t + "." + strings.ReplaceAll(order, ", ", ", "+t+".")
		if col == "status" {
			o = statusRank(t) + " " + dir + ", " + o
		}
		return o
	}
	var page strings.Builder
	var args []any
	for i, b := range branches {
		if i > 0 {
			page.WriteString(" UNION ALL ")
		}
		page.WriteString(`SELECT * FROM (SELECT ` + requestCols + ` FROM requests WHERE ` + strings.Join(b.where, " AND ") +
			` ORDER BY ` + order + ` LIMIT ?) b` + strconv.Itoa(i))
		args = append(args, b.args...)
		args = append(args, qq.Limit)
	}
	pageSQL := page.String()
	if len(branches) > 1 { // the page's rows of all branches, before looking into them
		pageSQL = `SELECT * FROM (` + pageSQL + `) u ORDER BY ` + sorted("u") + ` LIMIT ?`
		args = append(args, qq.Limit)
	}

	pid := "p.id" + q.d.defaultCollation
	// The viewer's part: owner, collaborator still in the chat, or none;
	// only a part counts unread lines.
	part, unread := `''`, `0`
	var partArgs, unreadArgs []any
	if qq.Viewer != "" {
		part = `CASE WHEN p.owner_id = ? THEN 'owner'
			WHEN EXISTS (SELECT 1 FROM participants c WHERE c.request_id = ` + pid + ` AND c.role = 'collaborator'
				AND c.subject_id = ? AND c.left_at = 0) THEN 'collaborator' ELSE '' END`
		partArgs = []any{qq.Viewer, qq.Viewer}
		unread = `CASE WHEN ` + part + ` = '' THEN 0 ELSE (SELECT COUNT(*) FROM messages u
			WHERE u.request_id = ` + pid + ` AND u.author_kind = 'customer' AND u.rseq > COALESCE((SELECT rm.rseq FROM read_marks rm
				WHERE rm.technician_id = ? AND rm.request_id = ` + pid + `), 0)) END`
		unreadArgs = append(slices.Clone(partArgs), qq.Viewer)
	}
	query := `SELECT ` + qualified("p", requestCols) + `, ` + part + ` AS part, ` + unread + ` AS unread,
		COALESCE(lm.body, '') AS last_body, COALESCE(lf.name, '') AS last_file, COALESCE(lm.author_kind, '') AS last_author,
		CASE WHEN p.status <> 'completed'
			AND EXISTS (SELECT 1 FROM participants c WHERE c.request_id = ` + pid + ` AND c.role = 'customer')
			AND NOT EXISTS (SELECT 1 FROM participants c WHERE c.request_id = ` + pid + ` AND c.role = 'customer' AND c.left_at = 0)
			THEN 1 ELSE 0 END AS customer_left
		FROM (` + pageSQL + `) p
		LEFT JOIN messages lm ON lm.id = (SELECT m.id FROM messages m WHERE m.request_id = ` + pid + `
			AND m.audience <> 'technicians' AND m.withdrawn_at = 0 AND m.author_kind IN ('customer', 'technician')
			ORDER BY m.rseq DESC LIMIT 1)
		LEFT JOIN files lf ON lf.id = lm.file_id AND lm.file_id <> ''
		ORDER BY ` + sorted("p") + ` LIMIT ?`
	all := append(append(append(partArgs, unreadArgs...), args...), qq.Limit)
	query, all, err := sqlx.In(query, all...)
	if err != nil {
		return nil, err
	}
	var rows []queueRow
	if err := q.selDynamic(ctx, &rows, "requests", query, all...); err != nil {
		return nil, err
	}
	out := make([]core.QueueRow, len(rows))
	for i, r := range rows {
		out[i] = core.QueueRow{Request: r.requestRow.core(), Part: r.Part, CustomerLeft: r.CustomerLeft != 0, Unread: r.Unread,
			PreviewAuthor: core.ActorKind(r.LastAuthor)}
		if r.LastAuthor != "" {
			out[i].Preview = core.PreviewOf(r.LastBody, r.LastFile)
		}
	}
	return out, nil
}

// with is b and one more condition.
func (b branch) with(cond string, args ...any) branch {
	return branch{where: append(slices.Clone(b.where), cond), args: append(slices.Clone(b.args), args...)}
}

// ReadMark is the technician's read mark in a request, 0 for none.
func (q queries) ReadMark(ctx context.Context, technicianID, requestID string) (int64, error) {
	var mark int64
	err := q.get(ctx, &mark, "read mark", `SELECT COALESCE(MAX(rseq), 0) FROM read_marks
		WHERE technician_id = ? AND request_id = ?`, technicianID, requestID)
	return mark, err
}

// MarkRead raises the technician's read mark in a request to rseq, never
// lowering it, and returns the mark.
func (t *txn) MarkRead(ctx context.Context, technicianID, requestID string, rseq int64) (int64, error) {
	var mark int64
	err := t.get(ctx, &mark, "read mark", `INSERT INTO read_marks (technician_id, request_id, rseq) VALUES (?, ?, ?)
		ON CONFLICT (technician_id, request_id) DO UPDATE SET rseq = `+t.d.greatest+`(read_marks.rseq, excluded.rseq)
		RETURNING rseq`, technicianID, requestID, rseq)
	return mark, err
}
