// Package relay_test is relaydesk's relay benchmark (issue 9): how fast,
// and how faithfully, messages get from the engine to the chat platforms.
//
// Each benchmark starts relaydesk in-process as cmd/relaydesk's serve wires
// it (store and its listener, engine, dispatcher, and the real Slack,
// Discord and Telegram adapters with their client libraries) against fake
// platform APIs (bots/*/…test) that enforce the platforms' published rate
// limits and answer every API call after a delay. Web and Telegram
// customers and a technician are driven through the engine, as the widget,
// the Telegram bot and the console drive it. Every message's body is a
// token, m-<conversation>-<n>, found again in the call that carried it to
// the platform; a message's latency runs from just before the engine call
// that committed it to the moment the fake accepted that call (Call.At).
//
// Run it from the repository root, all of it (about 7 minutes per
// database, hence the -timeout) or one scenario:
//
//	go test -run '^$' -bench . -benchtime 1x -timeout 30m ./bench/relay/
//	go test -run '^$' -bench 'Telegram/steady/sqlite' -benchtime 1x ./bench/relay/ -relay.duration 30s
//
// Each scenario runs once, whatever b.N (hence -benchtime 1x), and prints a
// table per scenario: per group of conversations, the messages offered and
// delivered, those not delivered when the run stopped waiting, duplicates
// (a token delivered more than once), messages that arrived after a later
// one of the same conversation, the deliveries per second within the
// offering window, p50/p99/max latency (a message never delivered counts
// as infinitely late) and the 429s the platform's fake had to send while
// the scenario ran. The same figures go to the benchmark line as metrics.
//
// Flags (after the package): -relay.delay (default 100ms; the fakes answer
// at once while a scenario sets up, and after this delay while it is
// measured), -relay.duration (default 20s of offered load per scenario),
// -relay.backend (sqlite or postgres; both by default) and -relay.log (a
// level, to print relaydesk's log to stderr; its warnings, from start-up on,
// are always counted and summarised under the table). PostgreSQL is the tests' server
// (RELAYDESK_TEST_POSTGRES, default 127.0.0.1:5432 database test); its
// benchmarks are skipped when it does not answer.
package relay_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/bots/discord"
	"github.com/relaydesk/relaydesk/bots/slack"
	"github.com/relaydesk/relaydesk/bots/telegram/telegramtest"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

var (
	delayFlag    = flag.Duration("relay.delay", 100*time.Millisecond, "how long the fake platforms take to answer an API call")
	durationFlag = flag.Duration("relay.duration", 20*time.Second, "how long each scenario offers load")
	backendFlag  = flag.String("relay.backend", "", "sqlite or postgres; both when empty")
	logFlag      = flag.String("relay.log", "", "print relaydesk's log at this level (debug, info, warn) to stderr")
)

// firstChat is the first Telegram customer's chat ID.
const firstChat = 7000000000

// drainLimit is how long a scenario waits, after its last message was
// offered, for the rest to arrive. It covers a 30 s retry_after and a dead
// process's 15 s leases.
const drainLimit = 45 * time.Second

// BenchmarkTelegram: a technician writes to many Telegram customers at
// once. The Bot API allows about 30 messages a second per bot.
func BenchmarkTelegram(b *testing.B) {
	// 200 chats, each written to every 10 s: 20 messages a second, under
	// the limit. Target: all delivered, p99 < 1.5 s, no 429.
	b.Run("steady", func(b *testing.B) {
		eachBackend(b, func(e *env) { telegramScenario(e, "telegram/steady", 200, false) })
	})
	// 400 chats: 40 a second, above the limit. Target: throughput within
	// 10% of 30/s, no 429.
	b.Run("full", func(b *testing.B) { eachBackend(b, func(e *env) { telegramScenario(e, "telegram/full", 400, false) }) })
	// steady, but Telegram answers the first message to one chat with 429
	// retry_after 30. Target: the other chats' p99 < 1.5 s; the held
	// chat's messages arrive after the 30 s.
	b.Run("retry-after", func(b *testing.B) {
		eachBackend(b, func(e *env) { telegramScenario(e, "telegram/retry-after", 200, true) })
	})
}

func telegramScenario(e *env, name string, chats int, hold bool) {
	p := e.procs[0]
	cs := telegramChats(e.b, p, e.pf, e.desk.Alice, firstChat, chats)
	alice := core.TechnicianActor(e.desk.Alice.ID)
	every := 10 * time.Second
	l := newLedger("telegram")
	if hold {
		l = newLedger("telegram/others", "telegram/held")
		e.pf.tg.FailChat(cs[0].chat, telegramtest.TooManyRequests(30))
	}
	var ws []writer
	for i, c := range cs {
		group := l.groups[0]
		if hold && i == 0 {
			group = "telegram/held"
		}
		ws = append(ws, writer{group: group, platform: "telegram", conv: i, every: every,
			offset: every * time.Duration(i) / time.Duration(len(cs)),
			post: func(ctx context.Context, body string) error {
				_, err := p.engine.PostMessage(ctx, alice, c.request, core.Post{Body: body})
				return err
			}})
	}
	res := e.measure(name, l, ws, measureOpts{delay: *delayFlag})
	if hold {
		res.notes = append(res.notes, heldNote(l, e.pf),
			"(the fake's 429 for the held chat was asked for, so the 429s column leaves it out)")
	}
	res.notes = append(res.notes, fifoNotes(l, res)...)
	e.finish(res)
}

