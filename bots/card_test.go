package bots_test

import (
	"slices"
	"testing"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/core"
)

func TestCardActions(t *testing.T) {
	tests := []struct {
		name string
		r    core.Request
		want []string
	}{
		{"new", core.Request{Status: core.StatusNew}, []string{bots.ActionAssign}},
		{"assigned, not joined", core.Request{Status: core.StatusActive, Chat: core.ChatWaiting},
			[]string{bots.ActionJoin, bots.ActionUnassign, bots.ActionClose}},
		{"chat live", core.Request{Status: core.StatusActive, Chat: core.ChatLive},
			[]string{bots.ActionEnd, bots.ActionScreenShare, bots.ActionUnassign, bots.ActionClose}},
		{"chat ended", core.Request{Status: core.StatusActive, Chat: core.ChatEnded},
			[]string{bots.ActionJoin, bots.ActionUnassign, bots.ActionClose}},
		{"completed", core.Request{Status: core.StatusCompleted}, nil},
	}
	for _, tt := range tests {
		if got := bots.CardActions(tt.r); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
		for _, a := range tt.want {
			if bots.ActionLabel(a) == a {
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
