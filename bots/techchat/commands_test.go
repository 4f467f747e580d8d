package techchat

import (
	"maps"
	"testing"
)

func TestParseText(t *testing.T) {
	tests := []struct {
		text string
		sub  string
		opts map[string]string
	}{
		{"", "help", map[string]string{}},
		{"  ", "help", map[string]string{}},
		{"HELP", "help", map[string]string{}},
		{"list", "list", map[string]string{}},
		{"list mine status desc", "list", map[string]string{"view": "mine", "sort": "status", "order": "desc"}},
		{"list desc NEW", "list", map[string]string{"view": "new", "order": "desc"}},
		{"list everything", "list", map[string]string{"bad": "everything"}},
		{"assign 1001", "assign", map[string]string{"request": "1001"}},
		{"assign", "assign", map[string]string{}},
		{"close acme#1001 fixed the  printer", "close", map[string]string{"request": "acme#1001", "note": "fixed the printer"}},
		{"close 1001", "close", map[string]string{"request": "1001", "note": ""}},
		{"note 1001 called back", "note", map[string]string{"request": "1001", "text": "called back"}},
		{"transfer 1001 <@U2|bob>", "transfer", map[string]string{"request": "1001", "colleague": "<@U2|bob>"}},
		{"invite 7 bob@example.com", "invite", map[string]string{"request": "7", "colleague": "bob@example.com"}},
		{"status away", "status", map[string]string{"status": "away"}},
		{"status very busy", "status", map[string]string{"bad": "very busy"}},
		{"notify on", "notify", map[string]string{"setting": "on"}},
		{"link ABCDE-12345", "link", map[string]string{"code": "ABCDE-12345"}},
		{"setup acme", "setup", map[string]string{"company": "acme"}},
		{"invite-customer acme VPN is down", "invite-customer", map[string]string{"company": "acme", "subject": "VPN is down"}},
		{"invite-customer", "invite-customer", map[string]string{}},
		{"screen 1001", "screenshare", map[string]string{"request": "1001"}},
		{"screenstop acme#1001", "screenstop", map[string]string{"request": "acme#1001"}},
		{"frobnicate 1", "frobnicate", map[string]string{"request": "1"}},
	}
	for _, tt := range tests {
		sub, opts := ParseText(tt.text)
		if sub != tt.sub || !maps.Equal(opts, tt.opts) {
			t.Errorf("ParseText(%q) = %q %v, want %q %v", tt.text, sub, opts, tt.sub, tt.opts)
		}
	}
}
