package slack

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/relaydesk/relaydesk/core"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata from the current rendering")

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
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // Slack's own escapes (&amp; &lt;) stay readable
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"text": cardText(r), "blocks": cardBlocks(r)}); err != nil {
			t.Fatal(err)
		}
		got := b.Bytes()
		path := filepath.Join("testdata", "card_"+name+".golden.json")
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("the %s card differs from %s:\n%s", name, path, got)
		}
	}
}
