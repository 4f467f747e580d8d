package main

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestMain runs the test binary as the benchmark's client when the
// benchmark under test starts it so.
func TestMain(m *testing.M) {
	if plan := os.Getenv("FANOUT_CLIENT"); plan != "" {
		if err := runClient(context.Background(), plan, os.Stdin, os.Stdout); err != nil {
			os.Stderr.WriteString("fanout client: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestFanout runs the benchmark small, on both databases: every message
// reaches its socket and every console that follows its company.
func TestFanout(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			o := options{db: db, pgURL: pgDefault(), sockets: 40, consoles: 3, companies: 4, followed: 2,
				rate: 40, duration: time.Second}
			if db == "postgres" {
				needPostgres(t, o.pgURL)
			}
			rep, err := run(context.Background(), o, func(plan string) *exec.Cmd {
				cmd := exec.Command(os.Args[0], "-test.run=^$")
				cmd.Env = append(os.Environ(), "FANOUT_CLIENT="+plan)
				return cmd
			})
			if err != nil {
				t.Fatal(err)
			}
			c := rep.Client
			if c.Sent != 40 || c.PostErrors != 0 || c.Received != c.Sent || c.SocketErrors != 0 {
				t.Fatalf("sent %d, refused %d (%s), received %d, socket errors %d",
					c.Sent, c.PostErrors, c.FirstPostError, c.Received, c.SocketErrors)
			}
			if c.ConsoleExpected == 0 || c.ConsoleReceived != c.ConsoleExpected {
				t.Fatalf("consoles received %d of %d", c.ConsoleReceived, c.ConsoleExpected)
			}
			if c.Socket.N != c.Sent || c.Socket.P50 <= 0 || rep.RSSIdle <= 0 {
				t.Fatalf("figures %+v, RSS %d", c.Socket, rep.RSSIdle)
			}
		})
	}
}

// needPostgres skips the test when no PostgreSQL server answers at url,
// unless RELAYDESK_REQUIRE_POSTGRES says one must.
func needPostgres(t *testing.T, url string) {
	t.Helper()
	db, err := sql.Open("postgres", url)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = db.PingContext(ctx)
		cancel()
		db.Close()
	}
	if err == nil {
		return
	}
	if os.Getenv("RELAYDESK_REQUIRE_POSTGRES") != "" {
		t.Fatalf("PostgreSQL at %s is required (RELAYDESK_REQUIRE_POSTGRES is set) but does not answer: %v", url, err)
	}
	t.Skipf("PostgreSQL at %s does not answer: %v", url, err)
}
