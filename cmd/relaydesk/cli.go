package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
)

// command is a node of the command tree: a group of subcommands, or a leaf
// whose setup defines its flags on a fresh FlagSet and returns what to run.
type command struct {
	name    string
	summary string // one line, for the parent's list
	usage   string // what follows the command path on the usage line
	about   string // a paragraph for -h; summary when empty
	subs    []*command
	nargs   int // positional arguments a leaf takes, exactly
	setup   func(fs *flag.FlagSet) action
}

// action is a leaf command's work, run after its flags parsed.
type action func(ctx context.Context, c *call) error

// call is one run of a leaf command.
type call struct {
	*Main
	path string   // "relaydesk admin company create"
	args []string // positional arguments
}

// usageError is the caller's mistake in arguments or flags: exit code 2
// and the usage line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

func (m *Main) run(ctx context.Context, cmd *command, path string, args []string) int {
	if cmd.subs != nil {
		if len(args) == 0 {
			m.groupHelp(m.Stderr, cmd, path)
			return exitUsage
		}
		switch args[0] {
		case "-h", "-help", "--help", "help":
			m.groupHelp(m.Stdout, cmd, path)
			return exitOK
		case "--version", "-version":
			if path == "relaydesk" {
				return m.run(ctx, versionCommand(), "relaydesk version", args[1:])
			}
		}
		for _, sub := range cmd.subs {
			if sub.name == args[0] {
				return m.run(ctx, sub, path+" "+sub.name, args[1:])
			}
		}
		if strings.HasPrefix(args[0], "-") {
			fmt.Fprintf(m.Stderr, "%s: unknown flag %s\n", path, strings.SplitN(args[0], "=", 2)[0])
			if hint := settingHint(path, args, 0); hint != "" {
				fmt.Fprintln(m.Stderr, hint)
			}
		} else {
			fmt.Fprintf(m.Stderr, "%s: unknown command %q\n", path, args[0])
		}
		fmt.Fprintf(m.Stderr, "usage: %s <command>; run '%s --help' for the list\n", path, path)
		return exitUsage
	}

	fs := flag.NewFlagSet(path, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the flag package's own messages are replaced by ours
	var act action
	if cmd.setup != nil {
		act = cmd.setup(fs)
	}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		m.leafHelp(m.Stdout, cmd, path, fs)
		return exitOK
	case err != nil:
		return m.flagFailure(cmd, path, err, args)
	case fs.NArg() > cmd.nargs:
		return m.usageFailure(cmd, path, usagef("unexpected argument %q", fs.Arg(cmd.nargs)))
	case fs.NArg() < cmd.nargs:
		return m.usageFailure(cmd, path, usagef("missing argument"))
	}
	if act == nil {
		return exitOK
	}
	err = act(ctx, &call{Main: m, path: path, args: fs.Args()})
	if ue, ok := errors.AsType[*usageError](err); ok {
		return m.usageFailure(cmd, path, ue)
	}
	if err != nil {
		fmt.Fprintf(m.Stderr, "relaydesk: %s\n", message(err))
		return exitError
	}
	return exitOK
}

// message is what the operator reads for err: the engine's user-facing
// message for its refusals, the whole chain for anything else. The CLI has
// no server log to point to, and its user is the operator.
func message(err error) string {
	if _, ok := errors.AsType[*core.Error](err); ok {
		return core.ErrorMessage(err)
	}
	return err.Error()
}

func (m *Main) usageFailure(cmd *command, path string, err error) int {
	fmt.Fprintf(m.Stderr, "%s: %s\n", path, err)
	fmt.Fprintf(m.Stderr, "usage: %s\n", strings.TrimSpace(path+" "+cmd.usage))
	fmt.Fprintf(m.Stderr, "run '%s --help' for help\n", path)
	return exitUsage
}

// flagFailure reports the flag package's err, about one of args, the way
// the rest of the messages read: the flag as the user typed it (--port,
// not the package's -port), and, for a flag that is really a setting, the
// environment variable it meant.
func (m *Main) flagFailure(cmd *command, path string, err error, args []string) int {
	msg, hint := err.Error(), ""
	for _, f := range []struct{ prefix, say string }{
		{"flag provided but not defined: -", "unknown flag %s"},
		{"flag needs an argument: -", "%s needs a value"},
	} {
		if name, ok := strings.CutPrefix(msg, f.prefix); ok {
			i := flagIndex(args, name)
			msg = fmt.Sprintf(f.say, typed(args, i, name))
			if f.prefix == "flag provided but not defined: -" {
				hint = settingHint(path, args, i)
				if hint == "" && path == "relaydesk serve" {
					hint = "relaydesk serve takes no flags: its settings are environment variables (or a .env file), listed in README.md"
				}
			}
		}
	}
	// "invalid value "x" for flag -max-file-mb: ...", "invalid boolean
	// value ... for -dry-run: ...": the same flag, as typed.
	if _, rest, ok := strings.Cut(msg, " for flag -"); ok && strings.HasPrefix(msg, "invalid ") {
		name, _, _ := strings.Cut(rest, ":")
		msg = strings.Replace(msg, "flag -"+name, typed(args, flagIndex(args, name), name), 1)
	} else if _, rest, ok := strings.Cut(msg, " for -"); ok && strings.HasPrefix(msg, "invalid ") {
		name, _, _ := strings.Cut(rest, ":")
		msg = strings.Replace(msg, "for -"+name, "for "+typed(args, flagIndex(args, name), name), 1)
	}
	fmt.Fprintf(m.Stderr, "%s: %s\n", path, msg)
	if hint != "" {
		fmt.Fprintln(m.Stderr, hint)
	}
	fmt.Fprintf(m.Stderr, "usage: %s\n", strings.TrimSpace(path+" "+cmd.usage))
	fmt.Fprintf(m.Stderr, "run '%s --help' for help\n", path)
	return exitUsage
}

