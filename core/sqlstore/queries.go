package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/relaydesk/relaydesk/core"
)

// queries answers core.Queries on the pool or inside a transaction.
type queries struct {
	ext   sqlx.ExtContext
	d     dialect
	tx    bool     // inside a read-write transaction
	sqltx *sqlx.Tx // the transaction, when tx
	stmts *stmtCache
}

// ext returns where to run query: its prepared statement when the cache
// has it (bound to the transaction if there is one), else the pool or
// transaction itself.
func (q queries) on(ctx context.Context, query string) sqlx.ExtContext {
	st := q.stmts.get(query)
	switch {
	case st == nil:
		return q.ext
	case q.sqltx != nil:
		return stmtExt{q.sqltx.StmtxContext(ctx, st), q.ext}
	}
	return stmtExt{st, q.ext}
}

func (q queries) get(ctx context.Context, dst any, what, query string, args ...any) error {
	if !storable(args) {
		return fmt.Errorf("load %s: %w", what, errNotFound(what))
	}
	query = q.d.rebind(query)
	err := sqlx.GetContext(ctx, q.on(ctx, query), dst, query, args...)
	if err != nil {
		return fmt.Errorf("load %s: %w", what, notFound(err, what))
	}
	return nil
}

// sel lists rows. query must be one of a fixed set of texts (it is cached);
// selDynamic is for texts built per call.
func (q queries) sel(ctx context.Context, dst any, what, query string, args ...any) error {
	query = q.d.rebind(query)
	return q.selOn(ctx, q.on(ctx, query), dst, what, query, args...)
}

func (q queries) selDynamic(ctx context.Context, dst any, what, query string, args ...any) error {
	query = q.d.rebind(query)
	return q.selOn(ctx, q.ext, dst, what, query, args...)
}

func (q queries) selOn(ctx context.Context, ext sqlx.ExtContext, dst any, what, query string, args ...any) error {
	if !storable(args) {
		return nil // no row holds such a text: the list is empty
	}
	if err := sqlx.SelectContext(ctx, ext, dst, query, args...); err != nil {
		return fmt.Errorf("list %s: %w", what, err)
	}
	return nil
}

func (q queries) exec(ctx context.Context, what, query string, args ...any) (int64, error) {
	if !storable(args) {
		return 0, fmt.Errorf("%s: %w", what, core.Errorf(core.CodeInvalid, "the text contains characters relaydesk does not store"))
	}
	query = q.d.rebind(query)
	res, err := q.on(ctx, query).ExecContext(ctx, query, args...)
	if err != nil {
		if isUnique(err) {
			return 0, fmt.Errorf("%s: %w", what, core.Errorf(core.CodeConflict, "%s: it exists already", what))
		}
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return res.RowsAffected()
}

// stmtExt runs a prepared statement where sqlx expects a query runner; the
// query text passed along is the statement's own and is ignored.
type stmtExt struct {
	st *sqlx.Stmt
	sqlx.ExtContext
}

func (s stmtExt) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return s.st.QueryContext(ctx, args...)
}

func (s stmtExt) QueryxContext(ctx context.Context, _ string, args ...any) (*sqlx.Rows, error) {
	return s.st.QueryxContext(ctx, args...)
}

func (s stmtExt) QueryRowxContext(ctx context.Context, _ string, args ...any) *sqlx.Row {
	return s.st.QueryRowxContext(ctx, args...)
}

func (s stmtExt) ExecContext(ctx context.Context, _ string, args ...any) (sql.Result, error) {
	return s.st.ExecContext(ctx, args...)
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
		WHERE t.availability = 'available'
		  AND (t.role = 'admin' OR EXISTS (SELECT 1 FROM access a WHERE a.technician_id = t.id AND a.company_id = ?))
		ORDER BY t.name, t.id`, companyID)
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

func (q queries) Identity(ctx context.Context, platform, externalID string) (core.Identity, error) {
	var r struct {
		Platform   string `db:"platform"`
		ExternalID string `db:"external_id"`
		Kind       string `db:"subject_kind"`
		SubjectID  string `db:"subject_id"`
	}
	err := q.get(ctx, &r, "linked account", `SELECT platform, external_id, subject_kind, subject_id FROM identities
		WHERE platform = ? AND external_id = ?`, platform, externalID)
	return core.Identity{Platform: r.Platform, ExternalID: r.ExternalID, Subject: core.ActorKind(r.Kind), SubjectID: r.SubjectID}, err
}

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

func (q queries) RequestByInvite(ctx context.Context, hash string) (core.Request, error) {
	return q.request(ctx, `invite_hash = ? AND invite_hash <> ''`, hash)
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

func (q queries) Messages(ctx context.Context, requestID string) ([]core.Message, error) {
	var rows []messageRow
	if err := q.sel(ctx, &rows, "messages", `SELECT `+messageCols+` FROM messages WHERE request_id = ? ORDER BY rseq`, requestID); err != nil {
		return nil, err
	}
	out := make([]core.Message, len(rows))
	for i, r := range rows {
		out[i] = r.core()
	}
	return out, nil
}

func (q queries) Message(ctx context.Context, id string) (core.Message, error) {
	var r messageRow
	err := q.get(ctx, &r, "message", `SELECT `+messageCols+` FROM messages WHERE id = ?`, id)
	return r.core(), err
}

func (q queries) File(ctx context.Context, id string) (core.File, error) {
	var r fileRow
	err := q.get(ctx, &r, "file", `SELECT `+fileCols+` FROM files WHERE id = ?`, id)
	return r.core(), err
}

func (q queries) Inbound(ctx context.Context, key core.Idempotency) (string, error) {
	var result string
	err := q.get(ctx, &result, "inbound event", `SELECT result FROM inbound WHERE source = ? AND external_id = ?`, key.Source, key.ExternalID)
	return result, err
}

// storable reports whether every text among args can be stored on both
// databases. PostgreSQL refuses NUL and invalid UTF-8 with an error where
// SQLite stores them or finds no row; the engine lets neither in (see
// core's checkText), so a lookup by such a text (an ID or a key from a URL,
// an e-mail address from a form) finds nothing, on both, and a write of one
// is refused the same way on both.
func storable(args []any) bool {
	for _, a := range args {
		if s, ok := a.(string); ok && (strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s)) {
			return false
		}
	}
	return true
}