// heldNote says when the held chat's first message arrived.
func heldNote(l *ledger, pf *platforms) string {
	offers := l.snapshot()
	o, ok := offers[token(0, 0)]
	if !ok {
		return "held chat: its first message was not offered"
	}
	for _, a := range pf.arrivals() {
		if a.tok == token(0, 0) && a.platform == "telegram" {
			return fmt.Sprintf("held chat: its first message arrived %.1f s after it was offered (Telegram asked for 30 s)", a.at.Sub(o.at).Seconds())
		}
	}
	return "held chat: its first message never arrived"
}

// BenchmarkDiscord: 40 web customers of Acme, whose queue is a Discord
// channel, each write a message a second: 40 a second into 40 threads.
// Target: p99 < 1.5 s, no 429.
func BenchmarkDiscord(b *testing.B) {
	eachBackend(b, func(e *env) {
		p := e.procs[0]
		if _, err := p.engine.BindChannel(context.Background(), core.SystemActor(), discord.Platform, e.desk.Acme.ID, acmeDiscord); err != nil {
			b.Fatal(err)
		}
		// Each new request first gets a card and a thread, at the
		// channel's pace; the measured phase starts once all exist.
		opened := webCustomers(b, p, e.desk.Acme, 0, 40)
		waitDiscordWarm(b, e.pf, acmeDiscord, len(opened))
		l := newLedger("discord")
		every := time.Second
		var ws []writer
		for i, o := range opened {
			ws = append(ws, customerWriter(p, o, "discord", "discord", i, every, every*time.Duration(i)/time.Duration(len(opened))))
		}
		e.finish(e.measure("discord", l, ws, measureOpts{delay: *delayFlag}))
	})
}

// BenchmarkSlack: 20 conversations in Acme's Slack channel, each writing
// every 2 s (10 a second, while Slack allows about one a second per
// channel), beside 2 in Globex's channel of the same workspace writing
// every 5 s. Targets: Acme's channel at its limit (~0.95/s), Globex not
// slowed by it (p99 well under 1.5 s), no 429.
func BenchmarkSlack(b *testing.B) {
	eachBackend(b, func(e *env) {
		p := e.procs[0]
		ctx := context.Background()
		if _, err := p.engine.BindChannel(ctx, core.SystemActor(), slack.Platform, e.desk.Acme.ID, acmeSlack); err != nil {
			b.Fatal(err)
		}
		if _, err := p.engine.BindChannel(ctx, core.SystemActor(), slack.Platform, e.desk.Globex.ID, globexSlack); err != nil {
			b.Fatal(err)
		}
		acme := webCustomers(b, p, e.desk.Acme, 0, 20)
		globex := webCustomers(b, p, e.desk.Globex, 100, 2)
		waitSlackWarm(b, e.pf, acmeSlack, len(acme))
		waitSlackWarm(b, e.pf, globexSlack, len(globex))
		l := newLedger("slack/acme", "slack/globex")
		var ws []writer
		for i, o := range acme {
			every := 2 * time.Second
			ws = append(ws, customerWriter(p, o, "slack/acme", "slack", i, every, every*time.Duration(i)/time.Duration(len(acme))))
		}
		for i, o := range globex {
			every := 5 * time.Second
			ws = append(ws, customerWriter(p, o, "slack/globex", "slack", 100+i, every, every*time.Duration(i)/time.Duration(len(globex))))
		}
		// Acme's backlog grows by 9 messages a second and would take minutes
		// to drain: wait only briefly for the rest.
		res := e.measure("slack", l, ws, measureOpts{delay: *delayFlag, drain: 5 * time.Second})
		for _, ch := range []string{acmeSlack, globexSlack} {
			res.notes = append(res.notes, fmt.Sprintf("channel %s: %.2f posts/s within the window", ch,
				e.pf.slackChannelRate(ch, res.start, res.window)))
		}
		res.notes = append(res.notes, spread(l, e.pf.arrivals(), "slack/acme", res.start, res.window))
		e.finish(res)
	})
}

