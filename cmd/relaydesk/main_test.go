package main_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	main "github.com/relaydesk/relaydesk/cmd/relaydesk"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/web/cobrowse"
)

// syncBuffer is a bytes.Buffer that goroutines of a running server may
// write while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// program is relaydesk run in-process with its own environment and no
// .env file, as a user would run the binary.
type program struct {
	t   *testing.T
	env map[string]string
	// onCobrowse, if set, sees every co-browsing frame serve receives.
	onCobrowse func(who cobrowse.Who, data []byte)
}

// backend names a database a CLI test runs on.
type backend struct {
	name  string
	url   func(t *testing.T) string // a database of the test's own, migrated and without rows
	empty func(t *testing.T) string // a database of the test's own without even the migrations
}

// backends are the databases every CLI test runs on; PostgreSQL skips (or
// fails, in CI) without a server.
func backends() []backend {
	return []backend{
		{"sqlite", sqliteURL, sqliteURL},
		{"postgres", func(t *testing.T) string { return storetest.MigratedPostgresURL(t) },
			func(t *testing.T) string { return storetest.PostgresURL(t) }},
	}
}

// sqliteURL names a new SQLite file, empty: migrating one costs little.
func sqliteURL(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "relaydesk.db") }

func newProgram(t *testing.T, databaseURL string) *program {
	return &program{t: t, env: map[string]string{
		"DATABASE_URL": databaseURL,
		"DATA_DIR":     t.TempDir(),
		"PUBLIC_URL":   "https://help.example.com",
	}}
}

func (p *program) main(stdin string, stdout, stderr *syncBuffer) *main.Main {
	return &main.Main{
		Stdin:     strings.NewReader(stdin),
		Stdout:    stdout,
		Stderr:    stderr,
		LookupEnv: func(k string) (string, bool) { v, ok := p.env[k]; return v, ok },
		EnvFile:   filepath.Join(p.t.TempDir(), ".env"), // absent: no developer's .env leaks in

		OnCobrowseFrame: p.onCobrowse,
	}
}

// run runs one command to its end.
func (p *program) run(stdin string, args ...string) (code int, stdout, stderr string) {
	p.t.Helper()
	var out, errb syncBuffer
	code = p.main(stdin, &out, &errb).Run(context.Background(), args)
	return code, out.String(), errb.String()
}

// server is `relaydesk serve` running in-process for a test.
type server struct {
	t      *testing.T
	base   string      // http://host:port it listens on
	out    *syncBuffer // what it wrote to standard output
	log    *syncBuffer // what it wrote to standard error
	cancel context.CancelFunc
	exited chan int
	once   sync.Once
}

// serve starts `relaydesk serve` and waits until it listens. It is stopped,
// and must exit 0, when the test ends (its cleanup runs before those
// registered earlier, such as fake platforms), or earlier with stop.
func (p *program) serve() *server {
	p.t.Helper()
	s := &server{t: p.t, out: &syncBuffer{}, log: &syncBuffer{}, exited: make(chan int, 1)}
	m := p.main("", s.out, s.log)
	addrc := make(chan string, 1)
	m.OnListen = func(addr string) { addrc <- addr }
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() { s.exited <- m.Run(ctx, []string{"serve"}) }()
	p.t.Cleanup(s.stop)
	select {
	case addr := <-addrc:
		s.base = "http://" + addr
	case code := <-s.exited:
		p.t.Fatalf("serve exited with %d before listening:\n%s", code, s.log.String())
	case <-time.After(30 * time.Second):
		p.t.Fatalf("serve did not listen within 30s:\n%s", s.log.String())
	}
	return s
}

// stop ends serve as SIGTERM would and checks that it exits 0.
func (s *server) stop() {
	s.once.Do(func() {
		s.cancel()
		select {
		case code := <-s.exited:
			if code != 0 {
				s.t.Errorf("serve exited with %d, want 0:\n%s", code, s.log.String())
			}
		case <-time.After(30 * time.Second):
			s.t.Errorf("serve did not stop within 30s of its context ending:\n%s", s.log.String())
		}
	})
}
