package console

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/web/ratelimit"
)

// OIDC turns on single sign-on: technicians sign in to the console through
// the company's OpenID Connect identity provider, matched to technicians by
// verified e-mail address. It is off while Issuer is empty.
type OIDC struct {
	// Issuer is the provider's issuer URL; its discovery document is
	// Issuer + "/.well-known/openid-configuration".
	Issuer       string
	ClientID     string
	ClientSecret string
	// Scopes are asked for at the provider; default DefaultOIDCScopes.
	// "openid" is always asked for.
	Scopes []string
	// Name labels the sign-in button, "Sign in with <Name>"; default "SSO".
	Name string
	// Only turns password sign-in off: the login page shows the button
	// alone and POST /console/login refuses.
	Only bool
}

// DefaultOIDCScopes are the scopes asked for when OIDC.Scopes is empty:
// the e-mail address and whether the provider verified it come with
// "email".
var DefaultOIDCScopes = []string{oidc.ScopeOpenID, "email", "profile"}

// OIDCCallbackPath is where the identity provider sends the browser back.
// The redirect URI to register at the provider is PublicURL +
// OIDCCallbackPath.
const OIDCCallbackPath = "/console/oidc/callback"

const (
	oidcStartPath = "/console/oidc/login"
	// oidcCookie carries one sign-in's state, nonce and PKCE verifier from
	// the start to the callback, signed; it lives oidcFlowTTL.
	oidcCookie  = "relaydesk_oidc"
	oidcFlowTTL = 10 * time.Minute
	// oidcRetryGap is the least time between two tries to reach a
	// provider that could not be reached, and oidcTimeout bounds each call
	// to it.
	oidcRetryGap = 2 * time.Second
	oidcTimeout  = 15 * time.Second
	// maxUsedFlows bounds the memory that remembers finished sign-ins.
	maxUsedFlows = 100_000
)

// sso is single sign-on's state in one process.
type sso struct {
	cfg    OIDC
	key    []byte // signs the flow cookie
	client *http.Client

	// provider is set once discovery succeeded.
	provider atomic.Pointer[ssoProvider]
	// connMu is held while discovery runs; lastTry and lastErr under it.
	connMu  sync.Mutex
	lastTry time.Time
	lastErr atomic.Pointer[string]

	usedMu sync.Mutex
	used   map[string]time.Time // the states of finished sign-ins, until their cookie expires
}

// ssoProvider is what discovery found.
type ssoProvider struct {
	oauth    oauth2.Config // without RedirectURL, set per request
	verifier *oidc.IDTokenVerifier
}

// flow is one sign-in in progress, carried by the flow cookie.
type flow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Expires  int64  `json:"e"`
}

func newSSO(cfg OIDC) *sso {
	if cfg.Name == "" {
		cfg.Name = "SSO"
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = DefaultOIDCScopes
	}
	if !slices.Contains(cfg.Scopes, oidc.ScopeOpenID) {
		cfg.Scopes = append([]string{oidc.ScopeOpenID}, cfg.Scopes...)
	}
	// Every process of one desk has the same client secret, so a sign-in
	// started at one of them can finish at another.
	var key []byte
	if cfg.ClientSecret != "" {
		m := hmac.New(sha256.New, []byte(cfg.ClientSecret))
		m.Write([]byte("relaydesk console oidc flow cookie"))
		key = m.Sum(nil)
	} else {
		key = make([]byte, 32)
		rand.Read(key)
	}
	return &sso{cfg: cfg, key: key, client: &http.Client{Timeout: oidcTimeout}, used: map[string]time.Time{}}
}

