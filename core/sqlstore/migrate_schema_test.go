package sqlstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestMigratePerSchema: a desk migrating its schema holds back another
// process of that desk, not a desk kept in another schema of the database.
func TestMigratePerSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := storetest.PostgresURL(t)
	busy := storetest.Open(t, url)
	// A process of the desk in the middle of migrating holds the lock.
	conn, err := busy.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(`+sqlstore.SchemaKey+`)`, sqlstore.MigrateLock); err != nil {
		t.Fatal(err)
	}

	other, err := sqlstore.Open(ctx, storetest.PostgresURL(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	octx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := other.Migrate(octx); err != nil {
		t.Fatalf("a desk in another schema waited for this one's migrations: %v", err)
	}

	same, err := sqlstore.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer same.Close()
	sctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	// lib/pq reports the cancelled wait as the server's cancellation.
	if _, err := same.Migrate(sctx); err == nil || !errors.Is(sctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("a second process of the desk migrated while the first held the lock: %v", err)
	}
}
