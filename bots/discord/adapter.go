// Package discord is relaydesk's Discord adapter: technicians work requests
// from a Discord server (guild), as they do from Slack.
//
// Each company is bound to a queue channel (/support setup company, or
// relaydesk admin discord bind). Every request of the company gets a card
// there: an embed with its number, customer, company, status, owner,
// source information and first message, and the buttons its status allows.
// The card is edited in place whenever the request changes, whichever
// adapter changed it. A thread started from the card is the chat: customer
// messages and files appear in it, and the owner's and invited colleagues'
// messages in it go to the customer once they joined the chat. Everything
// else written in the thread is a private note, and so is any message that
// starts with a note marker (!note or //).
//
// Inbound comes over two transports, and both hand what Discord sent to
// the same handle function. The gateway (a discordgo session with the
// GUILDS, GUILD_MESSAGES and MESSAGE_CONTENT intents) carries thread
// messages, their edits and deletions and, unless the application has an interactions
// endpoint, slash commands and buttons; Discord allows one gateway session
// per bot shard, so one process at a time holds it (bots.Leader,
// GatewayLeader) and another takes over when it dies. With a public key
// (Config.PublicKey) the adapter also serves POST /discord/interactions,
// checking each request's Ed25519 signature and its timestamp (five
// minutes either way; discordgo checks only the signature) before anything
// is parsed. Interaction IDs and message IDs key the engine actions, so a
// delivery processed twice changes nothing.
//
// Outbound, the Adapter is a dispatch.Destination named "discord". What
// Slack and Discord do alike (cards, threads, the thread rule, /support,
// buttons, DMs) is bots/techchat's; this package implements its
// techchat.Platform over discordgo and keeps Discord's wire formats,
// transports, signatures and rate limits. discordgo's own endless retry on
// a rate limit is off: a 429 becomes a dispatch.RetryAfterError and the
// dispatcher owns the retries.
package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/bots/pace"
	"github.com/relaydesk/relaydesk/bots/techchat"
	"github.com/relaydesk/relaydesk/core"
)

// Platform is the identity platform and idempotency source of Discord.
const Platform = "discord"

// DefaultAPIURL is Discord's REST API.
const DefaultAPIURL = "https://discord.com/api/v10"

// InteractionsPath is the endpoint Discord calls with interactions when the
// application's Interactions Endpoint URL points at relaydesk.
const InteractionsPath = "/discord/interactions"

// Store is what the adapter reads and keeps of the desk outside the
// engine's actions: techchat's.
type Store = techchat.Store

// Config is what an Adapter needs. AppID is required (commands are
// registered under it); PublicKey, APIURL, PublicURL, Logger and
// HTTPClient are optional.
type Config struct {
	BotToken string
	AppID    string // the application ID (General Information)
	// PublicKey is the application's Ed25519 public key, hex (General
	// Information); without it /discord/interactions is not mounted.
	PublicKey string
	// APIURL is where REST calls go; DefaultAPIURL when empty. Only its
	// scheme and host (and a path before /api) are used: discordgo builds
	// the paths itself.
	APIURL string
	// PublicURL is how people reach relaydesk, for links.
	PublicURL string
	Engine    *core.Engine
	// Store is the store, in relaydesk.
	Store      Store
	Leader     bots.Leader
	Logger     *slog.Logger
	HTTPClient *http.Client
	// Peers returns how many relaydesk processes deliver to this bot, to
	// split its global budget among them; nil means one.
	Peers func() int
	// Health is told how the gateway is; nil for nobody.
	Health *bots.Health
	// PaceFactor multiplies the rates relaydesk keeps to (Discord's
	// published limits, limits.go); 1 when zero. Tests against a fake that
	// enforces no limits raise it, so that a channel's posts do not take
	// a second each.
	PaceFactor float64
}

// Adapter connects one Discord application to the engine.
type Adapter struct {
	cfg   Config
	key   ed25519.PublicKey
	api   *discordgo.Session // REST only; the gateway has its own session
	http  *http.Client
	chat  *techchat.Chat
	log   *slog.Logger
	now   func() time.Time
	pacer *pace.Pacer
	names names // what mentions name
	// bg carries the replies sent after an answer.
	bg techchat.Background
}

