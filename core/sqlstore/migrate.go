package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"math"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/migrations"
)

// migrateLock is the PostgreSQL advisory lock key that makes concurrent
// starts apply migrations one at a time ("relaydesk" in ASCII, truncated),
// made the schema's own as the leaders' keys are (schemaKey): desks kept in
// two schemas of one database do not wait for each other's migrations.
const migrateLock = 0x72656c6179646b

// Migration is one schema file.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists the embedded migrations of a dialect ("sqlite" or
// "postgres") in order.
func Migrations(dialect string) ([]Migration, error) {
	files, err := fs.Glob(migrations.FS, dialect+"/*.sql")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, f := range files {
		base := path.Base(f)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: the name must start with a number and an underscore", f)
		}
		b, err := fs.ReadFile(migrations.FS, f)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: strings.TrimSuffix(base, ".sql"), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Migrate applies the migrations the database lacks, each in its own
// transaction, and returns the names of those it applied. On PostgreSQL an
// advisory lock makes two processes starting together take turns; SQLite's
// immediate transactions do the same there.
func (s *Store) Migrate(ctx context.Context) ([]string, error) { return s.MigrateTo(ctx, math.MaxInt) }

// MigrateTo applies, as Migrate does, the migrations the database lacks
// up to version and no further: a backup of an older schema is restored
// into that schema, then migrated like any database.
func (s *Store) MigrateTo(ctx context.Context, version int) ([]string, error) {
	all, err := Migrations(s.d.name)
	if err != nil {
		return nil, err
	}
	all = slices.DeleteFunc(all, func(m Migration) bool { return m.Version > version })
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if s.d.name == "postgres" {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(`+schemaKey+`)`, migrateLock); err != nil {
			return nil, fmt.Errorf("migrate: wait for other processes: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+schemaKey+`)`, migrateLock)
	} else {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var applied []string
	for _, m := range all {
		done, err := s.apply(ctx, conn, m)
		if err != nil {
			return applied, err
		}
		if done {
			applied = append(applied, m.Name)
		}
	}
	return applied, nil
}

// Pending lists the migrations the database lacks, changing nothing.
func (s *Store) Pending(ctx context.Context) ([]string, error) {
	all, err := Migrations(s.d.name)
	if err != nil {
		return nil, err
	}
	var versions []int
	err = s.db.SelectContext(ctx, &versions, `SELECT version FROM schema_migrations`)
	if err != nil {
		// No table yet (a new database) reads as nothing applied; any
		// other failure is the database's.
		var n int
		if perr := s.db.QueryRowContext(ctx, `SELECT 1`).Scan(&n); perr != nil {
			return nil, fmt.Errorf("pending migrations: %w", perr)
		}
		versions = nil
	}
	var out []string
	for _, m := range all {
		if !slices.Contains(versions, m.Version) {
			out = append(out, m.Name)
		}
	}
	return out, nil
}

func (s *Store) apply(ctx context.Context, conn *sql.Conn, m Migration) (bool, error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("migration %s: %w", m.Name, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), m.Version).Scan(&n); err != nil {
		return false, fmt.Errorf("migration %s: %w", m.Name, err)
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, fmt.Errorf("migration %s: %w", m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
		m.Version, m.Name, time.Now().UnixMicro()); err != nil {
		return false, fmt.Errorf("migration %s: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("migration %s: %w", m.Name, err)
	}
	return true, nil
}
