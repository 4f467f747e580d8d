package console

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/password"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/web/jsonapi"
	"github.com/relaydesk/relaydesk/web/ratelimit"
)

// CookieName is the session cookie. It holds a random 256-bit token; the
// database keeps only the token's hash.
const CookieName = "relaydesk_session"

// CSRFHeader is the header every state-changing request carries, with the
// value the page got in <meta name="csrf-token">.
const CSRFHeader = "X-CSRF-Token"

// dummyHash is a bcrypt hash (of a password nobody has) at the cost real
// hashes use: a sign-in for an unknown address is checked against it, so
// it takes as long as one for a known address.
const dummyHash = "$2a$12$uyM30m56Y.bW/CNvpc5JKusq5pRRHi.Wc2yBwwxiLTqW33RS1a9Eq"

// visitor is a signed-in technician making one request.
type visitor struct {
	sess  sqlstore.Session
	tech  core.Technician
	actor core.Actor
}

// errSignedOut means the request carries no valid session.
var errSignedOut = errors.New("not signed in")

// visitor returns the technician whose valid session the request carries.
func (h *Handler) visitor(r *http.Request) (*visitor, error) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return nil, errSignedOut
	}
	return h.sessionOf(r.Context(), core.HashToken(c.Value), true)
}

// sessionOf loads a session and its technician, ends it if it outlived
// its limits, and, when touch is set, moves its idle expiry on.
func (h *Handler) sessionOf(ctx context.Context, idHash string, touch bool) (*visitor, error) {
	s, err := h.sessions.Session(ctx, idHash)
	if errors.Is(err, core.ErrNotFound) {
		return nil, errSignedOut
	} else if err != nil {
		return nil, err
	}
	now := h.now()
	if !now.Before(s.ExpiresAt) || !now.Before(s.CreatedAt.Add(MaxAge)) || !now.Before(s.LastSeenAt.Add(IdleTimeout)) {
		if err := h.sessions.DeleteSession(ctx, idHash); err != nil {
			h.log.WarnContext(ctx, "delete expired session", "err", err)
		}
		return nil, errSignedOut
	}
	t, err := h.sessions.Technician(ctx, s.TechnicianID)
	if errors.Is(err, core.ErrNotFound) {
		return nil, errSignedOut
	} else if err != nil {
		return nil, err
	}
	if !t.Active() {
		// Deactivation ends the sessions; this catches any that raced it.
		if err := h.sessions.DeleteSessionsOf(ctx, t.ID); err != nil {
			h.log.WarnContext(ctx, "end a deactivated technician's sessions", "err", err)
		}
		return nil, errSignedOut
	}
	if touch && now.Sub(s.LastSeenAt) >= touchEvery {
		exp := expiry(s.CreatedAt, now)
		if err := h.sessions.TouchSession(ctx, idHash, now, exp); err == nil {
			s.LastSeenAt, s.ExpiresAt = now, exp
		} else if !errors.Is(err, core.ErrNotFound) {
			return nil, err
		}
	}
	t.PasswordHash = ""
	return &visitor{sess: s, tech: t, actor: core.TechnicianActor(t.ID)}, nil
}

// expiry is when a session created at created and last used at seen ends.
func expiry(created, seen time.Time) time.Time {
	idle, abs := seen.Add(IdleTimeout), created.Add(MaxAge)
	if idle.Before(abs) {
		return idle
	}
	return abs
}

// page wraps a page handler: without a session the browser goes to the
// sign-in page.
func (h *Handler) page(next func(http.ResponseWriter, *http.Request, *visitor)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := h.visitor(r)
		if errors.Is(err, errSignedOut) {
			h.clearCookie(w)
			http.Redirect(w, r, "/console/login", http.StatusSeeOther)
			return
		} else if err != nil {
			h.log.ErrorContext(r.Context(), "load session", "err", err)
			h.errorPage(w, r, http.StatusInternalServerError, "Something went wrong", "The details are in the server log.")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		next(w, r, v)
	}
}

// api wraps an API handler: 401 without a session; for state-changing
// methods, 403 unless the request comes from the console's own origin and
// carries the session's CSRF token.
func (h *Handler) api(next func(http.ResponseWriter, *http.Request, *visitor)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := h.visitor(r)
		if errors.Is(err, errSignedOut) {
			jsonapi.Unauthorized(w, "sign in to the console first")
			return
		} else if err != nil {
			jsonapi.Fail(w, r, h.log, err)
			return
		}
		if !safeMethod(r.Method) {
			if !h.sameOrigin(r) {
				jsonapi.Problem(w, http.StatusForbidden, "csrf", "this request did not come from a relaydesk console page")
				return
			}
			if !h.csrfOK(v, r.Header.Get(CSRFHeader)) {
				jsonapi.Problem(w, http.StatusForbidden, "csrf", "the request lacks a valid "+CSRFHeader+" header; reload the page")
				return
			}
		}
		next(w, r, v)
	}
}

