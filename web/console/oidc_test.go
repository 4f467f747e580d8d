package console_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
	"github.com/relaydesk/relaydesk/internal/testwait"
	"github.com/relaydesk/relaydesk/web/console"
)

// idp is an OpenID Connect provider on loopback. It signs in whoever is
// queued at once, and answers 503 to everything while down is set.
type idp struct {
	*mockoidc.MockOIDC
	down atomic.Bool
}

func newIDP(t *testing.T) *idp {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	i := &idp{MockOIDC: m}
	m.AddMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if i.down.Load() {
				http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	return i
}

// person is someone at the identity provider. edit bends the claims of
// the ID token the provider signs for them: a token meant for another
// application, expired, or for another sign-in.
type person struct {
	mockoidc.MockUser
	edit func(*mockoidc.IDTokenClaims)
}

func (p *person) Claims(scope []string, c *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	if p.edit != nil {
		p.edit(c)
	}
	return p.MockUser.Claims(scope, c)
}

func verified(email string) *person {
	return &person{MockUser: mockoidc.MockUser{Subject: "sub-" + email, Email: email, EmailVerified: true}}
}

// logBuf collects a console's log lines.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// withOIDC turns single sign-on through i on, on the real clock (the ID
// tokens' times are real), logging into log when it is not nil.
func withOIDC(i *idp, only bool, log *logBuf) option {
	return func(c *console.Config) {
		cfg := i.Config()
		c.OIDC = console.OIDC{Issuer: cfg.Issuer, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Name: "Okta", Only: only}
		c.Now = time.Now
		if log != nil {
			c.Logger = slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}
	}
}

// waitSSO waits until the console found the identity provider.
func (e *env) waitSSO() {
	e.t.Helper()
	testwait.Until(e.t, "single sign-on to find the provider", func() error {
		if s := e.console.OIDCState(); s != "ok" {
			return fmt.Errorf("single sign-on: %s", s)
		}
		return nil
	})
}

// visit GETs an absolute URL with the browser's cookies, following no
// redirect.
func (b *browser) visit(raw string) response {
	b.e.t.Helper()
	res, err := b.c.Get(raw)
	if err != nil {
		b.e.t.Fatalf("GET %s: %v", raw, err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return response{code: res.StatusCode, body: string(out), hdr: res.Header}
}

// toIdP presses "Sign in with Okta" and lets the provider sign who in
// (its default person when nil); it returns where the provider sends the
// browser back to.
func (b *browser) toIdP(i *idp, who mockoidc.User) *url.URL {
	b.e.t.Helper()
	if who != nil {
		i.QueueUser(who)
	}
	res := b.do("GET", "/console/oidc/login", nil, nil)
	if res.code != http.StatusFound {
		b.e.t.Fatalf("the sign-in button: %d %s", res.code, res.body)
	}
	auth := res.hdr.Get("Location")
	if !strings.HasPrefix(auth, i.AuthorizationEndpoint()+"?") {
		b.e.t.Fatalf("the button leads to %s, not the provider", auth)
	}
	q, _ := url.Parse(auth)
	for _, p := range []string{"state", "nonce", "code_challenge"} {
		if q.Query().Get(p) == "" {
			b.e.t.Errorf("the sign-in sends no %s to the provider: %s", p, auth)
		}
	}
	if got, want := q.Query().Get("redirect_uri"), b.e.srv.URL+console.OIDCCallbackPath; got != want {
		b.e.t.Errorf("redirect_uri %q, want %q", got, want)
	}
	res = b.visit(auth)
	back, err := url.Parse(res.hdr.Get("Location"))
	if res.code != http.StatusFound || err != nil {
		b.e.t.Fatalf("the provider answered %d %s", res.code, res.body)
	}
	return back
}

// ssoSignIn signs who in through the provider and returns relaydesk's
// answer to the callback.
func (b *browser) ssoSignIn(i *idp, who mockoidc.User) response {
	b.e.t.Helper()
	return b.visit(b.toIdP(i, who).String())
}

// me returns who the browser's session belongs to, or "" when it has none.
func (b *browser) me() string {
	b.e.t.Helper()
	res := b.do("GET", "/console/api/me", nil, nil)
	if res.code == http.StatusUnauthorized {
		return ""
	}
	var me struct {
		ID string `json:"id"`
	}
	res.json(b.e.t, &me)
	if res.code != http.StatusOK || me.ID == "" {
		b.e.t.Fatalf("/console/api/me: %d %s", res.code, res.body)
	}
	return me.ID
}

// TestSingleSignOn: a technician signs in through the identity provider by
// verified e-mail, with the session a password gives; every answer that
// does not prove a technician is refused with a page that says why, and
// a log line without tokens.
func TestSingleSignOn(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		i, log := newIDP(t), &logBuf{}
		e := newEnv(t, newStore, withOIDC(i, false, log))
		d := e.d
		// Erin has no password: single sign-on is her only way in.
		erin, err := d.Engine.CreateTechnician(context.Background(), core.SystemActor(),
			core.NewTechnician{Email: "erin@desk.test", Name: "Erin", Role: core.RoleTechnician})
		if err != nil {
			t.Fatal(err)
		}
		e.waitSSO()
		expired := func(c *mockoidc.IDTokenClaims) {
			now := time.Now()
			c.IssuedAt, c.NotBefore = jwt.NewNumericDate(now.Add(-11*time.Minute)), jwt.NewNumericDate(now.Add(-11*time.Minute))
			c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Minute))
		}
		tests := []struct {
			name   string
			who    mockoidc.User
			tamper func(q url.Values)
			want   string // technician ID signed in
			code   int    // else: the refusal's status,
			says   string // what its page says
			reason string // and the log's reason
			detail string // and what else the log line says
		}{
			{name: "a technician's verified e-mail signs in", who: verified(d.Alice.Email), want: d.Alice.ID},
			{name: "the e-mail is matched whatever its case", who: verified("ALICE@Desk.TEST"), want: d.Alice.ID},
			{name: "a technician without a password signs in", who: verified(erin.Email), want: erin.ID},
			{name: "an ID token for another application is refused",
				who: &person{MockUser: verified(d.Bob.Email).MockUser, edit: func(c *mockoidc.IDTokenClaims) {
					c.Audience = jwt.ClaimStrings{"another-application"}
				}},
				code: http.StatusForbidden, says: "not meant for this relaydesk", reason: "ID token not valid", detail: "expected audience"},
			{name: "an expired ID token is refused",
				who:  &person{MockUser: verified(d.Bob.Email).MockUser, edit: expired},
				code: http.StatusForbidden, says: "expired", reason: "ID token expired"},
			{name: "an e-mail the provider did not verify is refused",
				who:  &person{MockUser: mockoidc.MockUser{Subject: "bob", Email: d.Bob.Email, EmailVerified: false}},
				code: http.StatusForbidden, says: "has not verified your e-mail address bob@desk.test", reason: "email not verified"},
			{name: "an e-mail no technician has is refused, and nobody is added",
				who:  verified("stranger@desk.test"),
				code: http.StatusForbidden, says: "No relaydesk technician has the e-mail address stranger@desk.test. Ask a relaydesk admin to add you",
				reason: "no technician has the e-mail address"},
			{name: "no e-mail at all is refused",
				who:  &person{MockUser: mockoidc.MockUser{Subject: "nobody"}},
				code: http.StatusForbidden, says: "did not tell relaydesk your e-mail address", reason: "no email claim"},
			{name: "an ID token for another sign-in (nonce) is refused",
				who: &person{MockUser: verified(d.Bob.Email).MockUser, edit: func(c *mockoidc.IDTokenClaims) {
					c.Nonce = "the nonce of another sign-in"
				}},
				code: http.StatusForbidden, says: "belongs to another sign-in", reason: "nonce does not match"},
			{name: "an answer for another sign-in (state) is refused",
				who:    verified(d.Bob.Email),
				tamper: func(q url.Values) { q.Set("state", "the state of another sign-in") },
				code:   http.StatusBadRequest, says: "belongs to another sign-in", reason: "state does not match"},
			{name: "the provider's refusal is shown",
				who: verified(d.Bob.Email),
				tamper: func(q url.Values) {
					q.Del("code")
					q.Set("error", "access_denied")
					q.Set("error_description", "Bob is not assigned to relaydesk")
				},
				code: http.StatusForbidden, says: "did not sign you in: access_denied Bob is not assigned to relaydesk", reason: "the identity provider answered an error"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				b := e.browser()
				back := b.toIdP(i, tt.who)
				if tt.tamper != nil {
					q := back.Query()
					tt.tamper(q)
					back.RawQuery = q.Encode()
				}
				before := len(log.String())
				res := b.visit(back.String())
				if tt.want != "" {
					if res.code != http.StatusSeeOther || res.hdr.Get("Location") != "/console" {
						t.Fatalf("callback: %d %s", res.code, res.body)
					}
					if got := b.me(); got != tt.want {
						t.Fatalf("signed in as %q, want %q", got, tt.want)
					}
					b.loadCSRF() // the console page works, and state-changing calls with it
					if r := b.do("POST", "/console/api/me/availability", map[string]string{"availability": "busy"}, nil); r.code != http.StatusOK {
						t.Fatalf("set availability with the session: %d %s", r.code, r.body)
					}
					return
				}
				if res.code != tt.code || !strings.Contains(res.body, htmlText(tt.says)) {
					t.Fatalf("callback: %d, want %d saying %q:\n%s", res.code, tt.code, tt.says, res.body)
				}
				if got := b.me(); got != "" {
					t.Fatalf("refused, yet signed in as %s", got)
				}
				line := log.String()[before:]
				if !strings.Contains(line, "console single sign-on refused") || !strings.Contains(line, tt.reason) || !strings.Contains(line, tt.detail) {
					t.Errorf("the log says %q, want the refusal, %q and %q", line, tt.reason, tt.detail)
				}
			})
		}
		ts, err := e.store.Technicians(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, tech := range ts {
			if tech.Email == "stranger@desk.test" {
				t.Errorf("single sign-on added a technician: %+v", tech)
			}
		}
		// No line holds a token (JWTs start with eyJ) or a code's value.
		if strings.Contains(log.String(), "eyJ") {
			t.Errorf("a token in the log:\n%s", log.String())
		}
	})
}