// Run does the console's network work until ctx ends: with single sign-on
// on, it finds the identity provider (OpenID Connect discovery), trying
// again with backoff, up to a minute apart, while the provider cannot be
// reached; an identity provider that is down for a while does not keep
// relaydesk from starting. Run returns once the provider is found or ctx
// ends, and always returns nil.
func (h *Handler) Run(ctx context.Context) error {
	if h.sso == nil {
		return nil
	}
	for n := 1; ; n++ {
		h.sso.connMu.Lock()
		p, err := h.sso.connect(ctx, h.now)
		h.sso.connMu.Unlock()
		if p != nil {
			h.log.InfoContext(ctx, "single sign-on is on", "issuer", h.sso.cfg.Issuer)
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
		wait := backoff(n)
		h.log.WarnContext(ctx, "single sign-on: the identity provider cannot be reached; trying again",
			"issuer", h.sso.cfg.Issuer, "in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// OIDCState says how single sign-on stands, for /readyz: "" when it is
// off, "ok" once the identity provider was found, and "connecting: ..."
// until then.
func (h *Handler) OIDCState() string {
	switch {
	case h.sso == nil:
		return ""
	case h.sso.provider.Load() != nil:
		return "ok"
	}
	if e := h.sso.lastErr.Load(); e != nil {
		return "connecting: " + *e
	}
	return "connecting"
}

// backoff is the wait after the n-th failure in a row (n from 1): from a
// second, doubling, up to a minute.
func backoff(n int) time.Duration {
	d := time.Second
	for i := 1; i < n && d < time.Minute; i++ {
		d *= 2
	}
	return min(d, time.Minute)
}

// connect runs discovery once, unless it succeeded already; connMu must be
// held.
func (s *sso) connect(ctx context.Context, now func() time.Time) (*ssoProvider, error) {
	if p := s.provider.Load(); p != nil {
		return p, nil
	}
	s.lastTry = time.Now()
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, s.client), s.cfg.Issuer)
	if err != nil {
		msg := err.Error()
		var mismatch *oidc.IssuerMismatchError
		if errors.As(err, &mismatch) {
			msg = fmt.Sprintf("the provider calls itself %q: set OIDC_ISSUER to that", mismatch.Discovered)
		}
		s.lastErr.Store(&msg)
		return nil, errors.New(msg)
	}
	sp := &ssoProvider{
		oauth: oauth2.Config{ClientID: s.cfg.ClientID, ClientSecret: s.cfg.ClientSecret, Endpoint: p.Endpoint(), Scopes: s.cfg.Scopes},
		// The key set is fetched, and fetched again when the provider
		// rotates its keys, with this client; the context's end is ignored.
		verifier: p.VerifierContext(oidc.ClientContext(context.Background(), s.client),
			&oidc.Config{ClientID: s.cfg.ClientID, Now: now}),
	}
	s.provider.Store(sp)
	return sp, nil
}

// ready returns the provider, trying discovery once more now when it
// failed so far (at most every oidcRetryGap, and never while another try
// runs): the button works as soon as the provider is back. nil means the
// provider cannot be reached.
func (h *Handler) ready(ctx context.Context) *ssoProvider {
	if p := h.sso.provider.Load(); p != nil {
		return p
	}
	if !h.sso.connMu.TryLock() {
		return nil
	}
	defer h.sso.connMu.Unlock()
	if time.Since(h.sso.lastTry) < oidcRetryGap {
		return nil
	}
	p, _ := h.sso.connect(ctx, h.now)
	return p
}

// oauth is the provider's OAuth 2.0 configuration for a request.
func (h *Handler) oauth(r *http.Request, p *ssoProvider) *oauth2.Config {
	c := p.oauth
	c.RedirectURL = h.base(r) + OIDCCallbackPath
	return &c
}

// ssoStart sends the browser to the identity provider, with a new flow
// cookie.
func (h *Handler) ssoStart(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if v, err := h.visitor(r); err == nil && v != nil {
		http.Redirect(w, r, "/console", http.StatusSeeOther)
		return
	}
	p := h.ready(r.Context())
	if p == nil {
		msg := "The identity provider cannot be reached just now; try again in a minute."
		if !h.sso.cfg.Only {
			msg += " You can also sign in with your e-mail address and password."
		}
		h.errorPage(w, r, http.StatusServiceUnavailable, "Sign-in with "+h.sso.cfg.Name+" is not available", msg)
		return
	}
	f := flow{State: randomToken(), Nonce: randomToken(), Verifier: oauth2.GenerateVerifier(),
		Expires: h.now().Add(oidcFlowTTL).Unix()}
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: h.sso.seal(f), Path: "/console/oidc", HttpOnly: true,
		Secure: h.cfg.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: int(oidcFlowTTL / time.Second)})
	http.Redirect(w, r, h.oauth(r, p).AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)),
		http.StatusFound)
}

// refusal is a single sign-on that did not sign anyone in: what the
// browser is told, and what the log says (never a token).
type refusal struct {
	status  int
	message string
	reason  string
	attrs   []any
	level   slog.Level
}

