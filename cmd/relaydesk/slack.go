package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/relaydesk/relaydesk/bots/slack"
	"github.com/relaydesk/relaydesk/core"
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
		Engine: d.engine, State: d.store, Leader: d.store, Logger: log})
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

// slackCommands are the admin commands of the Slack adapter.
func slackCommands() *command {
	return &command{
		name:    "slack",
		summary: "link technicians' Slack accounts and bind companies to queue channels",
		subs: []*command{
			{name: "link-code", summary: "print a one-time code that links a Slack account to a technician",
				usage: "--tech EMAIL", setup: slackLinkCode,
				about: "Print a one-time code, valid for an hour. The technician sends\n" +
					"'/support link CODE' in Slack to link their Slack account to relaydesk."},
			{name: "bind", summary: "make a Slack channel a company's queue (as '/support setup' does)",
				usage: "--company SLUG --channel CHANNEL_ID", setup: slackBind},
		},
	}
}

func slackLinkCode(fs *flag.FlagSet) action {
	tech := fs.String("tech", "", "the technician's `email` address (required)")
	return func(ctx context.Context, c *call) error {
		if *tech == "" {
			return usagef("--tech is required")
		}
		return c.withDesk(ctx, func(d *desk) error {
			t, err := findTechnician(ctx, d, *tech)
			if err != nil {
				return err
			}
			code, err := slack.NewLinkCode(ctx, d.store, t.ID, slack.LinkCodeTTL)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.Stdout, "%s\n\nIn Slack, %s sends:  /support link %s\nThe code works once, within an hour.\n", code, t.Name, code)
			return nil
		})
	}
}

func slackBind(fs *flag.FlagSet) action {
	company := fs.String("company", "", "the company's URL name (`slug`, required)")
	channel := fs.String("channel", "", "the Slack channel `ID` (C0123..., from the channel's details; required)")
	return func(ctx context.Context, c *call) error {
		ch := strings.TrimSpace(*channel)
		if *company == "" || ch == "" {
			return usagef("--company and --channel are required")
		}
		return c.withDesk(ctx, func(d *desk) error {
			co, err := findCompany(ctx, d, *company)
			if err != nil {
				return err
			}
			if !strings.HasPrefix(ch, "C") && !strings.HasPrefix(ch, "G") {
				return core.Errorf(core.CodeInvalid, "%q is not a Slack channel ID (C0123...)", ch)
			}
			if err := slack.Bind(ctx, d.store, co.ID, ch); err != nil {
				return err
			}
			fmt.Fprintf(c.Stdout, "%s's requests now get their cards in Slack channel %s\n", co.Name, ch)
			return nil
		})
	}
}
