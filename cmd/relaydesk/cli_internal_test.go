package main

import (
	"os"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
)

// TestSettingsTable: the table that maps flags to settings names every
// variable LoadConfig reads and README.md documents, and no flag spelling
// means two variables.
func TestSettingsTable(t *testing.T) {
	inTable := map[string]bool{}
	spelled := map[string]string{}
	for _, s := range settings() {
		inTable[s.env] = true
		for _, f := range append([]string{s.flag()}, s.aliases...) {
			if other, ok := spelled[f]; ok && other != s.env {
				t.Errorf("--%s means both %s and %s", f, other, s.env)
			}
			spelled[f] = s.env
		}
	}
	// Every variable LoadConfig reads, with settings that take it down
	// each branch (S3 files, single sign-on, every adapter).
	read := map[string]bool{}
	for _, env := range []map[string]string{
		nil,
		{"FILES_URL": "s3://bucket/prefix", "OIDC_ISSUER": "https://id.example.com", "OIDC_CLIENT_ID": "x",
			"OIDC_CLIENT_SECRET": "y", "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1",
			"DISCORD_BOT_TOKEN": "t", "DISCORD_APP_ID": "1", "TELEGRAM_BOT_TOKEN": "1:a"},
	} {
		LoadConfig(func(k string) string { read[k] = true; return env[k] })
	}
	for k := range read {
		if !inTable[k] {
			t.Errorf("LoadConfig reads %s, which settings() lacks: a flag --%s would not be told about it", k,
				strings.ToLower(strings.ReplaceAll(k, "_", "-")))
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([A-Z0-9_]+)` \\|").FindAllStringSubmatch(string(readme), -1) {
		documented[m[1]] = true
	}
	for k := range inTable {
		if !documented[k] {
			t.Errorf("settings() has %s, which README.md's configuration table lacks", k)
		}
	}
	for k := range documented {
		if !inTable[k] {
			t.Errorf("README.md documents %s, which settings() lacks", k)
		}
	}
}

func TestVersionText(t *testing.T) {
	vcs := []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0295038abc"},
		{Key: "vcs.time", Value: "2026-12-06T07:00:00Z"}, {Key: "vcs.modified", Value: "false"}}
	tests := []struct {
		name    string
		release string
		bi      *debug.BuildInfo
		want    string
	}{
		{"no build info", "dev", nil, "relaydesk dev\nbuilt with go1.99 for linux/amd64\n"},
		{"release set at build time wins", "v1.2.3", &debug.BuildInfo{Main: debug.Module{Version: "v1.0.0"}},
			"relaydesk v1.2.3\nbuilt with go1.99 for linux/amd64\n"},
		{"go install module@version", "dev", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}},
			"relaydesk v1.4.0\nbuilt with go1.99 for linux/amd64\n"},
		{"a checkout's build", "dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs},
			"relaydesk dev\ncommit 0295038abc (2026-12-06T07:00:00Z)\nbuilt with go1.99 for linux/amd64\n"},
		{"with uncommitted changes", "dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: append(slices.Clone(vcs[:3]), debug.BuildSetting{Key: "vcs.modified", Value: "true"})},
			"relaydesk dev\ncommit 0295038abc (2026-12-06T07:00:00Z), with uncommitted changes\nbuilt with go1.99 for linux/amd64\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionText(tt.release, tt.bi, "go1.99", "linux/amd64"); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestDescribeDatabase(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ url, want string }{
		{"sqlite:data/relaydesk.db", "the SQLite database " + wd + "/data/relaydesk.db"},
		{"sqlite:/var/lib/relaydesk/desk.db?_pragma=x", "the SQLite database /var/lib/relaydesk/desk.db"},
		{"file:/srv/desk.db", "the SQLite database /srv/desk.db"},
		{"postgres://desk:hunter2@db.internal:5432/relaydesk?sslmode=require",
			`the PostgreSQL database "relaydesk" on db.internal:5432 as desk`},
		{"postgres://127.0.0.1:5432/test?sslmode=disable&search_path=t1", `the PostgreSQL database "test" on 127.0.0.1:5432, schema t1`},
		{"postgresql:///desk?host=/run/postgresql", `the PostgreSQL database "desk" on /run/postgresql`},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			got := describeDatabase(tt.url)
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if strings.Contains(got, "hunter2") {
				t.Errorf("%q shows the password", got)
			}
		})
	}
}

// TestCreatesDeskNamesCommands: the commands allowed to create a desk
// exist, so that renaming one cannot silently change the rule.
func TestCreatesDeskNamesCommands(t *testing.T) {
	var paths []string
	var walk func(c *command, path string)
	walk = func(c *command, path string) {
		if c.subs == nil {
			paths = append(paths, path)
		}
		for _, s := range c.subs {
			walk(s, path+" "+s.name)
		}
	}
	walk(commands(), "relaydesk")
	var creators []string
	for _, p := range paths {
		if createsDesk(p) {
			creators = append(creators, p)
		}
	}
	want := []string{"relaydesk serve", "relaydesk migrate", "relaydesk restore", "relaydesk admin tech create"}
	slices.Sort(creators)
	slices.Sort(want)
	if !slices.Equal(creators, want) {
		t.Errorf("commands that may create a desk: %q, want %q", creators, want)
	}
}
