package main

import (
	"github.com/relaydesk/relaydesk/bots/discord"
	"github.com/relaydesk/relaydesk/core/dispatch"
	"github.com/relaydesk/relaydesk/web"
)

// startDiscord builds the Discord technician adapter: its dispatch
// destination, its gateway session (held by one process at a time) and,
// with a public key, its interactions endpoint.
func startDiscord(d *desk, disp *dispatch.Dispatcher, srv *web.Server) (adapter, error) {
	cfg, log := d.cfg.Discord, d.log.With("adapter", "discord")
	a, err := discord.New(discord.Config{BotToken: string(cfg.BotToken), AppID: cfg.AppID, PublicKey: cfg.PublicKey,
		APIURL: cfg.APIURL, PublicURL: d.cfg.PublicURL, Engine: d.engine, Store: d.store, State: d.store, Leader: d.store, Logger: log,
		Peers: func() int { return disp.Peers("discord") }})
	if err != nil {
		return adapter{}, err
	}
	disp.Register(a)
	a.Mount(srv.Mount)
	if a.Interactions() {
		log.Info("discord adapter is on", "mode", "gateway", "also_endpoint", d.cfg.PublicURL+discord.InteractionsPath)
	} else {
		log.Info("discord adapter is on", "mode", "gateway")
	}
	return adapter{name: "discord adapter", run: a.Run}, nil
}
