package relay_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/bots/discord"
	"github.com/relaydesk/relaydesk/bots/discord/discordtest"
	"github.com/relaydesk/relaydesk/bots/slack"
	"github.com/relaydesk/relaydesk/bots/slack/slacktest"
	"github.com/relaydesk/relaydesk/bots/telegram"
	"github.com/relaydesk/relaydesk/bots/telegram/telegramtest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
	"github.com/relaydesk/relaydesk/core/sqlstore"
)

// The fakes' credentials and the queue channels companies are bound to.
const (
	slackToken    = "xoxb-1234-5678-fake-relaydesk-bench"
	slackSecret   = "8f742231b10e8888abcd99yyyzzz85a5" // mounts no endpoint here: nothing calls in
	discordToken  = "MTE4MDAwMDAwMDAwMDAwMDAwMQ.fake.relaydesk-bench-token"
	discordApp    = "775799577604522054"
	telegramToken = "123456789:AAE-fake_token_for_relaydesk_bench"

	acmeSlack    = "C0ACME0001"
	globexSlack  = "C0GLOBEX01"
	acmeDiscord  = "645027906669510667"
	telegramCo   = "acme" // TELEGRAM_COMPANY: Telegram customers are Acme's
	benchOrigin  = "https://help.example.com"
	stopDeadline = 30 * time.Second
)

// platforms are the fake Slack, Discord and Telegram APIs a scenario runs
// against. They enforce the platforms' published limits, so a 429 there is
// one the real platform would have sent too.
type platforms struct {
	sl *slacktest.Server
	dc *discordtest.Server
	tg *telegramtest.Server
}

func newPlatforms(b *testing.B, delay time.Duration) *platforms {
	b.Helper()
	p := &platforms{sl: slacktest.New(b, slackToken), dc: discordtest.New(b, discordToken), tg: telegramtest.New(b, telegramToken)}
	p.sl.EnforceLimits()
	p.dc.EnforceLimits()
	p.tg.EnforceLimits()
	p.setDelay(delay)
	return p
}

func (p *platforms) setDelay(d time.Duration) {
	p.sl.SetDelay(d)
	p.dc.SetDelay(d)
	p.tg.SetDelay(d)
}

// throttled is how many calls each fake refused with 429 under its limits.
func (p *platforms) throttled() map[string]int {
	return map[string]int{"slack": p.sl.Throttled(), "discord": p.dc.Throttled(), "telegram": p.tg.Throttled()}
}

// proc is one relaydesk process, wired as cmd/relaydesk's serve wires it:
// a store (with its cross-process listener), an engine, a dispatcher and
// the three chat adapters registered with it. Only the web server is left
// out: scenarios call the engine as the widget and the console would.
//
// A proc can be killed (kill): from then on everything it would write to
// the database fails and it makes no new platform call, as if the process
// had died with kill -9. It is an in-process simulation: calls already on
// their way still reach the fake and are answered, as a real platform
// answers requests that reached it before the process died, but nothing
// about them gets recorded.
type proc struct {
	name   string
	store  *sqlstore.Store
	engine *core.Engine
	disp   *dispatch.Dispatcher

	dead     atomic.Bool
	inFlight atomic.Int64 // platform calls on their way
	calls    atomic.Int64 // platform calls made
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// openStore opens and migrates the database at url for a process.
func openStore(b *testing.B, url string, logs *logCounter, name string) *sqlstore.Store {
	b.Helper()
	s, err := sqlstore.Open(context.Background(), url, logs.logger(name).With("component", "store"))
	if err != nil {
		b.Fatalf("open store: %v", err)
	}
	b.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		b.Fatalf("migrate: %v", err)
	}
	return s
}