// New returns an adapter for cfg. It does no I/O.
func New(cfg Config) (*Adapter, error) {
	cfg.BotToken = strings.TrimPrefix(strings.TrimSpace(cfg.BotToken), "Bot ")
	if cfg.BotToken == "" || strings.ContainsAny(cfg.BotToken, " \t\n") {
		return nil, errors.New("discord: the bot token is missing or malformed (Developer Portal, Bot, Reset Token)")
	}
	if cfg.AppID == "" {
		return nil, errors.New("discord: the application ID is required (Developer Portal, General Information)")
	}
	if cfg.Engine == nil || cfg.Store == nil || cfg.Leader == nil {
		return nil, errors.New("discord: Engine, Store and Leader are required")
	}
	var key ed25519.PublicKey
	if cfg.PublicKey != "" {
		b, err := hex.DecodeString(cfg.PublicKey)
		if err != nil || len(b) != ed25519.PublicKeySize {
			return nil, errors.New("discord: the public key is not 64 hex digits (Developer Portal, General Information, Public Key)")
		}
		key = b
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	target, err := url.Parse(cfg.APIURL)
	if err != nil || target.Host == "" {
		return nil, fmt.Errorf("discord: API URL %q is not an absolute URL", cfg.APIURL)
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.PaceFactor <= 0 {
		cfg.PaceFactor = 1
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	base := http.DefaultTransport
	if cfg.HTTPClient != nil && cfg.HTTPClient.Transport != nil {
		base = cfg.HTTPClient.Transport
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: rewrite{target: target, base: base}}
	a := &Adapter{cfg: cfg, key: key, http: client, log: cfg.Logger, now: time.Now, pacer: pace.New(maxPaceWait, cfg.Peers)}
	a.api = a.session()
	a.names = newDirectory(a)
	chat, err := techchat.New(techchat.Config{Name: Platform, Title: "Discord", Platform: platform{a}, Markup: markdownMarkup,
		Help: help, SetupHint: "The bot needs to see the channel, send messages, create public threads and send messages in threads.",
		Mention: mention, Failure: failure, Refused: refused, Gone: gone, UploadLimit: UploadLimit, PublicURL: cfg.PublicURL,
		Engine: cfg.Engine, Store: cfg.Store, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	a.chat = chat
	return a, nil
}

// session is a discordgo session that talks to cfg.APIURL and leaves
// retrying after a rate limit to the dispatcher.
func (a *Adapter) session() *discordgo.Session {
	s, _ := discordgo.New("Bot " + a.cfg.BotToken) // errors only for a missing token, checked in New
	s.Client = a.http
	s.ShouldRetryOnRateLimit = false
	s.MaxRestRetries = 1
	s.UserAgent = "DiscordBot (https://github.com/relaydesk/relaydesk, 1) relaydesk"
	return s
}

// rewrite sends the requests discordgo makes to discord.com to the
// configured API instead. Other hosts (the CDN of attachments) are left
// alone. It is per session, unlike discordgo's package-level endpoints.
type rewrite struct {
	target *url.URL
	base   http.RoundTripper
}

func (rt rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != "discord.com" || rt.target.Host == "discord.com" {
		return rt.base.RoundTrip(r)
	}
	r2 := r.Clone(r.Context())
	r2.URL.Scheme, r2.URL.Host, r2.Host = rt.target.Scheme, rt.target.Host, rt.target.Host
	if prefix, _, ok := strings.Cut(rt.target.Path, "/api"); ok && prefix != "" {
		r2.URL.Path = prefix + r2.URL.Path
	}
	return rt.base.RoundTrip(r2)
}

// Name is the adapter's dispatch destination.
func (a *Adapter) Name() string { return "discord" }

// Mount registers POST /discord/interactions through mount (web.Server's
// Mount) when there is a public key to check its requests with.
func (a *Adapter) Mount(mount func(pattern string, h http.Handler)) {
	if a.key == nil {
		return
	}
	mount("POST "+InteractionsPath, http.HandlerFunc(a.serveInteraction))
}

// Interactions reports whether the HTTP interactions endpoint is served.
func (a *Adapter) Interactions() bool { return a.key != nil }

// Run registers /support (a bulk overwrite, so a changed definition
// replaces the old one) and holds the gateway whenever this process leads,
// until ctx ends. A Discord it cannot reach is tried again and again,
// backing off up to a minute, and said so in the log and in Config.Health;
// the interactions endpoint serves meanwhile. Run returns only when ctx
// ends.
func (a *Adapter) Run(ctx context.Context) error {
	a.bg.Start(ctx)
	a.bg.Go(func(context.Context) {
		bots.Retry(ctx, a.register, func(err error, next time.Duration) {
			a.log.Warn("discord: cannot register /support (is DISCORD_APP_ID right, and the token the same application's?); trying again",
				"in", next, "err", err)
		})
	})
	a.cfg.Health.Set("standby: another relaydesk process holds the gateway")
	a.log.Info("discord: receiving thread messages over the gateway; one relaydesk process at a time holds it")
	err := a.cfg.Leader.Lead(ctx, GatewayLeader, a.gateway)
	a.bg.Wait()
	return err
}

// register creates or updates the /support command; a rate limit is
// waited out.
func (a *Adapter) register(ctx context.Context) error {
	for {
		_, err := a.api.ApplicationCommandBulkOverwrite(a.cfg.AppID, "", []*discordgo.ApplicationCommand{supportCommand()},
			discordgo.WithContext(ctx))
		var rl *discordgo.RateLimitError
		if !errors.As(err, &rl) {
			return err
		}
		t := time.NewTimer(rl.RetryAfter)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Idle waits until the replies sent after answers are out, for tests.
func (a *Adapter) Idle() { a.bg.Wait() }
