package widget

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/web/richtext"
	"github.com/relaydesk/relaydesk/web/rrweb"
	"github.com/relaydesk/relaydesk/web/rtcpeer"
)

//go:embed assets
var assetFS embed.FS

//go:embed templates/*.html
var templateFS embed.FS

// site is the widget's pages and static files, all read from the binary.
type site struct {
	pages  *template.Template
	assets map[string]asset
	// csp and frameCSP are the Content-Security-Policy of every page and
	// file served here, and of the chat page that other sites frame.
	csp, frameCSP string
}

type asset struct {
	body  []byte
	ctype string
	etag  string
}

func newSite(origin string) *site {
	s := &site{
		pages:  template.Must(template.ParseFS(templateFS, "templates/*.html")),
		assets: map[string]asset{},
	}
	err := fs.WalkDir(assetFS, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assetFS.ReadFile(p)
		if err != nil {
			return err
		}
		s.assets[path.Base(p)] = newAsset(p, b)
		return nil
	})
	if err != nil {
		panic(err) // the files are compiled in: this cannot happen at run time
	}
	// The console serves the same renderer of message text.
	s.assets["richtext.js"] = newAsset("richtext.js", richtext.Script)
	s.assets["peer.js"] = newAsset("peer.js", rtcpeer.Script)
	s.assets["rrweb.js"] = newAsset("rrweb.js", rrweb.Script)
	connect := "'self'"
	if ws := wsOrigin(origin); ws != "" {
		connect += " " + ws
	}
	policy := func(ancestors string) string {
		return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; " +
			"connect-src " + connect + "; frame-ancestors " + ancestors + "; base-uri 'none'; form-action 'self'"
	}
	s.csp, s.frameCSP = policy("'none'"), policy("*")
	return s
}

// wsOrigin is the WebSocket origin of a page origin: older browsers do not
// count it as 'self'.
func wsOrigin(origin string) string {
	switch {
	case strings.HasPrefix(origin, "https://"):
		return "wss://" + strings.TrimPrefix(origin, "https://")
	case strings.HasPrefix(origin, "http://"):
		return "ws://" + strings.TrimPrefix(origin, "http://")
	}
	return ""
}

func newAsset(name string, b []byte) asset {
	sum := sha256.Sum256(b)
	return asset{body: b, ctype: contentType(name), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	}
	return "application/octet-stream"
}

// headers sets the security headers of a page or file; framable is for the
// chat page that customers' sites embed.
func (s *site) headers(w http.ResponseWriter, framable bool) {
	hd := w.Header()
	if framable {
		hd.Set("Content-Security-Policy", s.frameCSP)
	} else {
		hd.Set("Content-Security-Policy", s.csp)
		hd.Set("X-Frame-Options", "DENY")
	}
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
}

// page is what the chat template needs.
type page struct {
	Mode    string // "frame" or "portal"
	Title   string
	Company string
	Key     string
	Slug    string
	Invite  string // the invitation code of /widget/join
	Assets  string // the path of /widget/assets/ relative to the page
	Version string // changes with the assets, so browsers fetch new ones
}

// script answers GET /widget.js. Host pages load it from their own origin,
// so it is cacheable by anyone and readable cross-origin.
func (h *Handler) script(w http.ResponseWriter, r *http.Request) {
	a := h.site.assets["widget.js"]
	h.site.headers(w, false)
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Cross-Origin-Resource-Policy", "cross-origin")
	serveAsset(w, r, "widget.js", a)
}

// recorder answers GET /widget/rrweb.js: rrweb, which the host page loads
// from widget.js once the customer consents to co-browsing. Like widget.js
// it is readable cross-origin; it is large, so it is loaded only then.
func (h *Handler) recorder(w http.ResponseWriter, r *http.Request) {
	a := h.site.assets["rrweb.js"]
	h.site.headers(w, false)
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Cross-Origin-Resource-Policy", "cross-origin")
	serveAsset(w, r, "rrweb.js", a)
}

