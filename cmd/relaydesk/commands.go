package main

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// commands is relaydesk's command tree.
func commands() *command {
	return &command{
		name:    "relaydesk",
		summary: "relaydesk is a self-hosted support desk inside Slack, Discord, Telegram and the web",
		subs: []*command{
			{
				name:    "serve",
				summary: "run the support desk: HTTP server, dispatcher and chat adapters",
				usage:   "",
				about: "Run the support desk until SIGINT or SIGTERM: open the database, apply migrations,\n" +
					"start the event dispatcher and the HTTP server. Settings come from the environment\n" +
					"and a .env file in the working directory (see README.md); with none it serves\n" +
					"http://127.0.0.1:8080 on ./data/relaydesk.db. Uploaded files go to DATA_DIR/files on\n" +
					"SQLite and into the database on PostgreSQL, unless FILES_URL names another store\n" +
					"(file:///path, postgres, s3://bucket/prefix); files no request names are removed\n" +
					"after a day.",
				setup: func(fs *flag.FlagSet) action { return func(ctx context.Context, c *call) error { return c.serve(ctx) } },
			},
			{
				name:    "migrate",
				summary: "bring the database schema up to date and print what was applied",
				usage:   "",
				setup: func(fs *flag.FlagSet) action {
					return func(ctx context.Context, c *call) error { return c.migrate(ctx) }
				},
			},
			{
				name:    "backup",
				summary: "write a consistent backup of the desk (database and files) to FILE, while it serves",
				usage:   "FILE",
				nargs:   1,
				about: "Write one consistent snapshot of the desk to FILE, a gzip-compressed tar archive:\n" +
					"every company, technician, request, message, note, event and setting, and every\n" +
					"file's contents from wherever FILES_URL keeps them. It runs beside serve, reading\n" +
					"one database snapshot; delivery progress and console sessions are not kept. The\n" +
					"archive is the same for SQLite and PostgreSQL: `relaydesk restore` loads it into\n" +
					"either, which is also how a desk moves from SQLite to PostgreSQL.",
				setup: func(fs *flag.FlagSet) action {
					return func(ctx context.Context, c *call) error { return c.backup(ctx) }
				},
			},
			{
				name:    "restore",
				summary: "load a backup FILE into an empty database (DATABASE_URL) and file store (FILES_URL)",
				usage:   "FILE",
				nargs:   1,
				about: "Load a backup written by `relaydesk backup` into the database DATABASE_URL names,\n" +
					"which must hold no desk yet, and its files into FILES_URL's store. The schema is\n" +
					"brought to the backup's, the rows are inserted in one transaction (all or nothing),\n" +
					"then the schema is migrated to this relaydesk's. Stop serve first. Technicians\n" +
					"sign in again afterwards; messages are not delivered a second time.",
				setup: func(fs *flag.FlagSet) action {
					return func(ctx context.Context, c *call) error { return c.restore(ctx) }
				},
			},
			{
				name:    "check",
				summary: "verify the database, PUBLIC_URL and each platform's tokens before going live",
				usage:   "",
				about: "Check, without changing anything, what serve relies on: the database and its\n" +
					"schema, PUBLIC_URL (its scheme, and that relaydesk answers there), and each enabled\n" +
					"platform's settings against the platform itself (Slack: auth.test and the scopes the\n" +
					"manifest asks for, the app-level token; Discord: the bot token, the application ID,\n" +
					"the public key and the Message Content intent; Telegram: getMe and the webhook).\n" +
					"One line per check says ok, warn or FAIL and what to fix; the exit code is 1 when\n" +
					"any check failed.",
				setup: func(fs *flag.FlagSet) action { return func(ctx context.Context, c *call) error { return c.check(ctx) } },
			},
			versionCommand(),
			healthcheckCommand(),
			adminCommands(),
			filesCommands(),
		},
	}
}

func (c *call) migrate(ctx context.Context) error {
	d, applied, err := c.openDesk(ctx)
	if err != nil {
		return err
	}
	defer d.store.Close()
	if len(applied) == 0 {
		fmt.Fprintf(c.Stdout, "schema is up to date (%s)\n", d.store)
		return nil
	}
	for _, name := range applied {
		fmt.Fprintf(c.Stdout, "applied %s\n", name)
	}
	return nil
}

// versionCommand is `relaydesk version`, also run by `relaydesk --version`.
func versionCommand() *command {
	return &command{
		name:    "version",
		summary: "print relaydesk's version, the commit it was built from and the Go version",
		usage:   "",
		setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *call) error { return c.version(ctx) }
		},
	}
}

func (c *call) version(context.Context) error {
	bi, _ := debug.ReadBuildInfo()
	fmt.Fprint(c.Stdout, versionText(version, bi, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH))
	return nil
}

// versionText says what this binary is: the release (set at build time,
// else the module version a "go install module@version" build records),
// the commit and its time when the build recorded them (builds from a git
// checkout do), and the Go toolchain. bi may be nil.
func versionText(release string, bi *debug.BuildInfo, goVersion, platform string) string {
	var b strings.Builder
	if bi != nil && release == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		release = bi.Main.Version
	}
	fmt.Fprintf(&b, "relaydesk %s\n", release)
	var rev, at string
	dirty := false
	if bi != nil {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if rev != "" {
		fmt.Fprintf(&b, "commit %s", rev)
		if at != "" {
			fmt.Fprintf(&b, " (%s)", at)
		}
		if dirty {
			b.WriteString(", with uncommitted changes")
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "built with %s for %s\n", goVersion, platform)
	return b.String()
}
