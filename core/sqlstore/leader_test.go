package sqlstore_test

import (
	"context"
	"errors"
	"hash/fnv"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// leader runs Lead in the background and reports each time fn starts.
type leader struct {
	started chan context.Context
	done    chan error
}

func lead(ctx context.Context, s *sqlstore.Store, name string) *leader {
	l := &leader{started: make(chan context.Context, 10), done: make(chan error, 1)}
	go func() {
		l.done <- s.Lead(ctx, name, func(ctx context.Context) error {
			l.started <- ctx
			<-ctx.Done()
			return ctx.Err()
		})
	}()
	return l
}

func (l *leader) waitStart(t *testing.T, within time.Duration) context.Context {
	t.Helper()
	select {
	case c := <-l.started:
		return c
	case <-time.After(within):
		t.Fatalf("did not start leading within %s", within)
		return nil
	}
}

func (l *leader) waitDone(t *testing.T) error {
	t.Helper()
	select {
	case err := <-l.done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("Lead did not return after its context ended")
		return nil
	}
}

// TestLeadFailover: two processes want to lead; one does, and when it
// stops the other takes over, within its retry interval.
func TestLeadFailover(t *testing.T) {
	t.Parallel()
	const retry = 50 * time.Millisecond
	url := storetest.MigratedPostgresURL(t)
	s1, s2 := storetest.Open(t, url), storetest.Open(t, url)
	s2.LeadRetry = retry
	ctx1, stop1 := context.WithCancel(context.Background())
	defer stop1()
	ctx2, stop2 := context.WithCancel(context.Background())
	defer stop2()

	l1 := lead(ctx1, s1, "telegram:1:updates")
	l1.waitStart(t, 10*time.Second)
	l2 := lead(ctx2, s2, "telegram:1:updates")
	other := lead(ctx2, s2, "discord:gateway") // another name is another lock
	other.waitStart(t, 10*time.Second)
	// That the second process does not lead shows only as nothing
	// happening: give it a few tries, retry apart, before going on.
	select {
	case <-l2.started:
		t.Fatal("two processes lead at once")
	case <-time.After(5 * retry):
	}

	stop1()
	if err := l1.waitDone(t); err != nil {
		t.Fatalf("the first leader returned %v, want nil after its context ended", err)
	}
	l2.waitStart(t, 15*time.Second)
	stop2()
	if err := l2.waitDone(t); err != nil {
		t.Fatalf("the second leader returned %v", err)
	}
}

// TestLeadConnectionDies: when the lock's connection dies, fn's context
// ends and Lead takes the lock again.
func TestLeadConnectionDies(t *testing.T) {
	t.Parallel()
	s := storetest.Postgres(t)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	l := lead(ctx, s, "telegram:2:updates")
	first := l.waitStart(t, 10*time.Second)

	var pid int
	err := s.DB().QueryRow(`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
		AND ((classid::bigint << 32) | objid::bigint) = `+sqlstore.SchemaKey, leadKey("telegram:2:updates")).Scan(&pid)
	if err != nil {
		t.Fatalf("find the lock's session: %v", err)
	}
	if _, err := s.DB().Exec(`SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	select {
	case <-first.Done():
	case <-time.After(15 * time.Second):
		t.Fatal("the leader kept running after its lock's connection died")
	}
	l.waitStart(t, 15*time.Second)
	stop()
	if err := l.waitDone(t); err != nil {
		t.Fatalf("Lead returned %v", err)
	}
}

// leadKey is the advisory lock key Lead takes for name: the FNV-1a hash
// of "relaydesk:lead:" and the name. It is fixed, as processes of two
// versions must agree on it during a rolling upgrade.
func leadKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("relaydesk:lead:" + name))
	return int64(h.Sum64())
}

// TestLeadSQLite: one process uses SQLite, so fn just runs, and its error
// comes back.
func TestLeadSQLite(t *testing.T) {
	t.Parallel()
	s := storetest.SQLite(t)
	boom := errors.New("boom")
	err := s.Lead(context.Background(), "x", func(context.Context) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Lead returned %v, want fn's error", err)
	}
}

// TestLeadReturnsFnError: on PostgreSQL too, fn's own failure comes back and
// the lock is released for another process.
func TestLeadReturnsFnError(t *testing.T) {
	t.Parallel()
	url := storetest.MigratedPostgresURL(t)
	s1, s2 := storetest.Open(t, url), storetest.Open(t, url)
	boom := errors.New("boom")
	if err := s1.Lead(context.Background(), "x", func(context.Context) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("Lead returned %v, want fn's error", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	l := lead(ctx, s2, "x")
	l.waitStart(t, 10*time.Second) // at once: the lock was released
}

// TestLeadPerSchema: two desks kept in two schemas of one PostgreSQL
// database are two desks: each has its own leader under the same name,
// while two processes of one desk (one schema) still take turns.
func TestLeadPerSchema(t *testing.T) {
	t.Parallel()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	name := "relaydesk-test-per-schema:" + t.Name()
	url := storetest.MigratedPostgresURL(t)
	one, same := storetest.Open(t, url), storetest.Open(t, url)
	other := storetest.Postgres(t) // a schema of its own
	same.LeadRetry = 20 * time.Millisecond

	lead(ctx, one, name).waitStart(t, 10*time.Second)
	lead(ctx, other, name).waitStart(t, 10*time.Second)
	second := lead(ctx, same, name)
	select {
	case <-second.started:
		t.Fatal("a second process of one desk led while the first did")
	case <-time.After(200 * time.Millisecond): // 10 retries of the second process
	}
}
