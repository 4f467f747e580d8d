package main

import (
	"context"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/bots/slack"
)

// startSlack builds the Slack technician adapter: its dispatch destination,
// its three endpoints (with a signing secret) and, with an app-level token,
// its Socket Mode connection, held by one process at a time.
func startSlack(_ context.Context, d *desk, peers func() int, health *bots.Health) (bots.Adapter, error) {
	cfg, log := d.cfg.Slack, d.log.With("adapter", "slack")
	a, err := slack.New(slack.Config{BotToken: string(cfg.BotToken), SigningSecret: string(cfg.SigningSecret),
		AppToken: string(cfg.AppToken), APIURL: cfg.APIURL, PublicURL: d.cfg.PublicURL,
		Engine: d.engine, Store: d.store, Leader: d.store, Logger: log,
		Peers: peers, Health: health})
	if err != nil {
		return nil, err
	}
	switch {
	case a.SocketMode() && cfg.SigningSecret != "":
		log.Info("slack adapter is on", "mode", "socket", "also_endpoints", d.cfg.PublicURL+"/slack/{commands,interactions,events}")
	case a.SocketMode():
		log.Info("slack adapter is on", "mode", "socket")
	default:
		log.Info("slack adapter is on", "mode", "http", "endpoints", d.cfg.PublicURL+"/slack/{commands,interactions,events}")
	}
	return a, nil
}
