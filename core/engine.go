package core

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/core/markup"
)

// Engine applies every action on requests: it checks who may act, applies
// the transition and appends the action's events in one transaction.
type Engine struct {
	store   Store
	blobs   BlobStore
	signals Signals
	now     Clock
	log     *slog.Logger
	// typists rate-limits typing signals.
	typists typingGate
}

// Config is what an Engine needs. Signals, Clock and Logger are optional.
type Config struct {
	Store Store
	Blobs BlobStore
	// Signals carries typing signals; by default the store, when it
	// carries them (the SQL store does, across processes on PostgreSQL),
	// else nothing beyond this engine's own OnTyping.
	Signals Signals
	Clock   Clock
	Logger  *slog.Logger
}

// NewEngine returns an engine over cfg's store and blob store.
func NewEngine(cfg Config) *Engine {
	clock := cfg.Clock
	if clock == nil {
		clock = time.Now
	}
	// Stores keep microseconds: an action answers the times a later read
	// (a retried send's answer, above all) gives back.
	e := &Engine{store: cfg.Store, blobs: cfg.Blobs, signals: cfg.Signals,
		now: func() time.Time { return clock().Truncate(time.Microsecond) }, log: cfg.Logger}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.signals == nil {
		if s, ok := cfg.Store.(Signals); ok {
			e.signals = s
		} else {
			e.signals = &localSignals{}
		}
	}
	return e
}

// ErrStale is returned by Tx.UpdateRequest when another transaction changed
// the request first. The engine retries the whole action on it, so a caller
// only sees it, as CodeConflict, under sustained contention.
var ErrStale error = &Error{Code: CodeConflict, Message: "the request was changed by someone else at the same moment; try again"}

const maxAttempts = 8

