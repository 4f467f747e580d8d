package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/blob"
)

// filesCommands move uploaded files between stores and remove those no
// request names.
func filesCommands() *command {
	return &command{
		name:    "files",
		summary: "copy uploaded files to another store, remove those no request names",
		about: "Manage where uploaded files' contents are kept (FILES_URL): a directory, the PostgreSQL\n" +
			"database or S3-compatible object storage.",
		subs: []*command{
			{name: "migrate", summary: "copy every file to another store, before switching FILES_URL to it",
				usage: "--to FILES_URL",
				about: "Copy every file a request names from the current store (FILES_URL, or its default)\n" +
					"to another: file:///path, postgres or s3://bucket/prefix (with the FILES_S3_*\n" +
					"settings). Files the target has already are skipped, so an interrupted copy goes on\n" +
					"where it stopped when run again. relaydesk may keep serving meanwhile; once the copy\n" +
					"is done, set FILES_URL to the target, restart, and run it once more for files\n" +
					"uploaded in between.",
				setup: filesMigrate},
			{name: "gc", summary: "remove stored files that no request names",
				usage: "[--grace 24h] [--dry-run]",
				about: "Remove what the file store holds that no request names: the bytes of uploads whose\n" +
					"request was never saved, and what a crash left of unfinished uploads, once older than\n" +
					"the grace period. relaydesk serve does this every hour by itself.",
				setup: filesGC},
		},
	}
}

func filesMigrate(fs *flag.FlagSet) action {
	to := fs.String("to", "", "where to copy the files: `FILES_URL` of the target (required)")
	return func(ctx context.Context, c *call) error {
		if *to == "" {
			return usagef("--to is required")
		}
		return c.withDesk(ctx, func(d *desk) error {
			target, err := d.cfg.FilesAt(*to)
			if err != nil {
				return usagef("--to: %v", err)
			}
			if target.same(d.cfg.Files) {
				return usagef("--to names the store files are kept in now (%s)", target)
			}
			dst, err := openFiles(target, d.store)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.Stdout, "copying files from %s to %s\n", d.cfg.Files, target)
			n := 0
			st, err := blob.Copy(ctx, d.store, d.blobs, dst, func(sum string, size int64, o blob.Outcome) {
				n++
				switch o {
				case blob.Copied:
					fmt.Fprintf(c.Stdout, "%6d  copied   %s  %s\n", n, sum, core.FormatBytes(size))
				case blob.Missing:
					fmt.Fprintf(c.Stdout, "%6d  MISSING  %s  a request names it, but %s does not have it\n", n, sum, d.cfg.Files)
				}
			})
			summary := fmt.Sprintf("%d copied (%s), %d there already, %d missing from the current store",
				st.Copied, core.FormatBytes(st.Bytes), st.Present, st.Missing)
			if err != nil {
				fmt.Fprintf(c.Stdout, "stopped: %s\n", summary)
				return fmt.Errorf("%w\nrun the same command again to go on", err)
			}
			fmt.Fprintf(c.Stdout, "done: %s\n", summary)
			fmt.Fprintf(c.Stdout, "next: set FILES_URL=%s, restart relaydesk, and run this once more for files uploaded meanwhile\n", target.URL())
			return nil
		})
	}
}

func filesGC(fs *flag.FlagSet) action {
	grace := fs.Duration("grace", blob.DefaultGrace, "keep anything stored within this `duration`, named by a request or not")
	dry := fs.Bool("dry-run", false, "say what would be removed, and remove nothing")
	return func(ctx context.Context, c *call) error {
		// Shorter would race the uploads in flight, whose file rows are
		// written a moment after their bytes.
		if *grace < time.Hour {
			return usagef("--grace must be at least 1h")
		}
		return c.withDesk(ctx, func(d *desk) error {
			sw, ok := d.blobs.(blob.Sweeper)
			if !ok {
				return fmt.Errorf("files in %s cannot be listed", d.cfg.Files)
			}
			gc := &blob.GC{Blobs: sw, Files: d.store, Grace: *grace, DryRun: *dry, Log: d.log}
			col, err := gc.Collect(ctx)
			if err != nil {
				return err
			}
			verb := "removed"
			if *dry {
				verb = "would remove"
			}
			fmt.Fprintf(c.Stdout, "%s %s no request names (%s) and %s from %s\n", verb, plural(col.Removed, "file"),
				core.FormatBytes(col.RemovedBytes), plural(col.Uploads, "unfinished upload"), d.cfg.Files)
			fmt.Fprintf(c.Stdout, "kept %s requests name, and %d stored within the last %s\n",
				plural(col.InUse, "file"), col.Young, shortDuration(*grace))
			return nil
		})
	}
}

// shortDuration prints 24h rather than 24h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// plural is "1 file", "2 files".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
