// Package console is relaydesk's technician Support Center at /console: the
// sign-in, the three panels of the seed manual (Support Requests, My Support
// Requests, Details) with their JSON API and live feed, the admin pages and
// the first-run set-up link.
//
// Pages are rendered on the server with html/template; the behaviour is plain
// JavaScript modules and CSS embedded in the binary: no build step, nothing
// from a CDN, no inline script or style, so a strict Content-Security-Policy
// holds on every answer.
package console

import (
	"context"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/hub"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/web/cobrowse"
	"github.com/relaydesk/relaydesk/web/jsonapi"
	"github.com/relaydesk/relaydesk/web/live"
	"github.com/relaydesk/relaydesk/web/ratelimit"
	"github.com/relaydesk/relaydesk/web/screen"
)

// Store is what the console reads of the desk directly, besides what the
// engine shows each technician, and where it keeps sign-ins.
// *sqlstore.Store implements it.
type Store interface {
	// The technicians, for sign-in and first-run set-up.
	Technician(ctx context.Context, id string) (core.Technician, error)
	TechnicianByEmail(ctx context.Context, email string) (core.Technician, error)
	Technicians(ctx context.Context) ([]core.Technician, error)
	// The log, read by the tail that feeds every open console.
	EventsAfter(ctx context.Context, pos core.Position, limit int) ([]core.Event, bool, error)
	// A message, to check that it is one of the request a route names.
	Message(ctx context.Context, id string) (core.Message, error)
	// Sign-in sessions.
	CreateSession(ctx context.Context, s sqlstore.Session) error
	Session(ctx context.Context, idHash string) (sqlstore.Session, error)
	TouchSession(ctx context.Context, idHash string, seen, expires time.Time) error
	DeleteSession(ctx context.Context, idHash string) error
	DeleteSessionsOf(ctx context.Context, technicianID string) error
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)
}

// Config is what the console needs. Logger, Now and ClientIP are optional.
type Config struct {
	Engine *core.Engine
	Store  Store
	// Hub tells the live feed when events of the companies it follows
	// commit: the store's hub.
	Hub    *hub.Hub
	Logger *slog.Logger
	// PublicURL is how browsers reach relaydesk, such as
	// "https://support.example.com". State-changing requests must come from
	// its origin; invite links and widget snippets start with it.
	PublicURL string
	// SecureCookies marks the session cookie Secure: set it when PublicURL
	// is https.
	SecureCookies bool
	// SetupToken, when set, enables the one-time /console/setup?token=...
	// page that creates the first admin while no technician exists.
	SetupToken string
	Now        func() time.Time
	// ClientIP returns the address login attempts are limited by; default
	// the connection's remote address. Behind a reverse proxy, pass one
	// that trusts the proxy's forwarding header.
	ClientIP func(*http.Request) string
	// OIDC turns single sign-on through the company's identity provider
	// on; Run finds the provider.
	OIDC OIDC
	// Platforms names the chat adapters this process runs ("slack",
	// "discord", "telegram"), for the first-run checklist.
	Platforms []string
	// Screen carries screen shares on the live WebSocket; nil: the
	// console cannot watch them.
	Screen *screen.Manager
	// Cobrowse carries co-browsing on the live WebSocket; nil: the console
	// cannot watch a customer's page.
	Cobrowse *cobrowse.Manager
}

// Session lifetimes: a console left alone signs out after IdleTimeout, and
// every sign-in ends after MaxAge however busy it is.
const (
	IdleTimeout = 12 * time.Hour
	MaxAge      = 7 * 24 * time.Hour
	// touchEvery bounds how often a busy session's expiry is written.
	touchEvery = time.Minute
)

