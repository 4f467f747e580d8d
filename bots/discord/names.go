package discord

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/relaydesk/relaydesk/bots/techchat"
	"github.com/relaydesk/relaydesk/core/markup"
)

// directory is names over the REST API, each kept for a while: a user as
// the server shows them (GET /guilds/{guild}/members/{user}: the server
// nickname, else the display name, else the user name; GET /users/{user}
// outside a server or for someone who left it), a channel's name (GET
// /channels/{id}), a role's (GET /guilds/{guild}/roles).
type directory struct {
	users, channels, roles *techchat.Names
}

func newDirectory(a *Adapter) directory {
	return directory{
		users:    techchat.NewNames(a.userName, techchat.NameTTL, techchat.NameLimit),
		channels: techchat.NewNames(a.channelName, techchat.NameTTL, techchat.NameLimit),
		roles:    techchat.NewNames(a.roleName, techchat.NameTTL, techchat.NameLimit),
	}
}

func (d directory) user(ctx context.Context, guild, id string) (string, bool) {
	return d.users.Name(ctx, guild+"/"+id)
}

func (d directory) channel(ctx context.Context, id string) (string, bool) {
	return d.channels.Name(ctx, id)
}

func (d directory) role(ctx context.Context, guild, id string) (string, bool) {
	if guild == "" {
		return "", false
	}
	return d.roles.Name(ctx, guild+"/"+id)
}

// userName is the name of "guild/user" as the server shows it.
func (a *Adapter) userName(ctx context.Context, key string) (string, error) {
	guild, id, _ := strings.Cut(key, "/")
	if err := a.pace(ctx, routeGlobal, ""); err != nil {
		return "", err
	}
	if guild != "" {
		m, err := a.api.GuildMember(guild, id, discordgo.WithContext(ctx))
		var re *discordgo.RESTError
		switch {
		case err == nil && m != nil && m.User != nil:
			return firstOf(m.Nick, m.User.GlobalName, m.User.Username), nil
		case errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusNotFound:
			// Not (or no longer) a member: the user's own name.
		default:
			a.log.Debug("discord: cannot look up a member's name; the message shows the ID", "user", id, "err", err)
			return "", err
		}
		if err := a.pace(ctx, routeGlobal, ""); err != nil {
			return "", err
		}
	}
	u, err := a.api.User(id, discordgo.WithContext(ctx))
	if err != nil || u == nil {
		a.log.Debug("discord: cannot look up a user's name; the message shows the ID", "user", id, "err", err)
		return "", err
	}
	return firstOf(u.GlobalName, u.Username), nil
}

// channelName is the name of channel id.
func (a *Adapter) channelName(ctx context.Context, id string) (string, error) {
	if err := a.pace(ctx, routeGlobal, ""); err != nil {
		return "", err
	}
	ch, err := a.api.Channel(id, discordgo.WithContext(ctx))
	if err != nil || ch == nil {
		a.log.Debug("discord: cannot look up a channel's name; the message shows the ID", "channel", id, "err", err)
		return "", err
	}
	return ch.Name, nil
}

// roleName is the name of "guild/role".
func (a *Adapter) roleName(ctx context.Context, key string) (string, error) {
	guild, id, _ := strings.Cut(key, "/")
	if err := a.pace(ctx, routeGlobal, ""); err != nil {
		return "", err
	}
	roles, err := a.api.GuildRoles(guild, discordgo.WithContext(ctx))
	if err != nil {
		a.log.Debug("discord: cannot look up a role's name; the message shows the ID", "role", id, "err", err)
		return "", err
	}
	for _, r := range roles {
		if r != nil && r.ID == id {
			return r.Name, nil
		}
	}
	return "", nil
}

// body is what relaydesk stores of a message's content, written in guild
// and mentioning the users mentioned, in relaydesk's message format.
func (a *Adapter) body(ctx context.Context, guild, content string, mentioned []*discordgo.User) string {
	ctx, cancel := context.WithTimeout(ctx, techchat.LookupBudget)
	defer cancel()
	return markup.Write(readMessage(ctx, a.names, guild, content, mentioned))
}
