// Package telegram is relaydesk's Telegram adapter: customers open and
// follow support requests by messaging a bot.
//
// Inbound, updates become engine actions, each keyed by the update's
// update_id so that an update processed twice (a webhook Telegram retries,
// a crash before the offset was saved) changes nothing. Updates arrive by
// long polling (the default: no public URL needed) or, when PUBLIC_URL is
// https and a webhook secret is set, on POST /telegram/webhook.
//
// Long polling drives getUpdates itself rather than through the library's
// Start loop, which advances its offset in memory before an update is
// handled (so a crash loses what was fetched) and ignores retry_after: here
// the offset sent to Telegram, which confirms every earlier update, only
// moves past updates that were processed, and the last one is saved in the
// database so a restart resumes where the previous process stopped. One
// process polls at a time (bots.Leader). The webhook is answered by a
// handler of our own, for the same reason: the library's answers 200 before
// the update is handled and 200 to a wrong secret too; ours checks the
// secret first (401), handles the update and only then answers, 500 on a
// failure so that Telegram delivers the update again.
//
// Outbound, the Adapter is a dispatch.Destination named "telegram": it
// sends the customers of every request who came from Telegram what they may
// see of its events, through the go-telegram/bot client.
//
// Edits are edits (docs/message-edits.md): the adapter records which
// Telegram messages show which relaydesk message (core.Copy). A message
// edited elsewhere is edited in the customer's chat (editMessageText), a
// withdrawn one deleted, or after Telegram's 48 hours overwritten; a
// customer's edited_message edits the message it was stored as, within
// the engine's 15 minutes.
//
// Formatting goes both ways: a customer's text and entities are stored as
// neutral Markdown (core/markup; FromEntities), and a message body is sent
// as text and entities rendered from it, never with a parse_mode.
package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/bots/pace"
	"github.com/relaydesk/relaydesk/core"
)

// Platform is the identity platform and idempotency source of Telegram.
const Platform = "telegram"

// WebhookPath is where Telegram posts updates in webhook mode.
const WebhookPath = "/telegram/webhook"

// DefaultAPIURL is Telegram's Bot API.
const DefaultAPIURL = "https://api.telegram.org"

// maxDownload is how large a file the Bot API lets a bot fetch.
const maxDownload = 20 << 20

// Store is what the adapter reads of the desk directly, and where it keeps
// what it knows of chats. Its actions go through the engine; these reads
// serve delivery and lookups the engine's rules do not cover.
type Store interface {
	bots.Directory
	Companies(ctx context.Context) ([]core.Company, error)
	Company(ctx context.Context, id string) (core.Company, error)
	IdentityOf(ctx context.Context, platform, subjectID string) (core.Identity, error)
	Inbound(ctx context.Context, key core.Idempotency) (string, error)
	Message(ctx context.Context, id string) (core.Message, error)
	Participants(ctx context.Context, requestID string) ([]core.Participant, error)
	Request(ctx context.Context, id string) (core.Request, error)
	RequestEvents(ctx context.Context, requestID string, after int64, limit int) ([]core.Event, error)

	// ChatCompany is the company a chat of the bot chose through a deep
	// link; CodeNotFound when it chose none.
	ChatCompany(ctx context.Context, platform, bot, chat string) (string, error)
	SetChatCompany(ctx context.Context, platform, bot, chat, companyID string) error
	// CustomerChat is the chat of a customer whose chat's account link
	// moved on to a newer request's customer; CodeNotFound when none is
	// remembered.
	CustomerChat(ctx context.Context, platform, customerID string) (string, error)
	SetCustomerChat(ctx context.Context, platform, customerID, chat string) error

	// The Telegram messages that show relaydesk messages (core.Copy): what
	// the bot sent a customer, so that an edit or a withdrawal reaches it,
	// and what a customer wrote (Origin), so that their edit finds its
	// message.
	SaveCopy(ctx context.Context, c core.Copy) error
	Copies(ctx context.Context, messageID, destination string) ([]core.Copy, error)
	CopyAt(ctx context.Context, destination, target, platformID string) (core.Copy, error)
	DeleteCopy(ctx context.Context, c core.Copy) error
}

