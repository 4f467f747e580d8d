package sqlstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// migratedUpTo opens a fresh database of be with the migrations before
// version applied, as an older relaydesk left it, and returns every
// migration and a way to write rows into it.
func migratedUpTo(t *testing.T, be storetest.Backend, version int) (*sqlstore.Store, []sqlstore.Migration, func(q string, args ...any)) {
	t.Helper()
	s, err := sqlstore.Open(context.Background(), be.URL(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	all, err := sqlstore.Migrations(s.Dialect())
	if err != nil {
		t.Fatal(err)
	}
	db := s.DB()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(db.Rebind(q), args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`)
	for _, m := range all {
		if m.Version >= version {
			break
		}
		exec(m.SQL)
		exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, 0)`, m.Version, m.Name)
	}
	return s, all, exec
}

// TestReportedSysinfoMigration: a database whose requests were asked for
// system information before 0005 keeps each unanswered request askable,
// and only those.
func TestReportedSysinfoMigration(t *testing.T) {
	t.Parallel()
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s, all, exec := migratedUpTo(t, be, 5)
			exec(`INSERT INTO companies (id, name, slug, portal_key, allowed_exts, max_file_bytes, created_at)
				VALUES ('cmp_1', 'Acme', 'acme', 'pk_1', '', 1, 0)`)
			requests := map[string][]string{
				"never asked":           {"chat.message"},
				"asked":                 {"chat.message", "sysinfo.requested", "chat.message"},
				"answered":              {"sysinfo.requested", "sysinfo.provided"},
				"answered, asked again": {"sysinfo.requested", "sysinfo.provided", "sysinfo.requested"},
			}
			ids := map[string]string{}
			n := 0
			for name, types := range requests {
				n++
				id := fmt.Sprintf("req_%d", n)
				ids[name] = id
				exec(`INSERT INTO requests (id, company_id, company_name, number, status, chat, created_at, updated_at, version)
					VALUES (?, 'cmp_1', 'Acme', ?, 'active', 'live', 0, 0, ?)`, id, n, len(types))
				for i, typ := range types {
					exec(`INSERT INTO events (txid, request_id, company_id, rseq, type, actor_kind, actor_id, audience, data, created_at)
						VALUES (0, ?, 'cmp_1', ?, ?, 'technician', 'tec_1', 'all', '{}', 0)`, id, i+1, typ)
				}
			}
			applied, err := s.Migrate(ctx)
			if err != nil || len(applied) != len(all)-4 {
				t.Fatalf("migrate applied %v: %v", applied, err)
			}
			for name, id := range ids {
				r, err := s.Request(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				want := name == "asked" || name == "answered, asked again"
				if r.SystemInfoAsked != want || !r.Source.Reported.IsZero() {
					t.Errorf("%s: asked %v, reported %+v", name, r.SystemInfoAsked, r.Source.Reported)
				}
			}
		})
	}
}

// TestPlatformChannelsMigration: queue-channel bindings kept in bot_state
// before 0008 become rows when both of their sides agree; a company still
// pointing at a channel that another company took over loses it, and the
// old names are gone.
func TestPlatformChannelsMigration(t *testing.T) {
	t.Parallel()
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s, _, exec := migratedUpTo(t, be, 8)
			db := s.DB()
			for _, co := range []string{"a", "b", "c"} {
				exec(`INSERT INTO companies (id, name, slug, portal_key, allowed_exts, max_file_bytes, created_at)
					VALUES (?, ?, ?, ?, '', 1, 0)`, "cmp_"+co, co, co, "pk_"+co)
			}
			for name, value := range map[string]string{
				// a's Slack channel C1 was taken over by b; a was never told.
				"slack:channel:cmp_a": "C1", "slack:channel:cmp_b": "C1", "slack:company:C1": "cmp_b",
				"slack:channel:cmp_c": "C3", "slack:company:C3": "cmp_c",
				"discord:channel:cmp_a": "111", "discord:company:111": "cmp_a",
				"discord:company:222": "", // unbound
				"telegram:1:offset":   "42",
			} {
				exec(`INSERT INTO bot_state (name, value, updated_at) VALUES (?, ?, 0)`, name, value)
			}
			if _, err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct{ platform, company, want string }{
				{"slack", "cmp_a", ""}, {"slack", "cmp_b", "C1"}, {"slack", "cmp_c", "C3"},
				{"discord", "cmp_a", "111"}, {"discord", "cmp_b", ""},
			} {
				got, err := s.QueueChannel(ctx, c.platform, c.company)
				if c.want == "" && core.ErrorCode(err) != core.CodeNotFound || c.want != "" && (err != nil || got != c.want) {
					t.Errorf("%s channel of %s: %q, %v; want %q", c.platform, c.company, got, err, c.want)
				}
			}
			if co, err := s.ChannelCompany(ctx, "slack", "C1"); err != nil || co != "cmp_b" {
				t.Errorf("slack C1 is the queue of %q, %v; want cmp_b", co, err)
			}
			var left []string
			if err := db.Select(&left, `SELECT name FROM bot_state ORDER BY name`); err != nil {
				t.Fatal(err)
			}
			if len(left) != 1 || left[0] != "telegram:1:offset" {
				t.Errorf("bot_state keeps %q, want only the Telegram offset", left)
			}
		})
	}
}