// htmlText is s as html/template writes it in a page.
func htmlText(s string) string {
	return strings.NewReplacer("'", "&#39;", `"`, "&#34;").Replace(s)
}

// TestSingleSignOnReplay: the provider's answer serves one sign-in, in the
// browser that started it.
func TestSingleSignOnReplay(t *testing.T) {
	t.Parallel()
	i := newIDP(t)
	e := newEnv(t, storetest.SQLite, withOIDC(i, false, nil))
	e.waitSSO()
	alice := e.browser()
	back := alice.toIdP(i, verified(e.d.Alice.Email))
	cb, _ := url.Parse(e.srv.URL + console.OIDCCallbackPath)
	flowCookie := func(b *browser) *http.Cookie {
		for _, c := range b.c.Jar.Cookies(cb) {
			if c.Name == "relaydesk_oidc" {
				return c
			}
		}
		return nil
	}
	flow := flowCookie(alice)
	if flow == nil {
		t.Fatal("no flow cookie")
	}

	// Someone else's browser, handed Alice's answer, gets nothing: the
	// answer belongs to the browser whose flow cookie started it.
	mallory := e.browser()
	if res := mallory.visit(back.String()); res.code != http.StatusBadRequest {
		t.Fatalf("another browser: %d %s", res.code, res.body)
	}
	if mallory.me() != "" {
		t.Fatal("another browser signed in with Alice's answer")
	}

	if res := alice.visit(back.String()); res.code != http.StatusSeeOther {
		t.Fatalf("Alice's callback: %d %s", res.code, res.body)
	}
	if alice.me() != e.d.Alice.ID {
		t.Fatal("Alice is not signed in")
	}
	if c := flowCookie(alice); c != nil {
		t.Errorf("the flow cookie outlived its callback: %v", c)
	}

	// Replayed: the same answer again, even with the flow cookie copied
	// back, in Alice's browser or a copy of it.
	for _, b := range []*browser{alice, e.browser()} {
		b.c.Jar.SetCookies(cb, []*http.Cookie{flow})
		res := b.visit(back.String())
		if res.code != http.StatusBadRequest || !strings.Contains(res.body, "used already") {
			t.Fatalf("replayed callback: %d %s", res.code, res.body)
		}
	}
	if e.browser().me() != "" {
		t.Fatal("a replay signed in")
	}

	// A flow cookie relaydesk did not sign is not taken.
	forged := e.browser()
	back = forged.toIdP(i, verified(e.d.Alice.Email))
	c := flowCookie(forged)
	c.Value = strings.Replace(c.Value, ".", "x.", 1)
	forged.c.Jar.SetCookies(cb, []*http.Cookie{c})
	if res := forged.visit(back.String()); res.code != http.StatusBadRequest || !strings.Contains(res.body, "not started here") {
		t.Fatalf("a forged flow cookie: %d %s", res.code, res.body)
	}
}

