// Package slack is relaydesk's Slack adapter: technicians work requests
// from a Slack workspace.
//
// Each company is bound to a queue channel (/support setup <company>). Every
// request of the company gets a card there: its number, customer, company,
// status, owner, source information, first message and the buttons its
// status allows. The card is updated in place whenever the request changes,
// whichever adapter changed it, and the card's thread is the chat: customer
// messages and files appear in it, and the owner's and invited colleagues'
// replies in it go to the customer once they joined the chat. Everything
// else written in the thread is a private note, and so is any message that
// starts with a note marker (!note or //): "reply to the customer" can only
// happen on purpose.
//
// Inbound comes one of two ways, and both hand what Slack sent to the same
// handle function. With an app-level token (Config.AppToken) the adapter
// opens a Socket Mode connection, the default because it needs no public
// URL; Slack allows the connection once per app, so one process at a time
// holds it (bots.Leader, SocketLeader) and another takes over when it dies.
// Over HTTP, Slack calls POST /slack/commands (/support), /slack/interactions
// (buttons) and /slack/events (thread messages). Each request's v0 signature
// is checked on the raw body, with Slack's five-minute window, before
// anything is parsed. The engine work is done before answering (it takes
// milliseconds, well inside Slack's three seconds), so that a failure
// answers 500 and Slack delivers the event again; every engine action caused
// by a Slack message carries the message's channel and ts as its
// core.Idempotency key, so a retried delivery (X-Slack-Retry-Num) never
// makes a second message. Answers that go through Slack's Web API
// (ephemeral refusals) are sent after the HTTP answer.
//
// Outbound, the Adapter is a dispatch.Destination named "slack". What Slack
// and Discord do alike (cards, threads, the thread rule, /support, buttons,
// DMs) is bots/techchat's; this package implements its techchat.Platform
// over slack-go and keeps Slack's wire formats, transports, signatures and
// rate limits.
package slack

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/bots/pace"
	"github.com/relaydesk/relaydesk/bots/techchat"
	"github.com/relaydesk/relaydesk/core"
)

// Platform is the identity platform and idempotency source of Slack.
const Platform = "slack"

// DefaultAPIURL is Slack's Web API.
const DefaultAPIURL = "https://slack.com/api/"

// The endpoints Slack calls.
const (
	CommandsPath     = "/slack/commands"
	InteractionsPath = "/slack/interactions"
	EventsPath       = "/slack/events"
)

// Store is what the adapter reads and keeps of the desk outside the
// engine's actions: techchat's.
type Store = techchat.Store

// Config is what an Adapter needs. SigningSecret is required unless
// AppToken is set; APIURL, PublicURL, Logger and HTTPClient are optional.
type Config struct {
	BotToken      string // xoxb-...
	SigningSecret string // verifies what Slack posts to /slack/...; without it the endpoints are not mounted
	AppToken      string // xapp-...: Socket Mode, the default when set
	APIURL        string // Web API base; DefaultAPIURL when empty
	// PublicURL is how people reach relaydesk, for links in cards and
	// invitations.
	PublicURL string
	Engine    *core.Engine
	// Store is the store, in relaydesk.
	Store      Store
	Leader     bots.Leader
	Logger     *slog.Logger
	HTTPClient *http.Client
	// Peers returns how many relaydesk processes deliver to this workspace,
	// to split its budgets among them; nil means one.
	Peers func() int
	// Health is told how the link to Slack is; nil for nobody.
	Health *bots.Health
	// PaceFactor multiplies the rates relaydesk keeps to (Slack's
	// published limits, limits.go); 1 when zero. Tests against a fake that
	// enforces no limits raise it, so that a channel's posts do not take
	// a second each.
	PaceFactor float64
}

// Adapter connects one Slack workspace to the engine.
type Adapter struct {
	cfg   Config
	api   *slack.Client
	chat  *techchat.Chat
	store Store
	log   *slog.Logger
	pacer *pace.Pacer
	names names // who and what mentions name
	// bg carries the Web API answers sent after an HTTP answer.
	bg techchat.Background
}

