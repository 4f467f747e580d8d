package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/bots/discord"
	"github.com/relaydesk/relaydesk/bots/slack"
	"github.com/relaydesk/relaydesk/bots/telegram"
	"github.com/relaydesk/relaydesk/core/sqlstore"
)

// Config is relaydesk's whole configuration, read once from the
// environment by LoadConfig. Each part goes to the package that needs it.
type Config struct {
	// DatabaseURL is sqlite:path.db or postgres://...; it may hold a
	// password, so it is never logged (sqlstore.Store.String redacts it).
	// sqlstore.Open checks its shape.
	DatabaseURL string
	// DatabaseDefault says that DATABASE_URL is unset: DatabaseURL is
	// ./data/relaydesk.db, relative to the working directory.
	DatabaseDefault bool
	HTTPAddr        string // host:port the HTTP listener binds
	PublicURL       string // how browsers and platforms reach relaydesk, without a trailing slash
	// PublicURLDefault says that PUBLIC_URL is unset: PublicURL is made
	// from HTTP_ADDR, which only this machine's browsers reach.
	PublicURLDefault bool
	DataDir          string // uploaded files live in DataDir/files unless Files says otherwise
	LogLevel         slog.Level
	LogFormat        string // "text" or "json"
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the real client; from anyone else the header is ignored.
	TrustedProxies []netip.Prefix
	// DeliveryConcurrency bounds the conversations this process delivers to
	// one platform at once.
	DeliveryConcurrency int
	// DeliveryPoll is how often the dispatcher looks for events no commit
	// woke it for: those another process wrote to SQLite (on PostgreSQL
	// other processes' commits wake it at once).
	DeliveryPoll time.Duration
	// OIDC is single sign-on to the console, read by loadOIDC.
	OIDC OIDCConfig

	Files    FilesConfig // where uploaded files' contents are kept: FILES_URL
	WebRTC   WebRTCConfig
	Slack    SlackConfig
	Discord  DiscordConfig
	Telegram TelegramConfig
}

// SlackConfig configures the Slack adapter, on when BotToken is set.
type SlackConfig struct {
	APIURL        string
	BotToken      Secret
	SigningSecret Secret
	AppToken      Secret // Socket Mode, the default when set: no public URL needed
}

// SocketMode reports whether Slack delivers over Socket Mode rather than
// to the /slack/... endpoints.
func (c SlackConfig) SocketMode() bool { return c.AppToken != "" }

// DiscordConfig configures the Discord adapter, on when BotToken is set.
// The gateway always runs (thread messages come only that way); with
// PublicKey, POST /discord/interactions serves interactions too.
type DiscordConfig struct {
	APIURL    string
	BotToken  Secret
	AppID     string
	PublicKey string // Ed25519 key that signs interactions; public, not secret
}

// Interactions reports whether /discord/interactions is served.
func (c DiscordConfig) Interactions() bool { return c.PublicKey != "" }

// TelegramConfig configures the Telegram adapter, on when BotToken is set.
type TelegramConfig struct {
	APIURL   string
	BotToken Secret
	// WebhookSecret, with an https PUBLIC_URL, makes Telegram deliver
	// updates to /telegram/webhook; empty: long polling.
	WebhookSecret Secret
	// Company is the slug of the company a bare /start maps to; needed
	// when the desk has more than one company.
	Company string
}

// Enabled reports whether the Slack adapter runs.
func (c SlackConfig) Enabled() bool { return c.BotToken != "" }

// Enabled reports whether the Discord adapter runs.
func (c DiscordConfig) Enabled() bool { return c.BotToken != "" }

// Enabled reports whether the Telegram adapter runs.
func (c TelegramConfig) Enabled() bool { return c.BotToken != "" }

// Secret is a credential. It prints and logs as "[redacted]" so that
// logging a config by mistake leaks nothing; string(s) is the value.
type Secret string

// String hides the secret from fmt's %v and %s.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString hides the secret from fmt's %#v.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// LogValue hides the secret from log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Defaults of the settings that have one.
const (
	DefaultHTTPAddr = "127.0.0.1:8080"
	DefaultDataDir  = "data"
	// DefaultDeliveryConcurrency is enough for every platform's published
	// limit at ~100 ms a call (Discord's 50 a second needs about 5 calls
	// in flight) with room for calls that wait on a chat's or channel's pace.
	DefaultDeliveryConcurrency = 32

	// DefaultDeliveryPoll is the dispatcher's own default: on SQLite a
	// message written by `relaydesk admin` or a script goes out within it.
	DefaultDeliveryPoll = time.Second
)

