package slack

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/core"
)

// buttons are the card's buttons for what the request's status allows.
func buttons(r core.Request) []slack.BlockElement {
	var out []slack.BlockElement
	for _, act := range bots.CardActions(r) {
		b := slack.NewButtonBlockElement(string(act), r.ID, slack.NewTextBlockObject(slack.PlainTextType, act.Label(), false, false))
		switch act {
		case core.ActionAssign, core.ActionJoin:
			b.Style = slack.StylePrimary
		case core.ActionClose:
			b.Style = slack.StyleDanger
		}
		out = append(out, b)
	}
	return out
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

// escape keeps text from Slack's mrkdwn control characters.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// cardText is the card's plain-text fallback (notifications, screen readers).
func cardText(r core.Request) string {
	return fmt.Sprintf("Request #%d (%s) from %s: %s, owner %s", r.Number, r.CompanyName, bots.CustomerText(r), bots.StatusText(r), bots.OwnerText(r))
}

// cardBlocks renders a request's card.
func cardBlocks(r core.Request) []slack.Block {
	head := fmt.Sprintf("*Request #%d* · %s", r.Number, escape(r.CompanyName))
	fields := []*slack.TextBlockObject{
		mrkdwn("*Customer*\n" + escape(bots.CustomerText(r))),
		mrkdwn("*Status*\n" + bots.StatusText(r)),
		mrkdwn("*Owner*\n" + escape(bots.OwnerText(r))),
		mrkdwn("*Source*\n" + escape(bots.SourceText(r.Source))),
	}
	blocks := []slack.Block{
		slack.NewSectionBlock(mrkdwn(head), fields, nil),
		slack.NewSectionBlock(mrkdwn("> "+escape(r.Subject)), nil, nil),
	}
	if r.Status == core.StatusCompleted && r.ClosingNote != "" {
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn("Closing note: "+Render(r.ClosingNote))))
	}
	if b := buttons(r); len(b) > 0 {
		blocks = append(blocks, slack.NewActionBlock("request:"+r.ID, b...))
	}
	blocks = append(blocks, slack.NewContextBlock("", mrkdwn("The thread is the chat: once you joined, the owner's replies here go to the customer; "+
		"start with `!note` or `//` for a private note.")))
	return blocks
}
