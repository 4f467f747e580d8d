package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/bots/discord"
	"github.com/relaydesk/relaydesk/bots/slack"
	"github.com/relaydesk/relaydesk/core"
)

// chatPlatform is what the admin commands of a technicians' chat platform
// differ in: the rest is the same for Slack and Discord.
type chatPlatform struct {
	name, title  string // "slack", "Slack"
	link         string // how a technician sends a code, with %s for it
	channelHelp  string // the --channel flag's help
	checkChannel func(id string) error
}

// chatPlatforms are the technician platforms with admin commands.
func chatPlatforms() []chatPlatform {
	return []chatPlatform{
		{name: slack.Platform, title: "Slack", link: "/support link %s",
			channelHelp: "the Slack channel `ID` (C0123..., from the channel's details; required)",
			checkChannel: func(ch string) error {
				if !strings.HasPrefix(ch, "C") && !strings.HasPrefix(ch, "G") {
					return core.Errorf(core.CodeInvalid, "%q is not a Slack channel ID (C0123...)", ch)
				}
				return nil
			},
		},
		{name: discord.Platform, title: "Discord", link: "/support link code:%s",
			channelHelp: "the Discord channel `ID` (digits: right-click the channel, Copy Channel ID; required)",
			checkChannel: func(ch string) error {
				if strings.Trim(ch, "0123456789") != "" || len(ch) > 20 {
					return core.Errorf(core.CodeInvalid, "%q is not a Discord channel ID (digits; Developer Mode, Copy Channel ID)", ch)
				}
				return nil
			},
		},
	}
}

// commands are the platform's admin commands: link-code and bind.
func (p chatPlatform) commands() *command {
	return &command{
		name:    p.name,
		summary: "link technicians' " + p.title + " accounts and bind companies to queue channels",
		subs: []*command{
			{name: "link-code", summary: "print a one-time code that links a " + p.title + " account to a technician",
				usage: "--tech EMAIL", setup: p.linkCode,
				about: "Print a one-time code, valid for an hour. The technician sends\n'" +
					fmt.Sprintf(p.link, "CODE") + "' in " + p.title + " to link their " + p.title + " account to relaydesk."},
			{name: "bind", summary: "make a " + p.title + " channel a company's queue (as '/support setup' does)",
				usage: "--company SLUG --channel CHANNEL_ID", setup: p.bindChannel},
		},
	}
}

func (p chatPlatform) linkCode(fs *flag.FlagSet) action {
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
			code, err := bots.NewLinkCode(ctx, d.store, p.name, t.ID, bots.LinkCodeTTL)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.Stdout, "%s\n\nIn %s, %s sends:  %s\nThe code works once, within an hour.\n",
				code, p.title, t.Name, fmt.Sprintf(p.link, code))
			return nil
		})
	}
}

func (p chatPlatform) bindChannel(fs *flag.FlagSet) action {
	company := fs.String("company", "", "the company's URL name (`slug`, required)")
	channel := fs.String("channel", "", p.channelHelp)
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
			if err := p.checkChannel(ch); err != nil {
				return err
			}
			if _, err := d.engine.BindChannel(ctx, core.SystemActor(), p.name, co.ID, ch); err != nil {
				return err
			}
			fmt.Fprintf(c.Stdout, "%s's requests now get their cards in %s channel %s\n", co.Name, p.title, ch)
			return nil
		})
	}
}
