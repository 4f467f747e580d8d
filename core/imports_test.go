package core_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestCoreImports keeps the domain free of platforms and transports: core
// must build without any chat SDK, database driver or net/http.
func TestCoreImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/relaydesk/relaydesk/core").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := []string{"net/http", "github.com/slack-go/", "github.com/bwmarrin/discordgo", "github.com/go-telegram/",
		"github.com/jmoiron/sqlx", "github.com/lib/pq", "modernc.org/sqlite", "database/sql",
		"github.com/relaydesk/relaydesk/bots", "github.com/relaydesk/relaydesk/web", "github.com/relaydesk/relaydesk/core/"}
	// core/markup is the message format, a leaf that imports nothing of
	// relaydesk: the engine reads a subject from it.
	allowed := map[string]bool{"github.com/relaydesk/relaydesk/core/markup": true}
	for _, dep := range strings.Fields(string(out)) {
		if allowed[dep] {
			continue
		}
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f) {
				t.Errorf("core depends on %s", dep)
			}
		}
	}
}
