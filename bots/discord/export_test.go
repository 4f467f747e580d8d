package discord

import (
	"context"

	"github.com/bwmarrin/discordgo"

	"github.com/relaydesk/relaydesk/core/markup"
)

// mapNames are names from maps, for tests of translation alone.
type mapNames struct{ users, channels, roles map[string]string }

func (n mapNames) user(_ context.Context, _, id string) (string, bool) {
	name, ok := n.users[id]
	return name, ok
}

func (n mapNames) channel(_ context.Context, id string) (string, bool) {
	name, ok := n.channels[id]
	return name, ok
}

func (n mapNames) role(_ context.Context, _, id string) (string, bool) {
	name, ok := n.roles[id]
	return name, ok
}

// ReadMessage is the Doc relaydesk reads from a message's content, its
// mentions named by users, channels and roles, or by mentioned.
func ReadMessage(users, channels, roles map[string]string, content string, mentioned []*discordgo.User) markup.Doc {
	return readMessage(context.Background(), mapNames{users, channels, roles}, "290926798626357999", content, mentioned)
}