// TestSingleSignOnCountsFailures: refused sign-ins count against the
// client's address with failed passwords; a sign-in takes its own count
// back.
func TestSingleSignOnCountsFailures(t *testing.T) {
	t.Parallel()
	i := newIDP(t)
	e := newEnv(t, storetest.SQLite, withOIDC(i, false, nil), func(c *console.Config) {
		c.ClientIP = func(*http.Request) string { return "192.0.2.7" }
	})
	e.waitSSO()
	fail := func() int {
		t.Helper()
		return e.browser().ssoSignIn(i, verified("stranger@desk.test")).code
	}
	for n := range 19 {
		if code := fail(); code != http.StatusForbidden {
			t.Fatalf("failure %d: %d", n+1, code)
		}
	}
	if res := e.browser().ssoSignIn(i, verified(e.d.Alice.Email)); res.code != http.StatusSeeOther {
		t.Fatalf("Alice after 19 failures from her address: %d %s", res.code, res.body)
	}
	if code := fail(); code != http.StatusForbidden {
		t.Fatalf("the 20th failure: %d", code)
	}
	if code := fail(); code != http.StatusTooManyRequests {
		t.Fatalf("the 21st: %d, want 429", code)
	}
	res := e.browser().form("/console/login", url.Values{"email": {e.d.Bob.Email}, "password": {testPassword}})
	if res.code != http.StatusTooManyRequests {
		t.Fatalf("a password from the same address: %d, want 429", res.code)
	}
}

