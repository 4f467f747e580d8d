package main_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayers keeps the dependency direction of DESIGN.md: cmd -> web, bots
// -> core. web never imports an adapter (adapters mount their handlers);
// adapters never import each other, web, or the SQL store; nothing but cmd
// imports cmd; the helpers all adapters share (shared) are no adapter. (core's own rule is in core/imports_test.go.)
func TestLayers(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Deps \" \"}}",
		"github.com/relaydesk/relaydesk/web/...", "github.com/relaydesk/relaydesk/bots/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	const mod = "github.com/relaydesk/relaydesk/"
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, deps := fields[0], fields[1:]
		for _, dep := range deps {
			if !strings.HasPrefix(dep, mod) {
				continue
			}
			rel, from := strings.TrimPrefix(dep, mod), strings.TrimPrefix(pkg, mod)
			bad := strings.HasPrefix(rel, "cmd/") ||
				(strings.HasPrefix(from, "web") && strings.HasPrefix(rel, "bots")) ||
				(strings.HasPrefix(from, "bots/") && (strings.HasPrefix(rel, "web") || rel == "core/sqlstore" ||
					(strings.HasPrefix(rel, "bots/") && !strings.HasPrefix(rel, adapterOf(from)) && !shared[rel])))
			if bad {
				t.Errorf("%s depends on %s", from, rel)
			}
		}
	}
}

// shared are the packages under bots that every adapter (or its fake) may
// use: they are no adapter.
var shared = map[string]bool{"bots/pace": true, "bots/techchat": true, "bots/internal/flood": true}

// adapterOf is "bots/telegram" for "bots/telegram/telegramtest".
func adapterOf(pkg string) string {
	parts := strings.SplitN(pkg, "/", 3)
	if len(parts) < 2 {
		return pkg
	}
	return parts[0] + "/" + parts[1]
}
