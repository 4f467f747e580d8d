package sqlstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

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

// TestPlatformStateMigration: what the adapters kept in bot_state before
// 0009 (cards, notification settings, link codes, Telegram chats) becomes
// typed rows where what it points at exists, threads only where their back
// pointers agree; used codes are dropped, and only the Telegram update
// offset stays in bot_state.
func TestPlatformStateMigration(t *testing.T) {
	t.Parallel()
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s, _, exec := migratedUpTo(t, be, 9)
			db := s.DB()
			exec(`INSERT INTO companies (id, name, slug, portal_key, allowed_exts, max_file_bytes, created_at)
				VALUES ('cmp_a', 'Acme', 'acme', 'pk_a', '', 1, 0)`)
			for _, id := range []string{"tec_1", "tec_2"} {
				exec(`INSERT INTO technicians (id, email, name, role, availability, created_at)
					VALUES (?, ?, ?, 'technician', 'available', 0)`, id, id+"@desk.test", id)
			}
			exec(`INSERT INTO customers (id, company_id, created_at) VALUES ('cus_1', 'cmp_a', 0)`)
			for i := 1; i <= 4; i++ {
				exec(`INSERT INTO requests (id, company_id, company_name, number, status, chat, created_at, updated_at, version)
					VALUES (?, 'cmp_a', 'Acme', ?, 'new', 'waiting', 0, 0, 1)`, fmt.Sprintf("req_%d", i), i)
			}
			for name, value := range map[string]string{
				"slack:card:req_1":                  "C1 1700000000.000100",
				"slack:thread:C1:1700000000.000100": "req_1",
				"slack:posting:req_1":               "C1 1700000000",
				"slack:posting:req_2":               "C2 1700000100", // posted, never recorded
				"slack:card:req_3":                  "C1 1700000200.000200",
				"slack:thread:C1:1700000200.000200": "req_4", // disagrees: no thread
				"slack:card:req_gone":               "C1 1700000300.000300",
				"slack:thread:C1:1700000300.000300": "req_gone",
				"discord:card:req_1":                "111 222 333",
				"discord:thread:333":                "req_1",
				"discord:posting:req_1":             "111 1700000400",
				"discord:card:req_2":                "111 444", // no thread yet
				"discord:card:req_3":                "111 555 666",
				"discord:posting:req_4":             "111 soon", // an unreadable time reads 0
				"slack:notify:tec_1":                "on",
				"slack:notify:tec_2":                "off",
				"discord:notify:tec_2":              "on",
				"slack:notify:tec_gone":             "on",
				"slack:link:h1":                     "tec_1 4102444800",
				"discord:link:h2":                   "tec_2 4102444800",
				"slack:link:h3":                     "used",
				"slack:link:h4":                     "tec_1 1000000000",
				"slack:link:h5":                     "tec_gone 4102444800",
				"telegram:123:company:456":          "cmp_a",
				"telegram:123:company:-100789":      "cmp_a",
				"telegram:999:company:456":          "cmp_gone",
				"telegram:chat-of:cus_1":            "456",
				"telegram:chat-of:cus_gone":         "1",
				"telegram:123:offset":               "42",
			} {
				exec(`INSERT INTO bot_state (name, value, updated_at) VALUES (?, ?, 5)`, name, value)
			}
			if _, err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}

			sec := func(n int64) time.Time { return time.Unix(n, 0) }
			for _, want := range []core.Card{
				{Platform: "slack", RequestID: "req_1", Channel: "C1", Message: "1700000000.000100", Thread: "C1/1700000000.000100",
					Posting: "C1", PostingAt: sec(1700000000)},
				{Platform: "slack", RequestID: "req_2", Posting: "C2", PostingAt: sec(1700000100)},
				{Platform: "slack", RequestID: "req_3", Channel: "C1", Message: "1700000200.000200"},
				{Platform: "discord", RequestID: "req_1", Channel: "111", Message: "222", Thread: "333",
					Posting: "111", PostingAt: sec(1700000400)},
				{Platform: "discord", RequestID: "req_2", Channel: "111", Message: "444"},
				{Platform: "discord", RequestID: "req_3", Channel: "111", Message: "555"},
				{Platform: "discord", RequestID: "req_4", Posting: "111"},
			} {
				if got, err := s.Card(ctx, want.Platform, want.RequestID); err != nil || !sameCard(got, want) {
					t.Errorf("%s card of %s:\n got %+v, %v\nwant %+v", want.Platform, want.RequestID, got, err, want)
				}
			}
			for _, c := range []struct{ platform, thread, want string }{
				{"slack", "C1/1700000000.000100", "req_1"}, {"slack", "C1/1700000200.000200", ""},
				{"discord", "333", "req_1"}, {"discord", "666", ""},
			} {
				got, err := s.CardByThread(ctx, c.platform, c.thread)
				if c.want == "" && core.ErrorCode(err) != core.CodeNotFound || c.want != "" && (err != nil || got.RequestID != c.want) {
					t.Errorf("%s thread %s: %+v, %v; want the card of %q", c.platform, c.thread, got, err, c.want)
				}
			}
			for _, c := range []struct {
				platform, tech string
				want           bool
			}{{"slack", "tec_1", true}, {"slack", "tec_2", false}, {"discord", "tec_1", false}, {"discord", "tec_2", true}} {
				if got, err := s.Notify(ctx, c.platform, c.tech); err != nil || got != c.want {
					t.Errorf("%s notify of %s: %v, %v; want %v", c.platform, c.tech, got, err, c.want)
				}
			}
			now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
			for _, c := range []struct{ platform, hash, want string }{
				{"slack", "h1", "tec_1"}, {"discord", "h2", "tec_2"}, {"slack", "h3", ""}, {"slack", "h4", ""}, {"slack", "h5", ""},
			} {
				got, err := s.UseLinkCode(ctx, c.platform, c.hash, now)
				if c.want == "" && core.ErrorCode(err) != core.CodeNotFound || c.want != "" && (err != nil || got != c.want) {
					t.Errorf("%s link code %s: %q, %v; want %q", c.platform, c.hash, got, err, c.want)
				}
			}
			for _, c := range []struct{ bot, chat, want string }{{"123", "456", "cmp_a"}, {"123", "-100789", "cmp_a"}, {"999", "456", ""}} {
				got, err := s.ChatCompany(ctx, "telegram", c.bot, c.chat)
				if c.want == "" && core.ErrorCode(err) != core.CodeNotFound || c.want != "" && (err != nil || got != c.want) {
					t.Errorf("company of chat %s of bot %s: %q, %v; want %q", c.chat, c.bot, got, err, c.want)
				}
			}
			if got, err := s.CustomerChat(ctx, "telegram", "cus_1"); err != nil || got != "456" {
				t.Errorf("chat of cus_1: %q, %v; want 456", got, err)
			}
			for table, want := range map[string]int{"platform_cards": 7, "platform_notify": 3, "link_codes": 3,
				"chat_companies": 2, "customer_chats": 1} {
				var n int
				if err := db.Get(&n, `SELECT COUNT(*) FROM `+table); err != nil || n != want {
					t.Errorf("%s has %d rows (%v), want %d", table, n, err, want)
				}
			}
			var left []string
			if err := db.Select(&left, `SELECT name FROM bot_state ORDER BY name`); err != nil {
				t.Fatal(err)
			}
			if len(left) != 1 || left[0] != "telegram:123:offset" {
				t.Errorf("bot_state keeps %q, want only the Telegram offset", left)
			}
		})
	}
}
