package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/bots/telegram"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/blob"
	"github.com/relaydesk/relaydesk/core/dispatch"
	"github.com/relaydesk/relaydesk/web"
	"github.com/relaydesk/relaydesk/web/clientip"
	"github.com/relaydesk/relaydesk/web/cobrowse"
	"github.com/relaydesk/relaydesk/web/console"
	"github.com/relaydesk/relaydesk/web/liveroute"
	"github.com/relaydesk/relaydesk/web/metrics"
	"github.com/relaydesk/relaydesk/web/screen"
	"github.com/relaydesk/relaydesk/web/widget"
)

// serve runs the desk until ctx ends: the store's cross-process listener,
// the dispatcher and the HTTP server, each in its own goroutine. The first
// of them to fail stops the others; serve returns once all have stopped.
func (c *call) serve(ctx context.Context) error {
	d, applied, err := c.openDesk(ctx)
	if err != nil {
		return err
	}
	defer d.store.Close()
	log := d.log
	if len(applied) > 0 {
		log.Info("applied migrations", "migrations", applied)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(d.store.DB().DB, "relaydesk"))
	met := metrics.New(reg, version)
	metrics.Requests(reg, d.store.RequestCounts)

	disp := dispatch.New(d.store, dispatch.Options{Logger: log.With("component", "dispatch"), Metrics: met,
		InFlight: d.cfg.DeliveryConcurrency, Poll: d.cfg.DeliveryPoll})
	srv := web.New(web.Config{Logger: log.With("component", "http"), DB: d.store, Metrics: reg, Requests: met,
		// A reverse proxy carries everyone's connections: the cap per
		// client address is the proxy's business there.
		Uncapped: func(a netip.Addr) bool { return clientip.Trusted(a, d.cfg.TrustedProxies) }})
	setup, err := setupToken(ctx, d)
	if err != nil {
		return err
	}
	rtc := d.cfg.WebRTC
	shareCfg := screen.Config{Engine: d.engine, Hub: d.store.Hub(), SFU: rtc.sfu(),
		ICEServers: rtc.ICEServers, TURNSecret: string(rtc.TURNSecret), Logger: log.With("component", "screen")}
	var router *liveroute.Router
	if d.store.Dialect() == "postgres" {
		// Several processes may serve one database: a live session's
		// frames reach the process holding it through the store.
		router = liveroute.New(d.store, log.With("component", "liveroute"))
		shareCfg.Router = router
	}
	shares, err := screen.New(shareCfg)
	if err != nil {
		return fmt.Errorf("WEBRTC settings: %w", err)
	}
	defer shares.Close(context.Background())
	pages := cobrowse.New(cobrowse.Config{Engine: d.engine, Hub: d.store.Hub(), Logger: log.With("component", "cobrowse"),
		Received: c.OnCobrowseFrame, Router: router})
	defer pages.Close()
	cons := console.New(console.Config{
		Engine: d.engine, Store: d.store, Hub: d.store.Hub(), Logger: log.With("component", "console"),
		PublicURL: d.cfg.PublicURL, SecureCookies: strings.HasPrefix(d.cfg.PublicURL, "https://"),
		SetupToken: setup,
		ClientIP:   func(r *http.Request) string { return clientip.Of(r, d.cfg.TrustedProxies).String() },
		OIDC:       d.cfg.OIDC.console(),
		Platforms:  d.cfg.platforms(),
		Screen:     shares,
		Cobrowse:   pages,
	})
	cons.Mount(srv.Mount)
	metrics.Live(reg, "console", cons.LiveClients)
	srv.OnShutdown(cons.Shutdown)
	if d.cfg.OIDC.Enabled() {
		log.Info("single sign-on is configured; the identity provider must allow this redirect URI",
			"issuer", d.cfg.OIDC.Issuer, "redirect_uri", d.cfg.PublicURL+console.OIDCCallbackPath, "passwords", !d.cfg.OIDC.Only)
	}
	wid := widget.New(widget.Config{
		Engine: d.engine, Store: d.store, Hub: d.store.Hub(), Logger: log.With("component", "widget"),
		PublicURL: d.cfg.PublicURL, TrustedProxies: d.cfg.TrustedProxies, Screen: shares,
		Cobrowse: pages,
	})
	wid.Mount(srv.Mount)
	metrics.Live(reg, "widget", wid.LiveClients)
	metrics.Sessions(reg, "media", shares.Rooms)
	metrics.Sessions(reg, "cobrowse", pages.Sessions)
	srv.OnShutdown(wid.Shutdown)
	adapters, err := startAdapters(ctx, d, disp, srv)
	if err != nil {
		return err
	}
	for _, a := range adapters {
		metrics.Platform(reg, a.Name(), func() bool { return a.health.Up() })
	}
	srv.Platforms(func() map[string]string {
		m := make(map[string]string, len(adapters))
		for _, a := range adapters {
			m[a.Name()] = a.health.State()
		}
		// The identity provider is shown like a platform: the desk is
		// ready without it, and says so.
		if st := cons.OIDCState(); st != "" {
			m["oidc"] = st
		}
		return m
	})
	// Before anything can open a request: an event committed before a new
	// destination's cursor exists would never be delivered to it.
	if err := disp.Prepare(ctx); err != nil {
		return err
	}

	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", d.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on HTTP_ADDR %s: %w", d.cfg.HTTPAddr, err)
	}
	log.Info("relaydesk is serving", "version", version, "addr", ln.Addr().String(),
		"public_url", d.cfg.PublicURL, "database", d.store.String(), "files", d.cfg.Files.String())
	if setup != "" {
		// The one way in on a fresh desk: a single-use link, valid only
		// until the first technician exists. It is meant for this console's
		// reader, like a password printed at install time.
		log.Warn("no technician exists yet: open this one-time link to create the first admin",
			"url", d.cfg.PublicURL+"/console/setup?token="+setup)
	}
	if c.OnListen != nil {
		c.OnListen(ln.Addr().String())
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	run := func(name string, fn func(context.Context) error) {
		wg.Go(func() {
			if err := fn(ctx); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				mu.Unlock()
				cancel() // one part down takes the process down: a half-working desk would hide it
			}
		})
	}
	run("event listener", d.store.Run)
	run("dispatcher", disp.Run)
	run("http server", func(ctx context.Context) error { return srv.Serve(ctx, ln) })
	// Finds the identity provider, retrying while it cannot be reached.
	run("console", cons.Run)
	if router != nil {
		run("live session router", router.Run)
	}
	for _, a := range adapters {
		wg.Go(func() { supervise(ctx, log, a) })
	}
	if sw, ok := d.blobs.(blob.Sweeper); ok {
		// One process at a time sweeps the store they share.
		gc := &blob.GC{Blobs: sw, Files: d.store, Log: log.With("component", "files")}
		run("file collector", func(ctx context.Context) error {
			return d.store.Lead(ctx, "blob-gc", func(ctx context.Context) error { return gc.Run(ctx, gcFirst, gcEvery) })
		})
	}
	<-ctx.Done()
	log.Info("shutting down")
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// supervise runs an adapter until ctx ends. A platform that cannot be
// reached must not take the desk down (the widget, the console and the
// other platforms go on): an adapter that fails anyway is logged, shown
// in /readyz and started again, backing off up to a minute.
func supervise(ctx context.Context, log *slog.Logger, a adapter) {
	bots.Retry(ctx, func(ctx context.Context) error {
		err := a.Run(ctx)
		if err == nil && ctx.Err() == nil {
			err = errors.New("stopped by itself")
		}
		return err
	}, func(err error, next time.Duration) {
		a.health.Failing(err)
		log.Error(a.Name()+" adapter failed; starting it again", "adapter", a.Name(), "in", next, "err", err)
	})
}

