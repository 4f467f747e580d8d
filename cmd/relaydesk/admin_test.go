package main_test

import (
	"regexp"
	"strings"
	"testing"
)

// step is one command of a scripted session and what it must print.
type step struct {
	args       []string
	stdin      string
	code       int
	stdout     []string // substrings, in this order unless anyOrder
	anyOrder   bool
	stderr     []string // substrings
	notStdout  []string
	checkAfter func(t *testing.T, stdout string)
}

func (s step) run(t *testing.T, p *program) {
	t.Helper()
	code, out, errb := p.run(s.stdin, s.args...)
	if code != s.code {
		t.Fatalf("relaydesk %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(s.args, " "), code, s.code, out, errb)
	}
	rest := out
	for _, w := range s.stdout {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("relaydesk %s: stdout lacks %q (in order)\nstdout:\n%s", strings.Join(s.args, " "), w, out)
		}
		if !s.anyOrder {
			rest = rest[i+len(w):]
		}
	}
	for _, w := range s.stderr {
		if !strings.Contains(errb, w) {
			t.Fatalf("relaydesk %s: stderr lacks %q\nstderr:\n%s", strings.Join(s.args, " "), w, errb)
		}
	}
	for _, w := range s.notStdout {
		if strings.Contains(out, w) {
			t.Fatalf("relaydesk %s: stdout has %q\nstdout:\n%s", strings.Join(s.args, " "), w, out)
		}
	}
	if s.checkAfter != nil {
		s.checkAfter(t, out)
	}
}

func args(s string) []string { return strings.Fields(s) }

// TestAdminRoundTrip sets a desk up through the CLI as an operator would,
// on each database.
func TestAdminRoundTrip(t *testing.T) {
	t.Parallel()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			p := newProgram(t, b.empty(t))
			steps := []step{
				{args: args("migrate"), stdout: []string{"applied 0001_init"}},
				{args: args("migrate"), stdout: []string{"schema is up to date"}},
				{args: args("admin company list"), stdout: []string{"no companies yet"}},
				{args: args("admin company create --name Acme --allow .pdf,PNG --max-file-mb 10"),
					stdout: []string{"created company acme (Acme)"}},
				{args: []string{"admin", "company", "create", "--name", "Globex Corporation", "--slug", "globex"},
					stdout: []string{"created company globex (Globex Corporation)"}},
				{args: args("admin company list"),
					stdout: []string{"SLUG", "NAME", "MAX FILE", "acme", "Acme", "10 MB", ".pdf,.png",
						"globex", "Globex Corporation", "25 MB", "default (21 types)"}},
				{args: args("admin company key acme"), stdout: []string{"company:    acme (Acme)", "portal key: pk_",
					`<script src="https://help.example.com/widget.js" data-key="pk_`, `" async></script>`},
					checkAfter: func(t *testing.T, out string) {
						m := regexp.MustCompile(`portal key: (pk_\w+)`).FindStringSubmatch(out)
						if m == nil || !strings.Contains(out, `data-key="`+m[1]+`"`) {
							t.Errorf("the snippet does not carry the printed portal key:\n%s", out)
						}
					}},
				{args: args("admin tech list"), stdout: []string{"no technicians yet"}},
				{args: args("admin tech create --email Admin@Example.com --name Ada --role admin --password-stdin"),
					stdin:  "correct horse battery\n",
					stdout: []string{"created admin admin@example.com (Ada)", "with a console password"}},
				{args: []string{"admin", "tech", "create", "--email", "bob@example.com", "--name", "Bob Builder", "--no-password"},
					stdout: []string{"created technician bob@example.com (Bob Builder)", "without a console password"}},
				{args: args("admin tech list"), stdout: []string{"EMAIL", "NAME", "ROLE", "AVAILABILITY", "CONSOLE LOGIN",
					"admin@example.com", "Ada", "admin", "away", "yes",
					"bob@example.com", "Bob Builder", "technician", "away", "no"},
					notStdout: []string{"correct horse", "$2a$"}},
				{args: args("admin access list --tech bob@example.com"), stdout: []string{"no access granted yet"}},
				{args: args("admin access grant --tech bob@example.com --company acme"), stdout: []string{"bob@example.com now serves acme"}},
				{args: args("admin access grant --tech BOB@example.com --company globex"), stdout: []string{"bob@example.com now serves globex"}},
				{args: args("admin access list"), stdout: []string{"TECHNICIAN", "COMPANY",
					"admin@example.com", "*", "every company (admin)"}},
				{args: args("admin access list --tech bob@example.com"), stdout: []string{"bob@example.com", "acme", "Acme"},
					checkAfter: func(t *testing.T, out string) {
						if !strings.Contains(out, "globex") || strings.Contains(out, "admin@example.com") {
							t.Errorf("access list --tech bob:\n%s", out)
						}
					}},
				{args: args("admin access revoke --tech bob@example.com --company globex"), stdout: []string{"bob@example.com no longer serves globex"}},
				{args: args("admin access list --tech bob@example.com"), stdout: []string{"acme"}, notStdout: []string{"globex"}},
			}
			for _, s := range steps {
				s.run(t, p)
			}
		})
	}
}