// TestSingleSignOnOnly: with passwords turned off, the sign-in page shows
// the button alone and a password, even the right one, signs nobody in.
func TestSingleSignOnOnly(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, newStore func(testing.TB) *sqlstore.Store) {
		i := newIDP(t)
		e := newEnv(t, newStore, withOIDC(i, true, nil))
		e.waitSSO()
		page := e.browser().do("GET", "/console/login", nil, nil)
		if !strings.Contains(page.body, `id="sso"`) || !strings.Contains(page.body, "Sign in with Okta") {
			t.Errorf("no single sign-on button:\n%s", page.body)
		}
		for _, id := range []string{`id="password"`, `action="/console/login"`} {
			if strings.Contains(page.body, id) {
				t.Errorf("the password form is shown (%s)", id)
			}
		}
		b := e.browser()
		res := b.form("/console/login", url.Values{"email": {e.d.Alice.Email}, "password": {testPassword}})
		if res.code != http.StatusForbidden || !strings.Contains(res.body, "Passwords are turned off on this relaydesk: sign in with Okta.") {
			t.Fatalf("the right password: %d %s", res.code, res.body)
		}
		if b.me() != "" {
			t.Fatal("a password signed in")
		}
		if res := b.ssoSignIn(i, verified(e.d.Alice.Email)); res.code != http.StatusSeeOther || b.me() != e.d.Alice.ID {
			t.Fatalf("single sign-on: %d %s", res.code, res.body)
		}
	})
}

