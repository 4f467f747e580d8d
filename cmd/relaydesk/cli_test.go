package main_test

import (
	"os"
	"path/filepath"
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
		{cmd: "admin tech list --database postgres://desk:hunter2@db:5432/relaydesk", stderr: []string{
			"DATABASE_URL=postgres://desk:PASSWORD@db:5432/relaydesk relaydesk admin tech list\n"}, notErr: []string{"hunter2"}},
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
			for _, w := range tt.notErr {
				if strings.Contains(errb, w) {
					t.Errorf("stderr has %q:\n%s", w, errb)
				}
			}
			// The flag package's own wording, which shows every flag with
			// one dash.
			for _, w := range []string{"flag provided", "flag needs", "for flag -"} {
				if strings.Contains(errb, w) {
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

// TestDefaultDatabase: with DATABASE_URL unset, commands that work on a
// desk say which database they use and refuse to create
// ./data/relaydesk.db; `admin tech create` (README's first step) creates
// it, and says so. It changes the working directory, so it is not
// parallel.
func TestDefaultDatabase(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	p := &program{t: t, env: map[string]string{}}
	db := filepath.Join(dir, "data", "relaydesk.db")
	refused := []string{"there is no database at " + db, "DATABASE_URL is unset", "DATABASE_URL=sqlite:", "where `relaydesk serve` runs"}
	for _, s := range []step{
		{args: args("admin company list"), code: 1, stderr: refused},
		{args: args("admin access list"), code: 1, stderr: refused},
		{args: args("admin slack link-code --tech a@example.com"), code: 1, stderr: refused},
		{args: args("backup desk.tgz"), code: 1, stderr: refused},
		{args: args("files gc --dry-run"), code: 1, stderr: refused},
		{args: args("check"), code: 1, stdout: []string{"FAIL", "there is no database at " + db}},
	} {
		s.run(t, p)
		if _, err := os.Stat(db); err == nil {
			t.Fatalf("relaydesk %s created %s", strings.Join(s.args, " "), db)
		}
	}
	step{args: []string{"admin", "tech", "create", "--email", "you@example.com", "--name", "You", "--role", "admin", "--password-stdin"},
		stdin: "a long passphrase\n", stdout: []string{"created admin you@example.com"},
		stderr: []string{"relaydesk: creating the SQLite database " + db + "\n", "run `relaydesk serve` in this directory"}}.run(t, p)
	if _, err := os.Stat(db); err != nil {
		t.Fatalf("admin tech create did not create the database: %v", err)
	}
	step{args: args("admin tech list"), stdout: []string{"you@example.com"},
		stderr: []string{"relaydesk: opening the SQLite database " + db + "\n"}}.run(t, p)
}

// TestDatabaseNamedOnStderr: every command that opens the database says
// which, without its password.
func TestDatabaseNamedOnStderr(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := newProgram(t, "sqlite:"+filepath.Join(dir, "desk.db"))
	for _, s := range []step{
		{args: args("migrate"), stderr: []string{"relaydesk: creating the SQLite database " + filepath.Join(dir, "desk.db")}},
		{args: args("admin company create --name Acme"), stderr: []string{"relaydesk: opening the SQLite database " + filepath.Join(dir, "desk.db")}},
		{args: args("files gc --dry-run"), stderr: []string{"opening the SQLite database"}},
		{args: []string{"backup", filepath.Join(dir, "b.tgz")}, stderr: []string{"opening the SQLite database"}},
	} {
		s.run(t, p)
	}
	p.env["DATABASE_URL"] = "postgres://desk:hunter2@127.0.0.1:1/relaydesk?sslmode=disable&connect_timeout=2"
	code, _, errb := p.run("", "admin", "company", "list")
	if code != 1 || !strings.Contains(errb, `relaydesk: opening the PostgreSQL database "relaydesk" on 127.0.0.1:1 as desk`) ||
		strings.Contains(errb, "hunter2") {
		t.Errorf("exit %d, stderr:\n%s", code, errb)
	}
}

// TestSnippetWarnsOfTheDefaultAddress: the widget snippet made from the
// default address comes with a warning on stderr naming PUBLIC_URL.
func TestSnippetWarnsOfTheDefaultAddress(t *testing.T) {
	t.Parallel()
	p := newProgram(t, backends()[0].url(t))
	step{args: args("admin company create --name Acme --slug acme")}.run(t, p)
	tests := []struct {
		name      string
		publicURL string
		snippet   string
		warns     bool
	}{
		{"unset", "", `<script src="http://127.0.0.1:8080/widget.js"`, true},
		{"set", "https://help.example.com", `<script src="https://help.example.com/widget.js"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &program{t: t, env: map[string]string{"DATABASE_URL": p.env["DATABASE_URL"], "DATA_DIR": p.env["DATA_DIR"]}}
			if tt.publicURL != "" {
				q.env["PUBLIC_URL"] = tt.publicURL
			}
			code, out, errb := q.run("", "admin", "company", "key", "acme")
			if code != 0 || !strings.Contains(out, tt.snippet) {
				t.Fatalf("exit %d, stdout:\n%s", code, out)
			}
			warned := strings.Contains(errb, "PUBLIC_URL is unset") && strings.Contains(errb, "http://127.0.0.1:8080") &&
				strings.Contains(errb, "PUBLIC_URL=https://")
			if warned != tt.warns {
				t.Errorf("warned %v, want %v; stderr:\n%s", warned, tt.warns, errb)
			}
			if strings.Contains(out, "PUBLIC_URL") {
				t.Errorf("the warning went to stdout, with the snippet:\n%s", out)
			}
		})
	}
}
