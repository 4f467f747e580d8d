package bots

import (
	"fmt"
	"slices"
	"strings"

	"github.com/relaydesk/relaydesk/core"
)

// CardActions are the buttons of a request's card, in the order shown: what
// its owner may do now, or, while nobody owns it, any available technician
// (core.OwnerActions), among the actions that need no further argument and
// are a click away in a channel. The engine checks who presses.
func CardActions(r core.Request) []core.Action {
	return slices.DeleteFunc(core.OwnerActions(r), func(a core.Action) bool {
		switch a {
		case core.ActionAssign, core.ActionJoin, core.ActionEnd, core.ActionScreenShare, core.ActionUnassign, core.ActionClose:
			return false
		}
		return true
	})
}

// ActionDone is what a technician who took action a on r by a command is
// told; colleague names the technician of a transfer or an invitation.
func ActionDone(a core.Action, r core.Request, colleague string) string {
	switch a {
	case core.ActionAssign:
		return fmt.Sprintf("You took request #%d.", r.Number)
	case core.ActionUnassign:
		return fmt.Sprintf("You put back request #%d.", r.Number)
	case core.ActionJoin:
		return fmt.Sprintf("You joined the chat of request #%d.", r.Number)
	case core.ActionEnd:
		return fmt.Sprintf("You ended the chat of request #%d.", r.Number)
	case core.ActionLeave:
		return fmt.Sprintf("You left the chat of request #%d.", r.Number)
	case core.ActionClose:
		return fmt.Sprintf("You closed request #%d.", r.Number)
	case core.ActionTransfer:
		return fmt.Sprintf("%s now owns request #%d.", colleague, r.Number)
	case core.ActionInvite:
		return fmt.Sprintf("%s joined the chat of request #%d.", colleague, r.Number)
	case core.ActionScreenShare:
		return fmt.Sprintf("The customer of request #%d was asked to share their screen.", r.Number)
	case core.ActionScreenStop:
		return fmt.Sprintf("Screen sharing of request #%d stopped.", r.Number)
	case core.ActionCall:
		return fmt.Sprintf("The customer of request #%d is being called; the call is in the console.", r.Number)
	case core.ActionCallEnd:
		return fmt.Sprintf("The call of request #%d ended.", r.Number)
	case core.ActionRecord:
		return fmt.Sprintf("The customer of request #%d was asked to allow recording the screen share.", r.Number)
	case core.ActionRecordStop:
		return fmt.Sprintf("Recording of request #%d stopped.", r.Number)
	case core.ActionSystemInfo:
		return fmt.Sprintf("The customer of request #%d was asked for their system details.", r.Number)
	}
	return fmt.Sprintf("Done: %s, request #%d.", strings.ToLower(a.Label()), r.Number)
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
