package discord

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/relaydesk/relaydesk/bots"
)

// Application flags that let a bot read what people write in threads.
const (
	flagMessageContent        = 1 << 18 // GATEWAY_MESSAGE_CONTENT (verified apps)
	flagMessageContentLimited = 1 << 19 // GATEWAY_MESSAGE_CONTENT_LIMITED (under 100 servers)
)

// Check verifies the settings against Discord before going live: the bot
// token (GET /users/@me), that DISCORD_APP_ID and DISCORD_PUBLIC_KEY are
// the token's application's, and that its Message Content intent is on.
// It changes nothing.
func (a *Adapter) Check(ctx context.Context) []bots.Finding {
	me, err := a.api.User("@me", discordgo.WithContext(ctx))
	if err != nil {
		return []bots.Finding{a.refused("bot token", "DISCORD_BOT_TOKEN", "Bot, Reset Token", err)}
	}
	out := []bots.Finding{bots.Passed("bot token", "bot "+me.Username)}
	app, err := a.api.Application("@me")
	if err != nil {
		return append(out, a.refused("application", "DISCORD_APP_ID", "General Information, Application ID", err))
	}
	switch {
	case app.ID != a.cfg.AppID:
		out = append(out, bots.Failed("application", fmt.Sprintf("DISCORD_APP_ID is %s, but the bot token is application %s's (%s): "+
			"copy the Application ID from General Information", a.cfg.AppID, app.ID, app.Name)))
	default:
		out = append(out, bots.Passed("application", app.Name+" ("+app.ID+")"))
	}
	if a.cfg.PublicKey != "" && !strings.EqualFold(app.VerifyKey, a.cfg.PublicKey) {
		out = append(out, bots.Failed("public key", "DISCORD_PUBLIC_KEY is not the application's public key, so every "+
			"interaction would be refused: copy Public Key from General Information"))
	} else if a.cfg.PublicKey != "" {
		out = append(out, bots.Passed("public key", "interactions at "+a.cfg.PublicURL+InteractionsPath+" can be verified"))
	}
	if app.Flags&(flagMessageContent|flagMessageContentLimited) == 0 {
		out = append(out, bots.Failed("message content", "the Message Content intent is off, so thread messages would "+
			"arrive empty: switch it on under Bot, Privileged Gateway Intents"))
	} else {
		out = append(out, bots.Passed("message content", "intent on"))
	}
	return out
}

// refused is a finding of a call Discord refused, or could not be made.
func (a *Adapter) refused(what, setting, where string, err error) bots.Finding {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized {
		return bots.Failed(what, "Discord refused "+setting+" (401 Unauthorized): copy it from the Developer Portal ("+where+")")
	}
	return bots.Failed(what, "cannot reach Discord's API at "+a.cfg.APIURL+": "+err.Error())
}