// Config is what an Adapter needs. APIURL, Logger, HTTPClient and
// PollTimeout are optional.
type Config struct {
	Token  string // from @BotFather: "<bot id>:<secret>"
	APIURL string // Bot API base without a trailing slash; DefaultAPIURL when empty
	// PublicURL is how people reach relaydesk, for links in messages; when
	// it is https and WebhookSecret is set, updates come by webhook.
	PublicURL     string
	WebhookSecret string
	// Company is the slug of the company a bare /start and first messages
	// go to; it may be empty while the desk has one company. Customers of
	// other companies arrive through deep links (t.me/<bot>?start=<slug>).
	Company string
	Engine  *core.Engine
	// Store is what the adapter reads of the desk and keeps of its chats:
	// the store, in relaydesk. State keeps its update offset.
	Store  Store
	State  bots.State
	Leader bots.Leader
	Logger *slog.Logger
	// HTTPClient carries every Bot API call and file download.
	HTTPClient *http.Client
	// PollTimeout is how long a getUpdates call waits for updates; 50s by
	// default.
	PollTimeout time.Duration
	// Peers returns how many relaydesk processes deliver to this bot, to
	// split its global budget among them; nil means one.
	Peers func() int
	// MinPollInterval is the least time from the start of one getUpdates
	// call to the start of the next when the first came back with no
	// updates; 1s by default. Telegram holds an empty answer for the poll
	// timeout, but a Bot API server that answers at once (a misconfigured
	// local server, an emulator) would otherwise be asked again and again
	// in a busy loop.
	MinPollInterval time.Duration
	// PaceFactor multiplies the rates relaydesk keeps to (Telegram's
	// published limits, limits.go); 1 when zero. Tests against a fake Bot
	// API that enforces no limits raise it, so that a chat's messages do
	// not take a second each.
	PaceFactor float64
	// Health is told how the link to Telegram is; nil for nobody.
	Health *bots.Health
	// Clock dates the copies of messages, by which a withdrawal knows
	// whether Telegram still lets the bot delete them; time.Now when nil.
	Clock core.Clock
}

// Adapter connects one Telegram bot to the engine.
type Adapter struct {
	cfg     Config
	bot     *bot.Bot
	eng     *core.Engine
	store   Store
	log     *slog.Logger
	http    *http.Client
	apiURL  string
	botID   string
	webhook bool

	// hookMu makes webhook updates take turns, as polled ones do: two
	// messages of one chat must not both open a request.
	hookMu sync.Mutex

	pacer *pace.Pacer

	// pres caches when customers joined and left requests, by request.
	presMu sync.Mutex
	pres   map[string]*presence
}

var tokenRE = regexp.MustCompile(`^([0-9]+):[A-Za-z0-9_-]+$`)

