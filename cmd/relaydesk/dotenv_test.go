package main_test

import (
	"bytes"
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	main "github.com/relaydesk/relaydesk/cmd/relaydesk"
	"github.com/relaydesk/relaydesk/core"
)

func TestParseDotenvFixture(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "sample.env"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := main.ParseDotenv(f)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"DATABASE_URL":            "postgres://desk@db:5432/relaydesk?sslmode=disable",
		"HTTP_ADDR":               "0.0.0.0:8080",
		"PUBLIC_URL":              "https://help.example.com",
		"SLACK_BOT_TOKEN":         "xoxb-123 with spaces",
		"SLACK_SIGNING_SECRET":    `literal \n and # kept`,
		"TELEGRAM_WEBHOOK_SECRET": "line1\nline2 \"quoted\"",
		"DISCORD_APP_ID":          "",
		"LOG_LEVEL":               "debug",
		"HASH_IN_VALUE":           "abc#def",
	}
	if !maps.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestParseDotenvRejects(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"no equals sign", "A=1\nJUSTAWORD\n", "line 2: expected KEY=VALUE"},
		{"bad variable name", "1ABC=x", `line 1: "1ABC" is not a variable name`},
		{"unclosed double quote", `TOKEN="abc`, "line 1: TOKEN: the value has no closing \""},
		{"text after the quote", `TOKEN="abc" def`, "line 1: TOKEN: unexpected text after the closing quote"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := main.ParseDotenv(strings.NewReader(tt.in))
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "abc") {
				t.Errorf("the error quotes the value, which may be a secret: %v", err)
			}
		})
	}
}

// TestDotenvUnderTheEnvironment runs the real program with a .env file:
// its values apply, but a variable set in the environment wins, even when
// set to the empty string.
func TestDotenvUnderTheEnvironment(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, ".env")
	content := "DATABASE_URL=sqlite:" + filepath.Join(dir, "from-dotenv.db") + "\n" +
		"PUBLIC_URL=https://dotenv.example.com\n"
	if err := os.WriteFile(envFile, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	envDB := "sqlite:" + filepath.Join(dir, "from-env.db")
	tests := []struct {
		name    string
		env     map[string]string
		wantDB  string
		wantURL string
	}{
		{"the .env file applies", nil, "from-dotenv.db", "https://dotenv.example.com/widget.js"},
		{"the environment wins", map[string]string{"DATABASE_URL": envDB, "PUBLIC_URL": "https://env.example.com"},
			"from-env.db", "https://env.example.com/widget.js"},
		{"set but empty in the environment wins too", map[string]string{"PUBLIC_URL": "", "HTTP_ADDR": "127.0.0.1:9"},
			"from-dotenv.db", "http://127.0.0.1:9/widget.js"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			m := &main.Main{Stdout: &out, Stderr: &errb, EnvFile: envFile,
				LookupEnv: func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }}
			slug := core.Slugify(tt.name)
			if code := m.Run(context.Background(), []string{"admin", "company", "create", "--name", "X", "--slug", slug}); code != 0 {
				t.Fatalf("company create: exit %d: %s", code, errb.String())
			}
			out.Reset()
			if code := m.Run(context.Background(), []string{"admin", "company", "key", slug}); code != 0 {
				t.Fatalf("company key: exit %d: %s", code, errb.String())
			}
			if !strings.Contains(out.String(), tt.wantURL) {
				t.Errorf("snippet %q does not load %s", out.String(), tt.wantURL)
			}
			if _, err := os.Stat(filepath.Join(dir, tt.wantDB)); err != nil {
				t.Errorf("expected the database in %s: %v", tt.wantDB, err)
			}
		})
	}
}