// Handler serves the console.
type Handler struct {
	cfg      Config
	eng      *core.Engine
	sessions Store
	log      *slog.Logger
	now      func() time.Time
	// origin is PublicURL's scheme://host ("" when PublicURL is unset: the
	// request's own host is taken then).
	origin    string
	publicURL string
	tmpl      *template.Template
	assets    map[string]asset
	limits    *ratelimit.Limiter
	stream    *live.Streamer
	tail      *tail
	sso       *sso // nil: single sign-on is off

	setupMu   sync.Mutex
	setupUsed bool
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// New returns the console handler. It does no I/O.
func New(cfg Config) *Handler {
	h := &Handler{cfg: cfg, eng: cfg.Engine, sessions: cfg.Store, log: cfg.Logger, now: cfg.Now}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	h.publicURL = strings.TrimRight(cfg.PublicURL, "/")
	if u, err := url.Parse(h.publicURL); err == nil && u.Scheme != "" && u.Host != "" {
		h.origin = strings.ToLower(u.Scheme + "://" + u.Host)
	}
	h.tmpl = template.Must(template.New("").Funcs(template.FuncMap{
		"asset":    h.assetURL,
		"mbNumber": func(n int64) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', -1, 64) },
		"join":     strings.Join,
	}).ParseFS(templateFS, "templates/*.html"))
	h.assets = loadAssets()
	h.limits = newLimiter()
	h.stream = live.New(live.Config{Hub: cfg.Hub, Logger: h.log})
	h.tail = newTail(cfg.Store, cfg.Engine, cfg.Hub)
	if cfg.OIDC.Issuer != "" {
		h.sso = newSSO(cfg.OIDC)
	}
	return h
}

// Mount registers the console's routes through mount, such as
// (*web.Server).Mount.
func (h *Handler) Mount(mount func(pattern string, handler http.Handler)) {
	m := func(pattern string, f http.HandlerFunc) { mount(pattern, h.secure(f)) }
	// Pages.
	m("GET /console", h.page(h.consolePage))
	m("GET /console/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/console", http.StatusSeeOther)
	})
	m("GET /console/admin", h.page(h.adminPage))
	m("GET /console/login", h.loginPage)
	m("POST /console/login", h.login)
	m("POST /console/logout", h.logout)
	if h.sso != nil {
		m("GET "+oidcStartPath, h.ssoStart)
		m("GET "+OIDCCallbackPath, h.ssoCallback)
	}
	m("GET /console/setup", h.setupPage)
	m("POST /console/setup", h.setup)
	m("GET /console/assets/{name...}", h.asset)
	// The co-browsing replay has a policy of its own (replay.go), and the
	// console may frame it.
	mount("GET /console/cobrowse/replay", http.HandlerFunc(h.replayPage))

	// The technician's API.
	m("GET /console/api/me", h.api(h.me))
	m("POST /console/api/me/availability", h.api(h.setAvailability))
	m("GET /console/api/requests", h.api(h.queue))
	m("GET /console/api/requests/{id}", h.api(h.request))
	m("POST /console/api/requests/{id}/messages", h.api(h.postMessage))
	m("POST /console/api/requests/{id}/files", h.api(h.upload))
	m("POST /console/api/requests/{id}/typing", h.api(h.typing))
	m("PATCH /console/api/requests/{id}/messages/{mid}", h.api(h.editMessage))
	m("DELETE /console/api/requests/{id}/messages/{mid}", h.api(h.withdrawMessage))
	m("POST /console/api/requests/{id}/messages/{mid}/withdraw", h.api(h.withdrawMessage))
	m("GET /console/api/requests/{id}/messages/{mid}/versions", h.api(h.messageVersions))
	m("POST /console/api/requests/{id}/read", h.api(h.markRead))
	m("POST /console/api/requests/{id}/{action}", h.api(h.action))
	m("GET /console/api/files/{id}", h.api(h.download))
	m("GET /console/api/colleagues", h.api(h.colleagues))
	m("GET /console/api/companies", h.api(h.companies))
	m("POST /console/api/invite-customer", h.api(h.inviteCustomer))
	m("GET /console/api/feed", h.api(h.poll))
	m("GET /console/api/live", h.liveSocket)

	// Admin API.
	m("GET /console/api/admin/companies", h.admin(h.adminCompanies))
	m("POST /console/api/admin/companies", h.admin(h.createCompany))
	m("PATCH /console/api/admin/companies/{id}", h.admin(h.updateCompany))
	m("POST /console/api/admin/companies/{id}/rotate-key", h.admin(h.rotateKey))
	m("GET /console/api/admin/technicians", h.admin(h.adminTechnicians))
	m("POST /console/api/admin/technicians", h.admin(h.createTechnician))
	m("POST /console/api/admin/technicians/{id}/password", h.admin(h.setPassword))
	m("POST /console/api/admin/technicians/{id}/clear-sign-ins", h.admin(h.clearSignIns))
	m("POST /console/api/admin/technicians/{id}/deactivate", h.admin(h.deactivate))
	m("POST /console/api/admin/technicians/{id}/reactivate", h.admin(h.reactivate))
	m("POST /console/api/admin/technicians/{id}/return-requests", h.admin(h.returnRequests))
	m("POST /console/api/admin/technicians/{id}/role", h.admin(h.setRole))
	m("POST /console/api/admin/companies/{id}/rename", h.admin(h.renameCompany))
	m("POST /console/api/admin/companies/{id}/archive", h.admin(h.archiveCompany(true)))
	m("POST /console/api/admin/companies/{id}/unarchive", h.admin(h.archiveCompany(false)))
	m("GET /console/api/admin/log", h.admin(h.adminLog))
	m("GET /console/api/checklist", h.api(h.checklist))
	m("POST /console/api/admin/access/grant", h.admin(h.grant))
	m("POST /console/api/admin/access/revoke", h.admin(h.revoke))

	// Anything else under the API is a JSON 404, not an HTML one.
	m("/console/api/", func(w http.ResponseWriter, r *http.Request) {
		jsonapi.Problem(w, http.StatusNotFound, string(core.CodeNotFound), "there is no such console API call")
	})
}

