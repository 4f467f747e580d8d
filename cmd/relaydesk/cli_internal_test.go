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