// BenchmarkSingle: one web customer writes to Slack, whose fake answers at
// once, to show the relay's own latency. Every 10 ms is the issue's
// figure (target p50 < 5 ms); it is 100 times what Slack allows in one
// channel, so every-1.1s runs the same under the limit.
func BenchmarkSingle(b *testing.B) {
	for _, every := range []time.Duration{10 * time.Millisecond, 1100 * time.Millisecond} {
		b.Run("every-"+every.String(), func(b *testing.B) {
			eachBackend(b, func(e *env) {
				p := e.procs[0]
				if _, err := p.engine.BindChannel(context.Background(), core.SystemActor(), slack.Platform, e.desk.Acme.ID, acmeSlack); err != nil {
					b.Fatal(err)
				}
				opened := webCustomers(b, p, e.desk.Acme, 0, 1)
				waitSlackWarm(b, e.pf, acmeSlack, 1)
				l := newLedger("slack")
				ws := []writer{customerWriter(p, opened[0], "slack", "slack", 0, every, 0)}
				e.finish(e.measure("single/every-"+every.String(), l, ws, measureOpts{drain: 5 * time.Second}))
			})
		})
	}
}

// customerWriter is a web customer writing in their request.
func customerWriter(p *proc, o core.Opened, group, platform string, conv int, every, offset time.Duration) writer {
	return writer{group: group, platform: platform, conv: conv, every: every, offset: offset,
		post: func(ctx context.Context, body string) error {
			_, err := p.engine.PostMessage(ctx, core.CustomerActor(o.Participant.ID), o.Request.ID, core.Post{Body: body})
			return err
		}}
}

// env is one scenario's relaydesk: the fakes, a seeded desk and its
// processes.
type env struct {
	b       *testing.B
	backend string
	pf      *platforms
	logs    *logCounter
	desk    *storetest.Desk
	procs   []*proc
}

// eachBackend runs fn as a sub-benchmark per backend (-relay.backend picks
// one), with one relaydesk process.
func eachBackend(b *testing.B, fn func(e *env)) {
	for _, be := range storetest.Backends() {
		if *backendFlag != "" && *backendFlag != be.Name {
			continue
		}
		b.Run(be.Name, func(b *testing.B) { fn(newEnv(b, be, 1)) })
	}
}

// newEnv seeds a fresh database of be (storetest.NewDesk: Acme, Globex,
// Alice...) and starts n processes on it.
func newEnv(b *testing.B, be storetest.Backend, n int) *env {
	b.Helper()
	e := &env{b: b, backend: be.Name, logs: newLogCounter(os.Stderr, *logFlag)}
	url := be.URL(b) // skips when PostgreSQL does not answer
	// The fakes answer at once while the scenario sets up; measure sets the
	// delay.
	e.pf = newPlatforms(b, 0)
	first := openStore(b, url, e.logs, "relay-a")
	e.desk = storetest.NewDesk(b, first)
	for i := range n {
		name := fmt.Sprintf("relay-%c", 'a'+i)
		s := first
		if i > 0 {
			s = openStore(b, url, e.logs, name)
		}
		e.procs = append(e.procs, startProc(b, name, s, e.desk.Blobs, e.pf, e.logs))
	}
	return e
}

type measureOpts struct {
	delay time.Duration // the fakes' API latency while measuring
	drain time.Duration // how long to wait for the rest after the last offer; drainLimit when 0
	// during runs beside the writers, from start.
	during func(start time.Time)
}

// measure runs the writers for the scenario's duration, waits for their
// messages to arrive and tallies them.
func (e *env) measure(name string, l *ledger, ws []writer, o measureOpts) result {
	e.pf.setDelay(o.delay)
	// Let every pacing budget fill up again after the set-up's traffic, as
	// on a desk that was quiet for a moment.
	time.Sleep(2 * time.Second)
	before := e.pf.throttled()
	dur := *durationFlag
	start := time.Now().Add(100 * time.Millisecond)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if o.during != nil {
			o.during(start)
		}
	}()
	drive(context.Background(), l, ws, start, dur)
	<-done
	drain := o.drain
	if drain == 0 {
		drain = drainLimit
	}
	awaitDelivery(l, e.pf, drain)
	throttled := e.pf.throttled()
	for k, v := range before {
		throttled[k] -= v
	}
	l.mu.Lock()
	failed, errs := l.failed, l.errs
	l.mu.Unlock()
	res := result{scenario: name, backend: e.backend, delay: o.delay, window: dur, start: start, throttled: throttled,
		failed: failed, errs: errs, rows: tally(l, e.pf.arrivals(), start, dur, throttled)}
	if r := e.pf.refusals(start); len(r) > 0 {
		res.notes = append(res.notes, "calls the fakes refused while measuring: "+strings.Join(r, ", "))
	}
	return res
}

// finish prints the scenario's table with the log summary and reports its
// figures to the benchmark.
func (e *env) finish(res result) {
	res.logs = e.logs.summary()
	res.print(os.Stdout)
	res.report(e.b)
}
