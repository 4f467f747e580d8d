package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/password"
)

// adminCommands set up a desk: companies, technicians and who serves whom.
// They act as core.SystemActor, the operator of the machine.
func adminCommands() *command {
	return &command{
		name:    "admin",
		summary: "create, list, rename, archive and deactivate companies and technicians; grant access",
		about:   "Set up the desk: companies, technicians and which technicians serve which company.",
		subs: []*command{
			{
				name:    "company",
				summary: "create, list, rename and archive companies, print a company's portal key",
				subs: append([]*command{
					{name: "create", summary: "create a company with a fresh portal key",
						usage: "--name NAME [--slug SLUG] [--allow .pdf,.png] [--max-file-mb 25]",
						setup: companyCreate},
					{name: "list", summary: "list the companies", setup: companyList},
					{name: "key", summary: "print a company's portal key and widget snippet",
						usage: "<slug-or-id>", nargs: 1, setup: companyKey},
				}, companyLifecycleCommands()...),
			},
			{
				name:    "tech",
				summary: "create and list technicians, change roles, deactivate, clear failed sign-ins",
				subs: append([]*command{
					{name: "create", summary: "create a technician",
						usage: "--email EMAIL --name NAME [--role admin|technician] (--password-stdin | --no-password)",
						about: "Create a technician. The console password is read from standard input with\n" +
							"--password-stdin (never from a flag, which would land in shell history and\n" +
							"in the process list), e.g.  printf '%s\\n' \"$PW\" | relaydesk admin tech create ...",
						setup: techCreate},
					{name: "list", summary: "list the technicians", setup: techList},
					{name: "clear-sign-ins", summary: "let a technician locked out by failed console sign-ins sign in again",
						usage: "--email EMAIL",
						about: "Forget the technician's failed console sign-ins, from every address, so that\n" +
							"they can sign in again at once. Running relaydesk processes take it into\n" +
							"account at the next sign-in attempt.",
						setup: techClearSignIns},
				}, techLifecycleCommands()...),
			},
			{
				name:    "access",
				summary: "grant, revoke and list technicians' access to companies",
				subs: []*command{
					{name: "grant", summary: "let a technician serve a company's requests",
						usage: "--tech EMAIL --company SLUG", setup: accessChange(true)},
					{name: "revoke", summary: "stop a technician serving a company's requests",
						usage: "--tech EMAIL --company SLUG", setup: accessChange(false)},
					{name: "list", summary: "list who serves which company",
						usage: "[--tech EMAIL]", setup: accessList},
				},
			},
			chatPlatforms()[0].commands(),
			chatPlatforms()[1].commands(),
		},
	}
}

// maxFileMB is the engine's ceiling, 2 GB, in the flag's unit.
const maxFileMB = 2 << 10

func companyCreate(fs *flag.FlagSet) action {
	name := fs.String("name", "", "the company's display `name` (required)")
	slug := fs.String("slug", "", "`slug` (URL name): lower-case letters, digits and dashes (default: made from --name)")
	allow := fs.String("allow", "", "comma-separated file `extensions` customers may upload (default: the standard list)")
	maxMB := fs.Int("max-file-mb", 25, "largest file customers and technicians may upload, in `MB`")
	return func(ctx context.Context, c *call) error {
		if strings.TrimSpace(*name) == "" {
			return usagef("--name is required")
		}
		if *maxMB < 1 || *maxMB > maxFileMB {
			return usagef("--max-file-mb must be from 1 to %d", maxFileMB)
		}
		var exts []string
		if *allow != "" {
			exts = strings.Split(*allow, ",")
		}
		return c.withDesk(ctx, func(d *desk) error {
			co, err := d.engine.CreateCompany(ctx, core.SystemActor(), core.NewCompany{
				Name: *name, Slug: *slug, AllowedExts: exts, MaxFileBytes: int64(*maxMB) << 20})
			if err != nil {
				return fmt.Errorf("create company: %w", err)
			}
			fmt.Fprintf(c.Stdout, "created company %s (%s), ID %s\n", co.Slug, co.Name, co.ID)
			fmt.Fprintf(c.Stdout, "run 'relaydesk admin company key %s' for its widget snippet\n", co.Slug)
			return nil
		})
	}
}

func companyList(*flag.FlagSet) action {
	return func(ctx context.Context, c *call) error {
		return c.withDesk(ctx, func(d *desk) error {
			cos, err := d.store.Companies(ctx)
			if err != nil {
				return fmt.Errorf("list companies: %w", err)
			}
			if len(cos) == 0 {
				fmt.Fprintln(c.Stdout, "no companies yet; create one with 'relaydesk admin company create --name NAME'")
				return nil
			}
			rows := make([][]string, 0, len(cos))
			for _, co := range cos {
				name := co.Name
				if co.Archived() {
					name += " (archived)"
				}
				rows = append(rows, []string{co.Slug, name, fmt.Sprintf("%d MB", co.MaxFileBytes>>20),
					fileTypes(co.AllowedExts), co.CreatedAt.Local().Format(time.DateTime), co.ID})
			}
			return table(c.Stdout, []string{"SLUG", "NAME", "MAX FILE", "FILE TYPES", "CREATED", "ID"}, rows)
		})
	}
}