// secure sets the headers every console answer carries.
func (h *Handler) secure(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; "+
			"img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self' "+h.wsOrigin(r)+"; frame-src 'self'; frame-ancestors 'none'; "+
			"base-uri 'none'; form-action 'self'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		next(w, r)
	}
}

// publicOrigin is the origin browsers use for relaydesk.
func (h *Handler) publicOrigin(r *http.Request) string {
	if h.origin != "" {
		return h.origin
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return strings.ToLower(scheme + "://" + r.Host)
}

func (h *Handler) wsOrigin(r *http.Request) string {
	o := h.publicOrigin(r)
	if rest, ok := strings.CutPrefix(o, "https://"); ok {
		return "wss://" + rest
	}
	return "ws://" + strings.TrimPrefix(o, "http://")
}

// base is PublicURL, or the request's own origin when it is unset.
func (h *Handler) base(r *http.Request) string {
	if h.publicURL != "" && h.origin != "" {
		return h.publicURL
	}
	return h.publicOrigin(r)
}

// sameOrigin reports whether a request comes from a page of relaydesk
// itself: its Origin header, or else its Referer, names PublicURL's origin.
// A request with neither is refused: every browser sends Origin with a
// state-changing request.
func (h *Handler) sameOrigin(r *http.Request) bool {
	want := h.publicOrigin(r)
	if o := r.Header.Get("Origin"); o != "" {
		return strings.EqualFold(o, want)
	}
	ref, err := url.Parse(r.Header.Get("Referer"))
	if err != nil || ref.Scheme == "" || ref.Host == "" {
		return false
	}
	return strings.EqualFold(ref.Scheme+"://"+ref.Host, want)
}

// LiveClients says how many technicians' pages follow the console live
// now: over WebSockets, and in long polls.
func (h *Handler) LiveClients() (sockets, polls int64) { return h.stream.Clients() }

// Shutdown tells the technicians' live pages to reconnect (elsewhere):
// serve calls it when it starts shutting down.
func (h *Handler) Shutdown() { h.stream.Shutdown() }
