// Package sqlstore is relaydesk's store on SQLite (the embedded default,
// through the pure-Go modernc.org/sqlite) and PostgreSQL (lib/pq), with one
// SQL text for both. It also keeps the event log that the dispatcher reads,
// and wakes readers when events commit: in-process at once, and on
// PostgreSQL in other processes through LISTEN/NOTIFY.
package sqlstore

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/hub"
)

// DefaultURL is where relaydesk keeps its data with no configuration.
const DefaultURL = "sqlite:data/relaydesk.db"

// Store implements core.Store.
type Store struct {
	// LeadRetry is how often Lead tries again to take a lock another
	// process holds: how soon a process takes over from a leader that
	// stopped. Zero means every 2s. Set it before calling Lead.
	LeadRetry time.Duration

	queries
	db  *sqlx.DB
	dsn string // may hold a password: never log it
	url string // with any password removed, for logs
	log *slog.Logger

	// writeMu serialises this process's SQLite writers: SQLite allows one
	// writer, and its busy handler sleeps where a mutex hands over at once.
	writeMu sync.Mutex

	// hub wakes this process's live readers by what a commit touched.
	hub *hub.Hub
	// eventsChannel and signalsChannel are this desk's NOTIFY channels
	// (see channels).
	eventsChannel, signalsChannel string
	// liveChannel carries the NOTIFYs of live mail (live.go).
	liveChannel string
	// mail is who to tell of live mail.
	mail mailboxes
	// origin tells this process's NOTIFYs from other processes'.
	origin string
	// announce holds what this process's commits touched until the
	// PostgreSQL notifier tells the other processes, one NOTIFY per burst.
	announce announcements
	// committed is signalled after every commit that touched something.
	committed chan struct{}
	// outbox holds this process's signals until the signaler NOTIFYs the
	// other processes of them (PostgreSQL only).
	outbox chan outgoing
	// listening is closed once Run listens for other processes' commits.
	listening     chan struct{}
	listeningOnce sync.Once
}

// Open opens the database named by a URL: "sqlite:path/to/file.db" (also
// "sqlite:///abs/path.db" or a bare path ending in .db) or
// "postgres://user@host/db". It creates the SQLite file's directory and checks
// the connection, but applies no migration (see Migrate).
func Open(ctx context.Context, rawURL string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if rawURL == "" {
		rawURL = DefaultURL
	}
	d, dsn, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if d.name == "sqlite" {
		if dir := filepath.Dir(strings.TrimPrefix(strings.SplitN(dsn, "?", 2)[0], "file:")); dir != "" {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("create the database directory: %w", err)
			}
		}
	}
	db, err := sqlx.Open(d.driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if d.name == "sqlite" {
		// WAL lets readers run beside the one writer; a small pool is plenty.
		db.SetMaxOpenConns(8)
	} else {
		db.SetMaxOpenConns(32)
		db.SetMaxIdleConns(32)
	}
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{
		queries:   queries{ext: db, d: d, stmts: newStmtCache(db)},
		db:        db,
		dsn:       dsn,
		url:       redact(rawURL),
		log:       log,
		hub:       hub.New(),
		origin:    core.NewID("p"),
		committed: make(chan struct{}, 1),
		outbox:    make(chan outgoing, signalBacklog),
		listening: make(chan struct{}),
	}
	if err := s.Ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	s.eventsChannel, s.signalsChannel = notifyChannel, signalChannel
	if d.name == "postgres" {
		var schema string
		if err := db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
			db.Close()
			return nil, fmt.Errorf("read the database's schema: %w", err)
		}
		s.eventsChannel, s.signalsChannel = channels(schema)
	}
	s.liveChannel = s.signalsChannel + "_live"
	return s, nil
}

// channels are the NOTIFY channels of the desk kept in schema. Channels
// are the database's, but two desks in two schemas of one database are
// not one desk: each gets its own, so neither wakes the other's readers.
// The public schema keeps the plain names, which processes of an older
// version use, so that a rolling upgrade goes on hearing itself.
func channels(schema string) (events, signals string) {
	if schema == "public" {
		return notifyChannel, signalChannel
	}
	h := fnv.New64a()
	h.Write([]byte(schema))
	suffix := fmt.Sprintf("_%016x", h.Sum64())
	return notifyChannel + suffix, signalChannel + suffix
}

// CheckURL reports whether Open understands a database URL, without
// opening anything, so configuration can be refused before start-up.
func CheckURL(rawURL string) error {
	if rawURL == "" {
		return nil
	}
	_, _, err := parseURL(rawURL)
	return err
}

