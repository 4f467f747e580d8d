package core_test

// Benchmarks for issue 2's targets: appending a chat message through the
// engine (compare with bench/pgbench.sh, run beside it) and a queue page over
// 100,000 requests. bench/README.md says how to run them and what to compare.

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// benchBody is about the size of a typical chat line.
const benchBody = "Could you open the printer settings and tell me what the status line says?"

// BenchmarkPostMessage measures chat messages appended through the engine
// (checks, request update, message row and event in one transaction) by 1
// and 16 concurrent writers, each in its own live request, and by 16 writers
// sharing one request, who contend for its row (lock and version check).
func BenchmarkPostMessage(b *testing.B) {
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			// Set up once per backend: the sub-benchmarks' functions run
			// several times while the iteration count ramps up.
			d := storetest.NewDesk(b, be.New(b))
			own := make([]string, 16)
			for i := range own {
				own[i] = benchLiveRequest(b, d, i)
			}
			shared := benchLiveRequest(b, d, len(own))
			for _, w := range []int{1, 16} {
				b.Run(fmt.Sprintf("writers=%d", w), func(b *testing.B) {
					benchPosts(b, d.Engine, storetest.Actor(d.Alice), own[:w], false)
				})
			}
			b.Run("same-request/writers=16", func(b *testing.B) {
				ids := make([]string, 16)
				for i := range ids {
					ids[i] = shared
				}
				benchPosts(b, d.Engine, storetest.Actor(d.Alice), ids, true)
			})
		})
	}
}

// benchLiveRequest opens a request at Acme for a customer of its own,
// assigns it to Alice and joins its chat.
func benchLiveRequest(tb testing.TB, d *storetest.Desk, i int) string {
	tb.Helper()
	o := d.Open(tb, d.Acme, fmt.Sprintf("writer%d@example.com", i), "my printer is on fire")
	alice := storetest.Actor(d.Alice)
	try(d.Engine.AssignToMe(ctx, alice, o.Request.ID)).must(tb)
	try(d.Engine.JoinChat(ctx, alice, o.Request.ID)).must(tb)
	return o.Request.ID
}

// benchPosts runs b.N PostMessage calls spread over one goroutine per entry
// of requests, so exactly len(requests) writers run at once. Under
// contention the engine may give up on a message with CodeConflict after its
// retries: those are counted, not failures, and not in msgs/s.
func benchPosts(b *testing.B, e *core.Engine, by core.Actor, requests []string, contended bool) {
	var next, conflicts atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for _, id := range requests {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				_, err := e.PostMessage(ctx, by, id, core.Post{Body: benchBody})
				switch {
				case err == nil:
				case contended && core.ErrorCode(err) == core.CodeConflict:
					conflicts.Add(1)
				default:
					b.Error(err)
					next.Store(int64(b.N)) // stop every writer
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	ok := float64(int64(b.N) - conflicts.Load())
	b.ReportMetric(ok/b.Elapsed().Seconds(), "msgs/s")
	if contended {
		b.ReportMetric(float64(conflicts.Load())/float64(b.N), "conflicts/op")
	}
}

// benchQueueSize is how many requests BenchmarkQueuePage seeds.
const benchQueueSize = 100_000

// BenchmarkQueuePage measures one page (50 rows) of the Support Center's
// views, as Alice (a technician with access to Acme, which has half of the
// requests) sees them, over 100,000 requests with a customer and three chat
// lines each (the rows' previews and unread counts read them).
func BenchmarkQueuePage(b *testing.B) {
	cases := []struct {
		name string
		req  core.QueueRequest
		skip int // pages followed before the one measured
	}{
		{"all/created-desc", core.QueueRequest{View: core.ViewAll, Sort: core.SortCreated, Desc: true}, 0},
		{"new/created-asc", core.QueueRequest{View: core.ViewNew}, 0}, // the engine's default order: oldest first
		{"new/created-desc", core.QueueRequest{View: core.ViewNew, Sort: core.SortCreated, Desc: true}, 0},
		{"active/updated-desc", core.QueueRequest{View: core.ViewActive, Sort: core.SortUpdated, Desc: true}, 0},
		{"completed/customer-asc", core.QueueRequest{View: core.ViewCompleted, Sort: core.SortCustomer}, 0},
		{"mine/created-asc", core.QueueRequest{View: core.ViewMine}, 0},
		{"all/status-asc", core.QueueRequest{View: core.ViewAll, Sort: core.SortStatus}, 0},
		{"all/status-asc/page=21", core.QueueRequest{View: core.ViewAll, Sort: core.SortStatus}, 20},
		{"all/created-desc/page=21", core.QueueRequest{View: core.ViewAll, Sort: core.SortCreated, Desc: true}, 20},
	}
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			d := storetest.NewDesk(b, be.New(b))
			benchSeedRequests(b, d, benchQueueSize)
			alice := storetest.Actor(d.Alice)
			for _, c := range cases {
				b.Run(c.name, func(b *testing.B) {
					req := c.req
					for range c.skip {
						req.After = try(d.Engine.Queue(ctx, alice, req)).must(b).NextPage
					}
					var rows int
					for b.Loop() {
						p, err := d.Engine.Queue(ctx, alice, req)
						if err != nil {
							b.Fatal(err)
						}
						rows = len(p.Requests)
					}
					if rows != 50 {
						b.Fatalf("page has %d requests, want a full page of 50", rows)
					}
					b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
				})
			}
		})
	}
}

