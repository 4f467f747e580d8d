package slack

import (
	"cmp"
	"context"

	"github.com/slack-go/slack"

	"github.com/relaydesk/relaydesk/bots/techchat"
	"github.com/relaydesk/relaydesk/core/markup"
)

// directory is names over the Web API: users.info (scope users:read) and
// conversations.info (channels:read; a private channel's name only where
// the app is a member), each name kept for a while.
type directory struct {
	users, channels *techchat.Names
}

func newDirectory(a *Adapter) directory {
	return directory{
		users:    techchat.NewNames(a.userName, techchat.NameTTL, techchat.NameLimit),
		channels: techchat.NewNames(a.channelName, techchat.NameTTL, techchat.NameLimit),
	}
}

func (d directory) user(ctx context.Context, id string) (string, bool) { return d.users.Name(ctx, id) }

func (d directory) channel(ctx context.Context, id string) (string, bool) {
	return d.channels.Name(ctx, id)
}

// userName is the name Slack shows for user id: the display name the
// person chose, else their full name, else their user name.
func (a *Adapter) userName(ctx context.Context, id string) (string, error) {
	if err := a.pace(ctx, "users.info", ""); err != nil {
		return "", err
	}
	u, err := a.api.GetUserInfoContext(ctx, id)
	if err != nil {
		a.log.Debug("slack: cannot look up a user's name; the message shows the ID", "user", id, "err", err)
		return "", err
	}
	return cmp.Or(u.Profile.DisplayName, u.Profile.RealName, u.RealName, u.Name), nil
}

// channelName is the name of channel id.
func (a *Adapter) channelName(ctx context.Context, id string) (string, error) {
	if err := a.pace(ctx, "conversations.info", ""); err != nil {
		return "", err
	}
	ch, err := a.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: id})
	if err != nil {
		a.log.Debug("slack: cannot look up a channel's name; the message shows the ID", "channel", id, "err", err)
		return "", err
	}
	return ch.Name, nil
}

// body is what relaydesk stores of a message Slack sent: its text (and
// rich text blocks) in relaydesk's message format.
func (a *Adapter) body(ctx context.Context, text string, blocks slack.Blocks) string {
	ctx, cancel := context.WithTimeout(ctx, techchat.LookupBudget)
	defer cancel()
	return markup.Write(readMessage(ctx, a.names, text, blocks))
}