func refuse(status int, message, reason string, attrs ...any) *refusal {
	return &refusal{status: status, message: message, reason: reason, attrs: attrs, level: slog.LevelInfo}
}

// ssoCallback finishes a sign-in when the identity provider sends the
// browser back: it checks the flow, exchanges the code, verifies the ID
// token and signs the technician with the token's verified e-mail address
// in, with the same session a password gives.
//
// Each callback counts against the client's address in the sign-in limits
// that passwords share; a sign-in takes its count back.
func (h *Handler) ssoCallback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	ctx := r.Context()
	ip := h.clientIP(r)
	ipKey := "ip:" + ip
	if wait := h.limits.Attempt(h.now(), ratelimit.Key{Name: ipKey, Limit: perIPLimit}); wait > 0 {
		h.log.WarnContext(ctx, "console single sign-on refused", "reason", "too many failed sign-ins from the address", "ip", ip)
		h.tooManySignIns(w, r, wait, h.loginData())
		return
	}
	// The flow cookie serves one callback, whatever comes of it.
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: "/console/oidc", HttpOnly: true,
		Secure: h.cfg.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	t, no := h.ssoTechnician(r)
	if no != nil {
		h.log.Log(ctx, no.level, "console single sign-on refused", append([]any{"reason", no.reason, "ip", ip}, no.attrs...)...)
		h.errorPage(w, r, no.status, "Sign-in refused", no.message)
		return
	}
	h.limits.Undo(ipKey)
	if err := h.startSession(w, r, t); err != nil {
		h.log.ErrorContext(ctx, "single sign-on: create session", "err", err)
		h.errorPage(w, r, http.StatusInternalServerError, "Something went wrong", "The details are in the server log.")
		return
	}
	h.log.InfoContext(ctx, "console sign-in", "technician", t.ID, "with", "oidc")
	http.Redirect(w, r, "/console", http.StatusSeeOther)
}