// admin wraps an admin API handler: an api handler for admins only.
func (h *Handler) admin(next func(http.ResponseWriter, *http.Request, *visitor)) http.HandlerFunc {
	return h.api(func(w http.ResponseWriter, r *http.Request, v *visitor) {
		if !v.tech.IsAdmin() {
			jsonapi.Problem(w, http.StatusForbidden, string(core.CodeForbidden), "only an admin can do this")
			return
		}
		next(w, r, v)
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func (h *Handler) csrfOK(v *visitor, got string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(v.sess.CSRF)) == 1
}

// startSession signs technician t in on this browser, replacing any
// session the browser had (no session fixation).
func (h *Handler) startSession(w http.ResponseWriter, r *http.Request, t core.Technician) error {
	ctx := r.Context()
	if c, err := r.Cookie(CookieName); err == nil && c.Value != "" && len(c.Value) <= 100 {
		if err := h.sessions.DeleteSession(ctx, core.HashToken(c.Value)); err != nil {
			return err
		}
	}
	if _, err := h.sessions.DeleteExpiredSessions(ctx, h.now()); err != nil {
		h.log.WarnContext(ctx, "purge expired sessions", "err", err)
	}
	token, hash := core.NewToken()
	now := h.now().UTC()
	s := sqlstore.Session{IDHash: hash, TechnicianID: t.ID, CSRF: randomToken(), CreatedAt: now, LastSeenAt: now,
		ExpiresAt: expiry(now, now)}
	if err := h.sessions.CreateSession(ctx, s); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: token, Path: "/", HttpOnly: true,
		Secure: h.cfg.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: int(MaxAge / time.Second)})
	return nil
}

func (h *Handler) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", HttpOnly: true,
		Secure: h.cfg.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

func randomToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (h *Handler) clientIP(r *http.Request) string {
	if h.cfg.ClientIP != nil {
		return h.cfg.ClientIP(r)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// loginPage shows the sign-in form, or the console to the signed in.
func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	if v, err := h.visitor(r); err == nil && v != nil {
		http.Redirect(w, r, "/console", http.StatusSeeOther)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	h.render(w, r, http.StatusOK, "login.html", h.loginData())
}

// loginData is what the sign-in page shows: the password form, the single
// sign-on button, or both.
func (h *Handler) loginData() pageData {
	d := pageData{Title: "Sign in"}
	if h.sso != nil {
		d.SSO, d.NoPasswords = h.sso.cfg.Name, h.sso.cfg.Only
	}
	return d
}

// login checks an e-mail address and password. Every failure says the same
// thing; unknown addresses cost a bcrypt comparison too; attempts are
// limited per e-mail address and client address together, more loosely
// per e-mail address and per client address alone (see perPairLimit).
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if h.sso != nil && h.sso.cfg.Only {
		data := h.loginData()
		data.Error = "Passwords are turned off on this relaydesk: sign in with " + h.sso.cfg.Name + "."
		h.log.InfoContext(r.Context(), "console sign-in refused", "reason", "password sign-in is off (OIDC_ONLY)")
		h.render(w, r, http.StatusForbidden, "login.html", data)
		return
	}
	if !h.sameOrigin(r) {
		h.errorPage(w, r, http.StatusForbidden, "Sign-in refused", "The sign-in form was not sent from this relaydesk's own page. Open "+
			h.publicOrigin(r)+"/console/login (relaydesk's PUBLIC_URL) and sign in there.")
		return
	}
	// The attempt counts against the client's address before its form is
	// read: a client that sends forms slowly, or never finishes them, uses
	// up its attempts like one that guesses.
	ip := h.clientIP(r)
	ipKey := "ip:" + ip
	if wait := h.limits.Attempt(h.now(), ratelimit.Key{Name: ipKey, Limit: perIPLimit}); wait > 0 {
		// Answer now, form unread, and close: the server would otherwise
		// read what is left of the form before answering.
		w.Header().Set("Connection", "close")
		h.tooManySignIns(w, r, wait, h.loginData())
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		data := h.loginData()
		data.Error = "The form could not be read; try again."
		h.render(w, r, http.StatusBadRequest, "login.html", data)
		return
	}
	email := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
	plain := r.PostForm.Get("password")
	data := h.loginData()
	data.Email = email
	pairKey, emailKey := "email+ip:"+email+" "+ip, "email:"+email
	t, err := h.sessions.TechnicianByEmail(r.Context(), email)
	if err != nil && !errors.Is(err, core.ErrNotFound) {
		h.log.ErrorContext(r.Context(), "sign in: load technician", "err", err)
		h.errorPage(w, r, http.StatusInternalServerError, "Something went wrong", "The details are in the server log.")
		return
	}
	if err == nil && !t.SignInResetAt.IsZero() {
		// An admin cleared this technician's failures, maybe in another
		// process: those before it count no more here either.
		h.limits.ForgetBefore(t.SignInResetAt, pairKey, emailKey)
	}
	if wait := h.limits.Attempt(h.now(), ratelimit.Key{Name: pairKey, Limit: perPairLimit},
		ratelimit.Key{Name: emailKey, Limit: perEmailLimit}); wait > 0 {
		h.limits.Undo(ipKey) // refused unread: no password was tried
		h.tooManySignIns(w, r, wait, data)
		return
	}
	hash := t.PasswordHash
	if err != nil || hash == "" {
		hash = dummyHash
	}
	ok := password.Check(hash, plain) && err == nil && t.PasswordHash != ""
	if !ok {
		h.log.InfoContext(r.Context(), "console sign-in failed")
		data.Error = "Wrong e-mail or password."
		h.render(w, r, http.StatusUnauthorized, "login.html", data)
		return
	}
	// The person at this address knows the password: their failures are
	// forgotten, and this attempt takes nothing from the others' counts.
	h.limits.Succeeded(pairKey, emailKey, ipKey)
	if !t.Active() {
		// Said only to whoever knows the password, so that it tells a
		// stranger nothing about the address.
		h.log.InfoContext(r.Context(), "console sign-in refused", "technician", t.ID, "reason", "deactivated")
		data.Error = deactivatedMessage
		h.render(w, r, http.StatusForbidden, "login.html", data)
		return
	}
	if err := h.startSession(w, r, t); err != nil {
		h.log.ErrorContext(r.Context(), "sign in: create session", "err", err)
		h.errorPage(w, r, http.StatusInternalServerError, "Something went wrong", "The details are in the server log.")
		return
	}
	h.log.InfoContext(r.Context(), "console sign-in", "technician", t.ID)
	http.Redirect(w, r, "/console", http.StatusSeeOther)
}

// deactivatedMessage is what a deactivated technician hears at sign-in.
const deactivatedMessage = "This technician account is deactivated. Ask a relaydesk admin to reactivate it."

// tooManySignIns answers a sign-in refused by the limits: 429, with when to
// try again.
func (h *Handler) tooManySignIns(w http.ResponseWriter, r *http.Request, wait time.Duration, data pageData) {
	secs := int((wait + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	data.Error = fmt.Sprintf("Too many failed sign-ins. Try again in %d minute(s), or ask an admin to clear them.", (secs+59)/60)
	h.render(w, r, http.StatusTooManyRequests, "login.html", data)
}

// logout ends this browser's session. It takes the CSRF token from the
// header or, for the plain form in the page header, from the form field
// "csrf".
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	v, err := h.visitor(r)
	if errors.Is(err, errSignedOut) {
		h.clearCookie(w)
		http.Redirect(w, r, "/console/login", http.StatusSeeOther)
		return
	} else if err != nil {
		h.log.ErrorContext(r.Context(), "sign out: load session", "err", err)
		h.errorPage(w, r, http.StatusInternalServerError, "Something went wrong", "The details are in the server log.")
		return
	}
	token := r.Header.Get(CSRFHeader)
	if token == "" {
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		token = r.PostFormValue("csrf")
	}
	if !h.sameOrigin(r) || !h.csrfOK(v, token) {
		h.errorPage(w, r, http.StatusForbidden, "Sign-out refused", "The request did not come from this console's page. Reload the page and sign out again.")
		return
	}
	if err := h.sessions.DeleteSession(r.Context(), v.sess.IDHash); err != nil {
		h.log.ErrorContext(r.Context(), "sign out", "err", err)
		h.errorPage(w, r, http.StatusInternalServerError, "Something went wrong", "The details are in the server log.")
		return
	}
	h.clearCookie(w)
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}