func parseURL(raw string) (dialect, string, error) {
	switch {
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		u, err := url.Parse(raw)
		if err != nil {
			return dialect{}, "", fmt.Errorf("database URL %s: %w", redact(raw), err)
		}
		// One round trip per statement instead of two: lib/pq otherwise
		// parses and describes every statement before binding its arguments.
		q := u.Query()
		if q.Get("binary_parameters") == "" {
			q.Set("binary_parameters", "yes")
			u.RawQuery = q.Encode()
		}
		return pgDialect, u.String(), nil
	case strings.HasPrefix(raw, "sqlite:"), strings.HasPrefix(raw, "file:"), strings.HasSuffix(raw, ".db"):
		path := raw
		for _, p := range []string{"sqlite://", "sqlite:", "file:"} {
			if strings.HasPrefix(path, p) {
				path = strings.TrimPrefix(path, p)
				break
			}
		}
		path, query, _ := strings.Cut(path, "?")
		if path == "" {
			return dialect{}, "", fmt.Errorf("database URL %q names no SQLite file; use sqlite:path/to/relaydesk.db", raw)
		}
		v, err := url.ParseQuery(query)
		if err != nil {
			return dialect{}, "", fmt.Errorf("database URL %q: %w", raw, err)
		}
		// FULL: a message acknowledged to a customer survives a power cut.
		for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)"} {
			v.Add("_pragma", p)
		}
		// Transactions take the write lock at BEGIN, so a reader never has
		// to upgrade (which SQLite cannot wait for) halfway through.
		v.Set("_txlock", "immediate")
		return sqliteDialect, "file:" + path + "?" + v.Encode(), nil
	}
	return dialect{}, "", fmt.Errorf("database URL %q is not supported: use sqlite:path/to/file.db or postgres://user@host/db", redact(raw))
}

// redact removes a password from a URL for logs.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Dialect is "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.d.name }

// String describes the database for logs, without credentials.
func (s *Store) String() string { return s.url }

// DB exposes the connection pool, for tests and benchmarks.
func (s *Store) DB() *sqlx.DB { return s.db }

// Ping checks that the database answers, for readiness probes.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("database %s does not answer: %w", s.url, err)
	}
	return nil
}

// Close closes the pool.
func (s *Store) Close() error {
	s.stmts.close()
	return s.db.Close()
}

// Update runs fn in one transaction and commits it if fn returns nil.
func (s *Store) Update(ctx context.Context, fn func(core.Tx) error) error {
	if s.d.name == "sqlite" {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	t := &txn{queries: queries{ext: tx, d: s.d, tx: true, sqltx: tx, stmts: s.stmts}}
	if err := fn(t); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if len(t.keys) > 0 {
		s.publish(t.keys)
	}
	return nil
}

// Subscribe returns a channel that receives a value (coalesced) whenever
// events may have been appended, here or, once Run is running, in another
// process: the dispatcher's wake-up. Call cancel when done. Live readers
// that follow one request or company use Hub instead.
func (s *Store) Subscribe() (<-chan struct{}, func()) { return s.hub.Subscribe() }

// Hub is where this process's live readers follow what commits touch: the
// events of a request or of a company, here or, once Run is running, in
// another process.
func (s *Store) Hub() *hub.Hub { return s.hub }

// publish wakes this process's readers of what a commit touched (nothing
// named: the dispatchers only), and queues it for the other processes.
func (s *Store) publish(keys []hub.Key) {
	s.hub.Publish(keys...)
	if s.d.name != "postgres" {
		return
	}
	s.announce.add(keys)
	select {
	case s.committed <- struct{}{}:
	default:
	}
}

// Listening is closed once Run hears other processes' commits (at once on
// SQLite, which has no other processes).
func (s *Store) Listening() <-chan struct{} { return s.listening }

func (s *Store) markListening() { s.listeningOnce.Do(func() { close(s.listening) }) }

// notifyChannel is the PostgreSQL channel relaydesk processes share.
const notifyChannel = "relaydesk_events"

// Run connects this process to the others sharing a PostgreSQL database until
// ctx ends: it LISTENs for their commits and signals and NOTIFYs them of
// ours, one NOTIFY per burst of commits so notifying never serialises the
// engine's commits. On SQLite it just waits: there is one process.
func (s *Store) Run(ctx context.Context) error {
	if s.d.name != "postgres" {
		s.markListening()
		<-ctx.Done()
		return nil
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // before the Wait: a failed listener stops the notifier too
	wg.Go(func() { s.notifier(ctx) })
	wg.Go(func() { s.signaler(ctx) })
	return s.listen(ctx)
}

func (s *Store) notifier(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.committed:
		}
		for _, p := range s.announce.take(s.origin) {
			if _, err := s.db.ExecContext(ctx, "SELECT pg_notify($1, $2)", s.eventsChannel, p); err != nil && ctx.Err() == nil {
				s.log.Warn("notify other relaydesk processes", "err", err)
			}
		}
	}
}

// txn is an open transaction.
type txn struct {
	queries
	keys []hub.Key // what the transaction touched: wake its readers after commit
}

// touch records that the transaction touched k.
func (t *txn) touch(k hub.Key) {
	if !slices.Contains(t.keys, k) {
		t.keys = append(t.keys, k)
	}
}

var _ core.Store = (*Store)(nil)
var _ core.Tx = (*txn)(nil)
