package discord

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/core"
)

// texts are what technicians read; technicians' Discord is in English.
var texts = map[string]string{
	"help": "**/support** works requests from Discord:\n" +
		"• `/support list [view] [sort] [order]`: all, new, active, completed or mine\n" +
		"• `/support assign|unassign|join|end request`: a request number (`acme#1001` when several companies use it)\n" +
		"• `/support screenshare|sysinfo request`: ask the customer of a live chat to share their screen, or their system details\n" +
		"• `/support close request [note]`, `/support note request text`\n" +
		"• `/support transfer request colleague`, `/support invite request colleague` (e-mail or @mention; a colleague joins the chat)\n" +
		"• `/support status available|busy|away`\n" +
		"• `/support notify on|off`: a direct message about each new request of your companies while you are available\n" +
		"• `/support invite-customer company [subject]`: start a session and get the customer's link\n" +
		"• `/support link code`: connect your Discord account to relaydesk (an admin runs `relaydesk admin discord link-code --tech you@example.com`)\n" +
		"• `/support setup company`: admins, in the channel that becomes the company's queue\n" +
		"In a request's thread, once you joined its chat, your messages go to the customer; " +
		"start a message with `!note` or `//` to keep it a private note. Messages of anyone else are private notes.",
	"unlinked": "Your Discord account is not linked to a relaydesk technician yet. Ask an admin for a link code " +
		"(`relaydesk admin discord link-code --tech you@example.com`), then send `/support link code`.",
	"failed": "Sorry, that failed because of a problem on relaydesk's side; it is in the server log. Please try again.",
}

// supportCommand is /support as registered with Discord: the subcommands
// and options of Slack's /support, with choices where the values are few.
func supportCommand() *discordgo.ApplicationCommand {
	str := func(name, desc string, required bool, choices ...string) *discordgo.ApplicationCommandOption {
		o := &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: name,
			Description: desc, Required: required}
		for _, c := range choices {
			o.Choices = append(o.Choices, &discordgo.ApplicationCommandOptionChoice{Name: c, Value: c})
		}
		return o
	}
	request := func() *discordgo.ApplicationCommandOption {
		o := str("request", "the request's number: 1001, or acme#1001", true)
		o.Autocomplete = true
		return o
	}
	sub := func(name, desc string, opts ...*discordgo.ApplicationCommandOption) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: name,
			Description: desc, Options: opts}
	}
	var views, sorts []string
	for _, v := range core.Views() {
		views = append(views, string(v))
	}
	for _, s := range core.SortColumns() {
		sorts = append(sorts, string(s))
	}
	return &discordgo.ApplicationCommand{
		Name: "support", Description: "work relaydesk requests", Type: discordgo.ChatApplicationCommand,
		Options: []*discordgo.ApplicationCommandOption{
			sub("list", "list requests", str("view", "which requests", false, views...),
				str("sort", "sort column", false, sorts...), str("order", "sort order", false, "asc", "desc")),
			sub("assign", "take a request", request()),
			sub("unassign", "put a request back in the queue", request()),
			sub("join", "join a request's chat", request()),
			sub("end", "end a request's chat", request()),
			sub("screenshare", "ask the customer of a live chat to share their screen", request()),
			sub("sysinfo", "ask the customer of a live chat for their system details", request()),
			sub("close", "close a request", request(), str("note", "closing note", false)),
			sub("note", "add a private note", request(), str("text", "the note", true)),
			sub("transfer", "hand a request over", request(), str("colleague", "e-mail or @mention", true)),
			sub("invite", "invite a colleague into the chat", request(), str("colleague", "e-mail or @mention", true)),
			sub("status", "set your availability", str("status", "your status", true, "available", "busy", "away")),
			sub("notify", "direct messages about new requests", str("setting", "on or off", true, "on", "off")),
			sub("link", "link your Discord account to relaydesk", str("code", "the code an admin gave you", true)),
			sub("setup", "make this channel a company's queue (admins)", str("company", "the company's URL name", true)),
			sub("invite-customer", "start a session with a customer", str("company", "the company's URL name", true),
				str("subject", "what it is about", false)),
			sub("help", "how /support works"),
		},
	}
}

// options are a subcommand's option values by name.
func options(i *discordgo.Interaction) (sub string, opts map[string]string) {
	data := i.ApplicationCommandData()
	opts = map[string]string{}
	if len(data.Options) == 0 {
		return "help", opts
	}
	s := data.Options[0]
	for _, o := range s.Options {
		opts[o.Name] = strings.TrimSpace(fmt.Sprint(o.Value))
	}
	return s.Name, opts
}

// command answers one /support. A refusal is an answer; an error means
// relaydesk failed.
func (a *Adapter) command(ctx context.Context, i *discordgo.Interaction) (string, error) {
	if i.ApplicationCommandData().Name != "support" {
		return "relaydesk knows only /support.", nil
	}
	sub, opts := options(i)
	u := userOf(i)
	if sub == "help" || u == nil {
		return texts["help"], nil
	}
	if sub == "link" {
		t, err := a.redeem(ctx, u.ID, opts["code"])
		if msg, err := refusal(err); msg != "" || err != nil {
			return msg, err
		}
		return fmt.Sprintf("Your Discord account is now linked to %s (%s). `/support list` shows your requests.", t.Name, t.Email), nil
	}
	t, ok, err := a.technician(ctx, u.ID)
	if err != nil || !ok {
		return texts["unlinked"], err
	}
	by := core.TechnicianActor(t.ID)
	var text string
	switch sub {
	case "list":
		return a.list(ctx, by, opts)
	case "status":
		if !core.Availability(opts["status"]).Valid() {
			return "Choose available, busy or away.", nil
		}
		_, err = a.eng.SetAvailability(ctx, by, core.Availability(opts["status"]))
		text = "You are now " + opts["status"] + "."
	case "notify":
		text, err = a.setNotify(ctx, t, opts["setting"] == "on")
	case "setup":
		text, err = a.setup(ctx, t, i.ChannelID, opts["company"])
	case "invite-customer":
		text, err = a.inviteCustomer(ctx, by, opts["company"], opts["subject"])
	default:
		text, err = a.requestCommand(ctx, by, i, sub, opts)
	}
	if msg, err := refusal(err); msg != "" || err != nil {
		return msg, err
	}
	return text, nil
}