// New returns an adapter for cfg. It does no I/O: Run connects.
func New(cfg Config) (*Adapter, error) {
	m := tokenRE.FindStringSubmatch(cfg.Token)
	if m == nil {
		return nil, errors.New("telegram: the bot token is not shaped like 123456:ABC-DEF... (from @BotFather)")
	}
	if cfg.Engine == nil || cfg.Store == nil || cfg.State == nil || cfg.Leader == nil {
		return nil, errors.New("telegram: Engine, Store, State and Leader are required")
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	cfg.APIURL = strings.TrimRight(cfg.APIURL, "/")
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	// The Bot API's URLs hold the token, and its client's errors the URLs.
	cfg.Logger = bots.Redacting(cfg.Logger, cfg.Token)
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.PollTimeout <= 0 {
		cfg.PollTimeout = 50 * time.Second
	}
	if cfg.MinPollInterval <= 0 {
		cfg.MinPollInterval = time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	a := &Adapter{cfg: cfg, eng: cfg.Engine, store: cfg.Store, log: cfg.Logger, http: cfg.HTTPClient,
		apiURL: cfg.APIURL, botID: m[1], pacer: pace.New(maxPaceWait, cfg.Peers), pres: map[string]*presence{},
		webhook: cfg.WebhookSecret != "" && strings.HasPrefix(cfg.PublicURL, "https://")}
	b, err := bot.New(cfg.Token, bot.WithSkipGetMe(), bot.WithServerURL(cfg.APIURL),
		bot.WithHTTPClient(cfg.PollTimeout, cfg.HTTPClient),
		bot.WithErrorsHandler(func(err error) { a.log.Debug("telegram client", "err", err) }),
		bot.WithDefaultHandler(func(context.Context, *bot.Bot, *models.Update) {}))
	if err != nil {
		return nil, fmt.Errorf("telegram: %w", err)
	}
	a.bot = b
	return a, nil
}

// Name is the adapter's dispatch destination: one bot per desk.
func (a *Adapter) Name() string { return "telegram" }

// Webhook reports whether updates come by webhook rather than long polling.
func (a *Adapter) Webhook() bool { return a.webhook }

// Mount registers the webhook endpoint, in webhook mode, through mount
// (web.Server's Mount).
func (a *Adapter) Mount(mount func(pattern string, h http.Handler)) {
	if a.webhook {
		mount("POST "+WebhookPath, http.HandlerFunc(a.serveWebhook))
	}
}

// Run registers the bot's commands and then receives updates until ctx
// ends: it registers the webhook, or polls while this process leads.
func (a *Adapter) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { a.retry(ctx, "register the bot's commands", a.setCommands) })
	wg.Go(func() { a.cfg.Leader.Lead(ctx, "telegram:"+a.botID+":typing", a.relayTyping) })
	if a.webhook {
		a.log.Info("telegram: receiving updates by webhook", "url", a.cfg.PublicURL+WebhookPath)
		a.retry(ctx, "register the webhook", a.setWebhook)
		a.cfg.Health.OK()
		<-ctx.Done()
		return nil
	}
	a.log.Info("telegram: receiving updates by long polling")
	a.cfg.Health.Set("standby: another relaydesk process polls Telegram")
	return a.cfg.Leader.Lead(ctx, "telegram:"+a.botID+":updates", a.poll)
}

func (a *Adapter) setCommands(ctx context.Context) error {
	for _, lang := range bots.Languages {
		p := &bot.SetMyCommandsParams{Commands: commands(lang)}
		if lang != "en" {
			p.LanguageCode = lang
		}
		if _, err := a.bot.SetMyCommands(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

func (a *Adapter) setWebhook(ctx context.Context) error {
	_, err := a.bot.SetWebhook(ctx, &bot.SetWebhookParams{URL: a.cfg.PublicURL + WebhookPath,
		SecretToken: a.cfg.WebhookSecret, AllowedUpdates: allowedUpdates,
		// One at a time keeps a chat's messages in order.
		MaxConnections: 1})
	return err
}

// retry runs fn until it succeeds or ctx ends, backing off from 1s to a
// minute and honouring Telegram's retry_after.
func (a *Adapter) retry(ctx context.Context, what string, fn func(context.Context) error) {
	wait := time.Second
	for ctx.Err() == nil {
		err := fn(ctx)
		if err == nil || ctx.Err() != nil {
			return
		}
		d := wait
		if ra, ok := retryAfter(err); ok {
			d = ra
		} else {
			wait = min(wait*2, time.Minute)
		}
		err = a.redact(err)
		a.cfg.Health.Failing(err)
		a.log.Warn("telegram: cannot "+what+"; retrying", "in", d, "err", err)
		sleep(ctx, d)
	}
}

// key is the idempotency key of an engine action caused by an update; part
// tells apart the actions of one update (a file and its caption).
func (a *Adapter) key(in Inbound, part string) core.Idempotency {
	id := fmt.Sprintf("%s:%d", a.botID, in.UpdateID)
	if part != "" {
		id += ":" + part
	}
	return core.Idempotency{Source: Platform, ExternalID: id}
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
