package slack

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/bots/techchat"
)

// help is /support's help; technicians' Slack is in English.
const help = "*/support* works requests from Slack:\n" +
	"• `/support list [all|new|active|completed|mine] [number|created|updated|company|status|owner|customer] [asc|desc]`\n" +
	"• `/support assign|unassign|join|end N`: N is a request number (`acme#1001` when several companies use it)\n" +
	"• `/support screenshare N` (or `screen N`), `/support sysinfo N`: ask the customer of a live chat to share their screen, or their system details; `/support screenstop N` ends a share\n" +
	"• `/support close N [closing note]`, `/support note N text`\n" +
	"• `/support transfer N e-mail|@user`, `/support invite N e-mail|@user` (a colleague joins the chat), `/support leave N` (an invited colleague leaves it)\n" +
	"• `/support status available|busy|away`\n" +
	"• `/support notify on|off`: a direct message about each new request of your companies while you are available\n" +
	"• `/support invite-customer company [subject]`: start a session and get the customer's link\n" +
	"• `/support link CODE`: connect your Slack account to relaydesk (an admin runs `relaydesk admin slack link-code --tech you@example.com`)\n" +
	"• `/support setup company`: admins, in the channel that becomes the company's queue\n" +
	"In a request's thread, once you joined its chat, your replies go to the customer; " +
	"start a message with `!note` or `//` to keep it a private note. Replies of anyone else are private notes."

// command answers one /support, typed as text. A refusal is an answer; an
// error means relaydesk failed.
func (a *Adapter) command(ctx context.Context, cmd slack.SlashCommand) (message, error) {
	sub, opts := techchat.ParseText(cmd.Text)
	for _, o := range []string{"text", "note"} { // a note's text, a closing note
		if opts[o] != "" {
			opts[o] = a.body(ctx, opts[o], slack.Blocks{})
		}
	}
	c := techchat.Command{Sub: sub, Opts: opts, User: cmd.UserID, Channel: cmd.ChannelID}
	if cmd.TriggerID != "" {
		c.Key = a.chat.Key("cmd", cmd.TriggerID)
	}
	ans, err := a.chat.Command(ctx, c)
	if err != nil || ans.List == nil {
		return ephemeral(ans.Text), err
	}
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(ans.Text), nil, nil)}
	for _, r := range ans.List {
		line := fmt.Sprintf("*#%d* %s · %s · %s · %s\n%s", r.Number, escape(r.CompanyName), bots.StatusText(r),
			escape(bots.OwnerText(r)), escape(bots.CustomerText(r)), escape(r.Subject))
		var acc *slack.Accessory
		if b := buttons(r); len(b) > 0 {
			acc = slack.NewAccessory(b[0])
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(line), nil, acc))
	}
	return message{ResponseType: "ephemeral", Text: ans.Text, Blocks: blocks}, nil
}
