package discord

import (
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/core"
)

// components are the card's buttons: one action row, or none.
func components(r core.Request) []discordgo.MessageComponent {
	var row discordgo.ActionsRow
	for _, act := range bots.CardActions(r) {
		b := discordgo.Button{Label: act.Label(), CustomID: string(act) + ":" + r.ID, Style: discordgo.SecondaryButton}
		switch act {
		case core.ActionAssign, core.ActionJoin:
			b.Style = discordgo.PrimaryButton
		case core.ActionClose:
			b.Style = discordgo.DangerButton
		}
		row.Components = append(row.Components, b)
	}
	if len(row.Components) == 0 {
		return []discordgo.MessageComponent{}
	}
	return []discordgo.MessageComponent{row}
}

// escape keeps text from Discord's markdown; mentions are harmless, as
// every message relaydesk sends allows none.
func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "~", `\~`, "`", "\\`", "|", `\|`, ">", `\>`).Replace(s)
}

// cardText is the card's content line, also the notification's text.
func cardText(r core.Request) string {
	return clip(fmt.Sprintf("Request #%d (%s) from %s: %s, owner %s", r.Number, r.CompanyName, bots.CustomerText(r), bots.StatusText(r), bots.OwnerText(r)), 2000)
}

// Embed colours by status.
var colours = map[core.Status]int{core.StatusNew: 0x5865F2, core.StatusActive: 0xFEE75C, core.StatusCompleted: 0x57F287}

// cardEmbed renders a request's card; its footer names the request, so a
// card posted but not recorded can be found again.
func cardEmbed(r core.Request) *discordgo.MessageEmbed {
	e := &discordgo.MessageEmbed{
		Title:       clip(fmt.Sprintf("Request #%d · %s", r.Number, r.CompanyName), 256),
		Description: clip(r.Subject, 4000),
		Color:       colours[r.Status],
		Fields: []*discordgo.MessageEmbedField{
			{Name: "Customer", Value: clip(bots.CustomerText(r), 1024), Inline: true},
			{Name: "Status", Value: bots.StatusText(r), Inline: true},
			{Name: "Owner", Value: clip(bots.OwnerText(r), 1024), Inline: true},
			{Name: "Source", Value: clip(bots.SourceText(r.Source), 1024)},
		},
		Footer: &discordgo.MessageEmbedFooter{Text: cardFooter + r.ID +
			" · the thread is the chat: once you joined, the owner's messages there go to the customer; start with !note or // for a private note"},
	}
	if r.Status == core.StatusCompleted && r.ClosingNote != "" {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: "Closing note", Value: clip(Render(r.ClosingNote), 1024)})
	}
	return e
}

// cardFooter starts a card's footer, followed by the request's ID.
const cardFooter = "relaydesk request "
