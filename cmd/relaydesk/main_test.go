package main_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	main "github.com/relaydesk/relaydesk/cmd/relaydesk"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
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
}

// backend names a database a CLI test runs on.
type backend struct {
	name string
	url  func(t *testing.T) string // a fresh, empty database
}

// backends are the databases every CLI test runs on; PostgreSQL skips (or
// fails, in CI) without a server.
func backends() []backend {
	return []backend{
		{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "relaydesk.db") }},
		{"postgres", func(t *testing.T) string { return storetest.PostgresURL(t) }},
	}
}

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
	}
}

// run runs one command to its end.
func (p *program) run(stdin string, args ...string) (code int, stdout, stderr string) {
	p.t.Helper()
	var out, errb syncBuffer
	code = p.main(stdin, &out, &errb).Run(context.Background(), args)
	return code, out.String(), errb.String()
}
