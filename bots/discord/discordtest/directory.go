package discordtest

import "net/http"

// User is a Discord user as the API describes one.
type User struct {
	ID         string
	Username   string // "alice"
	GlobalName string // the display name, "" when the person chose none
	Bot        bool
}

// Member is a user in a server, with the server's nickname ("" for none).
type Member struct {
	User User
	Nick string
}

// Channel is a server's channel (or thread) as GET /channels/{id} gives it.
type Channel struct {
	ID, GuildID, Name string
	Type              int // 0 text, 11 public thread
}

// Role is a server's role.
type Role struct{ ID, Name string }

// directory holds what the fake's lookups know.
type directory struct {
	users    map[string]User
	members  map[string]Member // by "guild/user"
	channels map[string]Channel
	roles    map[string][]Role // by guild
}

// AddUser makes GET /users/{id} know u.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir.users == nil {
		s.dir.users = map[string]User{}
	}
	s.dir.users[u.ID] = u
}

// AddMember makes m a member of guild (and a user).
func (s *Server) AddMember(guild string, m Member) {
	s.AddUser(m.User)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir.members == nil {
		s.dir.members = map[string]Member{}
	}
	s.dir.members[guild+"/"+m.User.ID] = m
}

// AddChannel makes GET /channels/{id} know c.
func (s *Server) AddChannel(c Channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir.channels == nil {
		s.dir.channels = map[string]Channel{}
	}
	s.dir.channels[c.ID] = c
}

// AddRole gives guild the role r; a guild has @everyone from its first.
func (s *Server) AddRole(guild string, r Role) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir.roles == nil {
		s.dir.roles = map[string][]Role{}
	}
	if len(s.dir.roles[guild]) == 0 {
		s.dir.roles[guild] = []Role{{ID: guild, Name: "@everyone"}} // Discord gives @everyone the guild's ID
	}
	s.dir.roles[guild] = append(s.dir.roles[guild], r)
}

func userJSON(u User) map[string]any {
	var global any
	if u.GlobalName != "" {
		global = u.GlobalName
	}
	return map[string]any{"id": u.ID, "username": u.Username, "global_name": global, "avatar": nil, "discriminator": "0",
		"public_flags": 0, "flags": 0, "banner": nil, "accent_color": nil, "avatar_decoration_data": nil,
		"banner_color": nil, "clan": nil, "primary_guild": nil, "bot": u.Bot}
}

// directoryAnswer answers a lookup route as Discord does: the object, or
// 404 with Discord's error code for what no test added; ok is false for
// other routes.
func (s *Server) directoryAnswer(route, id1, id2 string) (status int, out any, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	unknown := func(what string, code int) (int, any, bool) {
		return http.StatusNotFound, map[string]any{"message": "Unknown " + what, "code": code}, true
	}
	switch route {
	case "user":
		u, found := s.dir.users[id2]
		if !found {
			return unknown("User", 10013)
		}
		return http.StatusOK, userJSON(u), true
	case "member":
		m, found := s.dir.members[id1+"/"+id2]
		if !found {
			return unknown("Member", 10007)
		}
		var nick any
		if m.Nick != "" {
			nick = m.Nick
		}
		return http.StatusOK, map[string]any{"user": userJSON(m.User), "nick": nick, "avatar": nil, "banner": nil,
			"roles": []string{}, "joined_at": "2025-03-01T10:00:00.000000+00:00", "premium_since": nil, "deaf": false,
			"mute": false, "flags": 0, "pending": false, "communication_disabled_until": nil,
			"unusual_dm_activity_until": nil}, true
	case "channel":
		c, found := s.dir.channels[id1]
		if !found {
			return unknown("Channel", 10003)
		}
		return http.StatusOK, map[string]any{"id": c.ID, "type": c.Type, "guild_id": c.GuildID, "name": c.Name,
			"position": 0, "flags": 0, "parent_id": nil, "topic": nil, "nsfw": false, "last_message_id": nil,
			"rate_limit_per_user": 0, "permission_overwrites": []any{}}, true
	case "roles":
		rs, found := s.dir.roles[id1]
		if !found {
			return unknown("Guild", 10004)
		}
		var out []any
		for i, r := range rs {
			out = append(out, map[string]any{"id": r.ID, "name": r.Name, "description": nil, "color": 0, "colors": map[string]any{
				"primary_color": 0, "secondary_color": nil, "tertiary_color": nil}, "hoist": false, "icon": nil,
				"unicode_emoji": nil, "position": i, "permissions": "1071698660929", "managed": false, "mentionable": i > 0,
				"flags": 0})
		}
		return http.StatusOK, out, true
	}
	return 0, nil, false
}
