package main_test

import (
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/bots/discord/discordtest"
	"github.com/relaydesk/relaydesk/bots/slack/slacktest"
	"github.com/relaydesk/relaydesk/bots/telegram/telegramtest"
)

// TestCheck runs `relaydesk check` against fake Slack, Discord and
// Telegram APIs: with the right settings every line is ok and the exit
// code 0; with wrong tokens, a missing scope, another application's ID
// and nothing serving at PUBLIC_URL, each of those is a FAIL line saying
// what to fix, and the exit code 1. No secret is printed.
func TestCheck(t *testing.T) {
	t.Parallel()
	const (
		slToken  = "xoxb-check-test-token"
		slApp    = "xapp-check-test-app-token"
		dcToken  = "MTE4.check-test-discord-token"
		dcApp    = "775799577604522056"
		tgToken  = "987654322:AAH-check_test_token"
		badToken = "xoxb-wrong"
	)
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	sl := slacktest.New(t, slToken)
	sl.SocketMode(slApp)
	dc := discordtest.New(t, dcToken)
	dc.App = discordtest.App{ID: dcApp, PublicKey: hex.EncodeToString(pub), Flags: 1 << 19}
	tg := telegramtest.New(t, tgToken)

	p := newProgram(t, backends()[0].url(t))
	p.env["HTTP_ADDR"] = "127.0.0.1:0"
	if code, _, errs := p.run("", "migrate"); code != 0 {
		t.Fatalf("migrate: exit %d\n%s", code, errs)
	}
	srv := p.serve()

	good := maps.Clone(p.env)
	maps.Copy(good, map[string]string{
		"PUBLIC_URL":      srv.base,
		"SLACK_BOT_TOKEN": slToken, "SLACK_APP_TOKEN": slApp, "SLACK_API_URL": sl.URL,
		"DISCORD_BOT_TOKEN": dcToken, "DISCORD_APP_ID": dcApp, "DISCORD_API_URL": dc.URL,
		"TELEGRAM_BOT_TOKEN": tgToken, "TELEGRAM_API_URL": tg.URL,
	})
	t.Run("right", func(t *testing.T) {
		code, out, errs := (&program{t: t, env: good}).run("", "check")
		if code != 0 || strings.Contains(out, "FAIL") {
			t.Fatalf("check: exit %d\n%s%s", code, out, errs)
		}
		for _, want := range []string{"ok    database", "schema up to date", "ok    public URL reachable",
			"ok    slack bot token               workspace Test Workspace", "ok    slack scopes", "ok    slack app token",
			"ok    discord bot token", "ok    discord application", "ok    discord message content",
			"ok    telegram bot token            @relaydesk_test_bot", "ok    telegram updates"} {
			if !strings.Contains(squash(out), squash(want)) {
				t.Errorf("the report lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("wrong", func(t *testing.T) {
		bad := maps.Clone(good)
		maps.Copy(bad, map[string]string{
			"PUBLIC_URL":      "http://127.0.0.1:1", // nothing serves there
			"SLACK_BOT_TOKEN": badToken,
			"DISCORD_APP_ID":  "775799577604522099", "DISCORD_PUBLIC_KEY": strings.Repeat("ab", 32),
			"TELEGRAM_BOT_TOKEN": "987654322:AAH-not_the_token",
		})
		code, out, errs := (&program{t: t, env: bad}).run("", "check")
		if code != 1 {
			t.Fatalf("check: exit %d, want 1\n%s%s", code, out, errs)
		}
		for _, want := range []string{
			"FAIL  public URL reachable", "start it and check again",
			"FAIL  slack bot token               Slack refused SLACK_BOT_TOKEN (invalid_auth)",
			"FAIL  discord application           DISCORD_APP_ID is 775799577604522099, but the bot token is application " + dcApp,
			"FAIL  discord public key",
			"FAIL  telegram bot token            Telegram refused TELEGRAM_BOT_TOKEN",
			"checks failed",
		} {
			if !strings.Contains(squash(out+errs), squash(want)) {
				t.Errorf("the report lacks %q:\n%s%s", want, out, errs)
			}
		}
		for _, secret := range []string{badToken, dcToken, "AAH-not_the_token", slApp} {
			if strings.Contains(out+errs, secret) {
				t.Errorf("check printed a secret (%s):\n%s%s", secret, out, errs)
			}
		}
	})

	t.Run("missing scope and a webhook while polling", func(t *testing.T) {
		sl2 := slacktest.New(t, slToken)
		sl2.Scopes = []string{"chat:write", "commands"}
		tg2 := telegramtest.New(t, tgToken)
		tg2.SetWebhook(t, "https://old.example.com/hook")
		env := maps.Clone(good)
		delete(env, "SLACK_APP_TOKEN")
		env["SLACK_SIGNING_SECRET"] = "check-test-signing-secret"
		env["SLACK_API_URL"], env["TELEGRAM_API_URL"] = sl2.URL, tg2.URL
		code, out, errs := (&program{t: t, env: env}).run("", "check")
		if code != 1 {
			t.Fatalf("check: exit %d, want 1\n%s%s", code, out, errs)
		}
		for _, want := range []string{
			"FAIL  public URL scheme", "Slack calls its request URLs over https only",
			"FAIL  slack scopes", "lacks chat:write.public, channels:history, groups:history, files:read, files:write, im:write, users:read",
			"warn  telegram webhook", "a webhook is set (https://old.example.com/hook) while relaydesk uses long polling",
		} {
			if !strings.Contains(squash(out), squash(want)) {
				t.Errorf("the report lacks %q:\n%s", want, out)
			}
		}
	})
}

// squash makes runs of spaces one, so that a report's columns do not
// matter to what a test looks for.
func squash(s string) string { return spaces.ReplaceAllString(s, " ") }

var spaces = regexp.MustCompile(` +`)

// TestCheckOIDC: check reads the identity provider's discovery document:
// one that names OIDC_ISSUER is ok, one that names another issuer, or
// none, is a FAIL saying what to set.
func TestCheckOIDC(t *testing.T) {
	t.Parallel()
	var issuer string
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `{"issuer": %q, "authorization_endpoint": "x"}`, issuer)
	}))
	t.Cleanup(idp.Close)
	p := newProgram(t, backends()[0].url(t))
	maps.Copy(p.env, map[string]string{"OIDC_ISSUER": idp.URL, "OIDC_CLIENT_ID": "relaydesk", "OIDC_CLIENT_SECRET": "s3cret-never-shown"})
	for _, tt := range []struct{ names, want string }{
		{idp.URL, "ok    single sign-on " + idp.URL + " answers"},
		{"https://elsewhere.example.com", "FAIL  single sign-on the identity provider calls itself \"https://elsewhere.example.com\""},
	} {
		issuer = tt.names
		_, out, errs := p.run("", "check")
		if !strings.Contains(squash(out), squash(tt.want)) || strings.Contains(out+errs, "s3cret") {
			t.Errorf("with the provider naming %s, check said:\n%s%s", tt.names, out, errs)
		}
	}
}