// benchRequestCols are the requests table's columns (migrations/*/0001_init.sql).
var benchRequestCols = []string{"id", "company_id", "company_name", "number", "status", "chat", "owner_id",
	"owner_name", "customer_id", "customer_email", "customer_name", "subject", "src_channel", "src_ip",
	"src_device", "src_os", "src_browser", "src_language", "closing_note", "invite_hash", "created_at",
	"updated_at", "closed_at", "version"}

// benchSeedRequests inserts n requests over the last year directly, in one
// transaction of multi-row INSERTs, then refreshes the planner's statistics.
// Requests alternate randomly between Acme and Globex. Like a real desk, the
// oldest three quarters are all completed and the newest quarter mixes new
// (20%), active (60%) and completed (20%): overall about 5% new, 15% active
// and 80% completed.
func benchSeedRequests(tb testing.TB, d *storetest.Desk, n int) {
	tb.Helper()
	start := time.Now()
	rng := rand.New(rand.NewPCG(1, 2))
	type company struct {
		c      core.Company
		domain string
		owners []core.Technician
		next   int64
	}
	cos := []*company{
		{c: d.Acme, domain: "acme.example", owners: []core.Technician{d.Alice, d.Alice, d.Bob, d.Bob, d.Dave, d.Admin}, next: 1001},
		{c: d.Globex, domain: "globex.example", owners: []core.Technician{d.Carol, d.Carol, d.Carol, d.Admin}, next: 1001},
	}
	first := []string{"Anna", "Ben", "Chloe", "David", "Emma", "Felix", "Grace", "Hugo", "Ines", "Jonas",
		"Karin", "Liam", "Mia", "Noah", "Olga", "Paul", "Rosa", "Sven", "Tara", "Umar"}
	last := []string{"Smith", "Garcia", "Müller", "Rossi", "Dubois", "Novak", "Silva", "Jensen", "Kowalski",
		"Nakamura", "Okafor", "Larsen", "Bauer", "Moreau", "Costa"}
	subjects := []string{"my printer is on fire", "cannot log in to the VPN", "Outlook keeps asking for my password",
		"laptop will not start", "need access to the shared drive", "screen flickers", "invoice PDF does not open",
		"new starter needs an account", "Teams has no sound", "phone does not sync mail"}
	channels := []string{"web", "web", "web", "slack", "discord", "telegram"}
	oses := []string{"Windows 11", "Windows 10", "macOS 15", "Ubuntu 24.04", "iOS 18", "Android 15"}

	const perInsert = 500 // 12,000 parameters: within both databases' limits
	s := d.Store
	tx, err := s.DB().BeginTxx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	insert := func(table string, cols []string, rows int) string {
		row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
		return s.DB().Rebind(`INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES ` +
			strings.TrimSuffix(strings.Repeat(row+", ", rows), ", "))
	}
	full := insert("requests", benchRequestCols, perInsert)
	// Each request's chat, as the lists' previews and unread counts read
	// it: the customer, three lines (customer, technician, customer) and,
	// for the requests Alice works on, her read mark after the first.
	chat := newBenchBulk(tb, tx, ctx, insert)
	now := time.Now().UTC()
	span := 365 * 24 * time.Hour
	args := make([]any, 0, perInsert*len(benchRequestCols))
	for i := range n {
		co := cos[rng.IntN(len(cos))]
		created := now.Add(-span + time.Duration(float64(span)*(float64(i)+rng.Float64())/float64(n)))
		status := core.StatusCompleted
		if i >= n*3/4 {
			switch x := rng.Float64(); {
			case x < 0.2:
				status = core.StatusNew
			case x < 0.8:
				status = core.StatusActive
			}
		}
		chatState, version := core.ChatEnded, int64(8+rng.IntN(30))
		updated, closed := created, time.Time{}
		var owner core.Technician
		switch status {
		case core.StatusNew:
			chatState, version = core.ChatWaiting, 2
		case core.StatusActive:
			owner = co.owners[rng.IntN(len(co.owners))]
			if rng.IntN(10) < 7 {
				chatState = core.ChatLive
			}
			version = int64(4 + rng.IntN(20))
			updated = created.Add(time.Duration(rng.Int64N(int64(now.Sub(created)) + 1)))
		case core.StatusCompleted:
			owner = co.owners[rng.IntN(len(co.owners))]
			updated = created.Add(time.Duration(rng.Int64N(int64(48 * time.Hour))))
			if updated.After(now) {
				updated = now
			}
			closed = updated
		}
		cust := rng.IntN(10_000) // about five requests per customer
		fn, ln := first[cust%len(first)], last[cust/len(first)%len(last)]
		email := fmt.Sprintf("%s.%s%d@%s", strings.ToLower(fn), strings.ToLower(ln), cust, co.domain)
		var closingNote string
		if status == core.StatusCompleted {
			closingNote = "resolved"
		}
		reqID := core.NewID("req")
		chat.add("participants", benchParticipantCols, core.NewID("par"), reqID, "customer",
			fmt.Sprintf("cus_%s_%d", co.domain, cust), fn+" "+ln, 1, "", created.UnixMicro(), 0)
		for k, by := range []string{"customer", "technician", "customer"} {
			author := fmt.Sprintf("cus_%s_%d", co.domain, cust)
			if by == "technician" {
				author = owner.ID
			}
			chat.add("messages", benchMessageCols, core.NewID("msg"), reqID, int64(2+k), by, author, fn,
				"all", benchBody, "", created.UnixMicro())
		}
		if owner.ID == d.Alice.ID {
			chat.add("read_marks", []string{"technician_id", "request_id", "rseq"}, d.Alice.ID, reqID, int64(2))
		}
		args = append(args, reqID, co.c.ID, co.c.Name, co.next, string(status), string(chatState),
			owner.ID, owner.Name, fmt.Sprintf("cus_%s_%d", co.domain, cust), email, fn+" "+ln,
			subjects[rng.IntN(len(subjects))], channels[rng.IntN(len(channels))],
			fmt.Sprintf("203.0.113.%d", rng.IntN(256)), "desktop", oses[rng.IntN(len(oses))], "Firefox 140", "en",
			closingNote, "", created.UnixMicro(), updated.UnixMicro(), benchMicros(closed), version)
		co.next++
		if len(args) == cap(args) || i == n-1 {
			q := full
			if len(args) != cap(args) {
				q = insert("requests", benchRequestCols, len(args)/len(benchRequestCols))
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				tb.Fatalf("seed requests: %v", err)
			}
			args = args[:0]
			chat.flush()
		}
	}
	chat.flush()
	for _, co := range cos {
		if _, err := tx.ExecContext(ctx, s.DB().Rebind(`UPDATE companies SET next_number = ? WHERE id = ?`),
			co.next-1, co.c.ID); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	// The statistics a long-running desk would have: PostgreSQL's autovacuum
	// keeps them; on SQLite they exist only if something runs ANALYZE.
	analyze := "ANALYZE"
	if s.Dialect() == "postgres" {
		analyze = "VACUUM ANALYZE requests, participants, messages, read_marks"
	}
	if _, err := s.DB().ExecContext(ctx, analyze); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("%s: seeded %d requests in %v", s.Dialect(), n, time.Since(start).Round(time.Millisecond))
}

func benchMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

var (
	benchParticipantCols = []string{"id", "request_id", "role", "subject_id", "name", "is_primary", "token_hash", "joined_at", "left_at"}
	benchMessageCols     = []string{"id", "request_id", "rseq", "author_kind", "author_id", "author_name", "audience", "body",
		"file_id", "created_at"}
)

// benchBulk gathers rows of several tables and inserts them many at a time.
type benchBulk struct {
	tb testing.TB
	tx interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	}
	ctx    context.Context
	insert func(table string, cols []string, rows int) string
	rows   map[string][]any
	cols   map[string][]string
}

func newBenchBulk(tb testing.TB, tx *sqlx.Tx, ctx context.Context, insert func(string, []string, int) string) *benchBulk {
	return &benchBulk{tb: tb, tx: tx, ctx: ctx, insert: insert, rows: map[string][]any{}, cols: map[string][]string{}}
}

func (b *benchBulk) add(table string, cols []string, vals ...any) {
	b.cols[table] = cols
	b.rows[table] = append(b.rows[table], vals...)
}

// write inserts table's rows, 400 at a time.
func (b *benchBulk) write(table string) {
	args, n := b.rows[table], len(b.cols[table])
	for len(args) > 0 {
		k := min(len(args), 400*n)
		if _, err := b.tx.ExecContext(b.ctx, b.insert(table, b.cols[table], k/n), args[:k]...); err != nil {
			b.tb.Fatalf("seed %s: %v", table, err)
		}
		args = args[k:]
	}
	b.rows[table] = b.rows[table][:0]
}

// flush writes what was gathered, parents first.
func (b *benchBulk) flush() {
	for _, table := range []string{"participants", "messages", "read_marks"} {
		b.write(table)
	}
}
