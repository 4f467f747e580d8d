// Package golden compares what a test renders with a file in its
// package's testdata folder. Run the test with -update to rewrite the
// files after a deliberate change, then review the diff.
package golden

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata from what the tests render")

// Check fails tb unless got is the content of testdata/name.
func Check(tb testing.TB, name string, got []byte) {
	tb.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("%s differs; run go test -update and review the diff.\ngot:\n%s", path, got)
	}
}

// JSON is Check for v rendered as indented JSON, with <, > and & left as
// they are so that the platforms' own escapes stay readable.
func JSON(tb testing.TB, name string, v any) {
	tb.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		tb.Fatal(err)
	}
	Check(tb, name, b.Bytes())
}
