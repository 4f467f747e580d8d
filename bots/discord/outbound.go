package discord

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/relaydesk/relaydesk/bots/techchat"
	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/dispatch"
	"github.com/relaydesk/relaydesk/core/markup"
)

// Deliver is dispatch.Destination: see techchat.Chat.Deliver.
func (a *Adapter) Deliver(ctx context.Context, d *dispatch.Delivery) error {
	return a.chat.Deliver(ctx, d)
}

// Wants is dispatch.Selective: see bots.TechnicianWants.
func (a *Adapter) Wants(ctx context.Context, ev core.Event) (bool, error) {
	return a.chat.Wants(ctx, ev)
}

// failure turns discordgo's errors into the dispatcher's: a 429 comes back
// after retry_after; a channel Discord refuses (deleted, no access) gives
// the event up.
func failure(err error, channel string) error {
	var rl *discordgo.RateLimitError
	var re *discordgo.RESTError
	switch {
	case errors.As(err, &rl):
		return &dispatch.RetryAfterError{After: rl.RetryAfter, Err: err}
	case errors.As(err, &re) && re.Response != nil && permanent(re):
		return &dispatch.PermanentError{Err: fmt.Errorf("discord channel %s: %w", channel, err)}
	}
	return err
}

// permanent reports whether retrying cannot cure a REST error: no access,
// an unknown channel or message, a payload Discord rejects.
func permanent(re *discordgo.RESTError) bool {
	switch re.Response.StatusCode {
	case http.StatusForbidden, http.StatusNotFound, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		return true
	}
	return false
}

// refused reports whether Discord refused a DM for good (DMs closed).
func refused(err error) bool {
	var re *discordgo.RESTError
	return errors.As(err, &re) && re.Response != nil && permanent(re)
}

// gone reports whether Discord says the message to edit was deleted.
func gone(err error) bool {
	var re *discordgo.RESTError
	return errors.As(err, &re) && re.Message != nil && re.Message.Code == discordgo.ErrCodeUnknownMessage
}

// platform is techchat.Platform over discordgo. A card's thread is a
// thread started from the card message, addressed by its ID.
type platform struct{ a *Adapter }

// none allows no mention in anything relaydesk posts.
var none = &discordgo.MessageAllowedMentions{}

func (p platform) PostCard(ctx context.Context, channel string, r core.Request) (core.Card, error) {
	if err := p.a.pace(ctx, routePost, channel); err != nil {
		return core.Card{}, err
	}
	m, err := p.a.api.ChannelMessageSendComplex(channel, &discordgo.MessageSend{Content: cardText(r),
		Embeds: []*discordgo.MessageEmbed{cardEmbed(r)}, Components: components(r), AllowedMentions: none},
		discordgo.WithContext(ctx))
	if err != nil {
		return core.Card{}, err
	}
	return core.Card{Channel: channel, Message: m.ID}, nil
}

// FindCard looks for the card by its footer among the last hundred
// messages of channel. A history Discord will not show counts as not
// found: a second card is better than none.
func (p platform) FindCard(ctx context.Context, channel, requestID string, _ time.Time) (core.Card, bool, error) {
	ms, err := p.a.api.ChannelMessages(channel, 100, "", "", "", discordgo.WithContext(ctx))
	var re *discordgo.RESTError
	if errors.As(err, &re) {
		p.a.log.Warn("discord: cannot look for a card that may have been posted; posting it", "channel", channel, "err", err)
		return core.Card{}, false, nil
	} else if err != nil {
		return core.Card{}, false, err
	}
	for _, m := range ms {
		for _, e := range m.Embeds {
			if e.Footer != nil && strings.HasPrefix(e.Footer.Text, cardFooter+requestID+" ") {
				return core.Card{Channel: channel, Message: m.ID}, true, nil
			}
		}
	}
	return core.Card{}, false, nil
}

func (p platform) EditCard(ctx context.Context, c core.Card, r core.Request) error {
	content, embeds, comps := cardText(r), []*discordgo.MessageEmbed{cardEmbed(r)}, components(r)
	if err := p.a.pace(ctx, routeEdit, c.Channel); err != nil {
		return err
	}
	_, err := p.a.api.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: c.Message, Channel: c.Channel, Content: &content,
		Embeds: &embeds, Components: &comps, AllowedMentions: none}, discordgo.WithContext(ctx))
	return err
}

