package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/relaydesk/relaydesk/core"
)

// platforms names the chat adapters whose settings turn them on, as serve
// starts them, for the console's first-run checklist.
func (c Config) platforms() []string {
	var out []string
	for _, p := range []struct {
		name string
		on   bool
	}{{"slack", c.Slack.Enabled()}, {"discord", c.Discord.Enabled()}, {"telegram", c.Telegram.Enabled()}} {
		if p.on {
			out = append(out, p.name)
		}
	}
	return out
}

// techLifecycleCommands are the technician lifecycle commands of 'admin tech'.
func techLifecycleCommands() []*command {
	return []*command{
		{name: "deactivate", summary: "stop a technician working here: sign them out everywhere and unlink their chat accounts",
			usage: "--email EMAIL",
			about: "Deactivate a technician: their console sessions end at once, they cannot sign in,\n" +
				"their Slack and Discord links are removed and they are offered to nobody as a\n" +
				"colleague. Requests they own stay theirs until an admin returns them to the\n" +
				"queue (return-requests) or closes them; their messages stay.\n" +
				"The last active admin cannot be deactivated.",
			setup: techActive(false)},
		{name: "return-requests", summary: "put a deactivated technician's open requests back in the queue",
			usage: "--email EMAIL",
			about: "Return a deactivated technician's open requests to the queue: each becomes New,\n" +
				"for any available technician with access to take; its customer reads that the\n" +
				"technician left.",
			setup: techReturn},
		{name: "reactivate", summary: "let a deactivated technician sign in again",
			usage: "--email EMAIL",
			about: "Reactivate a technician. They sign in as before; chat platform accounts must be\n" +
				"linked again.",
			setup: techActive(true)},
		{name: "role", summary: "make a technician an admin, or an admin a technician",
			usage: "--email EMAIL --role admin|technician",
			about: "Change a technician's role. The last active admin stays an admin.",
			setup: techRole},
	}
}

func techReturn(fs *flag.FlagSet) action {
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
			n, err := d.engine.ReturnRequests(ctx, core.SystemActor(), t.ID)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.Stdout, "%d open request(s) of %s are back in the queue\n", n, t.Email)
			return nil
		})
	}
}

// companyLifecycleCommands are the rename and archive commands of 'admin company'.
func companyLifecycleCommands() []*command {
	return []*command{
		{name: "rename", summary: "change a company's display name (its slug stays)",
			usage: "--slug SLUG --name NAME", setup: companyRename},
		{name: "archive", summary: "close a company's support desk: no new requests, history kept",
			usage: "--slug SLUG",
			about: "Archive a company: the widget, the portal and Telegram refuse new requests with\n" +
				"\"this support desk is closed\", and the console offers it in no picker. Its\n" +
				"requests and their history stay readable.",
			setup: companyArchive(true)},
		{name: "unarchive", summary: "open an archived company's support desk again",
			usage: "--slug SLUG", setup: companyArchive(false)},
	}
}

func techActive(active bool) func(fs *flag.FlagSet) action {
	return func(fs *flag.FlagSet) action {
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
				if active {
					if _, err := d.engine.ReactivateTechnician(ctx, core.SystemActor(), t.ID); err != nil {
						return fmt.Errorf("reactivate: %w", err)
					}
					fmt.Fprintf(c.Stdout, "%s is active again and can sign in; chat platform accounts must be linked again\n", t.Email)
					return nil
				}
				if _, err := d.engine.DeactivateTechnician(ctx, core.SystemActor(), t.ID); err != nil {
					return fmt.Errorf("deactivate: %w", err)
				}
				fmt.Fprintf(c.Stdout, "%s is deactivated: signed out everywhere, chat accounts unlinked\n", t.Email)
				owned, err := d.engine.OpenOwned(ctx, core.SystemActor())
				if err != nil {
					return fmt.Errorf("count their requests: %w", err)
				}
				if n := owned[t.ID]; n > 0 {
					fmt.Fprintf(c.Stdout, "note: %s still owns %d open request(s): relaydesk admin tech return-requests --email %s puts them back in the queue\n", t.Email, n, t.Email)
				}
				return nil
			})
		}
	}
}

func techRole(fs *flag.FlagSet) action {
	email := fs.String("email", "", "the technician's `email` address (required)")
	role := fs.String("role", "", "the new `role`: admin or technician (required)")
	return func(ctx context.Context, c *call) error {
		switch {
		case strings.TrimSpace(*email) == "":
			return usagef("--email is required")
		case !core.Role(*role).Valid():
			return usagef("--role %q: use admin or technician", *role)
		}
		return c.withDesk(ctx, func(d *desk) error {
			t, err := findTechnician(ctx, d, *email)
			if err != nil {
				return err
			}
			if _, err := d.engine.SetRole(ctx, core.SystemActor(), t.ID, core.Role(*role)); err != nil {
				return fmt.Errorf("change role: %w", err)
			}
			fmt.Fprintf(c.Stdout, "%s is now %s\n", t.Email, *role)
			return nil
		})
	}
}

func companyRename(fs *flag.FlagSet) action {
	slug := fs.String("slug", "", "the company's `slug` or ID (required)")
	name := fs.String("name", "", "the new display `name` (required)")
	return func(ctx context.Context, c *call) error {
		switch {
		case strings.TrimSpace(*slug) == "":
			return usagef("--slug is required")
		case strings.TrimSpace(*name) == "":
			return usagef("--name is required")
		}
		return c.withDesk(ctx, func(d *desk) error {
			co, err := findCompany(ctx, d, *slug)
			if err != nil {
				return err
			}
			out, err := d.engine.RenameCompany(ctx, core.SystemActor(), co.ID, *name)
			if err != nil {
				return fmt.Errorf("rename company: %w", err)
			}
			fmt.Fprintf(c.Stdout, "renamed company %s: %s -> %s\n", out.Slug, co.Name, out.Name)
			return nil
		})
	}
}

func companyArchive(archived bool) func(fs *flag.FlagSet) action {
	return func(fs *flag.FlagSet) action {
		slug := fs.String("slug", "", "the company's `slug` or ID (required)")
		return func(ctx context.Context, c *call) error {
			if strings.TrimSpace(*slug) == "" {
				return usagef("--slug is required")
			}
			return c.withDesk(ctx, func(d *desk) error {
				co, err := findCompany(ctx, d, *slug)
				if err != nil {
					return err
				}
				if _, err := d.engine.ArchiveCompany(ctx, core.SystemActor(), co.ID, archived); err != nil {
					if archived {
						return fmt.Errorf("archive company: %w", err)
					}
					return fmt.Errorf("unarchive company: %w", err)
				}
				if archived {
					fmt.Fprintf(c.Stdout, "archived company %s: it takes no new requests; its history stays\n", co.Slug)
				} else {
					fmt.Fprintf(c.Stdout, "company %s takes new requests again\n", co.Slug)
				}
				return nil
			})
		}
	}
}
