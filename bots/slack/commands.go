package slack

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/core"
)

// texts are what technicians read; technicians' Slack is in English.
var texts = map[string]string{
	"help": "*/support* works requests from Slack:\n" +
		"• `/support list [all|new|active|completed|mine] [number|created|updated|company|status|owner|customer] [asc|desc]`\n" +
		"• `/support assign|unassign|join|end N`: N is a request number (`acme#1001` when several companies use it)\n" +
		"• `/support screenshare N`, `/support sysinfo N`: ask the customer of a live chat to share their screen, or their system details\n" +
		"• `/support close N [closing note]`, `/support note N text`\n" +
		"• `/support transfer N e-mail|@user`, `/support invite N e-mail|@user` (a colleague joins the chat)\n" +
		"• `/support status available|busy|away`\n" +
		"• `/support notify on|off`: a direct message about each new request of your companies while you are available\n" +
		"• `/support invite-customer company [subject]`: start a session and get the customer's link\n" +
		"• `/support link CODE`: connect your Slack account to relaydesk (an admin runs `relaydesk admin slack link-code --tech you@example.com`)\n" +
		"• `/support setup company`: admins, in the channel that becomes the company's queue\n" +
		"In a request's thread, once you joined its chat, your replies go to the customer; " +
		"start a message with `!note` or `//` to keep it a private note. Replies of anyone else are private notes.",
	"unlinked": "Your Slack account is not linked to a relaydesk technician yet. Ask an admin for a link code " +
		"(`relaydesk admin slack link-code --tech you@example.com`), then send `/support link CODE`.",
	"failed": "Sorry, that failed because of a problem on relaydesk's side; it is in the server log. Please try again.",
	"deleted": "You deleted a message in Slack that relaydesk had already passed on to the customer: they still have it, " +
		"as relaydesk cannot take a message back. Write a correction in the thread if it was wrong.",
}

// usage is the right form of each subcommand.
var usage = map[string]string{
	"list":            "/support list [all|new|active|completed|mine] [sort column] [asc|desc]",
	"assign":          "/support assign N",
	"unassign":        "/support unassign N",
	"join":            "/support join N",
	"end":             "/support end N",
	"close":           "/support close N [closing note]",
	"note":            "/support note N text",
	"transfer":        "/support transfer N e-mail|@user",
	"invite":          "/support invite N e-mail|@user",
	"screenshare":     "/support screenshare N",
	"sysinfo":         "/support sysinfo N",
	"status":          "/support status available|busy|away",
	"notify":          "/support notify on|off",
	"link":            "/support link CODE",
	"setup":           "/support setup company",
	"invite-customer": "/support invite-customer company [subject]",
}

func badUsage(sub, why string) message {
	return ephemeral(why + "\nUsage: `" + usage[sub] + "`")
}

// command answers one /support. A refusal is an answer; an error means
// relaydesk failed.
func (a *Adapter) command(ctx context.Context, cmd slack.SlashCommand) (message, error) {
	args := strings.Fields(cmd.Text)
	if len(args) == 0 || args[0] == "help" {
		return ephemeral(texts["help"]), nil
	}
	sub, args := strings.ToLower(args[0]), args[1:]
	if _, ok := usage[sub]; !ok {
		return ephemeral(fmt.Sprintf("`/support %s` is not a command.\n\n%s", sub, texts["help"])), nil
	}
	if sub == "link" {
		if len(args) != 1 {
			return badUsage(sub, "Give the code you were sent."), nil
		}
		t, err := a.redeem(ctx, cmd.UserID, args[0])
		if msg, err := refusal(err); msg != "" || err != nil {
			return ephemeral(msg), err
		}
		return ephemeral(fmt.Sprintf("Your Slack account is now linked to %s (%s). `/support list` shows your requests.", t.Name, t.Email)), nil
	}
	t, ok, err := a.technician(ctx, cmd.UserID)
	if err != nil || !ok {
		return ephemeral(texts["unlinked"]), err
	}
	by := core.TechnicianActor(t.ID)
	var text string
	switch sub {
	case "list":
		return a.list(ctx, by, args)
	case "status":
		if len(args) != 1 || !core.Availability(args[0]).Valid() {
			return badUsage(sub, "Choose one status."), nil
		}
		_, err = a.eng.SetAvailability(ctx, by, core.Availability(args[0]))
		text = "You are now " + args[0] + "."
	case "notify":
		if len(args) != 1 || (args[0] != "on" && args[0] != "off") {
			return badUsage(sub, "Say on or off."), nil
		}
		text, err = a.setNotify(ctx, t, args[0] == "on")
	case "setup":
		if len(args) != 1 {
			return badUsage(sub, "Name the company whose queue this channel becomes."), nil
		}
		text, err = a.setup(ctx, t, cmd.ChannelID, args[0])
	case "invite-customer":
		if len(args) < 1 {
			return badUsage(sub, "Name the company."), nil
		}
		text, err = a.inviteCustomer(ctx, by, args[0], strings.Join(args[1:], " "))
	default:
		text, err = a.requestCommand(ctx, by, cmd, sub, args)
	}
	if msg, err := refusal(err); msg != "" || err != nil {
		return ephemeral(msg), err
	}
	return ephemeral(text), nil
}

