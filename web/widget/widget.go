// Package widget is the customer side of relaydesk's web: the /widget.js
// snippet that adds a chat button to any site, the chat page it frames, the
// company's support portal at /c/{slug}, and the JSON, WebSocket and
// long-poll API they use (docs/widget-api.md). A customer's only credential
// is the bearer token OpenRequest returned; it never appears in a URL.
package widget

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/hub"
	"github.com/relaydesk/relaydesk/web/cobrowse"
	"github.com/relaydesk/relaydesk/web/jsonapi"
	"github.com/relaydesk/relaydesk/web/live"
	"github.com/relaydesk/relaydesk/web/ratelimit"
	"github.com/relaydesk/relaydesk/web/screen"
)

// Store is what the widget reads of the desk directly: companies by the
// keys and slugs of public pages, a join link's request, and a customer's
// own request and participation once the engine has authenticated them.
type Store interface {
	Company(ctx context.Context, id string) (core.Company, error)
	CompanyBySlug(ctx context.Context, slug string) (core.Company, error)
	CompanyByPortalKey(ctx context.Context, key string) (core.Company, error)
	RequestByInvite(ctx context.Context, inviteHash string) (core.Request, error)
	Request(ctx context.Context, id string) (core.Request, error)
	Participant(ctx context.Context, id string) (core.Participant, error)
}

// Config is what a Handler needs. Logger, TrustedProxies, PollWait and
// Now are optional.
type Config struct {
	Engine *core.Engine
	// Store is what the widget reads of the desk directly: the store.
	Store Store
	// Hub says when a request's events commit: the store's hub.
	Hub    *hub.Hub
	Logger *slog.Logger
	// PublicURL is where browsers reach relaydesk. Its origin is the only
	// one whose pages may open the live WebSocket, and the one the pages'
	// Content-Security-Policy lets them connect to.
	PublicURL string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed when recording a customer's IP address.
	TrustedProxies []netip.Prefix
	// PollWait bounds one long poll; default 25s.
	PollWait time.Duration
	// Now is the clock the rate limits of opening and joining go by;
	// default time.Now.
	Now func() time.Time
	// Screen carries screen shares on the live WebSocket; nil leaves
	// the customer's page no way to send their screen.
	Screen *screen.Manager
	// Cobrowse carries co-browsing of the host page on the live WebSocket;
	// nil leaves the customer's page no way to show itself.
	Cobrowse *cobrowse.Manager
}

// Handler serves the widget, the portal and their API.
type Handler struct {
	eng     *core.Engine
	store   Store
	log     *slog.Logger
	trusted []netip.Prefix
	stream  *live.Streamer
	origin  string // scheme://host[:port] of PublicURL; "" when unset
	site    *site
	now     func() time.Time
	// limits counts opens and joins per client address, in this process
	// only: each relaydesk instance limits on its own.
	limits *ratelimit.Limiter
	screen *screen.Manager // nil: no screen sharing
	// cobrowse is nil when co-browsing is off.
	cobrowse *cobrowse.Manager
}

// New returns a handler over cfg. It does no I/O.
func New(cfg Config) *Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &Handler{eng: cfg.Engine, store: cfg.Store, log: cfg.Logger, trusted: cfg.TrustedProxies,
		stream: live.New(live.Config{Hub: cfg.Hub, Logger: cfg.Logger, PollWait: cfg.PollWait}),
		origin: originOf(cfg.PublicURL), now: cfg.Now, limits: ratelimit.New(limitWindow, maxLimiterKeys),
		screen: cfg.Screen, cobrowse: cfg.Cobrowse}
	h.site = newSite(h.origin)
	return h
}

// Mount registers every route of the widget, the portal and the widget API
// with mount, which is web.Server's Mount in relaydesk.
func (h *Handler) Mount(mount func(pattern string, handler http.Handler)) {
	routes := []struct {
		pattern string
		handler http.HandlerFunc
	}{
		{"GET /widget.js", h.script},
		{"GET /widget/frame", h.frame},
		{"GET /widget/assets/{name}", h.asset},
		{"GET /c/{slug}", h.portal},
		{"GET /widget/join", h.joinPage},

		{"GET /api/widget/company", h.company},
		{"POST /api/widget/requests", h.open},
		{"POST /api/widget/join", h.join},
		{"GET /api/widget/request", h.request},
		{"POST /api/widget/messages", h.message},
		{"PATCH /api/widget/messages/{id}", h.edit},
		{"POST /api/widget/files", h.upload},
		{"GET /api/widget/files/{id}", h.download},
		{"POST /api/widget/typing", h.typing},
		{"POST /api/widget/leave", h.leave},
		{"POST /api/widget/sysinfo", h.sysinfo},
		{"POST /api/widget/screen", h.screenAnswers()},
		{"POST /api/widget/recording", h.recordingAnswers()},
		{"POST /api/widget/call", h.callAnswers()},
		{"POST /api/widget/cobrowse", h.cobrowseAnswers()},
		{"GET /widget/rrweb.js", h.recorder},
		{"GET /api/widget/events", h.events},
		{"GET /api/widget/live", h.live},
	}
	for _, rt := range routes {
		mount(rt.pattern, rt.handler)
	}
}

// customer authenticates the request's bearer token. On failure it has
// answered 401 (or 500) and returns false.
func (h *Handler) customer(w http.ResponseWriter, r *http.Request) (core.CustomerSession, bool) {
	apiHeaders(w)
	token, ok := bearer(r)
	if !ok {
		unauthorized(w, "send the request's token in an Authorization: Bearer header")
		return core.CustomerSession{}, false
	}
	cs, err := h.eng.CustomerByToken(r.Context(), token)
	if err != nil {
		if core.ErrorCode(err) == core.CodeForbidden {
			unauthorized(w, core.ErrorMessage(err))
		} else {
			jsonapi.Fail(w, r, h.log, err)
		}
		return core.CustomerSession{}, false
	}
	return cs, true
}

func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="relaydesk widget"`)
	jsonapi.Unauthorized(w, msg)
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || len(token) > 512 {
		return "", false
	}
	return token, true
}

// originOf reduces a URL to the origin a browser would send for it: scheme
// and host, the port only when it is not the scheme's default.
func originOf(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	host := strings.ToLower(u.Host)
	if (u.Scheme == "https" && strings.HasSuffix(host, ":443")) || (u.Scheme == "http" && strings.HasSuffix(host, ":80")) {
		host = host[:strings.LastIndexByte(host, ':')]
	}
	return u.Scheme + "://" + host
}

// sameOrigin lets the live WebSocket be opened by relaydesk's own pages
// only. Clients that are not browsers send no Origin; the bearer token in
// their first frame is what authenticates them.
func (h *Handler) sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	if h.origin != "" {
		return originOf(o) == h.origin
	}
	u, err := url.Parse(o)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// LiveClients says how many customers' chats follow their request live
// now: over WebSockets, and in long polls.
func (h *Handler) LiveClients() (sockets, polls int64) { return h.stream.Clients() }

// Shutdown tells the customers' live chats to reconnect (elsewhere):
// serve calls it when it starts shutting down.
func (h *Handler) Shutdown() { h.stream.Shutdown() }