// New returns an adapter for cfg. It does no I/O.
func New(cfg Config) (*Adapter, error) {
	if !strings.HasPrefix(cfg.BotToken, "xoxb-") {
		return nil, errors.New("slack: the bot token is not shaped like xoxb-... (OAuth & Permissions, Bot User OAuth Token)")
	}
	if cfg.AppToken != "" && !strings.HasPrefix(cfg.AppToken, "xapp-") {
		return nil, errors.New("slack: the app-level token is not shaped like xapp-... (Basic Information, App-Level Tokens)")
	}
	if cfg.SigningSecret == "" && cfg.AppToken == "" {
		return nil, errors.New("slack: the signing secret is required without an app-level token (Basic Information, App Credentials)")
	}
	if cfg.Engine == nil || cfg.Store == nil || cfg.Leader == nil {
		return nil, errors.New("slack: Engine, Store and Leader are required")
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	if !strings.HasSuffix(cfg.APIURL, "/") {
		cfg.APIURL += "/" // slack-go appends method names to it
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.PaceFactor <= 0 {
		cfg.PaceFactor = 1
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	a := &Adapter{cfg: cfg, store: cfg.Store, log: cfg.Logger, pacer: pace.New(maxPaceWait, cfg.Peers)}
	a.api = slack.New(cfg.BotToken, slack.OptionAPIURL(cfg.APIURL), slack.OptionHTTPClient(cfg.HTTPClient))
	a.names = newDirectory(a)
	chat, err := techchat.New(techchat.Config{Name: Platform, Title: "Slack", Platform: platform{a}, Markup: mrkdwnMarkup,
		Help: help, SetupHint: "Invite the app to the channel if it is private (`/invite @relaydesk`).",
		Mention: mention, Failure: failure, Refused: refused, Gone: gone, PublicURL: cfg.PublicURL,
		Engine: cfg.Engine, Store: cfg.Store, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	a.chat = chat
	return a, nil
}

// Name is the adapter's dispatch destination: one workspace per desk.
func (a *Adapter) Name() string { return "slack" }

// Mount registers the three endpoints Slack calls through mount (web.Server's
// Mount), when there is a signing secret to check their requests with.
func (a *Adapter) Mount(mount func(pattern string, h http.Handler)) {
	if a.cfg.SigningSecret == "" {
		return
	}
	mount("POST "+CommandsPath, http.HandlerFunc(a.serveCommand))
	mount("POST "+InteractionsPath, http.HandlerFunc(a.serveInteraction))
	mount("POST "+EventsPath, http.HandlerFunc(a.serveEvents))
}

// Run serves until ctx ends, then waits for the answers still being sent.
// With an app-level token it holds the Socket Mode connection whenever
// this process leads; the HTTP endpoints, when mounted, serve meanwhile.
func (a *Adapter) Run(ctx context.Context) error {
	a.bg.Start(ctx)
	var err error
	if a.SocketMode() {
		a.cfg.Health.Set("standby: another relaydesk process holds the Socket Mode connection")
		a.log.Info("slack: receiving commands, buttons and events over Socket Mode; one relaydesk process at a time holds the connection")
		err = a.cfg.Leader.Lead(ctx, SocketLeader, a.socket)
	} else {
		a.cfg.Health.OK() // Slack calls relaydesk: there is nothing to connect
		a.log.Info("slack: receiving commands, buttons and events on " + CommandsPath + ", " + InteractionsPath + " and " + EventsPath)
		<-ctx.Done()
	}
	a.bg.Wait()
	return err
}

// SocketMode reports whether Slack's deliveries come over Socket Mode
// rather than to the HTTP endpoints.
func (a *Adapter) SocketMode() bool { return a.cfg.AppToken != "" }

// Idle waits until the answers sent after HTTP answers are out, for tests.
func (a *Adapter) Idle() { a.bg.Wait() }
