package discord

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/bots/techchat"
	"github.com/relaydesk/relaydesk/core"
)

// help is /support's help; technicians' Discord is in English.
const help = "**/support** works requests from Discord:\n" +
	"• `/support list [view] [sort] [order]`: all, new, active, completed or mine\n" +
	"• `/support assign|unassign|join|end request`: a request number (`acme#1001` when several companies use it)\n" +
	"• `/support screenshare|sysinfo request`: ask the customer of a live chat to share their screen, or their system details; `/support screenstop request` ends a share\n" +
	"• `/support close request [note]`, `/support note request text`\n" +
	"• `/support transfer request colleague`, `/support invite request colleague` (e-mail or @mention; a colleague joins the chat), `/support leave request` (an invited colleague leaves it)\n" +
	"• `/support status available|busy|away`\n" +
	"• `/support notify on|off`: a direct message about each new request of your companies while you are available\n" +
	"• `/support invite-customer company [subject]`: start a session and get the customer's link\n" +
	"• `/support link code`: connect your Discord account to relaydesk (an admin runs `relaydesk admin discord link-code --tech you@example.com`)\n" +
	"• `/support setup company`: admins, in the channel that becomes the company's queue\n" +
	"In a request's thread, once you joined its chat, your messages go to the customer; " +
	"start a message with `!note` or `//` to keep it a private note. Messages of anyone else are private notes."

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
			sub("screenstop", "stop the screen share of a request", request()),
			sub("sysinfo", "ask the customer of a live chat for their system details", request()),
			sub("close", "close a request", request(), str("note", "closing note", false)),
			sub("note", "add a private note", request(), str("text", "the note", true)),
			sub("transfer", "hand a request over", request(), str("colleague", "e-mail or @mention", true)),
			sub("invite", "invite a colleague into the chat", request(), str("colleague", "e-mail or @mention", true)),
			sub("leave", "leave a chat you were invited into", request()),
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
	if u == nil {
		return help, nil
	}
	for _, o := range []string{"text", "note"} { // a note's text, a closing note
		if opts[o] != "" {
			opts[o] = a.body(ctx, i.GuildID, opts[o], nil)
		}
	}
	ans, err := a.chat.Command(ctx, techchat.Command{Sub: sub, Opts: opts, User: u.ID, Channel: i.ChannelID,
		Key: a.chat.Key("ia", i.ID)})
	if err != nil || ans.List == nil {
		return ans.Text, err
	}
	lines := []string{ans.Text}
	for _, r := range ans.List {
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
	t, ok, err := a.chat.Technician(ctx, u.ID)
	if err != nil || !ok {
		return res
	}
	_, opts := options(i)
	typed := strings.TrimPrefix(opts["request"], "#")
	page, err := a.cfg.Engine.Queue(ctx, core.TechnicianActor(t.ID), core.QueueRequest{View: core.ViewAll, Limit: 100, Sort: core.SortUpdated, Desc: true})
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