// LoadConfig reads the configuration through getenv (os.Getenv, or a map
// in tests) and checks it. It does no I/O of its own, so every rule is
// table-testable. All problems are reported together, one per line.
func LoadConfig(getenv func(string) string) (Config, error) {
	get := func(key, def string) string {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			return v
		}
		return def
	}
	secret := func(key string) Secret { return Secret(strings.TrimSpace(getenv(key))) }
	var errs []error
	c := Config{
		DatabaseURL:     get("DATABASE_URL", sqlstore.DefaultURL),
		DatabaseDefault: strings.TrimSpace(getenv("DATABASE_URL")) == "",
		HTTPAddr:        get("HTTP_ADDR", DefaultHTTPAddr),
		DataDir:         get("DATA_DIR", DefaultDataDir),
		LogFormat:       strings.ToLower(get("LOG_FORMAT", "text")),
		Slack: SlackConfig{
			APIURL:        get("SLACK_API_URL", slack.DefaultAPIURL),
			BotToken:      secret("SLACK_BOT_TOKEN"),
			SigningSecret: secret("SLACK_SIGNING_SECRET"),
			AppToken:      secret("SLACK_APP_TOKEN"),
		},
		Discord: DiscordConfig{
			APIURL:    get("DISCORD_API_URL", discord.DefaultAPIURL),
			BotToken:  secret("DISCORD_BOT_TOKEN"),
			AppID:     get("DISCORD_APP_ID", ""),
			PublicKey: get("DISCORD_PUBLIC_KEY", ""),
		},
		Telegram: TelegramConfig{
			APIURL:        get("TELEGRAM_API_URL", telegram.DefaultAPIURL),
			BotToken:      secret("TELEGRAM_BOT_TOKEN"),
			WebhookSecret: secret("TELEGRAM_WEBHOOK_SECRET"),
			Company:       get("TELEGRAM_COMPANY", ""),
		},
	}

	var err error
	if c.TrustedProxies, err = parseProxies(getenv("TRUSTED_PROXIES")); err != nil {
		errs = append(errs, fmt.Errorf("TRUSTED_PROXIES: %w", err))
	}
	if err := sqlstore.CheckURL(c.DatabaseURL); err != nil {
		errs = append(errs, fmt.Errorf("DATABASE_URL: %w", err))
	}
	errs = append(errs, c.loadFiles(get, secret)...)
	if err := checkAddr(c.HTTPAddr); err != nil {
		errs = append(errs, fmt.Errorf("HTTP_ADDR %q: %w", c.HTTPAddr, err))
	}
	c.PublicURL = get("PUBLIC_URL", defaultPublicURL(c.HTTPAddr))
	c.PublicURLDefault = strings.TrimSpace(getenv("PUBLIC_URL")) == ""
	if u, err := checkURL(c.PublicURL); err != nil {
		errs = append(errs, fmt.Errorf("PUBLIC_URL %q: %w", c.PublicURL, err))
	} else if u.RawQuery != "" || u.Fragment != "" {
		errs = append(errs, fmt.Errorf("PUBLIC_URL %q: must not have a query or a fragment", c.PublicURL))
	} else {
		c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	}
	for _, api := range []struct{ key, val string }{
		{"SLACK_API_URL", c.Slack.APIURL},
		{"DISCORD_API_URL", c.Discord.APIURL},
		{"TELEGRAM_API_URL", c.Telegram.APIURL},
	} {
		if _, err := checkURL(api.val); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", api.key, api.val, err))
		}
	}
	// Telegram's shapes, checked here so that a typo stops relaydesk at
	// start instead of failing every call. The values are never printed.
	if t := c.Telegram.BotToken; t != "" && !telegramTokenRE.MatchString(string(t)) {
		errs = append(errs, errors.New("TELEGRAM_BOT_TOKEN: not shaped like 123456789:ABC-DEF_ghi, the token @BotFather gives"))
	}
	// Slack's: the adapter needs a bot token and, to trust what Slack posts
	// to its endpoints, the signing secret; over Socket Mode (an app-level
	// token) Slack posts nothing, so the secret is optional.
	if t := c.Slack.BotToken; t != "" && !strings.HasPrefix(string(t), "xoxb-") {
		errs = append(errs, errors.New("SLACK_BOT_TOKEN: not a bot token (xoxb-..., OAuth & Permissions in the app's settings)"))
	}
	if c.Slack.BotToken != "" && c.Slack.SigningSecret == "" && c.Slack.AppToken == "" {
		errs = append(errs, errors.New("SLACK_SIGNING_SECRET: required with SLACK_BOT_TOKEN unless SLACK_APP_TOKEN is set (Basic Information, App Credentials): it proves a request comes from Slack"))
	}
	if t := c.Slack.AppToken; t != "" && !strings.HasPrefix(string(t), "xapp-") {
		errs = append(errs, errors.New("SLACK_APP_TOKEN: not an app-level token (xapp-..., Basic Information, App-Level Tokens)"))
	}
	// Discord's: the application ID registers /support; the public key,
	// when set, must be the 64 hex digits the Developer Portal shows.
	if t := c.Discord.BotToken; t != "" && strings.ContainsAny(string(t), " \t") && !strings.HasPrefix(string(t), "Bot ") {
		errs = append(errs, errors.New("DISCORD_BOT_TOKEN: contains spaces; use the token from Bot, Reset Token, as it is"))
	}
	if c.Discord.BotToken != "" && c.Discord.AppID == "" {
		errs = append(errs, errors.New("DISCORD_APP_ID: required with DISCORD_BOT_TOKEN (General Information, Application ID): /support is registered under it"))
	}
	if id := c.Discord.AppID; id != "" && !snowflakeRE.MatchString(id) {
		errs = append(errs, fmt.Errorf("DISCORD_APP_ID %q: not an application ID (digits only, General Information)", id))
	}
	if k := c.Discord.PublicKey; k != "" && !publicKeyRE.MatchString(k) {
		errs = append(errs, fmt.Errorf("DISCORD_PUBLIC_KEY %q: not 64 hex digits (General Information, Public Key)", k))
	}
	if s := c.Telegram.WebhookSecret; s != "" && !telegramSecretRE.MatchString(string(s)) {
		errs = append(errs, errors.New("TELEGRAM_WEBHOOK_SECRET: use 1 to 256 letters, digits, _ and - (Telegram's rule)"))
	}
	if co := c.Telegram.Company; co != "" && !slugRE.MatchString(co) {
		errs = append(errs, fmt.Errorf("TELEGRAM_COMPANY %q: not a company's URL name (lower-case letters, digits, dashes)", co))
	}
	c.DeliveryConcurrency = DefaultDeliveryConcurrency
	if v := get("DELIVERY_CONCURRENCY", ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			errs = append(errs, fmt.Errorf("DELIVERY_CONCURRENCY %q: use a whole number from 1 to 1000", v))
		}
		c.DeliveryConcurrency = n
	}
	c.DeliveryPoll = DefaultDeliveryPoll
	if v := get("DELIVERY_POLL_INTERVAL", ""); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 10*time.Millisecond || d > time.Hour {
			errs = append(errs, fmt.Errorf("DELIVERY_POLL_INTERVAL %q: use a duration from 10ms to 1h, such as 1s or 250ms", v))
		}
		c.DeliveryPoll = d
	}
	var rtcErrs []error
	c.WebRTC, rtcErrs = loadWebRTC(get, secret, c.PublicURL)
	errs = append(errs, rtcErrs...)
	if c.OIDC, err = loadOIDC(get); err != nil {
		errs = append(errs, err)
	}
	if lvl := get("LOG_LEVEL", "info"); c.LogLevel.UnmarshalText([]byte(lvl)) != nil {
		errs = append(errs, fmt.Errorf("LOG_LEVEL %q: use debug, info, warn or error", lvl))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("LOG_FORMAT %q: use text or json", c.LogFormat))
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("configuration:\n%w", err)
	}
	return c, nil
}