// TestAdminRefusals: bad arguments fail with a message that says what is
// wrong, exit 2 for usage mistakes and 1 for what the desk refuses.
func TestAdminRefusals(t *testing.T) {
	t.Parallel()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			p := newProgram(t, b.url(t))
			for _, s := range []step{
				{args: args("admin company create --name Acme")},
				{args: args("admin tech create --email amy@example.com --name Amy --no-password")},
			} {
				s.run(t, p)
			}
			tests := []struct {
				name string
				step step
			}{
				{"unknown command", step{args: args("frobnicate"), code: 2,
					stderr: []string{`unknown command "frobnicate"`, "usage: relaydesk"}}},
				{"unknown subcommand", step{args: args("admin company delete"), code: 2,
					stderr: []string{`relaydesk admin company: unknown command "delete"`}}},
				{"unknown flag", step{args: args("admin company create --name X --colour red"), code: 2,
					stderr: []string{"unknown flag --colour", "usage: relaydesk admin company create --name NAME"}}},
				{"missing --name", step{args: args("admin company create --slug x"), code: 2,
					stderr: []string{"--name is required", "usage: relaydesk admin company create"}}},
				{"flag without its value", step{args: args("admin company create --name"), code: 2,
					stderr: []string{"--name needs a value"}}},
				{"size that is not a number", step{args: args("admin company create --name X --max-file-mb lots"), code: 2,
					stderr: []string{`invalid value "lots" for --max-file-mb`}}},
				{"size out of range", step{args: args("admin company create --name X --max-file-mb 0"), code: 2,
					stderr: []string{"--max-file-mb must be from 1 to 2048"}}},
				{"duplicate company", step{args: args("admin company create --name Acme"), code: 1,
					stderr: []string{`relaydesk: a company with the URL name "acme" exists already`}}},
				{"bad slug", step{args: args("admin company create --name X --slug Not_A_Slug"), code: 1,
					stderr: []string{`relaydesk: "Not_A_Slug" is not a valid URL name`}}},
				{"file type relaydesk cannot check", step{args: args("admin company create --name X --allow .exe"), code: 1,
					stderr: []string{"relaydesk: relaydesk cannot check the content of .exe files"}}},
				{"key of an unknown company", step{args: args("admin company key nope"), code: 1,
					stderr: []string{`relaydesk: there is no company "nope"`}}},
				{"key without a company", step{args: args("admin company key"), code: 2,
					stderr: []string{"missing argument", "usage: relaydesk admin company key <slug-or-id>"}}},
				{"extra argument", step{args: args("admin company list everything"), code: 2,
					stderr: []string{`unexpected argument "everything"`}}},
				{"bad role", step{args: args("admin tech create --email x@example.com --name X --role boss --no-password"), code: 2,
					stderr: []string{`--role "boss": use admin or technician`}}},
				{"no password choice", step{args: args("admin tech create --email x@example.com --name X"), code: 2,
					stderr: []string{"give exactly one of --password-stdin and --no-password"}}},
				{"password flag does not exist", step{args: args("admin tech create --email x@example.com --name X --password hunter2hunter2"), code: 2,
					stderr: []string{"unknown flag --password"}}},
				{"password too short", step{args: args("admin tech create --email x@example.com --name X --password-stdin"), stdin: "short\n", code: 1,
					stderr: []string{"relaydesk: a password needs at least 10 characters"}}},
				{"empty stdin", step{args: args("admin tech create --email x@example.com --name X --password-stdin"), code: 1,
					stderr: []string{"standard input held no password"}}},
				{"bad e-mail", step{args: args("admin tech create --email not-an-address --name X --no-password"), code: 1,
					stderr: []string{`relaydesk: "not-an-address" is not an e-mail address`}}},
				{"duplicate technician", step{args: args("admin tech create --email AMY@example.com --name Amy --no-password"), code: 1,
					stderr: []string{"relaydesk: a technician with the e-mail address amy@example.com exists already"}}},
				{"grant to unknown tech", step{args: args("admin access grant --tech ghost@example.com --company acme"), code: 1,
					stderr: []string{`relaydesk: there is no technician "ghost@example.com"`}}},
				{"grant of unknown company", step{args: args("admin access grant --tech amy@example.com --company nope"), code: 1,
					stderr: []string{`relaydesk: there is no company "nope"`}}},
				{"grant without --company", step{args: args("admin access grant --tech amy@example.com"), code: 2,
					stderr: []string{"--company is required", "usage: relaydesk admin access grant --tech EMAIL --company SLUG"}}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) { tt.step.run(t, p) })
			}
			// Nothing refused above changed the desk.
			step{args: args("admin company list"), stdout: []string{"acme"}, notStdout: []string{"globex", " x "}}.run(t, p)
			step{args: args("admin tech list"), stdout: []string{"amy@example.com"}, notStdout: []string{"x@example.com"}}.run(t, p)
			step{args: args("admin access list"), stdout: []string{"no access granted yet"}}.run(t, p)
		})
	}
}

