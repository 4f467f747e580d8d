package sqlstore

import (
	"errors"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect is everything that differs between SQLite and PostgreSQL. The
// rest of the SQL is one text for both, written with ? placeholders.
type dialect struct {
	name   string // "sqlite" or "postgres": the migrations folder too
	driver string
	bind   int // sqlx bind type
	// txid is the SQL expression for the current transaction's ID.
	txid string
	// horizon restricts a log read to events of finished transactions.
	horizon string
	// logAfter selects the events after a position, given its txid and seq.
	// SQLite would walk its (txid, seq) index from the start for a
	// row-value comparison; there txid is always 0 and positions are never
	// negative, so txid = ? AND seq > ? says the same and seeks to seq.
	logAfter string
	// forUpdate locks a request row read inside a transaction, so that
	// concurrent writers to one request queue up instead of failing their
	// version check. SQLite needs none: its writers already take turns.
	forUpdate string
	// noIndex, put before a column in a WHERE term, keeps the planner from
	// choosing that column's index. SQLite's planner, unlike PostgreSQL's,
	// otherwise filters a large view by company or status and then sorts
	// tens of thousands of rows instead of walking the sort column's index.
	noIndex string
	// greatest is the two-argument maximum function.
	greatest string
	// defaultCollation, after requests.id, compares it with the other
	// tables' request_id columns under their collation: PostgreSQL's
	// requests.id is "C" (sorted bytewise), and a join under another
	// collation than an index's cannot use that index.
	defaultCollation string
	// statusRange says that a page sorted by status selects each status
	// as a range (see queries.Queue).
	statusRange bool
	// forUpdateRow locks the one row a transaction reads, and skipLocked
	// makes a claim pass over rows another process is claiming; SQLite's
	// writers take turns and need neither.
	forUpdateRow string
	skipLocked   string
}

var (
	sqliteDialect = dialect{name: "sqlite", driver: "sqlite", bind: sqlx.QUESTION, txid: "0", horizon: "1=1",
		logAfter: "txid = ? AND seq > ?", noIndex: "+", greatest: "MAX"}
	pgDialect = dialect{name: "postgres", driver: "postgres", bind: sqlx.DOLLAR,
		txid:             "pg_current_xact_id()::text::bigint",
		horizon:          "txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint",
		logAfter:         "(txid, seq) > (?, ?)",
		forUpdate:        " FOR UPDATE OF requests",
		greatest:         "GREATEST",
		defaultCollation: ` COLLATE "default"`,
		statusRange:      true,
		forUpdateRow:     " FOR UPDATE",
		skipLocked:       " FOR UPDATE SKIP LOCKED"}
)

func (d dialect) rebind(q string) string { return sqlx.Rebind(d.bind, q) }

// isUnique reports whether err is a unique or primary key violation, by the
// drivers' error codes rather than their message text.
func isUnique(err error) bool {
	if pe, ok := errors.AsType[*pq.Error](err); ok {
		return pe.Code == "23505"
	}
	if se, ok := errors.AsType[*sqlite.Error](err); ok {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}