// TestSingleSignOnOffAndBoth: without single sign-on the page and routes
// are as before; with it and passwords, the page offers both.
func TestSingleSignOnOffAndBoth(t *testing.T) {
	t.Parallel()
	off := newEnv(t, storetest.SQLite)
	page := off.browser().do("GET", "/console/login", nil, nil)
	if strings.Contains(page.body, `id="sso"`) || !strings.Contains(page.body, `id="password"`) {
		t.Errorf("single sign-on off:\n%s", page.body)
	}
	if res := off.browser().do("GET", "/console/oidc/login", nil, nil); res.code != http.StatusNotFound {
		t.Errorf("the button's route without single sign-on: %d", res.code)
	}
	if off.console.OIDCState() != "" {
		t.Errorf("state %q with single sign-on off", off.console.OIDCState())
	}

	i := newIDP(t)
	both := newEnv(t, storetest.SQLite, withOIDC(i, false, nil))
	both.waitSSO()
	page = both.browser().do("GET", "/console/login", nil, nil)
	for _, s := range []string{`id="sso"`, "Sign in with Okta", `id="password"`} {
		if !strings.Contains(page.body, s) {
			t.Errorf("the sign-in page lacks %s:\n%s", s, page.body)
		}
	}
	both.login(both.d.Bob) // passwords still work
}

// TestSingleSignOnProviderDown: an identity provider that cannot be
// reached when the console starts keeps nothing else from working; the
// button says so, and works once the provider is back.
func TestSingleSignOnProviderDown(t *testing.T) {
	t.Parallel()
	i := newIDP(t)
	i.down.Store(true)
	log := &logBuf{}
	e := newEnv(t, storetest.SQLite, withOIDC(i, false, log))
	b := e.browser()
	res := b.do("GET", "/console/oidc/login", nil, nil)
	if res.code != http.StatusServiceUnavailable || !strings.Contains(res.body, "The identity provider cannot be reached") {
		t.Fatalf("the button while the provider is down: %d %s", res.code, res.body)
	}
	if s := e.console.OIDCState(); !strings.HasPrefix(s, "connecting") {
		t.Errorf("state %q while the provider is down", s)
	}
	e.login(e.d.Bob) // passwords work meanwhile
	testwait.Until(t, "a log line saying the provider cannot be reached", func() error {
		if !strings.Contains(log.String(), "cannot be reached; trying again") {
			return fmt.Errorf("the log:\n%s", log.String())
		}
		return nil
	})

	i.down.Store(false)
	testwait.Until(t, "the button to work once the provider is back", func() error {
		if res = b.do("GET", "/console/oidc/login", nil, nil); res.code != http.StatusFound {
			return fmt.Errorf("the button: %d %s", res.code, res.body)
		}
		return nil
	})
	if res := b.ssoSignIn(i, verified(e.d.Alice.Email)); res.code != http.StatusSeeOther || b.me() != e.d.Alice.ID {
		t.Fatalf("single sign-on once the provider is back: %d %s", res.code, res.body)
	}
	if e.console.OIDCState() != "ok" {
		t.Errorf("state %q", e.console.OIDCState())
	}
}