// TestHelp: every command explains itself with -h (exit 0, on stdout), and
// no command at all prints the overall usage as a usage error.
func TestHelp(t *testing.T) {
	t.Parallel()
	p := newProgram(t, "sqlite:"+t.TempDir()+"/never-opened.db")
	tests := []struct {
		cmd  string
		want []string
	}{
		{"", []string{"Usage: relaydesk <command>", "serve", "migrate", "check", "healthcheck", "version", "admin", "files"}},
		{"check", []string{"Usage: relaydesk check", "exit code is 1"}},
		{"healthcheck", []string{"Usage: relaydesk healthcheck", "/readyz"}},
		{"serve", []string{"Usage: relaydesk serve", "SIGTERM"}},
		{"migrate", []string{"Usage: relaydesk migrate"}},
		{"version", []string{"Usage: relaydesk version"}},
		{"admin", []string{"Usage: relaydesk admin <command>", "company", "tech", "access"}},
		{"admin company", []string{"create", "list", "key", "rename", "archive", "unarchive"}},
		{"admin company rename", []string{"--slug SLUG", "--name NAME"}},
		{"admin company archive", []string{"--slug SLUG", "this support desk is closed"}},
		{"admin company unarchive", []string{"--slug SLUG"}},
		{"admin company create", []string{"--name NAME", "--slug SLUG", "--allow EXTENSIONS", "--max-file-mb MB", "(default 25)"}},
		{"admin company list", []string{"Usage: relaydesk admin company list"}},
		{"admin company key", []string{"Usage: relaydesk admin company key <slug-or-id>"}},
		{"admin tech", []string{"create", "list", "deactivate", "reactivate", "return-requests", "role"}},
		{"admin tech deactivate", []string{"--email EMAIL", "sessions end at once", "last active admin"}},
		{"admin tech reactivate", []string{"--email EMAIL"}},
		{"admin tech role", []string{"--email EMAIL", "--role ROLE"}},
		{"admin tech create", []string{"--email EMAIL", "--name NAME", "--role ROLE", "--password-stdin", "--no-password"}},
		{"admin tech list", []string{"Usage: relaydesk admin tech list"}},
		{"admin access", []string{"grant", "revoke", "list"}},
		{"admin access grant", []string{"--tech EMAIL", "--company SLUG"}},
		{"admin access revoke", []string{"--tech EMAIL", "--company SLUG"}},
		{"admin access list", []string{"--tech EMAIL"}},
		{"files", []string{"Usage: relaydesk files <command>", "migrate", "gc"}},
		{"files migrate", []string{"Usage: relaydesk files migrate --to FILES_URL", "--to FILES_URL", "s3://bucket/prefix"}},
		{"files gc", []string{"Usage: relaydesk files gc", "--grace DURATION", "(default 24h0m0s)", "--dry-run"}},
	}
	for _, tt := range tests {
		for _, h := range []string{"-h", "--help"} {
			t.Run(tt.cmd+" "+h, func(t *testing.T) {
				step{args: append(args(tt.cmd), h), stdout: tt.want, anyOrder: true}.run(t, p)
			})
		}
	}
	t.Run("no command", func(t *testing.T) {
		step{args: nil, code: 2, stderr: []string{"Usage: relaydesk <command>", "Commands:"}}.run(t, p)
	})
	t.Run("group without a command", func(t *testing.T) {
		step{args: args("admin tech"), code: 2, stderr: []string{"Usage: relaydesk admin tech <command>"}}.run(t, p)
	})
	t.Run("version", func(t *testing.T) {
		step{args: args("version"), stdout: []string{"relaydesk ", "go1."}}.run(t, p)
	})
}

// TestServeFlagsAreSettings: a flag given to serve is refused with the
// environment variable it meant, so that a new user learns at once where
// settings go.
func TestServeFlagsAreSettings(t *testing.T) {
	t.Parallel()
	p := newProgram(t, backends()[0].url(t))
	for _, s := range []step{
		{args: args("serve --port 9"), code: 2, stderr: []string{"unknown flag --port\n", "environment variables", "HTTP_ADDR=:9 relaydesk serve"}},
		{args: args("serve -database=postgres://db/desk"), code: 2, stderr: []string{"DATABASE_URL=postgres://db/desk relaydesk serve"}},
		{args: args("serve --public-url https://help.example.com"), code: 2, stderr: []string{"PUBLIC_URL=https://help.example.com"}},
		{args: args("serve --frobnicate"), code: 2, stderr: []string{"unknown flag --frobnicate", "serve takes no flags", "README.md"}},
	} {
		s.run(t, p)
	}
}