// flagIndex is the index in args of the flag name (without dashes), given
// as -name, --name or either with =value; -1 when it is not there.
func flagIndex(args []string, name string) int {
	for i, a := range args {
		if a == "--" {
			break
		}
		n, _, _ := strings.Cut(a, "=")
		if strings.HasPrefix(n, "-") && strings.TrimLeft(n, "-") == name {
			return i
		}
	}
	return -1
}

// typed is the flag name as args[i] spells it: "--port" or "-port";
// "--name" when it is not there.
func typed(args []string, i int, name string) string {
	if i < 0 {
		return "--" + name
	}
	n, _, _ := strings.Cut(args[i], "=")
	return n
}

// settingHint says, for the unknown flag args[i], that relaydesk's
// settings are environment variables, when the flag plainly means one: the
// command line to run instead, with the variable set to the value given
// (unless it is a secret) and the flag taken out. "" when it means none.
func settingHint(path string, args []string, i int) string {
	if i < 0 || i >= len(args) {
		return ""
	}
	name, value, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
	s, ok := settingFor(name)
	if !ok {
		return ""
	}
	rest := slices.Clone(args[:i])
	next := args[i+1:]
	if !hasValue && len(next) > 0 && !strings.HasPrefix(next[0], "-") {
		value, hasValue, next = next[0], true, next[1:]
	}
	rest = append(rest, next...)
	switch {
	case !hasValue || s.secret:
		value = "..."
	case s.value != nil:
		value = s.value(value)
	}
	line := []string{s.env + "=" + shellQuote(value), path}
	for _, a := range rest {
		line = append(line, shellQuote(a))
	}
	return "relaydesk takes its settings from environment variables (or a .env file), not flags: " +
		strings.Join(line, " ") + "\nREADME.md lists them all"
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,:/@%+=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func (m *Main) groupHelp(w io.Writer, cmd *command, path string) {
	about := cmd.about
	if about == "" {
		about = sentence(cmd.summary)
	}
	fmt.Fprintf(w, "%s\n\nUsage: %s <command> [flags]\n\nCommands:\n", about, path)
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	for _, sub := range cmd.subs {
		fmt.Fprintf(tw, "  %s\t%s\n", sub.name, sub.summary)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nRun '%s <command> --help' for the flags of a command.\n", path)
}

func (m *Main) leafHelp(w io.Writer, cmd *command, path string, fs *flag.FlagSet) {
	about := cmd.about
	if about == "" {
		about = sentence(cmd.summary)
	}
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", strings.TrimSpace(path+" "+cmd.usage), about)
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		return
	}
	fmt.Fprintf(w, "\nFlags:\n")
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		if name != "" {
			name = " " + strings.ToUpper(name)
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(tw, "  --%s%s\t%s\n", f.Name, name, usage)
	})
	tw.Flush()
}

// sentence turns a one-line summary into a sentence for a help page.
func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// config reads the .env file and the environment into a checked Config.
func (c *call) config() (Config, error) {
	file, err := readDotenv(c.EnvFile)
	if err != nil {
		return Config{}, err
	}
	return LoadConfig(overlay(c.LookupEnv, file))
}

// newLogger logs to w in the configured format, from the configured level.
func newLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// desk is an open, migrated store and an engine on it, for one command.
type desk struct {
	cfg    Config
	log    *slog.Logger
	store  *sqlstore.Store
	blobs  core.BlobStore // where files' contents are: cfg.Files
	engine *core.Engine
}

