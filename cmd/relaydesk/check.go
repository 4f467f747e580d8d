package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/web/console"
)

// checker is an adapter that can verify its settings against its platform.
type checker interface {
	Check(ctx context.Context) []bots.Finding
}

// checkTimeout bounds each platform's checks.
const checkTimeout = 20 * time.Second

// check verifies, before going live, what serve will rely on: the
// database and its schema, PUBLIC_URL, and each enabled platform's
// settings against the platform itself. It prints one line per check and
// changes nothing (but creating an SQLite file that does not exist yet,
// when DATABASE_URL names it).
func (c *call) check(ctx context.Context) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	var findings []bots.Finding
	report := func(area string, fs ...bots.Finding) {
		for _, f := range fs {
			f.What = strings.TrimSpace(area + " " + f.What)
			mark := "ok"
			switch {
			case f.Fail:
				mark = "FAIL"
			case f.Warn:
				mark = "warn"
			}
			fmt.Fprintf(c.Stdout, "%-4s  %-28s %s\n", mark, f.What, f.Detail)
			findings = append(findings, f)
		}
	}

	quiet := slog.New(slog.DiscardHandler)
	store, err := c.openStore(ctx, cfg, quiet)
	if err != nil {
		report("database", bots.Failed("", err.Error()))
		return checked(findings)
	}
	defer store.Close()
	report("database", checkDatabase(ctx, store))
	report("public URL", checkPublicURL(ctx, cfg)...)

	if cfg.OIDC.Enabled() {
		report("single sign-on", checkOIDC(ctx, cfg))
	}
	d := &desk{cfg: cfg, log: quiet, store: store, engine: core.NewEngine(core.Config{Store: store, Logger: quiet})}
	for _, p := range []struct {
		name  string
		on    bool
		build func(ctx context.Context, d *desk, peers func() int, h *bots.Health) (bots.Adapter, error)
	}{
		{"slack", cfg.Slack.Enabled(), startSlack},
		{"discord", cfg.Discord.Enabled(), startDiscord},
		{"telegram", cfg.Telegram.Enabled(), startTelegram},
	} {
		if !p.on {
			continue
		}
		a, err := p.build(ctx, d, nil, nil)
		if err != nil {
			report(p.name, bots.Failed("settings", err.Error()))
			continue
		}
		if ch, ok := a.(checker); ok {
			cctx, cancel := context.WithTimeout(ctx, checkTimeout)
			report(p.name, ch.Check(cctx)...)
			cancel()
		}
	}
	if !cfg.Slack.Enabled() && !cfg.Discord.Enabled() && !cfg.Telegram.Enabled() {
		report("platforms", bots.Passed("", "none enabled: the web console and widget only"))
	}
	return checked(findings)
}

// checked is check's outcome: an error, for a non-zero exit, when any
// check failed.
func checked(fs []bots.Finding) error {
	failed := 0
	for _, f := range fs {
		if f.Fail {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d checks failed; each FAIL line says what to fix", failed, len(fs))
	}
	return nil
}

func checkDatabase(ctx context.Context, s *sqlstore.Store) bots.Finding {
	if err := s.Ping(ctx); err != nil {
		return bots.Failed("", s.String()+" does not answer: "+err.Error())
	}
	pending, err := s.Pending(ctx)
	switch {
	case err != nil:
		return bots.Failed("", s.String()+": "+err.Error())
	case len(pending) > 0:
		return bots.Warned("", fmt.Sprintf("%s: %d migrations to apply (%s); serve and `relaydesk migrate` apply them", s,
			len(pending), strings.Join(pending, ", ")))
	}
	return bots.Passed("", s.String()+", schema up to date")
}

// checkPublicURL checks PUBLIC_URL's shape against what the enabled
// platforms need, and that relaydesk answers there.
func checkPublicURL(ctx context.Context, cfg Config) []bots.Finding {
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return []bots.Finding{bots.Failed("", fmt.Sprintf("%q is not an http(s) URL: set PUBLIC_URL to how browsers reach relaydesk, "+
			"such as https://help.example.com", cfg.PublicURL))}
	}
	var out []bots.Finding
	if u.Scheme == "http" {
		var needs []string
		if cfg.Slack.Enabled() && !cfg.Slack.SocketMode() {
			needs = append(needs, "Slack calls its request URLs over https only (or use Socket Mode: SLACK_APP_TOKEN)")
		}
		if cfg.Discord.Enabled() && cfg.Discord.Interactions() {
			needs = append(needs, "Discord calls its interactions endpoint over https only (or unset DISCORD_PUBLIC_KEY: the gateway carries them)")
		}
		switch host := u.Hostname(); {
		case len(needs) > 0:
			out = append(out, bots.Failed("scheme", "http: "+strings.Join(needs, "; ")))
		case host == "localhost" || isLoopback(host):
			out = append(out, bots.Passed("scheme", "http on this machine: fine for trying relaydesk out"))
		default:
			out = append(out, bots.Warned("scheme", "http: browsers send the console's cookies unprotected; put relaydesk behind "+
				"an https reverse proxy and set PUBLIC_URL to its https address"))
		}
	} else {
		out = append(out, bots.Passed("scheme", "https"))
	}
	hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(hctx, http.MethodGet, strings.TrimRight(cfg.PublicURL, "/")+"/healthz", nil)
	res, err := http.DefaultClient.Do(req)
	if err == nil {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 64))
		res.Body.Close()
		if res.StatusCode == http.StatusOK && string(body) == "ok" {
			return append(out, bots.Passed("reachable", cfg.PublicURL+"/healthz answers"))
		}
		err = fmt.Errorf("HTTP %d, not relaydesk's answer", res.StatusCode)
	}
	return append(out, bots.Failed("reachable", "nothing answered at "+cfg.PublicURL+"/healthz ("+err.Error()+"): if relaydesk "+
		"is not serving yet, start it and check again; else check DNS, the reverse proxy and its certificate"))
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkOIDC fetches the identity provider's discovery document: it must
// answer, and name OIDC_ISSUER as its issuer exactly (go-oidc refuses
// otherwise, and sign-ins would fail).
func checkOIDC(ctx context.Context, cfg Config) bots.Finding {
	issuer := strings.TrimRight(cfg.OIDC.Issuer, "/")
	hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(hctx, http.MethodGet, issuer+"/.well-known/openid-configuration", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return bots.Failed("", "cannot reach the identity provider at "+issuer+": "+err.Error())
	}
	defer res.Body.Close()
	var doc struct {
		Issuer string `json:"issuer"`
	}
	if res.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&doc) != nil {
		return bots.Failed("", fmt.Sprintf("%s/.well-known/openid-configuration answered HTTP %d, not a discovery document: "+
			"is OIDC_ISSUER the issuer URL your identity provider documents?", issuer, res.StatusCode))
	}
	if doc.Issuer != cfg.OIDC.Issuer {
		return bots.Failed("", fmt.Sprintf("the identity provider calls itself %q, but OIDC_ISSUER is %q: set it to exactly that",
			doc.Issuer, cfg.OIDC.Issuer))
	}
	return bots.Passed("", issuer+" answers; it must allow the redirect URI "+cfg.PublicURL+console.OIDCCallbackPath)
}
