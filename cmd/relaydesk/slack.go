package main

import (
	"github.com/relaydesk/relaydesk/bots/slack"
	"github.com/relaydesk/relaydesk/core/dispatch"
	"github.com/relaydesk/relaydesk/web"
)

// startSlack builds the Slack technician adapter: its dispatch destination,
// its three endpoints (with a signing secret) and, with an app-level token,
// its Socket Mode connection, held by one process at a time.
func startSlack(d *desk, disp *dispatch.Dispatcher, srv *web.Server) (adapter, error) {
	cfg, log := d.cfg.Slack, d.log.With("adapter", "slack")
	a, err := slack.New(slack.Config{BotToken: string(cfg.BotToken), SigningSecret: string(cfg.SigningSecret),
		AppToken: string(cfg.AppToken), APIURL: cfg.APIURL, PublicURL: d.cfg.PublicURL,
		Engine: d.engine, Store: d.store, State: d.store, Leader: d.store, Logger: log,
		Peers: func() int { return disp.Peers("slack") }})
	if err != nil {
		return adapter{}, err
	}
	disp.Register(a)
	a.Mount(srv.Mount)
	switch {
	case a.SocketMode() && cfg.SigningSecret != "":
		log.Info("slack adapter is on", "mode", "socket", "also_endpoints", d.cfg.PublicURL+"/slack/{commands,interactions,events}")
	case a.SocketMode():
		log.Info("slack adapter is on", "mode", "socket")
	default:
		log.Info("slack adapter is on", "mode", "http", "endpoints", d.cfg.PublicURL+"/slack/{commands,interactions,events}")
	}
	return adapter{name: "slack adapter", run: a.Run}, nil
}