var (
	telegramTokenRE  = regexp.MustCompile(`^[0-9]+:[A-Za-z0-9_-]+$`)
	telegramSecretRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
	slugRE           = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	snowflakeRE      = regexp.MustCompile(`^[0-9]{1,20}$`)
	publicKeyRE      = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
)

// checkAddr accepts host:port with a numeric port (0 picks a free one),
// and an empty host for every interface.
func checkAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("must be host:port, such as 127.0.0.1:8080 or :8080")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	if strings.ContainsAny(host, " /") {
		return fmt.Errorf("host %q is not a host name or IP address", host)
	}
	return nil
}

// checkURL accepts absolute http and https URLs.
func checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, errors.New("must be an absolute http:// or https:// URL")
	}
	return u, nil
}

// defaultPublicURL is where a browser on this machine reaches HTTP_ADDR:
// fine for trying relaydesk out; production sets PUBLIC_URL.
func defaultPublicURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://localhost:8080"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// parseProxies reads a comma-separated list of IP addresses and CIDR
// prefixes: "10.0.0.0/8, 127.0.0.1".
func parseProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an IP address nor a CIDR prefix like 10.0.0.0/8", f)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// setting is one environment variable LoadConfig reads, for the people who
// try it as a flag: its flag spelling is the variable's name in lower case
// with dashes (HTTP_ADDR is --http-addr); aliases are other spellings
// people reach for.
type setting struct {
	env     string
	aliases []string
	// value turns a flag's value into the variable's: ":9" for --port 9.
	// nil: the value as it is.
	value func(v string) string
	// secret: the value is not repeated back (it would land in scrollback
	// and CI logs).
	secret bool
}