// requestCommand runs the subcommands that act on one request.
func (a *Adapter) requestCommand(ctx context.Context, by core.Actor, i *discordgo.Interaction, sub string, opts map[string]string) (string, error) {
	r, err := a.findRequest(ctx, by, i.ChannelID, opts["request"])
	if err != nil {
		return "", err
	}
	if sub == "note" {
		if opts["text"] == "" {
			return "", core.Errorf(core.CodeInvalid, "write the note")
		}
		_, err = a.eng.AddNote(ctx, by, r.ID, core.Note{Body: opts["text"], Key: key("ia", i.ID)})
		return fmt.Sprintf("Private note added to request #%d.", r.Number), err
	}
	act, err := core.ParseAction(sub)
	if err != nil {
		return "", core.Errorf(core.CodeInvalid, "/support %s is not a command", sub)
	}
	args := core.ActionArgs{Note: opts["note"]}
	var name string
	if act.NeedsTechnician() {
		to, err := a.colleague(ctx, opts["colleague"])
		if err != nil {
			return "", err
		}
		args, name = core.ActionArgs{Technician: to.ID}, to.Name
	}
	_, err = a.eng.Act(ctx, by, r.ID, act, args)
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

// colleague is a technician named by e-mail or by a Discord mention
// (<@123> or <@!123>) of a linked account.
func (a *Adapter) colleague(ctx context.Context, ref string) (core.Technician, error) {
	if strings.HasPrefix(ref, "<@") {
		user := strings.TrimPrefix(strings.Trim(ref, "<@>"), "!")
		t, ok, err := a.technician(ctx, user)
		if err != nil {
			return t, err
		} else if !ok {
			return t, core.Errorf(core.CodeNotFound, "%s has not linked their Discord account to relaydesk", ref)
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
	return fmt.Sprintf("This channel is now %s's queue: each new request gets a card here, and the card's thread is the chat. "+
		"The bot needs to see the channel, send messages, create public threads and send messages in threads.", co.Name), nil
}

// inviteCustomer starts a technician-side session and shows its link.
func (a *Adapter) inviteCustomer(ctx context.Context, by core.Actor, slug, subject string) (string, error) {
	return bots.InviteCustomer(ctx, a.eng, a.store, by, a.cfg.PublicURL, slug, subject)
}

// list answers /support list.
func (a *Adapter) list(ctx context.Context, by core.Actor, opts map[string]string) (string, error) {
	req := core.QueueRequest{View: core.ViewAll, Limit: 20, Sort: core.SortColumn(opts["sort"]), Desc: opts["order"] == "desc"}
	if v := opts["view"]; v != "" {
		req.View = core.View(v)
	}
	page, err := a.eng.Queue(ctx, by, req)
	if msg, err := refusal(err); msg != "" || err != nil {
		return msg, err
	}
	title := fmt.Sprintf("**%s requests** (%d)", req.View, len(page.Requests))
	if len(page.Requests) == 0 {
		return title + ": none.", nil
	}
	lines := []string{title}
	for _, r := range page.Requests {
		lines = append(lines, fmt.Sprintf("**#%d** %s · %s · %s · %s: %s", r.Number, escape(r.CompanyName), bots.StatusText(r),
			escape(bots.OwnerText(r)), escape(bots.CustomerText(r)), escape(clip(r.Subject, 80))))
	}
	return strings.Join(lines, "\n"), nil
}

// autocomplete offers the requests of the technician's queue whose number
// starts with what was typed.
func (a *Adapter) autocomplete(ctx context.Context, i *discordgo.Interaction) *discordgo.InteractionResponse {
	res := &discordgo.InteractionResponse{Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{Choices: []*discordgo.ApplicationCommandOptionChoice{}}}
	u := userOf(i)
	if u == nil {
		return res
	}
	t, ok, err := a.technician(ctx, u.ID)
	if err != nil || !ok {
		return res
	}
	_, opts := options(i)
	typed := strings.TrimPrefix(opts["request"], "#")
	page, err := a.eng.Queue(ctx, core.TechnicianActor(t.ID), core.QueueRequest{View: core.ViewAll, Limit: 100, Sort: core.SortUpdated, Desc: true})
	if err != nil {
		return res
	}
	for _, r := range page.Requests {
		n := strconv.FormatInt(r.Number, 10)
		if r.Status == core.StatusCompleted || !strings.HasPrefix(n, typed) {
			continue
		}
		res.Data.Choices = append(res.Data.Choices, &discordgo.ApplicationCommandOptionChoice{
			Name: clip(fmt.Sprintf("#%s %s: %s", n, r.CompanyName, r.Subject), 100), Value: n})
		if len(res.Data.Choices) == 25 {
			break
		}
	}
	return res
}