// ssoTechnician is the technician a callback signs in, or why none.
func (h *Handler) ssoTechnician(r *http.Request) (core.Technician, *refusal) {
	ctx := r.Context()
	again := " Start again from the sign-in page."
	q := r.URL.Query()
	c, err := r.Cookie(oidcCookie)
	if err != nil {
		return core.Technician{}, refuse(http.StatusBadRequest, "This sign-in was used already or took too long."+again, "no flow cookie")
	}
	f, ok := h.sso.open(c.Value, h.now())
	switch {
	case !ok:
		return core.Technician{}, refuse(http.StatusBadRequest, "This sign-in took too long or was not started here."+again,
			"flow cookie expired or not signed by this desk")
	case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1:
		return core.Technician{}, refuse(http.StatusBadRequest, "This answer from the identity provider belongs to another sign-in."+again,
			"state does not match the flow cookie")
	case !h.sso.finish(f, h.now()):
		return core.Technician{}, refuse(http.StatusBadRequest, "This sign-in was used already."+again, "callback replayed")
	}
	if e := q.Get("error"); e != "" {
		desc := q.Get("error_description")
		if len(desc) > 200 {
			desc = desc[:200]
		}
		return core.Technician{}, refuse(http.StatusForbidden, "The identity provider did not sign you in: "+strings.TrimSpace(e+" "+desc)+"."+again,
			"the identity provider answered an error", "error", e)
	}
	p := h.ready(ctx)
	if p == nil {
		r := refuse(http.StatusServiceUnavailable, "The identity provider cannot be reached just now; try again in a minute.",
			"the identity provider cannot be reached")
		r.level = slog.LevelWarn
		return core.Technician{}, r
	}
	tok, err := h.oauth(r, p).Exchange(context.WithValue(ctx, oauth2.HTTPClient, h.sso.client), q.Get("code"), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		// The provider's answer may repeat the code: only its error code
		// and status are logged.
		no := refuse(http.StatusBadGateway, "The identity provider did not accept this sign-in."+again, "code exchange failed")
		no.level = slog.LevelWarn
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			no.attrs = []any{"error", re.ErrorCode, "status", re.Response.StatusCode}
		} else {
			no.attrs = []any{"err", err}
		}
		return core.Technician{}, no
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		no := refuse(http.StatusBadGateway, "The identity provider sent no ID token; check that the scopes include openid.", "no id_token")
		no.level = slog.LevelWarn
		return core.Technician{}, no
	}
	id, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		var expired *oidc.TokenExpiredError
		if errors.As(err, &expired) {
			return core.Technician{}, refuse(http.StatusForbidden, "The identity provider's answer has expired already; "+
				"if this keeps happening, this server's clock or the provider's is wrong."+again, "ID token expired", "expiry", expired.Expiry)
		}
		// go-oidc's errors name the claim that failed (issuer, audience,
		// signature), never the token.
		no := refuse(http.StatusForbidden, "The identity provider's answer could not be verified: it is not meant for this relaydesk "+
			"or not signed by the provider. An admin should check OIDC_ISSUER and OIDC_CLIENT_ID."+again, "ID token not valid", "err", err)
		no.level = slog.LevelWarn
		return core.Technician{}, no
	}
	if subtle.ConstantTimeCompare([]byte(id.Nonce), []byte(f.Nonce)) != 1 {
		no := refuse(http.StatusForbidden, "The identity provider's answer belongs to another sign-in."+again, "nonce does not match")
		no.level = slog.LevelWarn
		return core.Technician{}, no
	}
	var claims struct {
		Email         string `json:"email"`
		EmailVerified any    `json:"email_verified"` // a few providers send "true"
	}
	if err := id.Claims(&claims); err != nil {
		return core.Technician{}, refuse(http.StatusForbidden, "The identity provider's answer could not be read."+again, "claims not readable", "err", err)
	}
	email := strings.ToLower(strings.TrimSpace(claims.Email))
	if email == "" {
		return core.Technician{}, refuse(http.StatusForbidden, "The identity provider did not tell relaydesk your e-mail address. "+
			"An admin should make sure relaydesk asks for the email scope (OIDC_SCOPES).", "no email claim", "subject", id.Subject)
	}
	if claims.EmailVerified != true && claims.EmailVerified != "true" {
		return core.Technician{}, refuse(http.StatusForbidden, "The identity provider has not verified your e-mail address "+email+
			", so relaydesk cannot tell who you are by it. Verify it at the provider, then sign in again.", "email not verified", "email", email)
	}
	t, err := h.sessions.TechnicianByEmail(ctx, email)
	if errors.Is(err, core.ErrNotFound) {
		return core.Technician{}, refuse(http.StatusForbidden, "No relaydesk technician has the e-mail address "+email+
			". Ask a relaydesk admin to add you with this address, then sign in again.", "no technician has the e-mail address", "email", email)
	} else if err != nil {
		no := refuse(http.StatusInternalServerError, "Something went wrong; the details are in the server log.", "load technician", "err", err)
		no.level = slog.LevelError
		return core.Technician{}, no
	}
	if !t.Active() {
		return core.Technician{}, refuse(http.StatusForbidden, deactivatedMessage, "technician is deactivated", "technician", t.ID)
	}
	return t, nil
}

// seal signs a flow into a cookie value.
func (s *sso) seal(f flow) string {
	b, _ := json.Marshal(f)
	p := base64.RawURLEncoding.EncodeToString(b)
	return p + "." + base64.RawURLEncoding.EncodeToString(s.mac(p))
}

// open checks a flow cookie's signature and expiry.
func (s *sso) open(v string, now time.Time) (flow, bool) {
	p, sig, ok := strings.Cut(v, ".")
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if !ok || err != nil || !hmac.Equal(got, s.mac(p)) {
		return flow{}, false
	}
	var f flow
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil || json.Unmarshal(b, &f) != nil || f.State == "" || f.Nonce == "" || now.Unix() >= f.Expires {
		return flow{}, false
	}
	return f, true
}

func (s *sso) mac(p string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(p))
	return m.Sum(nil)
}

// finish records that f's callback came, and reports whether it is the
// first: a replayed callback (the cookie and the provider's answer copied)
// is refused in this process even where the provider would take its code
// twice.
func (s *sso) finish(f flow, now time.Time) bool {
	s.usedMu.Lock()
	defer s.usedMu.Unlock()
	if _, ok := s.used[f.State]; ok {
		return false
	}
	if len(s.used) >= maxUsedFlows {
		for k, exp := range s.used {
			if !now.Before(exp) {
				delete(s.used, k)
			}
		}
	}
	if len(s.used) < maxUsedFlows {
		s.used[f.State] = time.Unix(f.Expires, 0)
	}
	return true
}
