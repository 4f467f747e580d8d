package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
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

func one(n int64, err error, what string) error {
	if err != nil {
		return err
	}
	if n == 0 {
		return errNotFound(what)
	}
	return nil
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

func errNotFound(what string) error { return core.Errorf(core.CodeNotFound, "%s not found", what) }

func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return errNotFound(what)
	}
	return err
}