// asset answers GET /widget/assets/{name}.
func (h *Handler) asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	a, ok := h.site.assets[name]
	if !ok || name == "widget.js" {
		h.notFound(w, r, false, "There is no such file.")
		return
	}
	h.site.headers(w, false)
	// Revalidate every time: the ETag makes that a 304 while nothing changed.
	w.Header().Set("Cache-Control", "no-cache")
	serveAsset(w, r, name, a)
}

func serveAsset(w http.ResponseWriter, r *http.Request, name string, a asset) {
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("ETag", a.etag)
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
}

// frame answers GET /widget/frame?key=KEY: the chat page inside the
// widget's iframe, on any site.
func (h *Handler) frame(w http.ResponseWriter, r *http.Request) {
	c, err := h.companyByKey(r.Context(), r.URL.Query().Get("key"))
	if err != nil {
		h.pageError(w, r, true, err, "This support chat is not set up correctly: its key is unknown.")
		return
	}
	h.render(w, r, true, page{Mode: "frame", Title: c.Name + " support", Company: c.Name, Key: c.PortalKey,
		Slug: c.Slug, Assets: assetsFor(r)})
}

// portal answers GET /c/{slug}: the company's support portal, the same
// chat as a full page.
func (h *Handler) portal(w http.ResponseWriter, r *http.Request) {
	c, err := h.store.CompanyBySlug(r.Context(), r.PathValue("slug"))
	if err != nil {
		h.pageError(w, r, false, err, "There is no support portal at this address.")
		return
	}
	h.render(w, r, false, page{Mode: "portal", Title: c.Name + " support", Company: c.Name, Key: c.PortalKey,
		Slug: c.Slug, Assets: assetsFor(r)})
}

// joinPage answers GET /widget/join?code=CODE: the link a technician gives
// a customer to join a session they started. The customer tells who they
// are and is in the chat.
func (h *Handler) joinPage(w http.ResponseWriter, r *http.Request) {
	code := strings.TrimSpace(r.URL.Query().Get("code"))
	invalid := "This invitation is not valid. Ask your technician for a new link."
	if code == "" || len(code) > 200 {
		h.notFound(w, r, false, invalid)
		return
	}
	req, err := h.store.RequestByInvite(r.Context(), core.HashToken(code))
	if err != nil {
		h.pageError(w, r, false, err, invalid)
		return
	}
	if req.Status == core.StatusCompleted {
		h.notFound(w, r, false, "This support session has ended.")
		return
	}
	c, err := h.store.Company(r.Context(), req.CompanyID)
	if err != nil {
		h.pageError(w, r, false, err, invalid)
		return
	}
	h.render(w, r, false, page{Mode: "portal", Title: c.Name + " support", Company: c.Name, Key: c.PortalKey,
		Slug: c.Slug, Invite: code, Assets: assetsFor(r)})
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, framable bool, p page) {
	p.Version = strings.Trim(h.site.assets["chat.js"].etag, `"`)
	var b bytes.Buffer
	if err := h.site.pages.ExecuteTemplate(&b, "chat.html", p); err != nil {
		h.log.ErrorContext(r.Context(), "render widget page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h.site.headers(w, framable)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(b.Bytes())
}

func (h *Handler) pageError(w http.ResponseWriter, r *http.Request, framable bool, err error, notFound string) {
	if errors.Is(err, core.ErrNotFound) {
		h.notFound(w, r, framable, notFound)
		return
	}
	h.log.ErrorContext(r.Context(), "widget page", "path", r.URL.Path, "err", err)
	h.site.headers(w, framable)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	h.site.pages.ExecuteTemplate(w, "error.html", errorPage{Title: "Something went wrong",
		Message: "The support chat could not be loaded. Please try again in a moment.", Assets: assetsFor(r)})
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request, framable bool, msg string) {
	h.site.headers(w, framable)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusNotFound)
	h.site.pages.ExecuteTemplate(w, "error.html", errorPage{Title: "Not found", Message: msg, Assets: assetsFor(r)})
}

type errorPage struct {
	Title, Message, Assets string
}

// assetsFor is the relative path from r's page to /widget/assets/.
func assetsFor(r *http.Request) string {
	depth := strings.Count(strings.TrimPrefix(r.URL.Path, "/"), "/")
	return strings.Repeat("../", depth) + "widget/assets/"
}
