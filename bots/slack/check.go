package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/relaydesk/relaydesk/bots"
)

// Scopes are the bot token scopes relaydesk needs, as slack-app-manifest.yaml
// asks for them.
var Scopes = []string{"chat:write", "chat:write.public", "commands", "channels:history", "groups:history",
	"files:read", "files:write", "im:write", "users:read", "channels:read"}

// Check verifies the tokens against Slack before going live: the bot
// token (auth.test) and its scopes, and the app-level token of Socket Mode
// (apps.connections.open). It changes nothing.
func (a *Adapter) Check(ctx context.Context) []bots.Finding {
	var out []bots.Finding
	team, user, scopes, err := a.authTest(ctx)
	var refused slack.SlackErrorResponse
	switch {
	case errors.As(err, &refused):
		return append(out, bots.Failed("bot token", "Slack refused SLACK_BOT_TOKEN ("+refused.Err+"): copy the Bot User OAuth Token "+
			"(xoxb-...) from OAuth & Permissions, and install the app to the workspace"))
	case err != nil:
		return append(out, bots.Failed("bot token", "cannot reach Slack's Web API at "+a.cfg.APIURL+": "+err.Error()))
	}
	out = append(out, bots.Passed("bot token", fmt.Sprintf("workspace %s, bot user %s", team, user)))
	var missing []string
	for _, s := range Scopes {
		if !slices.Contains(scopes, s) {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		out = append(out, bots.Failed("scopes", "the bot token lacks "+strings.Join(missing, ", ")+
			": add them under OAuth & Permissions (or create the app from slack-app-manifest.yaml) and reinstall the app"))
	} else {
		out = append(out, bots.Passed("scopes", "all "+fmt.Sprint(len(Scopes))+" that relaydesk needs"))
	}
	if a.SocketMode() {
		api := slack.New(a.cfg.BotToken, slack.OptionAPIURL(a.cfg.APIURL), slack.OptionHTTPClient(a.cfg.HTTPClient),
			slack.OptionAppLevelToken(a.cfg.AppToken))
		if _, _, err := api.StartSocketModeContext(ctx); err != nil {
			out = append(out, bots.Failed("app token", "Slack refused SLACK_APP_TOKEN ("+err.Error()+"): create an app-level token "+
				"with the scope connections:write (Basic Information, App-Level Tokens) and switch Socket Mode on"))
		} else {
			out = append(out, bots.Passed("app token", "Socket Mode connections open"))
		}
	}
	return out
}

// authTest calls auth.test with the bot token: the workspace, the bot
// user and, from the X-OAuth-Scopes header Slack sends with every Web API
// answer, the token's scopes. slack-go's AuthTest does not read headers.
func (a *Adapter) authTest(ctx context.Context) (team, user string, scopes []string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.cfg.APIURL+"auth.test", nil)
	if err != nil {
		return "", "", nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.cfg.BotToken)
	res, err := a.cfg.HTTPClient.Do(req)
	if err != nil {
		return "", "", nil, err
	}
	defer res.Body.Close()
	var body struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
		Team  string `json:"team"`
		User  string `json:"user"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		return "", "", nil, fmt.Errorf("HTTP %d, not Slack's answer", res.StatusCode)
	}
	if !body.OK {
		return "", "", nil, slack.SlackErrorResponse{Err: body.Error}
	}
	for _, s := range strings.Split(res.Header.Get("X-OAuth-Scopes"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			scopes = append(scopes, s)
		}
	}
	return body.Team, body.User, scopes, nil
}
