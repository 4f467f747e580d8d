package slack

import (
	"context"

	"github.com/slack-go/slack"

	"github.com/relaydesk/relaydesk/core/markup"
)

// mapNames are names from maps, for tests of translation alone.
type mapNames struct{ users, channels map[string]string }

func (n mapNames) user(_ context.Context, id string) (string, bool) {
	name, ok := n.users[id]
	return name, ok
}

func (n mapNames) channel(_ context.Context, id string) (string, bool) {
	name, ok := n.channels[id]
	return name, ok
}

// ReadMessage is the Doc relaydesk reads from a message Slack sent, its
// mentions named by users and channels.
func ReadMessage(users, channels map[string]string, text string, blocks slack.Blocks) markup.Doc {
	return readMessage(context.Background(), mapNames{users, channels}, text, blocks)
}
