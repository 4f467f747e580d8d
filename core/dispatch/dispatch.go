// Package dispatch feeds relaydesk's outbound destinations (a Slack
// workspace, a Discord guild, a Telegram bot) from the event log, at least
// once, in order per conversation and concurrently across conversations.
//
// A conversation is one request's events towards one destination: its
// card and thread in Slack or Discord, its customers' chats on Telegram.
// Order matters inside a conversation (a card edit and a thread line of the
// same request keep their order) and nowhere else, so each destination's
// work is split by request:
//
//   - One scanner per destination, in whichever process holds the lease
//     on the destination's log cursor, reads the log in its global order
//     (so a transaction that commits late is never skipped) and records,
//     per request, the highest event sequence (rseq) there is to deliver.
//     It writes one row per request touched per batch, not per event, and
//     none for requests the destination does not want (Selective); in the
//     same transaction it claims what this process has lanes free for.
//   - Every process claims ready conversations (events pending, not
//     waiting for a retry, not leased by a live process) with FOR UPDATE
//     SKIP LOCKED on PostgreSQL, up to Options.InFlight at once per
//     destination and, with other processes about, no more than its share
//     of the platform's budget lets it send now (Budgeted), and delivers
//     each one's events in rseq order.
//   - Progress, retry state and releases are written in batches by one
//     writer per destination and process: at low rates each is written at
//     once, at high rates many share a statement.
//
// A retry or a rate limit in one conversation holds up that conversation
// only: a short wait is slept in place, a longer one parks the
// conversation (next_at in the database) and frees its slot. A process that
// dies leaves leases that lapse after Options.LeaseTTL; then the others
// claim its conversations. A process that stops gracefully finishes the
// calls it has in flight, records them and releases its leases at once.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/relaydesk/relaydesk/core"
)

// Destination receives events. Deliver must be idempotent enough for
// at-least-once delivery: after a crash the events in flight may come again.
type Destination interface {
	// Name identifies the destination's cursor and conversations; it must
	// stay the same across restarts ("slack", "telegram").
	Name() string
	// Deliver sends one event. Return a RetryAfterError to be called again
	// after a delay, a PermanentError to give the event up, anything else to
	// be retried with backoff. Deliver is called concurrently for different
	// requests, never for two events of one request at once.
	Deliver(ctx context.Context, d *Delivery) error
}

// FromStart is an optional Destination capability: a new cursor starts at
// the beginning of the log instead of its end.
type FromStart interface{ FromStart() bool }

// Selective is an optional Destination capability: Wants reports whether
// an event may concern the destination at all (a Telegram bot has nothing
// to do with a web customer's request). The scanner records no
// conversation for events nobody wants, so a destination costs no
// bookkeeping for requests it never shows. Wants is asked once per event
// as the scanner reads it; it must answer from the event and the
// destination's current state, erring towards true, and an error counts as
// wanted. Deliver still sees every event of a conversation it takes part in.
type Selective interface {
	Wants(ctx context.Context, ev core.Event) (bool, error)
}

// Budgeted is an optional Destination capability, for a platform budget
// that is global per bot and split between the processes delivering to it
// (Dispatcher.Peers). Room says how many deliveries this process could
// start now without waiting for its share, and how soon it could start one
// more (more than zero). While other processes deliver to the destination
// too, a process claims no more conversations than that: what it cannot
// send now is left to them, who may have budget to spare, rather than
// queued behind its own. Alone, a process claims as many as it has lanes
// for: nobody else could send them sooner.
type Budgeted interface {
	Room() (n int, more time.Duration)
}

// Pending is what the scanner found for one request: events up to Last
// (rseq) to deliver.
type Pending struct {
	RequestID string
	Last      int64
}

// Conv is a conversation claimed for delivery.
type Conv struct {
	RequestID string
	Delivered int64 // the last rseq delivered or given up
	Attempts  int   // failed attempts at the next event so far

	next []core.Event // the events after Delivered, when the scanner just read them
}

// Progress is what a process records of a conversation it holds.
type Progress struct {
	RequestID string
	Delivered int64 // the last rseq delivered or given up
	// Attempts and Error describe the next event's failed attempts (zero
	// and "" when it has none): the delivery state people see.
	Attempts int
	Error    string
	Used     bool      // the destination sent something for this request
	Release  bool      // give the conversation up
	NextAt   time.Time // with Release: not to be claimed before
}

// Log is what the dispatcher needs of the store.
type Log interface {
	EnsureCursor(ctx context.Context, dest string, fromStart bool) error
	// Lease makes owner the scanner of dest until now+ttl, if nobody else
	// holds it, and returns the cursor.
	Lease(ctx context.Context, dest, owner string, ttl time.Duration) (core.Position, bool, error)
	// Advance moves dest's cursor to pos, renews the lease, records the
	// pending conversations and, when there are some and claim > 0, claims
	// up to claim ready conversations as Claim does, in one transaction;
	// ErrLeaseLost if owner no longer holds the lease.
	Advance(ctx context.Context, dest, owner string, pos core.Position, ttl time.Duration, pending []Pending, claim int) ([]Conv, error)
	Release(ctx context.Context, dest, owner string) error
	EventsAfter(ctx context.Context, pos core.Position, limit int) ([]core.Event, bool, error)
	RequestEvents(ctx context.Context, requestID string, after int64, limit int) ([]core.Event, error)
	// Claim leases up to n ready conversations of dest to owner, and says
	// when the next one not due yet becomes due (zero if none, or if it
	// claimed n).
	Claim(ctx context.Context, dest, owner string, n int, ttl time.Duration) ([]Conv, time.Time, error)
	// Settle records progress of conversations owner holds.
	Settle(ctx context.Context, dest, owner string, ps []Progress) error
	// Renew extends owner's leases on dest's conversations and its
	// membership, and returns how many processes serve dest now.
	Renew(ctx context.Context, dest, owner string, ttl time.Duration) (int, error)
	// Leave releases every conversation and the membership of owner.
	Leave(ctx context.Context, dest, owner string) error
	RecordFailure(ctx context.Context, dest string, e core.Event, reason string, attempts int) error
	// Subscribe delivers a value whenever events may have been appended.
	Subscribe() (<-chan struct{}, func())
}

