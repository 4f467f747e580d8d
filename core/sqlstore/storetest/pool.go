package storetest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/lib/pq"

	"github.com/relaydesk/relaydesk/core/sqlstore"
)

// Creating and migrating a schema costs PostgreSQL about 250 ms of CPU and
// dropping it 100 ms more, for every test: most of the server's work in a
// run of the suite. A test that only needs a migrated, empty database gets
// a schema from a pool kept on the server instead, emptied for it. Pool
// schemas are named for the migrations they hold, so a tree with other
// migrations never gets one of them, and are kept between runs.

// poolLockClass is the first key of the advisory locks saying which test
// holds which pool schema. The two-key form keeps them apart from the
// one-key locks relaydesk itself takes.
const poolLockClass = 0x7270 // "rp"

// MigratedPostgresURL returns the URL of a schema of the test server
// holding every migration and no rows, the test's own until it ends; it
// skips or fails the test, as PostgresURL does, when no server answers.
// Tests of migrations themselves need PostgresURL's empty schema.
func MigratedPostgresURL(tb testing.TB) string {
	tb.Helper()
	admin := adminDB(tb)
	ctx := context.Background()
	prefix, want, err := poolPrefix()
	if err != nil {
		tb.Fatal(err)
	}
	// The lock is the session's, so it is held by one connection for the
	// test's whole run, and lapses if the test's process dies.
	conn, err := admin.Conn(ctx)
	if err != nil {
		tb.Fatalf("connect to the test server: %v", err)
	}
	tb.Cleanup(func() { conn.Close() })
	for n := 0; ; n++ {
		schema := fmt.Sprintf("%s%d", prefix, n)
		var mine bool
		if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1, hashtext($2))`, poolLockClass, schema).Scan(&mine); err != nil {
			tb.Fatalf("take pool schema %s: %v", schema, err)
		}
		if !mine {
			continue
		}
		url := schemaURL(tb, schema)
		if err := readyPoolSchema(ctx, conn, schema, prefix, url, want); err != nil {
			tb.Fatalf("pool schema %s: %v", schema, err)
		}
		return url
	}
}

// poolPrefix names the pool of the embedded PostgreSQL migrations, and
// says how many there are.
func poolPrefix() (string, int, error) {
	all, err := sqlstore.Migrations("postgres")
	if err != nil {
		return "", 0, err
	}
	h := sha256.New()
	for _, m := range all {
		fmt.Fprintf(h, "%d %s\n%s\n", m.Version, m.Name, m.SQL)
	}
	return "tpool" + hex.EncodeToString(h.Sum(nil))[:12] + "_", len(all), nil
}

// readyPoolSchema leaves schema, which conn holds, migrated and empty:
// created and migrated if it is new or a process died migrating it,
// emptied otherwise.
func readyPoolSchema(ctx context.Context, conn *sql.Conn, schema, prefix, url string, want int) error {
	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		// A new pool schema: the migrations may have changed, and pools of
		// older ones would pile up on a developer's server.
		if err := dropOtherPools(ctx, conn, prefix); err != nil {
			return err
		}
		if _, err := conn.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS `+pq.QuoteIdentifier(schema)); err != nil {
			return err
		}
	}
	var applied int
	err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+pq.QuoteIdentifier(schema)+`.schema_migrations`).Scan(&applied)
	if err != nil || applied != want {
		s, err := sqlstore.Open(ctx, url, nil)
		if err != nil {
			return err
		}
		defer s.Close()
		if _, err := s.Migrate(ctx); err != nil {
			return err
		}
	}
	return emptySchema(ctx, conn, schema)
}

// emptySchema deletes every row a test left in schema's tables (but the
// migrations applied) and restarts its sequences. TRUNCATE rather than
// DELETE: the test server may run without autovacuum, and deleted rows
// would stay in pool tables, kept between runs, and slow every scan.
func emptySchema(ctx context.Context, conn *sql.Conn, schema string) error {
	names, err := column(ctx, conn, `SELECT relname FROM pg_class
		WHERE relnamespace = $1::regnamespace AND relkind = 'r' AND relname <> 'schema_migrations'
		ORDER BY relname`, schema)
	if err != nil {
		return fmt.Errorf("list tables: %w", err)
	}
	var tables []string
	for _, name := range names {
		tables = append(tables, pq.QuoteIdentifier(schema)+"."+pq.QuoteIdentifier(name))
	}
	// Only tables holding rows: truncating an empty one costs as much.
	var probe []string
	for _, t := range tables {
		probe = append(probe, fmt.Sprintf(`SELECT %s WHERE EXISTS (SELECT 1 FROM %s)`, pq.QuoteLiteral(t), t))
	}
	var full []string
	if len(probe) > 0 {
		if full, err = column(ctx, conn, strings.Join(probe, " UNION ALL ")); err != nil {
			return fmt.Errorf("find tables with rows: %w", err)
		}
	}
	if len(full) > 0 {
		if _, err := conn.ExecContext(ctx, `TRUNCATE `+strings.Join(full, ", ")+` CASCADE`); err != nil {
			return fmt.Errorf("empty tables: %w", err)
		}
	}
	// A sequence moves even when its rows were deleted since.
	if _, err := conn.ExecContext(ctx, `SELECT setval(oid::regclass, 1, false) FROM pg_class
		WHERE relnamespace = $1::regnamespace AND relkind = 'S'`, schema); err != nil {
		return fmt.Errorf("restart sequences: %w", err)
	}
	return nil
}

// dropOtherPools drops the pool schemas of other migrations that no test
// holds: a test of another tree, running now, keeps its own.
func dropOtherPools(ctx context.Context, conn *sql.Conn, prefix string) error {
	others, err := column(ctx, conn, `SELECT nspname FROM pg_namespace
		WHERE nspname LIKE 'tpool%' AND left(nspname, length($1)) <> $1`, prefix)
	if err != nil {
		return err
	}
	for _, schema := range others {
		var free bool
		if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1, hashtext($2))`, poolLockClass, schema).Scan(&free); err != nil {
			return err
		}
		if !free {
			continue
		}
		_, err := conn.ExecContext(ctx, `DROP SCHEMA IF EXISTS `+pq.QuoteIdentifier(schema)+` CASCADE`)
		if _, uerr := conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1, hashtext($2))`, poolLockClass, schema); err == nil {
			err = uerr
		}
		if err != nil {
			return fmt.Errorf("drop the old pool schema %s: %w", schema, err)
		}
	}
	return nil
}

// column runs a query of one text column and returns its values.
func column(ctx context.Context, conn *sql.Conn, query string, args ...any) ([]string, error) {
	rows, err := conn.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
