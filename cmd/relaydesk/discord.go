package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/relaydesk/relaydesk/bots/discord"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
	"github.com/relaydesk/relaydesk/web"
)

// startDiscord builds the Discord technician adapter: its dispatch
// destination, its gateway session (held by one process at a time) and,
// with a public key, its interactions endpoint.
func startDiscord(d *desk, disp *dispatch.Dispatcher, srv *web.Server) (adapter, error) {
	cfg, log := d.cfg.Discord, d.log.With("adapter", "discord")
	a, err := discord.New(discord.Config{BotToken: string(cfg.BotToken), AppID: cfg.AppID, PublicKey: cfg.PublicKey,
		APIURL: cfg.APIURL, PublicURL: d.cfg.PublicURL, Engine: d.engine, State: d.store, Leader: d.store, Logger: log})
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

// discordCommands are the admin commands of the Discord adapter.
func discordCommands() *command {
	return &command{
		name:    "discord",
		summary: "link technicians' Discord accounts and bind companies to queue channels",
		subs: []*command{
			{name: "link-code", summary: "print a one-time code that links a Discord account to a technician",
				usage: "--tech EMAIL", setup: discordLinkCode,
				about: "Print a one-time code, valid for an hour. The technician sends\n" +
					"'/support link code:CODE' in Discord to link their Discord account to relaydesk."},
			{name: "bind", summary: "make a Discord channel a company's queue (as '/support setup' does)",
				usage: "--company SLUG --channel CHANNEL_ID", setup: discordBind},
		},
	}
}

func discordLinkCode(fs *flag.FlagSet) action {
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
			code, err := discord.NewLinkCode(ctx, d.store, t.ID, discord.LinkCodeTTL)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.Stdout, "%s\n\nIn Discord, %s sends:  /support link code:%s\nThe code works once, within an hour.\n", code, t.Name, code)
			return nil
		})
	}
}

func discordBind(fs *flag.FlagSet) action {
	company := fs.String("company", "", "the company's URL name (`slug`, required)")
	channel := fs.String("channel", "", "the Discord channel `ID` (digits: right-click the channel, Copy Channel ID; required)")
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
			if strings.Trim(ch, "0123456789") != "" || len(ch) > 20 {
				return core.Errorf(core.CodeInvalid, "%q is not a Discord channel ID (digits; Developer Mode, Copy Channel ID)", ch)
			}
			if err := discord.Bind(ctx, d.store, co.ID, ch); err != nil {
				return err
			}
			fmt.Fprintf(c.Stdout, "%s's requests now get their cards in Discord channel %s\n", co.Name, ch)
			return nil
		})
	}
}
