package bots_test

import (
	"slices"
	"testing"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/core"
)

func TestCardActions(t *testing.T) {
	owned := func(chat core.ChatState) core.Request {
		return core.Request{Status: core.StatusActive, Chat: chat, OwnerID: "tec_1", OwnerName: "Alice"}
	}
	phone := owned(core.ChatLive)
	phone.Source.Device = "mobile"
	tests := []struct {
		name string
		r    core.Request
		want []core.Action
	}{
		{"new", core.Request{Status: core.StatusNew}, []core.Action{core.ActionAssign}},
		{"assigned, not joined", owned(core.ChatWaiting), []core.Action{core.ActionJoin, core.ActionUnassign, core.ActionClose}},
		{"chat live", owned(core.ChatLive), []core.Action{core.ActionEnd, core.ActionScreenShare, core.ActionUnassign, core.ActionClose}},
		// The engine refuses screen sharing to phones: no button for it.
		{"chat live with a phone", phone, []core.Action{core.ActionEnd, core.ActionUnassign, core.ActionClose}},
		{"chat ended", owned(core.ChatEnded), []core.Action{core.ActionJoin, core.ActionUnassign, core.ActionClose}},
		{"completed", core.Request{Status: core.StatusCompleted, OwnerID: "tec_1"}, nil},
	}
	for _, tt := range tests {
		if got := bots.CardActions(tt.r); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
		for _, a := range tt.want {
			if a.Label() == string(a) {
				t.Errorf("action %s has no label", a)
			}
		}
	}
}

func TestSourceText(t *testing.T) {
	tests := []struct {
		name string
		s    core.Source
		want string
	}{
		{"nothing known", core.Source{}, "unknown"},
		{"as relaydesk saw it", core.Source{Channel: "web", IP: "192.0.2.7", Device: "desktop", OS: "Windows", Browser: "Firefox"},
			"via web · IP 192.0.2.7 · device desktop · OS Windows · browser Firefox"},
		{"and as the browser reported it", core.Source{Channel: "web", OS: "Windows", Browser: "Firefox",
			Reported: core.SystemInfo{OS: "Linux", Browser: "Chrome 126", Language: "fr-FR"}},
			"via web · OS Windows · browser Firefox; reported by the customer's browser: OS Linux · browser Chrome 126 · language fr-FR"},
	}
	for _, tt := range tests {
		if got := bots.SourceText(tt.s); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