// requestCommand runs the subcommands that act on one request.
func (a *Adapter) requestCommand(ctx context.Context, by core.Actor, cmd slack.SlashCommand, sub string, args []string) (string, error) {
	if len(args) < 1 {
		return "", core.Errorf(core.CodeInvalid, "give the request's number.\nUsage: `%s`", usage[sub])
	}
	r, err := a.findRequest(ctx, by, cmd.ChannelID, args[0])
	if err != nil {
		return "", err
	}
	rest := strings.TrimSpace(strings.Join(args[1:], " "))
	if sub == "note" {
		if rest == "" {
			return "", core.Errorf(core.CodeInvalid, "write the note after the number.\nUsage: `%s`", usage[sub])
		}
		var k core.Idempotency
		if cmd.TriggerID != "" {
			k = key("cmd", cmd.TriggerID)
		}
		_, err = a.eng.AddNote(ctx, by, r.ID, core.Note{Body: rest, Key: k})
		return fmt.Sprintf("Private note added to request #%d.", r.Number), err
	}
	act, err := core.ParseAction(sub)
	if err != nil {
		return "", core.Errorf(core.CodeInvalid, "unknown subcommand %s", sub)
	}
	with := core.ActionArgs{Note: rest}
	var name string
	if act.NeedsTechnician() {
		if rest == "" {
			return "", core.Errorf(core.CodeInvalid, "name the colleague.\nUsage: `%s`", usage[sub])
		}
		to, err := a.colleague(ctx, rest)
		if err != nil {
			return "", err
		}
		with, name = core.ActionArgs{Technician: to.ID}, to.Name
	}
	_, err = a.eng.Act(ctx, by, r.ID, act, with)
	return bots.ActionDone(act, r, name), err
}

// findRequest resolves a request reference typed in channel (see
// bots.FindRequest); the channel's bound company comes first.
func (a *Adapter) findRequest(ctx context.Context, by core.Actor, channel, ref string) (core.Request, error) {
	company, _, err := a.channelCompany(ctx, channel)
	if err != nil {
		return core.Request{}, err
	}
	return bots.FindRequest(ctx, a.eng, a.store, by, company, ref)
}

// colleague is a technician named by e-mail or by a Slack mention
// (<@U123|name>) of a linked account.
func (a *Adapter) colleague(ctx context.Context, ref string) (core.Technician, error) {
	if strings.HasPrefix(ref, "<@") {
		user, _, _ := strings.Cut(strings.Trim(ref, "<@>"), "|")
		t, ok, err := a.technician(ctx, user)
		if err != nil {
			return t, err
		} else if !ok {
			return t, core.Errorf(core.CodeNotFound, "%s has not linked their Slack account to relaydesk", ref)
		}
		return t, nil
	}
	t, err := a.store.TechnicianByEmail(ctx, ref)
	if core.ErrorCode(err) == core.CodeNotFound {
		return t, core.Errorf(core.CodeNotFound, "there is no technician %s", ref)
	}
	return t, err
}

// setup binds a company's queue to the channel, for admins.
func (a *Adapter) setup(ctx context.Context, t core.Technician, channel, slug string) (string, error) {
	co, err := a.store.CompanyBySlug(ctx, slug)
	if core.ErrorCode(err) == core.CodeNotFound {
		return "", core.Errorf(core.CodeNotFound, "there is no company %q (use its URL name, as in `relaydesk admin company list`)", slug)
	} else if err != nil {
		return "", err
	}
	if _, err := a.eng.BindChannel(ctx, core.TechnicianActor(t.ID), Platform, co.ID, channel); err != nil {
		return "", err
	}
	return fmt.Sprintf("This channel is now %s's queue: each new request gets a card here, and its thread is the chat. "+
		"Invite the app to the channel if it is private (`/invite @relaydesk`).", co.Name), nil
}

// inviteCustomer starts a technician-side session and shows its link.
func (a *Adapter) inviteCustomer(ctx context.Context, by core.Actor, slug, subject string) (string, error) {
	return bots.InviteCustomer(ctx, a.eng, a.store, by, a.cfg.PublicURL, slug, subject)
}

// list answers /support list with the requests and a button for each.
func (a *Adapter) list(ctx context.Context, by core.Actor, args []string) (message, error) {
	req := core.QueueRequest{View: core.ViewAll, Limit: 20}
	for _, arg := range args {
		arg = strings.ToLower(arg)
		switch {
		case slices.Contains(core.Views(), core.View(arg)):
			req.View = core.View(arg)
		case slices.Contains(core.SortColumns(), core.SortColumn(arg)):
			req.Sort = core.SortColumn(arg)
		case arg == "asc" || arg == "desc":
			req.Desc = arg == "desc"
		default:
			return badUsage("list", fmt.Sprintf("%q is not a view, a column or an order.", arg)), nil
		}
	}
	page, err := a.eng.Queue(ctx, by, req)
	if msg, err := refusal(err); msg != "" || err != nil {
		return ephemeral(msg), err
	}
	title := fmt.Sprintf("*%s requests* (%d)", req.View, len(page.Requests))
	if len(page.Requests) == 0 {
		return ephemeral(title + ": none."), nil
	}
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(title), nil, nil)}
	for _, r := range page.Requests {
		line := fmt.Sprintf("*#%d* %s · %s · %s · %s\n%s", r.Number, r.CompanyName, r.Status, bots.OwnerText(r), bots.CustomerText(r), r.Subject)
		var acc *slack.Accessory
		if b := buttons(r); len(b) > 0 {
			acc = slack.NewAccessory(b[0])
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(line), nil, acc))
	}
	return message{ResponseType: "ephemeral", Text: title, Blocks: blocks}, nil
}
