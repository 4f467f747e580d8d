// Package storetest gives tests real databases: a fresh SQLite file, and a
// fresh schema on the PostgreSQL server named by RELAYDESK_TEST_POSTGRES
// (default: the local server's "test" database). Without a reachable
// server PostgreSQL tests skip, unless RELAYDESK_REQUIRE_POSTGRES is set, as
// CI sets it: then they fail.
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	_ "github.com/lib/pq" // the driver the admin connection uses

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
)

// DefaultPostgres is tried when RELAYDESK_TEST_POSTGRES is unset.
const DefaultPostgres = "postgres://127.0.0.1:5432/test?sslmode=disable"

// SQLiteURL names a new SQLite file in a temp directory.
func SQLiteURL(tb testing.TB) string {
	return "sqlite:" + filepath.Join(tb.TempDir(), "relaydesk.db")
}

// SQLite returns a migrated store on a new SQLite file in a temp directory.
func SQLite(tb testing.TB) *sqlstore.Store {
	tb.Helper()
	return open(tb, SQLiteURL(tb))
}

// PostgresURL returns the URL of a new, empty schema of its own on the test
// server, dropped when the test ends; it skips or fails the test when no
// server answers. Most tests want MigratedPostgresURL, which costs the
// server far less.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	admin := adminDB(tb)
	schema := strings.ReplaceAll(core.NewID("t"), "_", "")
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		tb.Fatalf("create test schema: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			tb.Errorf("drop test schema: %v", err)
		}
	})
	return schemaURL(tb, schema)
}

// adminDB connects to the test server, closed when the test ends; it skips
// or fails the test when no server answers.
func adminDB(tb testing.TB) *sql.DB {
	tb.Helper()
	base := postgresBase()
	admin, err := sql.Open("postgres", base)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = admin.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if os.Getenv("RELAYDESK_REQUIRE_POSTGRES") != "" {
			tb.Fatalf("PostgreSQL at %s is required (RELAYDESK_REQUIRE_POSTGRES is set) but does not answer: %v", base, err)
		}
		tb.Skipf("PostgreSQL at %s does not answer (%v); set RELAYDESK_TEST_POSTGRES to run this test", base, err)
	}
	tb.Cleanup(func() { admin.Close() })
	return admin
}

func postgresBase() string {
	if base := os.Getenv("RELAYDESK_TEST_POSTGRES"); base != "" {
		return base
	}
	return DefaultPostgres
}

// schemaURL is the test server's URL with schema as the search path.
func schemaURL(tb testing.TB, schema string) string {
	tb.Helper()
	u, err := url.Parse(postgresBase())
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema) // lib/pq sends unknown keys as run-time parameters
	u.RawQuery = q.Encode()
	return u.String()
}

// Postgres returns a migrated, empty store on a schema of the test server
// of its own (MigratedPostgresURL).
func Postgres(tb testing.TB) *sqlstore.Store {
	tb.Helper()
	return open(tb, MigratedPostgresURL(tb))
}

// Open opens and migrates the store at url, closed when the test ends.
func Open(tb testing.TB, url string) *sqlstore.Store {
	tb.Helper()
	return open(tb, url)
}

func open(tb testing.TB, url string) *sqlstore.Store {
	tb.Helper()
	ctx := context.Background()
	s, err := sqlstore.Open(ctx, url, nil)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return s
}

// Backend names ways to get a database of a test's own.
type Backend struct {
	Name string
	// URL names an empty database, without even the migrations, for
	// tests of migrating.
	URL func(testing.TB) string
	// Migrated names a database holding every migration and no rows.
	Migrated func(testing.TB) string
}

// New opens a migrated, empty database of the backend.
func (b Backend) New(tb testing.TB) *sqlstore.Store {
	tb.Helper()
	return open(tb, b.Migrated(tb))
}

// Backends are SQLite and PostgreSQL: run every store test on both.
func Backends() []Backend {
	return []Backend{{"sqlite", SQLiteURL, SQLiteURL}, {"postgres", PostgresURL, MigratedPostgresURL}}
}

// Each runs f as a subtest once per backend, the backends in parallel:
// each run has databases of its own, so f's runs must share nothing else
// that either changes.
func Each(t *testing.T, f func(t *testing.T, newStore func(testing.TB) *sqlstore.Store)) {
	t.Helper()
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			f(t, b.New)
		})
	}
}

// Leader leads through Store under names made the store's own by its
// URL, which names its SQLite file or PostgreSQL schema. Store.Lead keys
// its locks by schema already; the prefix also keeps tests that share one
// schema's URL but not one desk apart. Stores opened on one URL share
// their names, so a fail-over test still has two processes compete.
type Leader struct{ Store *sqlstore.Store }

// Lead runs Store.Lead under name, made the store's own by its URL, which
// names its SQLite file or PostgreSQL schema.
func (l Leader) Lead(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	return l.Store.Lead(ctx, l.Store.String()+" "+name, fn)
}

// tables lists the tables Snapshot compares: the domain, not bookkeeping
// such as a bot's polling offset (bot_state), which moves with every update.
var tables = []string{"companies", "technicians", "access", "customers", "identities", "requests",
	"participants", "read_marks", "files", "messages", "message_versions", "relayed_copies", "events", "inbound", "dispatch_cursors",
	"dispatch_failures", "platform_channels", "platform_cards", "platform_notify", "link_codes", "chat_companies",
	"customer_chats"}

// Snapshot renders the whole database as text, rows sorted, so a test can
// prove that a refused action changed nothing.
func Snapshot(tb testing.TB, s *sqlstore.Store) string {
	tb.Helper()
	return SnapshotOf(tb, s, tables...)
}

// SnapshotOf is Snapshot of some tables only.
func SnapshotOf(tb testing.TB, s *sqlstore.Store, tables ...string) string {
	tb.Helper()
	var b strings.Builder
	for _, t := range tables {
		rows, err := s.DB().Queryx(`SELECT * FROM ` + t)
		if err != nil {
			tb.Fatalf("snapshot %s: %v", t, err)
		}
		var lines []string
		for rows.Next() {
			m := map[string]any{}
			if err := rows.MapScan(m); err != nil {
				tb.Fatalf("snapshot %s: %v", t, err)
			}
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var l strings.Builder
			for _, k := range keys {
				v := m[k]
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&l, "%s=%v ", k, v)
			}
			lines = append(lines, l.String())
		}
		if err := rows.Err(); err != nil {
			tb.Fatalf("snapshot %s: %v", t, err)
		}
		rows.Close()
		sort.Strings(lines)
		fmt.Fprintf(&b, "== %s (%d)\n%s\n", t, len(lines), strings.Join(lines, "\n"))
	}
	return b.String()
}

// Listen runs a store's LISTEN/NOTIFY loop (Store.Run) until the test ends
// and waits until it hears other processes, as a second relaydesk process
// on the same database would.
func Listen(tb testing.TB, s *sqlstore.Store) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.Run(ctx); err != nil {
			tb.Errorf("listener: %v", err)
		}
	}()
	tb.Cleanup(func() { cancel(); <-done })
	select {
	case <-s.Listening():
	case <-time.After(10 * time.Second):
		tb.Fatal("the listener did not start")
	}
}
