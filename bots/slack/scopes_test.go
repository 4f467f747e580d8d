package slack_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/bots/slack"
)

// TestScopesMatchTheManifest: `relaydesk check` asks for the scopes the
// app manifest gives the bot, no more and no fewer.
func TestScopesMatchTheManifest(t *testing.T) {
	b, err := os.ReadFile("../../slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var manifest []string
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "bot:":
			in = true
		case in && strings.HasPrefix(trimmed, "- "):
			scope, _, _ := strings.Cut(strings.TrimPrefix(trimmed, "- "), "#")
			manifest = append(manifest, strings.TrimSpace(scope))
		case in && trimmed != "":
			in = false
		}
	}
	got, want := slices.Sorted(slices.Values(slack.Scopes)), slices.Sorted(slices.Values(manifest))
	if !slices.Equal(got, want) {
		t.Errorf("slack.Scopes = %v, the manifest's bot scopes = %v", got, want)
	}
}