// update runs fn in a transaction, re-running it from scratch when it lost
// an optimistic-concurrency race: the retry reloads the request and applies
// the rules to what won, so the loser of two claims is told who won.
func (e *Engine) update(ctx context.Context, fn func(Tx) error) error {
	var err error
	for range maxAttempts {
		err = e.store.Update(ctx, fn)
		if !errors.Is(err, ErrStale) && !errors.Is(err, errRetry) {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return err
}

// errRetry means a concurrent transaction created what this one was about
// to (the same idempotency key, the same customer): the retry finds it.
var errRetry = errors.New("created concurrently; run again")

// change collects what one action does to one request.
type change struct {
	r      *Request
	prev   int64
	owner  string // the owner before the change
	events []Event
}

func (e *Engine) begin(r *Request) *change { return &change{r: r, prev: r.Version, owner: r.OwnerID} }

func (c *change) add(typ EventType, by Actor, aud Audience, data EventData) {
	c.events = append(c.events, Event{Type: typ, Actor: by, Audience: aud, Data: data})
}

// save writes the request first (the transaction's first write, see
// Tx.UpdateRequest), then runs more, then appends the events.
func (e *Engine) save(ctx context.Context, tx Tx, c *change, insert bool, more func() error) error {
	c.endScreen()
	c.endCobrowse()
	now := e.now().UTC()
	c.r.UpdatedAt = now
	c.r.Version = c.prev + int64(len(c.events))
	var err error
	if insert {
		err = tx.InsertRequest(ctx, *c.r)
	} else {
		err = tx.UpdateRequest(ctx, *c.r, c.prev)
	}
	if err != nil {
		return err
	}
	if more != nil {
		if err := more(); err != nil {
			return err
		}
	}
	for i, ev := range c.events {
		ev.RequestID = c.r.ID
		ev.CompanyID = c.r.CompanyID
		ev.RSeq = c.prev + int64(i) + 1
		ev.CreatedAt = now
		if ev.Data.Number == 0 {
			ev.Data.Number = c.r.Number
		}
		if ev.Data.Status == "" {
			ev.Data.Status = c.r.Status
		}
		if err := tx.AppendEvent(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

// recordKey records key inside tx. It returns errRetry when another
// transaction recorded the same key first (the retry then returns its result).
func recordKey(ctx context.Context, tx Tx, key Idempotency, result string) error {
	if key.IsZero() {
		return nil
	}
	if _, dup, err := tx.ClaimInbound(ctx, key, result); err != nil {
		return err
	} else if dup {
		return errRetry
	}
	return nil
}

func checkKey(key Idempotency) error {
	if (key.Source == "") != (key.ExternalID == "") {
		return Errorf(CodeInvalid, "an idempotency key needs both a source and an external id")
	}
	for _, s := range []string{key.Source, key.ExternalID} {
		if _, err := checkText("the idempotency key", s, oneLine); err != nil {
			return err
		}
	}
	return nil
}

// technician loads the acting technician.
func technician(ctx context.Context, q Queries, by Actor) (Technician, error) {
	if by.Kind != ActorTechnician || by.ID == "" {
		return Technician{}, Errorf(CodeForbidden, "only a technician can do this")
	}
	t, err := q.Technician(ctx, by.ID)
	if errors.Is(err, ErrNotFound) {
		return Technician{}, Errorf(CodeForbidden, "your technician account no longer exists")
	}
	if err == nil && !t.Active() {
		return Technician{}, ErrDeactivated
	}
	return t, err
}

// ErrDeactivated refuses everything a deactivated technician tries.
var ErrDeactivated error = &Error{Code: CodeForbidden, Message: "your technician account is deactivated; ask an admin to reactivate it"}

// canServe reports whether t may see and act on companyID's requests.
// Admins serve every company. It is the one rule of technician access:
// served is the same rule for many companies at once, and techRequest
// applies it with the request it loads.
func canServe(ctx context.Context, q Queries, t Technician, companyID string) (bool, error) {
	if !t.Active() {
		return false, nil
	}
	if t.IsAdmin() {
		return true, nil
	}
	return q.HasAccess(ctx, t.ID, companyID)
}

// served returns the companies t serves now: all of them for an admin
// (all is true, ids nil), else the companies t was granted.
func served(ctx context.Context, q Queries, t Technician) (all bool, ids []string, err error) {
	if !t.Active() {
		return false, nil, nil
	}
	if t.IsAdmin() {
		return true, nil, nil
	}
	ids, err = q.Access(ctx, t.ID)
	return false, ids, err
}

// techRequest loads a technician and a request they have access to, in one
// query: it is on the path of every technician action.
func techRequest(ctx context.Context, q Queries, by Actor, id string) (Technician, Request, error) {
	if by.Kind != ActorTechnician || by.ID == "" {
		return Technician{}, Request{}, Errorf(CodeForbidden, "only a technician can do this")
	}
	t, r, access, err := q.TechnicianRequest(ctx, by.ID, id)
	if errors.Is(err, ErrNotFound) {
		// Say which of the two is missing.
		if t, err := technician(ctx, q, by); err != nil {
			return t, Request{}, err
		}
		return t, r, ErrRequestNotFound
	} else if err != nil {
		return t, r, err
	}
	if !t.Active() {
		return t, r, ErrDeactivated
	}
	if !access && !t.IsAdmin() {
		return t, r, ErrNoAccess
	}
	return t, r, nil
}

func mustOwn(t Technician, r Request) error {
	if r.Status == StatusCompleted {
		return Errorf(CodeInvalidState, "request #%d is closed", r.Number)
	}
	if r.OwnerID == "" || r.OwnerID != t.ID {
		if r.OwnerID == "" {
			return Errorf(CodeForbidden, "request #%d is not assigned to you; assign it to yourself first", r.Number)
		}
		return Errorf(CodeForbidden, "request #%d is assigned to %s; only the owner can do this", r.Number, r.OwnerName)
	}
	return nil
}

const maxBody = 16000

// cleanBody checks a chat message or a note (see checkText).
func cleanBody(body string) (string, error) {
	body, err := cleanLines("the message", body, maxBody)
	if err == nil && body == "" {
		err = Errorf(CodeInvalid, "the message is empty")
	}
	return body, err
}

func subjectOf(body string) string {
	line, _, _ := strings.Cut(body, "\n")
	// The subject is words in a list, not markup: "**Urgent** printer"
	// reads "Urgent printer", and Telegram's escapes go.
	line = strings.TrimSpace(markup.Plain(markup.Parse(line)))
	if r := []rune(line); len(r) > 120 {
		line = string(r[:119]) + "…"
	}
	return line
}

// findParticipant returns the request participant playing role for subject.
func findParticipant(ps []Participant, role ParticipantRole, subjectID string) (Participant, bool) {
	i := slices.IndexFunc(ps, func(p Participant) bool {
		return p.Role == role && p.SubjectID == subjectID && p.Active()
	})
	if i < 0 {
		return Participant{}, false
	}
	return ps[i], true
}
