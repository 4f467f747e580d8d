package slack

import (
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/internal/golden"
)

// cardStates are the requests whose cards the golden files hold: a new
// one, a live chat with a phone customer, and a closed one with a note
// and text that Slack's mrkdwn would otherwise read as markup.
func cardStates() map[string]core.Request {
	base := core.Request{ID: "req_golden", Number: 1001, CompanyName: "Acme & Sons", Subject: "Printer <jams> *always*",
		CustomerEmail: "tess@example.com", CustomerName: "Tess",
		Source: core.Source{Channel: "web", IP: "203.0.113.7", Device: "desktop", OS: "Windows", Browser: "Firefox"}}
	live := base
	live.Status, live.Chat, live.OwnerID, live.OwnerName = core.StatusActive, core.ChatLive, "tec_1", "Alice"
	live.Source.Device, live.Source.OS = "mobile", "Android"
	closed := base
	closed.Status, closed.Chat, closed.OwnerID, closed.OwnerName = core.StatusCompleted, core.ChatEnded, "tec_1", "Alice"
	closed.ClosingNote = "Replaced the fuser <unit>"
	base.Status = core.StatusNew
	return map[string]core.Request{"new": base, "live_phone": live, "closed": closed}
}

// TestCardGolden: a card's blocks, as chat.postMessage sends them, are
// exactly those in testdata/card_*.golden.json (go test -run
// TestCardGolden -update rewrites them after a deliberate change).
func TestCardGolden(t *testing.T) {
	t.Parallel()
	for name, r := range cardStates() {
		golden.JSON(t, "card_"+name+".golden.json", map[string]any{"text": cardText(r), "blocks": cardBlocks(r)})
	}
}