// When serve first collects files no request names, once started, and
// how often after that.
const (
	gcFirst = time.Minute
	gcEvery = time.Hour
)

// setupToken returns a fresh first-run token when the desk has no
// technician yet, and "" otherwise.
func setupToken(ctx context.Context, d *desk) (string, error) {
	ts, err := d.store.Technicians(ctx)
	if err != nil || len(ts) > 0 {
		return "", err
	}
	token, _ := core.NewToken()
	return token, nil
}

// adapter is a chat platform adapter as serve runs it.
type adapter struct {
	bots.Adapter
	health *bots.Health
}

// startAdapters builds the chat platform adapters whose tokens are set,
// registers each as a dispatch destination and mounts its webhooks, and
// returns them for serve to run. An adapter without its token is off, with
// one line saying so; tokens are never logged.
func startAdapters(ctx context.Context, d *desk, disp *dispatch.Dispatcher, srv *web.Server) ([]adapter, error) {
	cfg := d.cfg
	var out []adapter
	for _, p := range []struct {
		name, token string
		on          bool
		build       func(ctx context.Context, d *desk, peers func() int, h *bots.Health) (bots.Adapter, error)
	}{
		{"slack", "SLACK_BOT_TOKEN", cfg.Slack.Enabled(), startSlack},
		{"discord", "DISCORD_BOT_TOKEN", cfg.Discord.Enabled(), startDiscord},
		{"telegram", "TELEGRAM_BOT_TOKEN", cfg.Telegram.Enabled(), startTelegram},
	} {
		if !p.on {
			d.log.Info(p.name+" adapter is off: "+p.token+" is not set", "adapter", p.name)
			continue
		}
		h := bots.NewHealth()
		a, err := p.build(ctx, d, func() int { return disp.Peers(p.name) }, h)
		if err != nil {
			return nil, err
		}
		disp.Register(a)
		a.Mount(srv.Mount)
		out = append(out, adapter{a, h})
	}
	return out, nil
}

// startTelegram builds the Telegram customer adapter.
func startTelegram(ctx context.Context, d *desk, peers func() int, health *bots.Health) (bots.Adapter, error) {
	cfg, log := d.cfg.Telegram, d.log.With("adapter", "telegram")
	tg, err := telegram.New(telegram.Config{Token: string(cfg.BotToken), APIURL: cfg.APIURL, PublicURL: d.cfg.PublicURL,
		WebhookSecret: string(cfg.WebhookSecret), Company: cfg.Company, Engine: d.engine, Store: d.store, State: d.store, Leader: d.store,
		Logger: log, Peers: peers, Health: health})
	if err != nil {
		return nil, err
	}
	mode := "long polling"
	if tg.Webhook() {
		mode = "webhook at " + d.cfg.PublicURL + telegram.WebhookPath
	} else if cfg.WebhookSecret != "" {
		log.Warn("TELEGRAM_WEBHOOK_SECRET is set but PUBLIC_URL is not https, and Telegram calls https webhooks only: using long polling")
	}
	log.Info("telegram adapter is on", "updates", mode)
	if cfg.Company == "" {
		if cos, err := d.store.Companies(ctx); err == nil && len(cos) > 1 {
			log.Warn("the desk has several companies and TELEGRAM_COMPANY is not set: customers must start the bot " +
				"from their company's link, t.me/<bot>?start=<company URL name>")
		}
	}
	return tg, nil
}
