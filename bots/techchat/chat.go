package techchat

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/markup"
)

// Store is what Chat reads and keeps of the desk outside the engine's
// actions: the store, in relaydesk.
type Store interface {
	bots.Directory
	bots.QueueChannels
	bots.LinkCodes
	AvailableTechnicians(ctx context.Context, companyID string) ([]core.Technician, error)
	IdentityOf(ctx context.Context, platform, subjectID string) (core.Identity, error)
	Request(ctx context.Context, id string) (core.Request, error)
	TechnicianByEmail(ctx context.Context, email string) (core.Technician, error)

	Card(ctx context.Context, platform, requestID string) (core.Card, error)
	CardByThread(ctx context.Context, platform, thread string) (core.Card, error)
	SaveCard(ctx context.Context, c core.Card) error
	Notify(ctx context.Context, platform, technicianID string) (bool, error)
	SetNotify(ctx context.Context, platform, technicianID string, on bool) error

	// What edits and withdrawals need (edits.go): the messages, the keys
	// they were stored with, and their copies in the threads.
	Inbound(ctx context.Context, key core.Idempotency) (string, error)
	Message(ctx context.Context, id string) (core.Message, error)
	SaveCopy(ctx context.Context, c core.Copy) error
	Copies(ctx context.Context, messageID, destination string) ([]core.Copy, error)
	CopyAt(ctx context.Context, destination, target, platformID string) (core.Copy, error)
}

// Config is what a Chat needs. Every field is required but PublicURL,
// UploadLimit and Logger.
type Config struct {
	// Name is the platform's identity platform, idempotency source and
	// key of its cards: "slack".
	Name string
	// Title names the platform in what technicians read: "Slack".
	Title    string
	Platform Platform
	Markup   Markup
	// Help is the platform's /support help.
	Help string
	// SetupHint says what a queue channel needs on the platform.
	SetupHint string
	// Mention returns the platform user a mention such as <@U123> names.
	Mention func(ref string) (user string, ok bool)
	// Failure turns the platform's error into the dispatcher's
	// (dispatch.RetryAfterError, dispatch.PermanentError) for a delivery
	// to channel.
	Failure func(err error, channel string) error
	// Refused reports whether a direct message was refused for good (an
	// account deactivated, DMs closed): it is skipped.
	Refused func(err error) bool
	// Gone reports whether the platform's error says that a line relaydesk
	// posted is no more (someone deleted it): an edit of it is skipped.
	// Optional.
	Gone func(err error) bool
	// UploadLimit is the largest file the platform takes; 0 for no limit.
	UploadLimit int64
	// PublicURL is how people reach relaydesk, for links.
	PublicURL string
	Engine    *core.Engine
	Store     Store
	Logger    *slog.Logger
}

// Chat is the technician-chat layer of one platform.
type Chat struct {
	cfg   Config
	p     Platform
	m     Markup
	eng   *core.Engine
	store Store
	log   *slog.Logger

	// cardMu makes card posts take turns, so that one request gets one
	// card.
	cardMu sync.Mutex
}

// New returns the chat layer of cfg's platform. It does no I/O.
func New(cfg Config) (*Chat, error) {
	if cfg.Name == "" || cfg.Platform == nil || cfg.Engine == nil || cfg.Store == nil || cfg.Failure == nil ||
		cfg.Refused == nil || cfg.Mention == nil || cfg.Markup.Bold == nil || cfg.Markup.Escape == nil ||
		cfg.Markup.Link == nil || cfg.Markup.Channel == nil {
		return nil, errors.New("techchat: Name, Platform, Markup, Mention, Failure, Refused, Engine and Store are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Markup.Italic == nil {
		cfg.Markup.Italic = func(s string) string { return s }
	}
	if cfg.Markup.Body == nil {
		esc := cfg.Markup.Escape
		cfg.Markup.Body = func(doc markup.Doc) string { return esc(markup.Plain(doc)) }
	}
	return &Chat{cfg: cfg, p: cfg.Platform, m: cfg.Markup, eng: cfg.Engine, store: cfg.Store, log: cfg.Logger}, nil
}

// Key is the idempotency key of an engine action caused by something the
// platform sent: its parts joined by colons.
func (c *Chat) Key(parts ...string) core.Idempotency {
	return core.Idempotency{Source: c.cfg.Name, ExternalID: strings.Join(parts, ":")}
}

// ThreadRequest is the request whose chat the thread is; false when it is
// no card's thread.
func (c *Chat) ThreadRequest(ctx context.Context, thread string) (string, bool, error) {
	card, err := c.store.CardByThread(ctx, c.cfg.Name, thread)
	if errors.Is(err, core.ErrNotFound) {
		return "", false, nil
	}
	return card.RequestID, err == nil, err
}

// Technician is the relaydesk technician a platform user is linked to.
func (c *Chat) Technician(ctx context.Context, user string) (core.Technician, bool, error) {
	return bots.LinkedTechnician(ctx, c.store, c.cfg.Name, user)
}

// ChannelCompany is the company whose queue the channel is, or, in a
// card's thread, the request's company; "" for none.
func (c *Chat) ChannelCompany(ctx context.Context, channel string) (string, error) {
	if id, ok, err := bots.ChannelCompany(ctx, c.store, c.cfg.Name, channel); ok || err != nil {
		return id, err
	}
	reqID, ok, err := c.ThreadRequest(ctx, channel)
	if !ok || err != nil {
		return "", err
	}
	r, err := c.store.Request(ctx, reqID)
	return r.CompanyID, err
}

// Refusal is what a technician reads when the engine refused: its message,
// or nothing for an internal error, which is returned to be retried.
func Refusal(err error) (string, error) {
	if err == nil {
		return "", nil
	}
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Code == core.CodeInternal {
		return "", err
	}
	return "That did not work: " + core.ErrorMessage(err), nil
}

// Failed is what a technician reads when relaydesk failed.
const Failed = "Sorry, that failed because of a problem on relaydesk's side; it is in the server log. Please try again."

// Unlinked is what a technician whose account is not linked reads.
func (c *Chat) Unlinked() string {
	return "Your " + c.cfg.Title + " account is not linked to a relaydesk technician yet. Ask an admin for a link code " +
		"(`relaydesk admin " + c.cfg.Name + " link-code --tech you@example.com`), then send `/support link CODE`."
}

// Background runs work after an answer to the platform (a reply that goes
// through the platform's API), with a context that outlives the request
// but not the adapter.
type Background struct {
	wg  sync.WaitGroup
	mu  sync.Mutex
	ctx context.Context // Run's; nil before Run
}

// Start gives the work started from now on the adapter's context.
func (b *Background) Start(ctx context.Context) {
	b.mu.Lock()
	b.ctx = ctx
	b.mu.Unlock()
}

// Go runs fn in the background, for at most a minute.
func (b *Background) Go(fn func(ctx context.Context)) {
	b.mu.Lock()
	ctx := b.ctx
	b.mu.Unlock()
	if ctx == nil {
		ctx = context.Background()
	}
	b.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		fn(ctx)
	})
}

// Wait waits until the work started is done.
func (b *Background) Wait() { b.wg.Wait() }