// fileTypes keeps the table narrow for the common case of the default list.
func fileTypes(exts []string) string {
	def := core.DefaultAllowedExts()
	if len(exts) == len(def) && !slices.ContainsFunc(exts, func(x string) bool { return !slices.Contains(def, x) }) {
		return "default (" + strconv.Itoa(len(def)) + " types)"
	}
	return strings.Join(exts, ",")
}

func companyKey(*flag.FlagSet) action {
	return func(ctx context.Context, c *call) error {
		return c.withDesk(ctx, func(d *desk) error {
			co, err := findCompany(ctx, d, c.args[0])
			if err != nil {
				return err
			}
			c.warnPublicURL(d.cfg)
			fmt.Fprintf(c.Stdout, "company:    %s (%s)\n", co.Slug, co.Name)
			fmt.Fprintf(c.Stdout, "portal key: %s\n\n", co.PortalKey)
			fmt.Fprintf(c.Stdout, "Paste this into the pages where customers should see the support chat:\n\n")
			fmt.Fprintf(c.Stdout, "<script src=\"%s\" data-key=\"%s\" async></script>\n",
				html.EscapeString(d.cfg.PublicURL+"/widget.js"), html.EscapeString(co.PortalKey))
			return nil
		})
	}
}

// findCompany finds a company by slug, or by ID for scripts that kept one.
func findCompany(ctx context.Context, d *desk, ref string) (core.Company, error) {
	co, err := d.store.CompanyBySlug(ctx, strings.ToLower(strings.TrimSpace(ref)))
	if errors.Is(err, core.ErrNotFound) {
		co, err = d.store.Company(ctx, strings.TrimSpace(ref))
	}
	if errors.Is(err, core.ErrNotFound) {
		return co, core.Errorf(core.CodeNotFound, "there is no company %q; 'relaydesk admin company list' shows them", ref)
	}
	return co, err
}

// findTechnician finds a technician by e-mail address.
func findTechnician(ctx context.Context, d *desk, email string) (core.Technician, error) {
	t, err := d.store.TechnicianByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
	if errors.Is(err, core.ErrNotFound) {
		return t, core.Errorf(core.CodeNotFound, "there is no technician %q; 'relaydesk admin tech list' shows them", email)
	}
	return t, err
}

func techCreate(fs *flag.FlagSet) action {
	email := fs.String("email", "", "the technician's `email` address, their console login (required)")
	name := fs.String("name", "", "the technician's `name` as customers see it (required)")
	role := fs.String("role", string(core.RoleTechnician), "`role`: admin or technician; admins manage the desk and serve every company")
	pwStdin := fs.Bool("password-stdin", false, "read the console password from standard input (at least 10 characters)")
	noPW := fs.Bool("no-password", false, "create the technician without a console password (chat platforms only)")
	return func(ctx context.Context, c *call) error {
		switch {
		case strings.TrimSpace(*email) == "":
			return usagef("--email is required")
		case strings.TrimSpace(*name) == "":
			return usagef("--name is required")
		case !core.Role(*role).Valid():
			return usagef("--role %q: use admin or technician", *role)
		case *pwStdin == *noPW:
			return usagef("give exactly one of --password-stdin and --no-password")
		}
		var hash string
		if *pwStdin {
			pw, err := readPassword(c.Stdin)
			if err != nil {
				return err
			}
			if hash, err = password.Hash(pw); err != nil {
				return err
			}
		}
		return c.withDesk(ctx, func(d *desk) error {
			t, err := d.engine.CreateTechnician(ctx, core.SystemActor(), core.NewTechnician{
				Email: *email, Name: *name, Role: core.Role(*role), PasswordHash: hash})
			if err != nil {
				return fmt.Errorf("create technician: %w", err)
			}
			login := "with a console password"
			if hash == "" {
				login = "without a console password"
			}
			fmt.Fprintf(c.Stdout, "created %s %s (%s), ID %s, %s\n", t.Role, t.Email, t.Name, t.ID, login)
			return nil
		})
	}
}

// readPassword reads the first line of r: "printf '%s\n' pw |" and a
// here-string both end it with a newline that is not part of it.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", errors.New("--password-stdin: standard input held no password")
	}
	return line, nil
}

