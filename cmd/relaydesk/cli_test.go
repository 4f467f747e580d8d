package main_test

import (
	"strings"
	"testing"
)

// TestFlagErrors: a flag error names the flag as the user typed it, and a
// flag that is really a setting, given to any command, is answered with
// the command line that sets its environment variable instead.
func TestFlagErrors(t *testing.T) {
	t.Parallel()
	p := newProgram(t, backends()[0].url(t))
	tests := []struct {
		cmd     string
		stderr  []string
		notErr  []string
		cmdArgs []string // instead of cmd, for arguments with spaces
	}{
		{cmd: "serve --port 9", stderr: []string{"relaydesk serve: unknown flag --port\n", "HTTP_ADDR=:9 relaydesk serve\n"}},
		{cmd: "serve -port 9", stderr: []string{"unknown flag -port\n", "HTTP_ADDR=:9 relaydesk serve\n"}},
		{cmd: "serve --port=9", stderr: []string{"unknown flag --port\n", "HTTP_ADDR=:9 relaydesk serve\n"}},
		{cmd: "serve --http-addr 0.0.0.0:80", stderr: []string{"HTTP_ADDR=0.0.0.0:80 relaydesk serve\n"}},
		{cmd: "serve --log-level debug", stderr: []string{"LOG_LEVEL=debug relaydesk serve\n"}},
		{cmd: "serve --delivery-poll-interval 5s", stderr: []string{"DELIVERY_POLL_INTERVAL=5s relaydesk serve\n"}},
		{cmd: "serve --telegram-company acme", stderr: []string{"TELEGRAM_COMPANY=acme relaydesk serve\n"}},
		{cmd: "serve --slack-bot-token xoxb-very-secret", stderr: []string{"SLACK_BOT_TOKEN=... relaydesk serve\n"},
			notErr: []string{"very-secret"}},
		{cmd: "admin company list --db sqlite:desk.db", stderr: []string{"relaydesk admin company list: unknown flag --db\n",
			"DATABASE_URL=sqlite:desk.db relaydesk admin company list\n"}},
		{cmdArgs: []string{"admin", "company", "create", "--name", "Acme Co", "--public-url", "https://help.example.com"},
			stderr: []string{"PUBLIC_URL=https://help.example.com relaydesk admin company create --name 'Acme Co'\n"}},
		{cmd: "--database-url sqlite:desk.db admin tech list", stderr: []string{"relaydesk: unknown flag --database-url\n",
			"DATABASE_URL=sqlite:desk.db relaydesk admin tech list\n"}},
		{cmd: "backup --data-dir /srv out.tgz", stderr: []string{"DATA_DIR=/srv relaydesk backup out.tgz\n"}},
		{cmd: "admin company create --name", stderr: []string{"admin company create: --name needs a value\n"}},
		{cmd: "admin company create --name Acme --max-file-mb=lots", stderr: []string{`invalid value "lots" for --max-file-mb`}},
		{cmd: "admin company create -name Acme -max-file-mb lots", stderr: []string{`invalid value "lots" for -max-file-mb`}},
		{cmd: "files gc --dry-run=maybe", stderr: []string{`invalid boolean value "maybe" for --dry-run`}},
		{cmd: "admin tech list --frobnicate", stderr: []string{"unknown flag --frobnicate\n", "usage: relaydesk admin tech list\n"},
			notErr: []string{"environment variables", "takes no flags"}},
		{cmd: "serve --frobnicate", stderr: []string{"unknown flag --frobnicate\n", "serve takes no flags"}},
		{cmd: "--frobnicate", stderr: []string{"relaydesk: unknown flag --frobnicate\n", "relaydesk --help"}},
	}
	for _, tt := range tests {
		a := tt.cmdArgs
		if a == nil {
			a = args(tt.cmd)
		}
		t.Run(strings.Join(a, " "), func(t *testing.T) {
			code, _, errb := p.run("", a...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			for _, w := range tt.stderr {
				if !strings.Contains(errb, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errb)
				}
			}
			for _, w := range append(tt.notErr, " -port", "flag provided", "flag needs") {
				if strings.Contains(errb, w) && !strings.Contains(strings.Join(a, " "), strings.TrimSpace(w)) {
					t.Errorf("stderr has %q:\n%s", w, errb)
				}
			}
		})
	}
}

// TestVersion: --version and the version command print the same.
func TestVersion(t *testing.T) {
	t.Parallel()
	p := newProgram(t, "sqlite:"+t.TempDir()+"/never-opened.db")
	code, cmd, _ := p.run("", "version")
	if code != 0 || !strings.HasPrefix(cmd, "relaydesk ") || !strings.Contains(cmd, "built with go1.") {
		t.Fatalf("version: exit %d, %q", code, cmd)
	}
	for _, flag := range []string{"--version", "-version"} {
		if code, out, errb := p.run("", flag); code != 0 || out != cmd {
			t.Errorf("%s: exit %d, %q (stderr %q), want %q", flag, code, out, errb, cmd)
		}
	}
}
