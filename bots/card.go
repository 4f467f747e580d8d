package bots

import (
	"strings"

	"github.com/relaydesk/relaydesk/core"
)

// The card's actions: what a technician's buttons do, the same on every
// technician platform.
const (
	ActionAssign      = "assign"
	ActionUnassign    = "unassign"
	ActionJoin        = "join"
	ActionEnd         = "end"
	ActionClose       = "close"
	ActionScreenShare = "screenshare"
)

// ActionLabel is a card action's button text.
func ActionLabel(action string) string {
	switch action {
	case ActionAssign:
		return "Assign to me"
	case ActionUnassign:
		return "Unassign"
	case ActionJoin:
		return "Join chat"
	case ActionEnd:
		return "End chat"
	case ActionClose:
		return "Close"
	case ActionScreenShare:
		return "Request screen sharing"
	}
	return action
}

// CardActions are what a request's status allows, in the order shown.
func CardActions(r core.Request) []string {
	switch {
	case r.Status == core.StatusNew:
		return []string{ActionAssign}
	case r.Status == core.StatusCompleted:
		return nil
	case r.Chat == core.ChatLive:
		return []string{ActionEnd, ActionScreenShare, ActionUnassign, ActionClose}
	}
	return []string{ActionJoin, ActionUnassign, ActionClose}
}

// The texts of a request's card, the same on every technician platform.

// OwnerText names a request's owner for a technician-facing card.
func OwnerText(r core.Request) string {
	if r.OwnerName == "" {
		return "unassigned"
	}
	return r.OwnerName
}

// CustomerText names a request's primary customer for a card.
func CustomerText(r core.Request) string {
	switch {
	case r.CustomerEmail != "" && r.CustomerName != "":
		return r.CustomerName + " <" + r.CustomerEmail + ">"
	case r.CustomerEmail != "":
		return r.CustomerEmail
	case r.CustomerName != "":
		return r.CustomerName
	}
	return "no customer yet"
}

// StatusText says where a request is, chat state included.
func StatusText(r core.Request) string {
	switch {
	case r.Status == core.StatusActive && r.Chat == core.ChatLive:
		return "Active, chat live"
	case r.Status == core.StatusActive && r.Chat == core.ChatEnded:
		return "Active, chat ended"
	case r.Status == core.StatusActive:
		return "Active, waiting for the owner to join"
	case r.Status == core.StatusCompleted:
		return "Completed"
	}
	return "New"
}

// SourceText is a request's source information on one line: what relaydesk
// saw, then what the customer's browser reported when asked, each named.
func SourceText(s core.Source) string {
	text := facts([]struct{ k, v string }{{"via", s.Channel}, {"IP", s.IP}, {"device", s.Device}, {"OS", s.OS},
		{"browser", s.Browser}, {"language", s.Language}})
	if text == "" {
		text = "unknown"
	}
	r := s.Reported
	if rep := facts([]struct{ k, v string }{{"device", r.Device}, {"OS", r.OS}, {"browser", r.Browser}, {"language", r.Language}}); rep != "" {
		text += "; reported by the customer's browser: " + rep
	}
	return text
}

// facts joins the named values that are not empty.
func facts(kv []struct{ k, v string }) string {
	var parts []string
	for _, p := range kv {
		if p.v != "" {
			parts = append(parts, p.k+" "+p.v)
		}
	}
	return strings.Join(parts, " · ")
}