// openDesk loads the configuration, opens the store (openStore) and brings
// its schema up to date. The caller closes d.store.
func (c *call) openDesk(ctx context.Context) (*desk, []string, error) {
	cfg, err := c.config()
	if err != nil {
		return nil, nil, err
	}
	log := newLogger(cfg, c.Stderr)
	s, err := c.openStore(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	applied, err := s.Migrate(ctx)
	if err != nil {
		s.Close()
		return nil, nil, fmt.Errorf("migrate %s: %w", s, err)
	}
	blobs, err := openFiles(cfg.Files, s)
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	e := core.NewEngine(core.Config{Store: s, Blobs: blobs, Logger: log})
	return &desk{cfg: cfg, log: log, store: s, blobs: blobs, engine: e}, applied, nil
}

// createsDesk reports whether the command at path may create a new desk's
// SQLite file: serve, migrate and restore, whose job it is, and
// `admin tech create`, which README.md has a new user run before the first
// serve, for the first admin.
func createsDesk(path string) bool {
	switch path {
	case "relaydesk serve", "relaydesk migrate", "relaydesk restore", "relaydesk admin tech create":
		return true
	}
	return false
}

// openStore opens the database cfg names, and says on standard error which
// one (serve says it in its log). With DATABASE_URL unset, a command that
// works on an existing desk refuses to create ./data/relaydesk.db: run in
// the wrong directory it would otherwise set up an empty desk nobody
// serves, and seem to work.
func (c *call) openStore(ctx context.Context, cfg Config, log *slog.Logger) (*sqlstore.Store, error) {
	verb, isNew := "opening", false
	if path, ok := sqlitePath(cfg.DatabaseURL); ok {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			if cfg.DatabaseDefault && !createsDesk(c.path) {
				return nil, noDatabaseError(path)
			}
			verb, isNew = "creating", true
		}
	}
	// Said before opening, so that a database that does not answer is
	// named too.
	if c.path != "relaydesk serve" {
		fmt.Fprintf(c.Stderr, "relaydesk: %s %s\n", verb, describeDatabase(cfg.DatabaseURL))
		if isNew && cfg.DatabaseDefault && c.path != "relaydesk restore" {
			fmt.Fprintf(c.Stderr, "relaydesk: it is a new desk; run `relaydesk serve` in this directory (%s) to serve it\n", workDir())
		}
	}
	return sqlstore.Open(ctx, cfg.DatabaseURL, log)
}

// noDatabaseError says where the default database was looked for and how
// to name the right one.
func noDatabaseError(path string) error {
	return fmt.Errorf("there is no database at %s: DATABASE_URL is unset, so relaydesk looks for %s in the current directory (%s).\n"+
		"Run this command from the directory where `relaydesk serve` runs (or where its .env file is), or name the desk's database:\n"+
		"  DATABASE_URL=sqlite:/path/to/relaydesk.db  or  DATABASE_URL=postgres://user@host:5432/db\n"+
		"A new desk is created by `relaydesk serve` (or by `relaydesk admin tech create`, for the first admin)",
		absPath(path), path, workDir())
}

// sqlitePath is the file an SQLite database URL names, as sqlstore reads
// it; false for any other database.
func sqlitePath(rawURL string) (string, bool) {
	if strings.HasPrefix(rawURL, "postgres://") || strings.HasPrefix(rawURL, "postgresql://") {
		return "", false
	}
	path := rawURL
	for _, p := range []string{"sqlite://", "sqlite:", "file:"} {
		if rest, ok := strings.CutPrefix(path, p); ok {
			path = rest
			break
		}
	}
	path, _, _ = strings.Cut(path, "?")
	return path, path != ""
}

// describeDatabase names the database of rawURL for the operator: driver,
// and file or host and database name. Never the password.
func describeDatabase(rawURL string) string {
	if path, ok := sqlitePath(rawURL); ok {
		return "the SQLite database " + absPath(path)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return "a PostgreSQL database (its URL does not parse)"
	}
	host := u.Host
	if host == "" {
		host = cmp.Or(u.Query().Get("host"), "localhost")
	}
	desc := fmt.Sprintf("the PostgreSQL database %q on %s", strings.TrimPrefix(u.Path, "/"), host)
	if name := u.User.Username(); name != "" {
		desc += " as " + name
	}
	if sp := u.Query().Get("search_path"); sp != "" {
		desc += ", schema " + sp
	}
	return desc
}

// absPath is path made absolute, for messages: the working directory is
// what operators get wrong.
func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// workDir is the working directory, for messages.
func workDir() string {
	if wd, err := os.Getwd(); err == nil {
		return wd
	}
	return "the current directory"
}

// warnPublicURL warns, before a command prints the widget snippet or links,
// when they are made from the default address because PUBLIC_URL is unset.
func (c *call) warnPublicURL(cfg Config) {
	if !cfg.PublicURLDefault {
		return
	}
	fmt.Fprintf(c.Stderr, "relaydesk: warning: PUBLIC_URL is unset, so what follows uses the default address %s, "+
		"which only browsers on this machine reach.\nSet PUBLIC_URL to the address people type, such as "+
		"PUBLIC_URL=https://help.example.com (in the environment or the .env file serve reads), and run this again.\n", cfg.PublicURL)
}

// withDesk runs fn on an open desk and closes it.
func (c *call) withDesk(ctx context.Context, fn func(d *desk) error) error {
	d, _, err := c.openDesk(ctx)
	if err != nil {
		return err
	}
	defer d.store.Close()
	return fn(d)
}

// table writes aligned columns to w: a header row, then rows.
func table(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}
