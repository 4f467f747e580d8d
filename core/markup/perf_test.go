package markup

import (
	"strings"
	"testing"
	"time"
)

func TestParseWorstCases(t *testing.T) {
	for _, s := range []string{strings.Repeat("*a ", 20000), strings.Repeat("**", 30000), strings.Repeat("[a](", 15000),
		strings.Repeat("_x_", 20000), strings.Repeat("~~ ", 20000), strings.Repeat("`", 60000), strings.Repeat("* ", 30000),
		strings.Repeat("> ", 30000), strings.Repeat("https://a.b/", 5000), strings.Repeat("**a", 20000), strings.Repeat("a* ", 20000),
		strings.Repeat("[a](b(", 10000) + ")", strings.Repeat(`\*`, 30000) + "**", strings.Repeat("**a\\", 15000),
		strings.Repeat("***a ", 15000), strings.Repeat("***", 20000) + "a"} {
		start := time.Now()
		Parse(s)
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("Parse of %q... (%d bytes) took %s", s[:12], len(s), d)
		}
	}
}
