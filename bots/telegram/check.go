package telegram

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-telegram/bot"

	"github.com/relaydesk/relaydesk/bots"
)

// Check verifies the settings against Telegram before going live: the bot
// token (getMe) and the webhook state (getWebhookInfo) against the way
// relaydesk will receive updates. It changes nothing.
func (a *Adapter) Check(ctx context.Context) []bots.Finding {
	me, err := a.bot.GetMe(ctx)
	if errors.Is(err, bot.ErrorUnauthorized) {
		return []bots.Finding{bots.Failed("bot token", "Telegram refused TELEGRAM_BOT_TOKEN: ask @BotFather for the bot's token (/token)")}
	} else if err != nil {
		return []bots.Finding{bots.Failed("bot token", "cannot reach the Bot API at "+a.apiURL+": "+a.redact(err).Error())}
	}
	out := []bots.Finding{bots.Passed("bot token", "@"+me.Username)}
	info, err := a.bot.GetWebhookInfo(ctx)
	if err != nil {
		return append(out, bots.Failed("webhook", "getWebhookInfo failed: "+a.redact(err).Error()))
	}
	want := a.cfg.PublicURL + WebhookPath
	switch {
	case a.webhook && info.URL == want && info.LastErrorMessage != "":
		out = append(out, bots.Warned("webhook", fmt.Sprintf("Telegram's last call to %s failed: %s (is PUBLIC_URL reachable from "+
			"the internet over https, with a certificate Telegram trusts?)", want, info.LastErrorMessage)))
	case a.webhook && info.URL == want:
		out = append(out, bots.Passed("webhook", "updates come to "+want))
	case a.webhook:
		out = append(out, bots.Passed("webhook", "serve registers "+want+" when it starts"))
	case info.URL != "":
		out = append(out, bots.Warned("webhook", fmt.Sprintf("a webhook is set (%s) while relaydesk uses long polling: serve removes "+
			"it when it starts; set TELEGRAM_WEBHOOK_SECRET with an https PUBLIC_URL to use a webhook instead", info.URL)))
	default:
		out = append(out, bots.Passed("updates", "long polling"))
	}
	return out
}
