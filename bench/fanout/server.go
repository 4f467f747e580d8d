package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "github.com/lib/pq" // the driver of the admin connection that makes the schema

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/blob"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/web"
	"github.com/relaydesk/relaydesk/web/console"
	"github.com/relaydesk/relaydesk/web/widget"
)

// database is a fresh, migrated store and how to get rid of it.
type database struct {
	store *sqlstore.Store
	dir   string // temp directory: the SQLite file and the blobs
	drop  func()
}

// openDatabase opens a new SQLite file, or a new schema on the PostgreSQL
// server at pgURL, and migrates it.
func openDatabase(ctx context.Context, kind, pgURL string, log *slog.Logger) (*database, error) {
	dir, err := os.MkdirTemp("", "relaydesk-fanout-")
	if err != nil {
		return nil, fmt.Errorf("temp directory: %w", err)
	}
	d := &database{dir: dir, drop: func() { os.RemoveAll(dir) }}
	var dsn string
	switch kind {
	case "sqlite":
		dsn = "sqlite:" + filepath.Join(dir, "relaydesk.db")
	case "postgres":
		if dsn, d.drop, err = privateDatabase(ctx, pgURL, dir, log); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	default:
		return nil, fmt.Errorf("-db %q: want sqlite or postgres", kind)
	}
	if d.store, err = sqlstore.Open(ctx, dsn, log); err != nil {
		d.drop()
		return nil, err
	}
	if _, err := d.store.Migrate(ctx); err != nil {
		d.close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return d, nil
}

// privateDatabase makes a database of the benchmark's own on the server at
// pgURL and returns its URL, and how to drop it. A database of its own
// hears no NOTIFY but its own: other relaydesk processes on the server
// (tests, say) LISTEN and NOTIFY on the same channel name in theirs. Where
// it may not create databases, it takes a schema of pgURL's database.
func privateDatabase(ctx context.Context, pgURL, dir string, log *slog.Logger) (string, func(), error) {
	u, err := url.Parse(pgURL)
	if err != nil {
		return "", nil, fmt.Errorf("postgres URL: %w", err)
	}
	admin, err := sql.Open("postgres", pgURL)
	if err != nil {
		return "", nil, fmt.Errorf("postgres: %w", err)
	}
	name := strings.ReplaceAll(core.NewID("fanout"), "_", "")
	_, cerr := admin.ExecContext(ctx, `CREATE DATABASE `+name)
	if cerr == nil {
		drop := func() {
			if _, err := admin.Exec(`DROP DATABASE ` + name + ` WITH (FORCE)`); err != nil {
				log.Warn("drop the benchmark's database", "database", name, "err", err)
			}
			admin.Close()
			os.RemoveAll(dir)
		}
		u.Path = "/" + name
		return u.String(), drop, nil
	}
	fmt.Fprintf(os.Stderr, "fanout: cannot create a database (%v); using a schema of %s, whose NOTIFYs other processes may share\n",
		cerr, u.Path)
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+name); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create schema on %s: %w", u.Redacted(), err)
	}
	drop := func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + name + ` CASCADE`); err != nil {
			log.Warn("drop the benchmark's schema", "schema", name, "err", err)
		}
		admin.Close()
		os.RemoveAll(dir)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

func (d *database) close() {
	d.store.Close()
	d.drop()
}

// seed is what the benchmark creates before the clock starts.
type seed struct {
	companies []core.Company
	techs     []core.Technician
	opened    []core.Opened
}

// seedDesk creates companies, technicians with access to the first
// followed companies, and one open request per widget socket, spread evenly
// over the companies.
func seedDesk(ctx context.Context, eng *core.Engine, o options) (*seed, error) {
	sys := core.SystemActor()
	s := &seed{}
	for i := range o.companies {
		c, err := eng.CreateCompany(ctx, sys, core.NewCompany{Name: fmt.Sprintf("Company %d", i)})
		if err != nil {
			return nil, fmt.Errorf("create company: %w", err)
		}
		s.companies = append(s.companies, c)
	}
	for i := range o.consoles {
		t, err := eng.CreateTechnician(ctx, sys, core.NewTechnician{Email: fmt.Sprintf("tech%d@bench.test", i),
			Name: fmt.Sprintf("Tech %d", i), Role: core.RoleTechnician})
		if err != nil {
			return nil, fmt.Errorf("create technician: %w", err)
		}
		for _, c := range s.companies[:o.followed] {
			if err := eng.GrantAccess(ctx, sys, t.ID, c.ID); err != nil {
				return nil, fmt.Errorf("grant access: %w", err)
			}
		}
		s.techs = append(s.techs, t)
	}
	s.opened = make([]core.Opened, o.sockets)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				op, err := eng.OpenRequest(ctx, core.OpenRequest{CompanyID: s.companies[i%len(s.companies)].ID,
					Email: fmt.Sprintf("customer%d@bench.test", i), Message: "hello",
					Source: core.Source{Channel: "web", Device: "desktop", OS: "Linux", Browser: "Firefox"}})
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					continue
				}
				s.opened[i] = op
			}
		})
	}
	for i := range o.sockets {
		if i > 0 && i%2000 == 0 {
			fmt.Fprintf(os.Stderr, "fanout: opened %d requests\n", i)
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		return nil, fmt.Errorf("open requests: %w (and %d more)", errs[0], len(errs)-1)
	}
	return s, nil
}

// signIn creates a console session for each technician, as the sign-in
// form would, and returns the cookie values.
func signIn(ctx context.Context, store *sqlstore.Store, techs []core.Technician) ([]string, error) {
	var out []string
	now := time.Now()
	for _, t := range techs {
		token, hash := core.NewToken()
		_, csrf := core.NewToken()
		if err := store.CreateSession(ctx, sqlstore.Session{IDHash: hash, TechnicianID: t.ID, CSRF: csrf,
			CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(console.IdleTimeout)}); err != nil {
			return nil, fmt.Errorf("create session: %w", err)
		}
		out = append(out, token)
	}
	return out, nil
}

// serve runs relaydesk's HTTP server with the widget and the console on
// ln until ctx ends, wired as cmd/relaydesk wires it, except that loopback
// clients are not capped at 256 connections.
func serve(ctx context.Context, store *sqlstore.Store, eng *core.Engine, ln net.Listener, log *slog.Logger) error {
	publicURL := "http://" + ln.Addr().String()
	srv := web.New(web.Config{Logger: log, DB: store, Uncapped: func(netip.Addr) bool { return true }})
	console.New(console.Config{Engine: eng, Store: store, Hub: store.Hub(), Logger: log, PublicURL: publicURL}).Mount(srv.Mount)
	widget.New(widget.Config{Engine: eng, Store: store, Hub: store.Hub(), Logger: log, PublicURL: publicURL}).Mount(srv.Mount)
	return srv.Serve(ctx, ln)
}

// newEngine is the engine over store, with blobs in dir.
func newEngine(store *sqlstore.Store, dir string, log *slog.Logger) *core.Engine {
	return core.NewEngine(core.Config{Store: store, Blobs: blob.NewDir(filepath.Join(dir, "blobs")), Logger: log})
}
