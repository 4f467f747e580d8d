package relay_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// BenchmarkTwoProcesses: two relaydesk processes share one PostgreSQL
// database and one Telegram bot (each its own pool, listener, engine,
// dispatcher and adapters), under the Telegram steady load, the
// technician's messages going through either. Midway one of them dies:
// the one scanning the Telegram log, the worst case, since the other
// must wait for that lease (and those of the conversations it held) to
// lapse. The death is simulated in-process (see proc): from then on it
// writes nothing and starts no platform call.
//
// Targets: nothing lost, order kept in every chat; duplicates are allowed
// only for what the dead process had sent but not yet recorded, and are
// counted. after-kill shows the messages offered after the death.
func BenchmarkTwoProcesses(b *testing.B) {
	if *backendFlag != "" && *backendFlag != "postgres" {
		b.Skip("two processes share a database on PostgreSQL only")
	}
	for _, be := range storetest.Backends() {
		if be.Name == "postgres" {
			b.Run(be.Name, func(b *testing.B) { twoProcesses(newEnv(b, be, 2)) })
		}
	}
}

func twoProcesses(e *env) {
	procs := e.procs
	cs := telegramChats(e.b, procs[0], e.pf, e.desk.Alice, firstChat, 200)
	alice := core.TechnicianActor(e.desk.Alice.ID)
	dur := *durationFlag
	killAt := dur / 2
	l := newLedger("telegram/before-kill", "telegram/after-kill")
	every := 10 * time.Second
	var ws []writer
	for i, c := range cs {
		ws = append(ws, writer{platform: "telegram", conv: i, every: every,
			offset: every * time.Duration(i) / time.Duration(len(cs)),
			groupAt: func(since time.Duration) string {
				if since < killAt {
					return "telegram/before-kill"
				}
				return "telegram/after-kill"
			},
			// A load balancer's choice: by chat, to whichever process is
			// alive.
			post: func(ctx context.Context, body string) error {
				p := procs[i%2]
				if p.dead.Load() {
					p = procs[1-i%2]
				}
				_, err := p.engine.PostMessage(ctx, alice, c.request, core.Post{Body: body})
				return err
			}})
	}
	var note atomic.Value
	res := e.measure("two-processes", l, ws, measureOpts{delay: *delayFlag, during: func(start time.Time) {
		a, b := procs[0].calls.Load(), procs[1].calls.Load()
		if !sleepUntil(context.Background(), start.Add(killAt)) {
			return
		}
		victim, why := scanner(e, "telegram")
		inFlight := victim.inFlight.Load()
		victim.kill()
		note.Store(fmt.Sprintf("killed %s (%s) at +%.1f s with %d platform calls in flight; simulated in-process\n"+
			"platform calls until then: %s %d, %s %d", victim.name, why, time.Since(start).Seconds(), inFlight,
			procs[0].name, procs[0].calls.Load()-a, procs[1].name, procs[1].calls.Load()-b))
	}})
	res.rows = append(tally(l.regroup("telegram"), e.pf.arrivals(), res.start, dur, res.throttled), res.rows...)
	if n, ok := note.Load().(string); ok {
		res.notes = append(res.notes, n)
	}
	e.finish(res)
}

// scanner is the process holding the scan lease of dest's log, or the
// second one if neither does.
func scanner(e *env, dest string) (*proc, string) {
	var owner string
	err := e.procs[0].store.DB().QueryRow(`SELECT lease_owner FROM dispatch_cursors WHERE destination = '` + dest + `'`).Scan(&owner)
	for _, p := range e.procs {
		if err == nil && p.name == owner {
			return p, "it scanned the " + dest + " log"
		}
	}
	return e.procs[1], fmt.Sprintf("neither scanned the %s log (%q, %v)", dest, owner, err)
}
