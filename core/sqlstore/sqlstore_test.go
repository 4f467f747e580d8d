package sqlstore_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestMigrationsInStep keeps the SQLite and PostgreSQL schemas moving
// together: the same migrations, by number and name, in both folders.
func TestMigrationsInStep(t *testing.T) {
	lite, err := sqlstore.Migrations("sqlite")
	if err != nil {
		t.Fatal(err)
	}
	pg, err := sqlstore.Migrations("postgres")
	if err != nil {
		t.Fatal(err)
	}
	names := func(ms []sqlstore.Migration) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Name)
		}
		return out
	}
	if len(lite) == 0 || !slices.Equal(names(lite), names(pg)) {
		t.Fatalf("sqlite has %v, postgres has %v", names(lite), names(pg))
	}
}

// TestConcurrentMigrate starts several processes on one empty database at
// once: each migration is applied exactly once and every process starts.
func TestConcurrentMigrate(t *testing.T) {
	t.Parallel()
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			url := be.URL(t)
			ctx := context.Background()
			const procs = 4
			stores := make([]*sqlstore.Store, procs)
			for i := range stores {
				s, err := sqlstore.Open(ctx, url, nil)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				stores[i] = s
			}
			applied := make([][]string, procs)
			errs := make([]error, procs)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i, s := range stores {
				wg.Go(func() {
					<-start
					applied[i], errs[i] = s.Migrate(ctx)
				})
			}
			close(start)
			wg.Wait()
			total := 0
			for i, err := range errs {
				if err != nil {
					t.Fatalf("process %d: %v", i, err)
				}
				total += len(applied[i])
			}
			all, _ := sqlstore.Migrations(stores[0].Dialect())
			if total != len(all) {
				t.Fatalf("migrations applied %d times in all, want %d", total, len(all))
			}
			var n int
			if err := stores[0].DB().Get(&n, `SELECT COUNT(*) FROM schema_migrations`); err != nil || n != len(all) {
				t.Fatalf("schema_migrations has %d rows (%v)", n, err)
			}
			again, err := stores[1].Migrate(ctx)
			if err != nil || len(again) != 0 {
				t.Fatalf("a second run applied %v (%v)", again, err)
			}
		})
	}
}

// TestOpenRefusesUnknownURLs says what a database URL must look like, and
// never echoes a password.
func TestOpenRefusesUnknownURLs(t *testing.T) {
	for _, url := range []string{"mysql://root:hunter2@localhost/x", "sqlite:", "redis://localhost"} {
		_, err := sqlstore.Open(context.Background(), url, nil)
		if err == nil {
			t.Fatalf("%s: opened", url)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("%s: the error shows the password: %v", url, err)
		}
		if !strings.Contains(err.Error(), "sqlite:") {
			t.Errorf("%s: the error %q does not say what to use", url, err)
		}
	}
}