// startProc starts a process named name on store, delivering to pf. It
// stops when the benchmark ends (before the store closes, which was opened
// first).
func startProc(b *testing.B, name string, store *sqlstore.Store, blobs core.BlobStore, pf *platforms, logs *logCounter) *proc {
	b.Helper()
	log := logs.logger(name)
	p := &proc{name: name, store: store}
	p.engine = core.NewEngine(core.Config{Store: store, Blobs: blobs, Logger: log.With("component", "engine")})
	p.disp = dispatch.New(mortal{Log: store, dead: &p.dead}, dispatch.Options{Owner: name,
		Logger: log.With("component", "dispatch")})
	client := &http.Client{Transport: mortalTransport{dead: &p.dead, inFlight: &p.inFlight, calls: &p.calls,
		base: http.DefaultTransport}}

	sl, err := slack.New(slack.Config{BotToken: slackToken, SigningSecret: slackSecret, APIURL: pf.sl.URL, PublicURL: benchOrigin,
		Engine: p.engine, Store: store, Leader: store, Logger: log.With("adapter", "slack"), HTTPClient: client,
		Peers: func() int { return p.disp.Peers("slack") }})
	if err != nil {
		b.Fatal(err)
	}
	dc, err := discord.New(discord.Config{BotToken: discordToken, AppID: discordApp, APIURL: pf.dc.URL, PublicURL: benchOrigin,
		Engine: p.engine, Store: store, Leader: store, Logger: log.With("adapter", "discord"), HTTPClient: client,
		Peers: func() int { return p.disp.Peers("discord") }})
	if err != nil {
		b.Fatal(err)
	}
	tg, err := telegram.New(telegram.Config{Token: telegramToken, APIURL: pf.tg.URL, PublicURL: benchOrigin, Company: telegramCo,
		Engine: p.engine, Store: store, State: store, Leader: store, Logger: log.With("adapter", "telegram"), HTTPClient: client,
		Peers: func() int { return p.disp.Peers("telegram") }})
	if err != nil {
		b.Fatal(err)
	}
	p.disp.Register(sl)
	p.disp.Register(dc)
	p.disp.Register(tg)

	// A destination's worker makes its cursor when it starts, at the end
	// of the log: what is committed before then is never delivered there.
	// serve has the same race on a desk's very first start; the scenarios
	// drive the engine at once, so the cursors are made first, as the
	// adapters' test harnesses make them.
	for _, dest := range []string{sl.Name(), dc.Name(), tg.Name()} {
		if err := store.EnsureCursor(context.Background(), dest, false); err != nil {
			b.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	for _, fn := range []func(context.Context) error{store.Run, p.disp.Run, sl.Run, dc.Run, tg.Run} {
		p.wg.Go(func() {
			if err := fn(ctx); err != nil && !p.dead.Load() {
				b.Errorf("%s: %v", name, err)
			}
		})
	}
	b.Cleanup(p.stop)
	return p
}

// stop stops the process gracefully, as SIGTERM does.
func (p *proc) stop() {
	p.cancel()
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(stopDeadline):
		panic("relay benchmark: process " + p.name + " did not stop")
	}
}

// kill makes the process dead at once (see proc) and then stops its
// goroutines, which can no longer write or call out.
func (p *proc) kill() {
	p.dead.Store(true)
	p.cancel()
}

var errDead = errors.New("relay benchmark: this process was killed")

// mortal is a process's dispatch log: the store, until the process is
// killed; then every call fails, since a dead process reaches no database.
type mortal struct {
	dispatch.Log
	dead *atomic.Bool
}

func (m mortal) EnsureCursor(ctx context.Context, dest string, fromStart bool) error {
	if m.dead.Load() {
		return errDead
	}
	return m.Log.EnsureCursor(ctx, dest, fromStart)
}

func (m mortal) Lease(ctx context.Context, dest, owner string, ttl time.Duration) (core.Position, bool, error) {
	if m.dead.Load() {
		return core.Position{}, false, errDead
	}
	return m.Log.Lease(ctx, dest, owner, ttl)
}

func (m mortal) Advance(ctx context.Context, dest, owner string, pos core.Position, ttl time.Duration, pending []dispatch.Pending, claim int) ([]dispatch.Conv, error) {
	if m.dead.Load() {
		return nil, errDead
	}
	return m.Log.Advance(ctx, dest, owner, pos, ttl, pending, claim)
}

func (m mortal) Release(ctx context.Context, dest, owner string) error {
	if m.dead.Load() {
		return errDead
	}
	return m.Log.Release(ctx, dest, owner)
}

func (m mortal) EventsAfter(ctx context.Context, pos core.Position, limit int) ([]core.Event, bool, error) {
	if m.dead.Load() {
		return nil, false, errDead
	}
	return m.Log.EventsAfter(ctx, pos, limit)
}

func (m mortal) RequestEvents(ctx context.Context, requestID string, after int64, limit int) ([]core.Event, error) {
	if m.dead.Load() {
		return nil, errDead
	}
	return m.Log.RequestEvents(ctx, requestID, after, limit)
}

func (m mortal) Claim(ctx context.Context, dest, owner string, n int, ttl time.Duration) ([]dispatch.Conv, time.Time, error) {
	if m.dead.Load() {
		return nil, time.Time{}, errDead
	}
	return m.Log.Claim(ctx, dest, owner, n, ttl)
}

func (m mortal) Settle(ctx context.Context, dest, owner string, ps []dispatch.Progress) error {
	if m.dead.Load() {
		return errDead
	}
	return m.Log.Settle(ctx, dest, owner, ps)
}

func (m mortal) Renew(ctx context.Context, dest, owner string, ttl time.Duration) (int, error) {
	if m.dead.Load() {
		return 0, errDead
	}
	return m.Log.Renew(ctx, dest, owner, ttl)
}

func (m mortal) Leave(ctx context.Context, dest, owner string) error {
	if m.dead.Load() {
		return errDead
	}
	return m.Log.Leave(ctx, dest, owner)
}

func (m mortal) RecordFailure(ctx context.Context, dest string, e core.Event, reason string, attempts int) error {
	if m.dead.Load() {
		return errDead
	}
	return m.Log.RecordFailure(ctx, dest, e, reason, attempts)
}

// mortalTransport carries a process's platform calls until it is killed;
// then it starts none. Calls already sent go on to their answer.
type mortalTransport struct {
	dead            *atomic.Bool
	inFlight, calls *atomic.Int64
	base            http.RoundTripper
}

func (t mortalTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.dead.Load() {
		return nil, errDead
	}
	t.calls.Add(1)
	t.inFlight.Add(1)
	defer t.inFlight.Add(-1)
	return t.base.RoundTrip(r)
}