// StartThread starts the card's thread; one started before (the answer
// lost) is the card message's ID, as Discord makes it.
func (p platform) StartThread(ctx context.Context, c core.Card, r core.Request) (string, error) {
	if err := p.a.pace(ctx, routeThread, c.Channel); err != nil {
		return "", err
	}
	th, err := p.a.api.MessageThreadStartComplex(c.Channel, c.Message, &discordgo.ThreadStart{
		Name: clip(fmt.Sprintf("#%d %s", r.Number, r.Subject), 100), AutoArchiveDuration: 10080}, discordgo.WithContext(ctx))
	var re *discordgo.RESTError
	switch {
	case errors.As(err, &re) && re.Message != nil && re.Message.Code == discordgo.ErrCodeThreadAlreadyCreatedForThisMessage:
		return c.Message, nil
	case err != nil:
		return "", err
	}
	return th.ID, nil
}

func (p platform) PostLine(ctx context.Context, c core.Card, text string) (string, error) {
	if err := p.a.pace(ctx, routePost, c.Thread); err != nil {
		return "", err
	}
	m, err := p.a.api.ChannelMessageSendComplex(c.Thread, &discordgo.MessageSend{Content: clip(text, 2000), AllowedMentions: none},
		discordgo.WithContext(ctx))
	if err != nil {
		return "", err
	}
	return m.ID, nil
}

// EditLine edits the thread message id.
func (p platform) EditLine(ctx context.Context, c core.Card, id, text string) error {
	if err := p.a.pace(ctx, routeEdit, c.Thread); err != nil {
		return err
	}
	content := clip(text, 2000)
	_, err := p.a.api.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: id, Channel: c.Thread, Content: &content,
		AllowedMentions: none}, discordgo.WithContext(ctx))
	return err
}

// UploadFile posts the file as an attachment into the thread.
func (p platform) UploadFile(ctx context.Context, c core.Card, f core.File, body io.Reader, comment string) (bool, error) {
	if err := p.a.pace(ctx, routePost, c.Thread); err != nil {
		return false, err
	}
	_, err := p.a.api.ChannelMessageSendComplex(c.Thread, &discordgo.MessageSend{Content: clip(comment, 2000),
		Files: []*discordgo.File{{Name: f.Name, ContentType: f.ContentType, Reader: body}}, AllowedMentions: none},
		discordgo.WithContext(ctx))
	var re *discordgo.RESTError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &re) && re.Response != nil && permanent(re):
		p.a.log.Warn("discord: Discord refused a file upload; posting a link instead", "err", err)
		return false, nil
	}
	return false, err
}

func (p platform) DM(ctx context.Context, user, text string) error {
	if err := p.a.pace(ctx, routeGlobal, ""); err != nil {
		return err
	}
	ch, err := p.a.api.UserChannelCreate(user, discordgo.WithContext(ctx))
	if err != nil {
		return err
	}
	if err := p.a.pace(ctx, routePost, ch.ID); err != nil {
		return err
	}
	_, err = p.a.api.ChannelMessageSendComplex(ch.ID, &discordgo.MessageSend{Content: clip(text, 2000), AllowedMentions: none},
		discordgo.WithContext(ctx))
	return err
}

// markdownMarkup is Discord's markdown.
var markdownMarkup = techchat.Markup{
	Bold:    func(s string) string { return "**" + s + "**" },
	Escape:  escape,
	Body:    func(doc markup.Doc) string { return markup.Markdown(doc, escape) },
	Link:    func(url, text string) string { return "[" + text + "](" + url + ")" },
	Channel: func(id string) string { return "<#" + id + ">" },
	Lock:    "🔒",
	Italic:  func(s string) string { return "*" + s + "*" },
}

// Render is how a message's body, stored in relaydesk's format
// (core/markup), shows in a Discord thread: Markdown, escaped, its
// mentions harmless (no message relaydesk sends allows any).
func Render(body string) string { return markup.Markdown(markup.Parse(body), escape) }

// mention is the user of a Discord mention, <@123> or <@!123>.
func mention(ref string) (string, bool) {
	if !strings.HasPrefix(ref, "<@") {
		return "", false
	}
	return strings.TrimPrefix(strings.Trim(ref, "<@>"), "!"), true
}
