package sfu_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps the SFU apart from the rest of relaydesk: it imports no
// relaydesk package (no core, no store, no platform SDK), and the engine
// imports no Pion.
func TestImports(t *testing.T) {
	t.Parallel()
	cases := []struct {
		pkg       string
		forbidden string
	}{
		{"github.com/relaydesk/relaydesk/web/sfu", "github.com/relaydesk/relaydesk/"},
		{"github.com/relaydesk/relaydesk/core/...", "github.com/pion/"},
	}
	for _, tc := range cases {
		t.Run(tc.pkg, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", tc.pkg).CombinedOutput()
			if err != nil {
				t.Fatalf("go list: %v\n%s", err, out)
			}
			for _, dep := range strings.Fields(string(out)) {
				if strings.HasPrefix(dep, tc.forbidden) && !strings.HasPrefix(tc.pkg, dep) {
					t.Errorf("%s depends on %s", tc.pkg, dep)
				}
			}
		})
	}
}