func techList(*flag.FlagSet) action {
	return func(ctx context.Context, c *call) error {
		return c.withDesk(ctx, func(d *desk) error {
			ts, err := d.store.Technicians(ctx)
			if err != nil {
				return fmt.Errorf("list technicians: %w", err)
			}
			if len(ts) == 0 {
				fmt.Fprintln(c.Stdout, "no technicians yet; create an admin with 'relaydesk admin tech create --role admin ...'")
				return nil
			}
			rows := make([][]string, 0, len(ts))
			for _, t := range ts {
				login := "no"
				if t.PasswordHash != "" {
					login = "yes"
				}
				avail := string(t.Availability)
				if !t.Active() {
					avail = "deactivated"
				}
				rows = append(rows, []string{t.Email, t.Name, string(t.Role), avail, login, t.ID})
			}
			return table(c.Stdout, []string{"EMAIL", "NAME", "ROLE", "AVAILABILITY", "CONSOLE LOGIN", "ID"}, rows)
		})
	}
}

func techClearSignIns(fs *flag.FlagSet) action {
	email := fs.String("email", "", "the technician's `email` address (required)")
	return func(ctx context.Context, c *call) error {
		if strings.TrimSpace(*email) == "" {
			return usagef("--email is required")
		}
		return c.withDesk(ctx, func(d *desk) error {
			t, err := findTechnician(ctx, d, *email)
			if err != nil {
				return err
			}
			if _, err := d.engine.ClearSignInFailures(ctx, core.SystemActor(), t.ID); err != nil {
				return fmt.Errorf("clear failed sign-ins: %w", err)
			}
			fmt.Fprintf(c.Stdout, "%s can sign in again: their failed sign-ins no longer count\n", t.Email)
			return nil
		})
	}
}

func accessChange(grant bool) func(fs *flag.FlagSet) action {
	return func(fs *flag.FlagSet) action {
		tech := fs.String("tech", "", "the technician's `email` address (required)")
		company := fs.String("company", "", "the company's `slug` or ID (required)")
		return func(ctx context.Context, c *call) error {
			if strings.TrimSpace(*tech) == "" {
				return usagef("--tech is required")
			}
			if strings.TrimSpace(*company) == "" {
				return usagef("--company is required")
			}
			return c.withDesk(ctx, func(d *desk) error {
				t, err := findTechnician(ctx, d, *tech)
				if err != nil {
					return err
				}
				co, err := findCompany(ctx, d, *company)
				if err != nil {
					return err
				}
				if grant {
					if err := d.engine.GrantAccess(ctx, core.SystemActor(), t.ID, co.ID); err != nil {
						return fmt.Errorf("grant access: %w", err)
					}
					fmt.Fprintf(c.Stdout, "%s now serves %s\n", t.Email, co.Slug)
					return nil
				}
				if err := d.engine.RevokeAccess(ctx, core.SystemActor(), t.ID, co.ID); err != nil {
					return fmt.Errorf("revoke access: %w", err)
				}
				fmt.Fprintf(c.Stdout, "%s no longer serves %s\n", t.Email, co.Slug)
				if t.IsAdmin() {
					fmt.Fprintf(c.Stdout, "note: %s is an admin and still serves every company\n", t.Email)
				}
				return nil
			})
		}
	}
}

func accessList(fs *flag.FlagSet) action {
	tech := fs.String("tech", "", "only this technician's access, by `email` address")
	return func(ctx context.Context, c *call) error {
		return c.withDesk(ctx, func(d *desk) error {
			var ts []core.Technician
			if *tech != "" {
				t, err := findTechnician(ctx, d, *tech)
				if err != nil {
					return err
				}
				ts = []core.Technician{t}
			} else {
				var err error
				if ts, err = d.store.Technicians(ctx); err != nil {
					return fmt.Errorf("list technicians: %w", err)
				}
			}
			cos, err := d.store.Companies(ctx)
			if err != nil {
				return fmt.Errorf("list companies: %w", err)
			}
			byID := make(map[string]core.Company, len(cos))
			for _, co := range cos {
				byID[co.ID] = co
			}
			var rows [][]string
			for _, t := range ts {
				if t.IsAdmin() {
					rows = append(rows, []string{t.Email, "*", "every company (admin)"})
				}
				ids, err := d.store.Access(ctx, t.ID)
				if err != nil {
					return fmt.Errorf("list access of %s: %w", t.Email, err)
				}
				for _, id := range ids {
					co := byID[id]
					rows = append(rows, []string{t.Email, co.Slug, co.Name})
				}
			}
			if len(rows) == 0 {
				fmt.Fprintln(c.Stdout, "no access granted yet; use 'relaydesk admin access grant --tech EMAIL --company SLUG'")
				return nil
			}
			return table(c.Stdout, []string{"TECHNICIAN", "COMPANY", "COMPANY NAME"}, rows)
		})
	}
}
