package slacktest

import (
	"slices"
	"strings"
)

// User is a workspace member as users.info describes one.
type User struct {
	ID          string
	Name        string // the user name, "alice"
	RealName    string // "Alice Example"
	DisplayName string // what Slack shows, "" when the person chose none
	Bot         bool
	Deleted     bool
}

// Channel is a conversation as conversations.info describes one.
type Channel struct {
	ID      string
	Name    string
	Private bool
	Member  bool // the app is in it: a private channel's info needs that
}

// directory holds the users and channels the fake knows.
type directory struct {
	users    map[string]User
	channels map[string]Channel
}

// AddUser makes users.info know u.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir.users == nil {
		s.dir.users = map[string]User{}
	}
	s.dir.users[u.ID] = u
}

// AddChannel makes conversations.info know c.
func (s *Server) AddChannel(c Channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir.channels == nil {
		s.dir.channels = map[string]Channel{}
	}
	s.dir.channels[c.ID] = c
}

// directoryAnswer answers users.info or conversations.info as Slack does,
// scopes checked: the fields a real answer has, user_not_found or
// channel_not_found for an ID nobody added, missing_scope for a token
// without users:read (channels:read, groups:read for a private channel).
// It is called with s.mu unlocked.
func (s *Server) directoryAnswer(method string, fields map[string]string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	missing := func(scope string) map[string]any {
		return map[string]any{"ok": false, "error": "missing_scope", "needed": scope, "provided": strings.Join(s.Scopes, ",")}
	}
	if method == "users.info" {
		if !slices.Contains(s.Scopes, "users:read") {
			return missing("users:read")
		}
		u, ok := s.dir.users[fields["user"]]
		if !ok {
			return map[string]any{"ok": false, "error": "user_not_found"}
		}
		first, last, _ := strings.Cut(u.RealName, " ")
		return map[string]any{"ok": true, "user": map[string]any{
			"id": u.ID, "team_id": "T0TEST", "name": u.Name, "deleted": u.Deleted, "color": "9f69e7",
			"real_name": u.RealName, "tz": "Europe/Amsterdam", "tz_label": "Central European Time", "tz_offset": 3600,
			"profile": map[string]any{
				"title": "", "phone": "", "skype": "", "real_name": u.RealName, "real_name_normalized": u.RealName,
				"display_name": u.DisplayName, "display_name_normalized": u.DisplayName, "fields": nil,
				"status_text": "", "status_emoji": "", "status_expiration": 0, "avatar_hash": "g0123456789a",
				"first_name": first, "last_name": last, "team": "T0TEST",
				"image_24": "https://secure.gravatar.com/avatar/0123456789abcdef.jpg?s=24",
				"image_72": "https://secure.gravatar.com/avatar/0123456789abcdef.jpg?s=72",
			},
			"is_admin": false, "is_owner": false, "is_primary_owner": false, "is_restricted": false,
			"is_ultra_restricted": false, "is_bot": u.Bot, "is_app_user": false, "updated": 1767225600,
			"is_email_confirmed": true, "who_can_share_contact_card": "EVERYONE",
		}}
	}
	c, ok := s.dir.channels[fields["channel"]]
	switch {
	case ok && c.Private && !slices.Contains(s.Scopes, "groups:read"):
		return missing("groups:read")
	case (!ok || !c.Private) && !slices.Contains(s.Scopes, "channels:read"):
		return missing("channels:read")
	case !ok || c.Private && !c.Member:
		return map[string]any{"ok": false, "error": "channel_not_found"}
	}
	topic := map[string]any{"value": "", "creator": "", "last_set": 0}
	return map[string]any{"ok": true, "channel": map[string]any{
		"id": c.ID, "name": c.Name, "name_normalized": c.Name, "is_channel": !c.Private, "is_group": c.Private,
		"is_im": false, "is_mpim": false, "is_private": c.Private, "created": 1767225600, "is_archived": false,
		"is_general": false, "unlinked": 0, "is_shared": false, "is_org_shared": false, "is_member": c.Member,
		"is_pending_ext_shared": false, "creator": "U0000000ADM", "topic": topic, "purpose": topic, "previous_names": []any{},
	}}
}