// flag is how the setting is spelled as a flag, without dashes.
func (s setting) flag() string { return strings.ToLower(strings.ReplaceAll(s.env, "_", "-")) }

// settings are every environment variable relaydesk reads: the one table
// that maps a flag someone tried to the variable it meant. A test keeps it
// in step with LoadConfig and README.md.
func settings() []setting {
	port := func(v string) string { return ":" + v }
	return []setting{
		{env: "DATABASE_URL", aliases: []string{"database", "db", "dsn"}, value: hidePassword},
		{env: "HTTP_ADDR", aliases: []string{"addr", "listen", "bind", "address"}},
		{env: "HTTP_ADDR", aliases: []string{"port", "p"}, value: port},
		{env: "PUBLIC_URL", aliases: []string{"url", "base-url"}},
		{env: "TRUSTED_PROXIES", aliases: []string{"trusted-proxy", "proxies"}},
		{env: "DATA_DIR", aliases: []string{"data", "dir"}},
		{env: "FILES_URL", aliases: []string{"files"}},
		{env: "FILES_S3_ENDPOINT"},
		{env: "FILES_S3_REGION"},
		{env: "FILES_S3_ACCESS_KEY"},
		{env: "FILES_S3_SECRET_KEY", secret: true},
		{env: "FILES_S3_PATH_STYLE"},
		{env: "DELIVERY_CONCURRENCY", aliases: []string{"concurrency"}},
		{env: "DELIVERY_POLL_INTERVAL", aliases: []string{"poll-interval", "poll"}},
		{env: "LOG_LEVEL", aliases: []string{"log", "level"}},
		{env: "LOG_FORMAT"},
		{env: "OIDC_ISSUER"},
		{env: "OIDC_CLIENT_ID"},
		{env: "OIDC_CLIENT_SECRET", secret: true},
		{env: "OIDC_SCOPES"},
		{env: "OIDC_NAME"},
		{env: "OIDC_ONLY"},
		{env: "SLACK_API_URL"},
		{env: "SLACK_BOT_TOKEN", secret: true},
		{env: "SLACK_SIGNING_SECRET", secret: true},
		{env: "SLACK_APP_TOKEN", secret: true},
		{env: "DISCORD_API_URL"},
		{env: "DISCORD_BOT_TOKEN", secret: true},
		{env: "DISCORD_APP_ID"},
		{env: "DISCORD_PUBLIC_KEY"},
		{env: "TELEGRAM_API_URL"},
		{env: "TELEGRAM_BOT_TOKEN", secret: true},
		{env: "TELEGRAM_WEBHOOK_SECRET", secret: true},
		{env: "TELEGRAM_COMPANY"},
		{env: "WEBRTC_ICE_SERVERS", aliases: []string{"stun", "turn", "ice"}},
		{env: "WEBRTC_TURN_SECRET", secret: true},
		{env: "WEBRTC_PUBLIC_IP", aliases: []string{"public-ip"}},
		{env: "WEBRTC_UDP_PORTS", aliases: []string{"udp-ports"}},
	}
}

// hidePassword keeps a database URL's password out of a message: the rest
// of the URL shows which database is meant.
func hidePassword(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); !ok {
		return raw
	}
	u.User = url.UserPassword(u.User.Username(), "PASSWORD")
	return u.String()
}

// settingFor is the setting a flag (without dashes, any case) means.
func settingFor(flag string) (setting, bool) {
	flag = strings.ToLower(flag)
	for _, s := range settings() {
		if s.flag() == flag || slices.Contains(s.aliases, flag) {
			return s, true
		}
	}
	return setting{}, false
}