// RetryAfterError asks the dispatcher to try the same event again after
// After: a platform's rate limit (HTTP 429 with Retry-After), or one
// relaydesk applies itself before the platform has to.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string { return fmt.Sprintf("retry after %s: %v", e.After, e.Err) }
func (e *RetryAfterError) Unwrap() error { return e.Err }

// WaitError asks the dispatcher to come back after After without counting
// a failed attempt: the destination's own pacing holds the event back
// before any call was made, so the event is queued, not retrying.
type WaitError struct {
	After  time.Duration
	Reason string
}

func (e *WaitError) Error() string { return fmt.Sprintf("wait %s: %s", e.After, e.Reason) }

// PermanentError gives an event up: retrying cannot help (the bot was
// blocked, the channel deleted). The event is recorded as failed and
// delivery goes on with the next one.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// ErrLeaseLost is what a Log's Advance returns when another process took
// the destination's scanning over; it is matched by errors.Is.
var ErrLeaseLost = errors.New("dispatch lease lost to another process")

// Options tune a Dispatcher; zero values take the defaults.
type Options struct {
	Owner    string        // this process's lease name; default a random ID
	LeaseTTL time.Duration // default 15s: how soon others take over from a dead process
	Poll     time.Duration // look for work at least this often; default 1s
	Batch    int           // events read at once; default 100
	// InFlight bounds the conversations one process delivers at once per
	// destination; default 32.
	InFlight   int
	MinBackoff time.Duration // default 200ms
	MaxBackoff time.Duration // default 1m
	// ParkAfter: a retry wait longer than this frees the conversation's
	// slot instead of holding it; default 1s.
	ParkAfter time.Duration
	// Grace is how long a stopping process lets the calls in flight finish
	// before cancelling them; default 10s.
	Grace time.Duration
	// HeldRecheck is how soon to look again when events wait for an older
	// transaction to finish (PostgreSQL); default 20ms.
	HeldRecheck time.Duration
	Logger      *slog.Logger
	Metrics     Metrics
}

// Metrics receives what the dispatcher does; nil ignores it.
type Metrics interface {
	Delivered(dest string, e core.Event, attempts int, lag time.Duration)
	Failed(dest string, err error)
}

// Dispatcher runs the scanner and the delivery lanes of every registered
// destination.
type Dispatcher struct {
	log  Log
	opts Options

	mu      sync.Mutex
	dests   []Destination
	workers map[string]*worker
}

// New returns a dispatcher reading from log.
func New(log Log, opts Options) *Dispatcher {
	if opts.Owner == "" {
		opts.Owner = core.NewID("proc")
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = 15 * time.Second
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.Batch <= 0 {
		opts.Batch = 100
	}
	if opts.InFlight <= 0 {
		opts.InFlight = 32
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 200 * time.Millisecond
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = time.Minute
	}
	if opts.ParkAfter <= 0 {
		opts.ParkAfter = time.Second
	}
	if opts.Grace <= 0 {
		opts.Grace = 10 * time.Second
	}
	if opts.HeldRecheck <= 0 {
		opts.HeldRecheck = 20 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{log: log, opts: opts, workers: map[string]*worker{}}
}

// Register adds a destination. Call it before Run.
func (d *Dispatcher) Register(dest Destination) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dests = append(d.dests, dest)
	d.workers[dest.Name()] = newWorker(d, dest)
}

// Prepare creates the cursor of every registered destination that has
// none, at the end of the log (or its start, see FromStart). Call it before
// anything can append events, so that none committed before Run starts is
// passed over.
func (d *Dispatcher) Prepare(ctx context.Context) error {
	d.mu.Lock()
	dests := append([]Destination(nil), d.dests...)
	d.mu.Unlock()
	for _, dest := range dests {
		fs, ok := dest.(FromStart)
		if err := d.log.EnsureCursor(ctx, dest.Name(), ok && fs.FromStart()); err != nil {
			return fmt.Errorf("create the dispatch cursor of %s: %w", dest.Name(), err)
		}
	}
	return nil
}

// Peers returns how many processes deliver to the destination named dest,
// this one included (at least 1): adapters split a platform's budget that
// is global per bot among them.
func (d *Dispatcher) Peers(dest string) int {
	d.mu.Lock()
	w := d.workers[dest]
	d.mu.Unlock()
	if w == nil {
		return 1
	}
	return max(int(w.peers.Load()), 1)
}

// Run delivers to every registered destination until ctx ends, then lets
// the calls in flight finish (up to Options.Grace), records them and
// releases its leases so that another process can take over at once.
func (d *Dispatcher) Run(ctx context.Context) error {
	d.mu.Lock()
	ws := make([]*worker, 0, len(d.dests))
	for _, dest := range d.dests {
		ws = append(ws, d.workers[dest.Name()])
	}
	d.mu.Unlock()
	var wg sync.WaitGroup
	errs := make([]error, len(ws))
	for i, w := range ws {
		wg.Go(func() { errs[i] = w.run(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
