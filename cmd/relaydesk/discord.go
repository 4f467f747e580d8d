package main

import (
	"context"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/bots/discord"
)

// startDiscord builds the Discord technician adapter: its dispatch
// destination, its gateway session (held by one process at a time) and,
// with a public key, its interactions endpoint.
func startDiscord(_ context.Context, d *desk, peers func() int, health *bots.Health) (bots.Adapter, error) {
	cfg, log := d.cfg.Discord, d.log.With("adapter", "discord")
	a, err := discord.New(discord.Config{BotToken: string(cfg.BotToken), AppID: cfg.AppID, PublicKey: cfg.PublicKey,
		APIURL: cfg.APIURL, PublicURL: d.cfg.PublicURL, Engine: d.engine, Store: d.store, Leader: d.store, Logger: log,
		Peers: peers, Health: health})
	if err != nil {
		return nil, err
	}
	if a.Interactions() {
		log.Info("discord adapter is on", "mode", "gateway", "also_endpoint", d.cfg.PublicURL+discord.InteractionsPath)
	} else {
		log.Info("discord adapter is on", "mode", "gateway")
	}
	return a, nil
}
