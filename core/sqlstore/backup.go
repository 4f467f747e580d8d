// Backups: a consistent read of the whole desk, and its load into an empty
// database, of either dialect.

package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
)

// BackupTables are the tables a backup holds, parents before children.
// Left out: the schema's bookkeeping (schema_migrations), delivery
// progress (a restored desk delivers from its log's end), console
// sessions (a restore signs everyone out), live sessions' rooms and
// signalling (the media went with the processes) and file contents, which a
// backup keeps by their SHA-256 from whichever store holds them.
var BackupTables = []string{"companies", "technicians", "access", "customers", "identities", "requests", "participants",
	"read_marks", "files", "messages", "message_versions", "relayed_copies", "events", "inbound", "bot_state", "platform_channels",
	"platform_cards", "platform_notify", "link_codes", "chat_companies", "customer_chats", "admin_log"}

// SchemaVersion is the newest migration the database has applied; 0 for
// none.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return int(v.Int64), nil
}

// Snapshot is one consistent view of the desk while it serves: a read-only
// transaction (REPEATABLE READ on PostgreSQL, a WAL read snapshot on
// SQLite). Close it when done.
type Snapshot struct {
	tx *sqlx.Tx
}

// Snapshot opens a consistent view of the desk.
func (s *Store) Snapshot(ctx context.Context) (*Snapshot, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.d.name == "postgres" {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.db.BeginTxx(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("begin the backup's snapshot: %w", err)
	}
	// SQLite takes its snapshot at the first read, not at BEGIN.
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM companies`).Scan(&n); err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("begin the backup's snapshot: %w", err)
	}
	return &Snapshot{tx: tx}, nil
}

// Close ends the snapshot.
func (sn *Snapshot) Close() error { return sn.tx.Rollback() }

// Blob is a file's contents as a backup keeps them.
type Blob struct {
	SHA256 string `db:"sha256"`
	Size   int64  `db:"size"`
}

// Blobs lists the contents of every file the desk names, once each.
func (sn *Snapshot) Blobs(ctx context.Context) ([]Blob, error) {
	var bs []Blob
	if err := sn.tx.SelectContext(ctx, &bs, `SELECT sha256, MAX(size) AS size FROM files GROUP BY sha256 ORDER BY sha256`); err != nil {
		return nil, fmt.Errorf("list the files: %w", err)
	}
	return bs, nil
}

// Table reads every row of table: cols gets its column names, then row
// each row's values (nil, int64, float64, string or []byte) in that order.
func (sn *Snapshot) Table(ctx context.Context, table string, cols func([]string) error, row func([]any) error) error {
	if !slices.Contains(BackupTables, table) {
		return fmt.Errorf("%s is not a table a backup holds", table)
	}
	rows, err := sn.tx.QueryContext(ctx, `SELECT * FROM `+table)
	if err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	if err := cols(names); err != nil {
		return err
	}
	for rows.Next() {
		vals := make([]any, len(names))
		ptrs := make([]any, len(names))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("read %s: %w", table, err)
		}
		if err := row(vals); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	return nil
}

// Empty reports whether the desk holds no company, technician or request:
// the only kind of database a backup is restored into.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM companies) + (SELECT COUNT(*) FROM technicians) +
		(SELECT COUNT(*) FROM requests)`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("is the database empty: %w", err)
	}
	return n == 0, nil
}

// Loader inserts a backup's rows, in one transaction.
type Loader struct {
	s  *Store
	tx *sqlx.Tx
}

// Load runs fn with a Loader and commits what it inserted, all or nothing.
// The restored events count as committed by this transaction, so the log
// order of what the desk writes next follows them.
func (s *Store) Load(ctx context.Context, fn func(l *Loader) error) error {
	if s.d.name == "sqlite" {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin the restore: %w", err)
	}
	defer tx.Rollback()
	if err := fn(&Loader{s: s, tx: tx}); err != nil {
		return err
	}
	if s.d.name == "postgres" {
		if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('events', 'seq'),
			GREATEST((SELECT MAX(seq) FROM events), 1))`); err != nil {
			return fmt.Errorf("restore the event sequence: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('admin_log', 'seq'),
			GREATEST((SELECT MAX(seq) FROM admin_log), 1))`); err != nil {
			return fmt.Errorf("restore the admin log sequence: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit the restore: %w", err)
	}
	return nil
}

// Insert adds one row of table.
func (l *Loader) Insert(ctx context.Context, table string, cols []string, vals []any) error {
	if !slices.Contains(BackupTables, table) {
		return fmt.Errorf("%s is not a table a backup holds", table)
	}
	if len(cols) != len(vals) {
		return fmt.Errorf("restore %s: %d columns, %d values", table, len(cols), len(vals))
	}
	marks := make([]string, len(cols))
	args := make([]any, 0, len(vals))
	for i, c := range cols {
		if !validColumn(c) {
			return fmt.Errorf("restore %s: %q is not a column name", table, c)
		}
		if table == "events" && c == "txid" {
			marks[i] = l.s.d.txid // see Load
			continue
		}
		marks[i] = "?"
		args = append(args, vals[i])
	}
	q := l.s.d.rebind(`INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES (` + strings.Join(marks, ", ") + `)`)
	if _, err := l.tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("restore %s: %w", table, err)
	}
	return nil
}

// validColumn keeps an archive's column names to what a schema has.
func validColumn(c string) bool {
	if c == "" {
		return false
	}
	for _, r := range c {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}
