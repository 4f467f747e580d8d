package main_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	main "github.com/relaydesk/relaydesk/cmd/relaydesk"
	"github.com/relaydesk/relaydesk/internal/testwait"
)

// TestLoadOIDCConfig: the OIDC_ settings, each on its own and together.
func TestLoadOIDCConfig(t *testing.T) {
	sso := map[string]string{"OIDC_ISSUER": "https://company.okta.com", "OIDC_CLIENT_ID": "0oa1relaydesk",
		"OIDC_CLIENT_SECRET": "the-client-secret"}
	with := func(more ...string) map[string]string {
		env := map[string]string{}
		for k, v := range sso {
			env[k] = v
		}
		for i := 0; i < len(more); i += 2 {
			env[more[i]] = more[i+1]
		}
		return env
	}
	accepted := []struct {
		name string
		env  map[string]string
		want main.OIDCConfig
	}{
		{"off without OIDC_ISSUER", map[string]string{"OIDC_ONLY": "false"}, main.OIDCConfig{}},
		{"issuer, client ID and secret: the default scopes and name, passwords on", sso,
			main.OIDCConfig{Issuer: "https://company.okta.com", ClientID: "0oa1relaydesk", ClientSecret: "the-client-secret"}},
		{"scopes by spaces or commas, a name, passwords off",
			with("OIDC_SCOPES", "openid, email  groups", "OIDC_NAME", "Okta", "OIDC_ONLY", "true"),
			main.OIDCConfig{Issuer: "https://company.okta.com", ClientID: "0oa1relaydesk", ClientSecret: "the-client-secret",
				Scopes: []string{"openid", "email", "groups"}, Name: "Okta", Only: true}},
		{"the issuer kept as given, trailing slash and all (it must match the provider's)",
			with("OIDC_ISSUER", "https://relaydesk.eu.auth0.com/"),
			main.OIDCConfig{Issuer: "https://relaydesk.eu.auth0.com/", ClientID: "0oa1relaydesk", ClientSecret: "the-client-secret"}},
		{"http on this machine, for a test provider", with("OIDC_ISSUER", "http://127.0.0.1:5556/dex"),
			main.OIDCConfig{Issuer: "http://127.0.0.1:5556/dex", ClientID: "0oa1relaydesk", ClientSecret: "the-client-secret"}},
	}
	for _, tt := range accepted {
		t.Run(tt.name, func(t *testing.T) {
			c, err := main.LoadConfig(getenv(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c.OIDC, tt.want) || c.OIDC.Enabled() != (tt.want.Issuer != "") {
				t.Errorf("got  %#v\nwant %#v", c.OIDC, tt.want)
			}
			if s := fmt.Sprintf("%v %+v %#v", c, c, c); strings.Contains(s, "the-client-secret") {
				t.Errorf("the client secret prints: %s", s)
			}
		})
	}

	rejected := []struct {
		name string
		env  map[string]string
		want []string // substrings of the error
	}{
		{"client ID without issuer", map[string]string{"OIDC_CLIENT_ID": "x"}, []string{"OIDC_CLIENT_ID", "set OIDC_ISSUER too"}},
		{"passwords off without single sign-on", map[string]string{"OIDC_ONLY": "true"}, []string{"OIDC_ONLY", "nobody could sign in"}},
		{"OIDC_ONLY not a boolean", with("OIDC_ONLY", "yes please"), []string{"OIDC_ONLY", "true or false"}},
		{"no client ID", with("OIDC_CLIENT_ID", ""), []string{"OIDC_CLIENT_ID", "required"}},
		{"no client secret", with("OIDC_CLIENT_SECRET", ""), []string{"OIDC_CLIENT_SECRET", "required"}},
		{"issuer not a URL", with("OIDC_ISSUER", "company.okta.com"), []string{"OIDC_ISSUER", "absolute"}},
		{"issuer over plain http elsewhere", with("OIDC_ISSUER", "http://company.okta.com"), []string{"OIDC_ISSUER", "https://"}},
		{"issuer with a query", with("OIDC_ISSUER", "https://company.okta.com/?x=1"), []string{"OIDC_ISSUER", "query"}},
	}
	for _, tt := range rejected {
		t.Run(tt.name, func(t *testing.T) {
			c, err := main.LoadConfig(getenv(tt.env))
			if err == nil {
				t.Fatalf("accepted: %+v", c.OIDC)
			}
			if strings.Contains(err.Error(), "the-client-secret") {
				t.Errorf("the error repeats the client secret: %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestServeSingleSignOn: serve started while the identity provider is
// down serves all the same and says so; once the provider is back, a
// technician added by the CLI without a password signs in through it.
func TestServeSingleSignOn(t *testing.T) {
	t.Parallel()
	idp, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	down.Store(true)
	idp.AddMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if down.Load() {
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
	if err := idp.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idp.Shutdown() })

	p := newProgram(t, "sqlite:"+t.TempDir()+"/relaydesk.db")
	p.env["HTTP_ADDR"] = "127.0.0.1:0"
	// Browsers reach relaydesk through a proxy at PUBLIC_URL; the test
	// goes to the listener itself.
	p.env["PUBLIC_URL"] = "http://relaydesk.test"
	p.env["OIDC_ISSUER"] = idp.Issuer()
	p.env["OIDC_CLIENT_ID"] = idp.ClientID
	p.env["OIDC_CLIENT_SECRET"] = idp.ClientSecret
	p.env["OIDC_NAME"] = "Okta"
	p.env["OIDC_ONLY"] = "true"
	step{args: args("admin tech create --email ada@example.com --name Ada --no-password")}.run(t, p)
	srv := p.serve()

	readyz := func() map[string]string {
		t.Helper()
		res, err := http.Get(srv.base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var r struct {
			Status    string
			Platforms map[string]string
		}
		if err := json.NewDecoder(res.Body).Decode(&r); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("/readyz: %d %v", res.StatusCode, err)
		}
		return r.Platforms
	}
	if st := readyz()["oidc"]; !strings.HasPrefix(st, "connecting") {
		t.Errorf("/readyz says oidc %q while the provider is down", st)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(raw string) *http.Response {
		t.Helper()
		res, err := client.Get(raw)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	if res := get(srv.base + "/console/oidc/login"); res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("the button while the provider is down: %d", res.StatusCode)
	}

	testwait.Until(t, "serve to say the provider cannot be reached", func() error {
		if !strings.Contains(srv.log.String(), "the identity provider cannot be reached") {
			return fmt.Errorf("the log:\n%s", srv.log.String())
		}
		return nil
	})

	down.Store(false)
	testwait.Until(t, "the provider to be found again", func() error {
		if s := readyz()["oidc"]; s != "ok" {
			return fmt.Errorf("readyz says %q\n%s", s, srv.log.String())
		}
		return nil
	})
	idp.QueueUser(&mockoidc.MockUser{Subject: "ada", Email: "Ada@Example.com", EmailVerified: true})
	res := get(srv.base + "/console/oidc/login")
	if res.StatusCode != http.StatusFound {
		t.Fatalf("the button: %d", res.StatusCode)
	}
	res = get(res.Header.Get("Location"))
	back, err := url.Parse(res.Header.Get("Location"))
	if err != nil || res.StatusCode != http.StatusFound {
		t.Fatalf("the provider: %d", res.StatusCode)
	}
	if got, want := back.Scheme+"://"+back.Host+back.Path, "http://relaydesk.test/console/oidc/callback"; got != want {
		t.Errorf("the provider sends the browser back to %s, want %s", got, want)
	}
	res = get(srv.base + back.Path + "?" + back.RawQuery)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console" {
		t.Fatalf("the callback: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	me, err := client.Get(srv.base + "/console/api/me")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(me.Body)
	me.Body.Close()
	if me.StatusCode != http.StatusOK || !strings.Contains(string(body), `"email":"ada@example.com"`) {
		t.Fatalf("/console/api/me after single sign-on: %d %s", me.StatusCode, body)
	}

	log := srv.log.String()
	for _, want := range []string{"single sign-on is configured", "redirect_uri=http://relaydesk.test/console/oidc/callback",
		"the identity provider cannot be reached", "single sign-on is on"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, idp.ClientSecret) {
		t.Errorf("the log holds the client secret:\n%s", log)
	}
}
