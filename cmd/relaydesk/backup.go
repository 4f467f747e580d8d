package main

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/sqlstore"
)

// A backup is a gzip-compressed tar archive, written while the desk
// serves, from one consistent snapshot of its database:
//
//	manifest.json            format, schema version, dialect, when, what
//	files/<sha256>           every file the desk names, once each
//	tables/<table>.jsonl     per table (sqlstore.BackupTables, in order): a
//	                         line with the column names, then a line per row
//
// Rows are JSON arrays: numbers, strings, null, and {"b64": ...} for
// bytes. The format is the same for SQLite and PostgreSQL, so a backup of
// one restores into the other: the way from the embedded default to
// PostgreSQL as a desk grows. Files come before the tables, so a restore
// has stored every file before the rows that name them commit.

// backupFormat is the archive layout's version.
const backupFormat = 1

type manifest struct {
	Format    int       `json:"format"`
	Schema    int       `json:"schema"` // the newest migration of the database backed up
	Dialect   string    `json:"dialect"`
	Relaydesk string    `json:"relaydesk"`
	CreatedAt time.Time `json:"created_at"`
	Files     int       `json:"files"`
	Tables    []string  `json:"tables"`
}

// backup writes the desk's backup to file (written beside it, then
// renamed: a failed backup leaves no half archive under that name).
func (c *call) backup(ctx context.Context) error {
	file := c.args[0]
	return c.withDesk(ctx, func(d *desk) error {
		tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".*")
		if err != nil {
			return fmt.Errorf("create the backup: %w", err)
		}
		defer os.Remove(tmp.Name())
		sum, err := writeBackup(ctx, d, tmp)
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		if err := os.Rename(tmp.Name(), file); err != nil {
			return fmt.Errorf("create the backup: %w", err)
		}
		fmt.Fprintf(c.Stdout, "backed up %d files and %d rows of %s to %s\n", sum.files, sum.rows, d.store, file)
		return nil
	})
}

type backupSummary struct{ files, rows int }

func writeBackup(ctx context.Context, d *desk, w io.Writer) (backupSummary, error) {
	var sum backupSummary
	snap, err := d.store.Snapshot(ctx)
	if err != nil {
		return sum, err
	}
	defer snap.Close()
	schema, err := d.store.SchemaVersion(ctx)
	if err != nil {
		return sum, err
	}
	blobs, err := snap.Blobs(ctx)
	if err != nil {
		return sum, err
	}
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	now := time.Now().UTC().Truncate(time.Second)
	m := manifest{Format: backupFormat, Schema: schema, Dialect: d.store.Dialect(), Relaydesk: version,
		CreatedAt: now, Files: len(blobs), Tables: sqlstore.BackupTables}
	mb, _ := json.MarshalIndent(m, "", "  ")
	if err := writeEntry(tw, "manifest.json", now, int64(len(mb)), strings.NewReader(string(mb))); err != nil {
		return sum, err
	}
	for _, b := range blobs {
		rc, err := d.blobs.Open(ctx, b.SHA256)
		if err != nil {
			return sum, fmt.Errorf("back up file %s: %w", b.SHA256, err)
		}
		err = writeEntry(tw, "files/"+b.SHA256, now, b.Size, rc)
		rc.Close()
		if err != nil {
			return sum, fmt.Errorf("back up file %s: %w", b.SHA256, err)
		}
		sum.files++
	}
	for _, table := range sqlstore.BackupTables {
		// A table's lines are staged in a temporary file: a tar entry
		// states its size before its bytes.
		stage, err := os.CreateTemp("", "relaydesk-backup-*")
		if err != nil {
			return sum, err
		}
		bw := bufio.NewWriter(stage)
		enc := json.NewEncoder(bw)
		err = snap.Table(ctx, table, func(cols []string) error { return enc.Encode(cols) }, func(vals []any) error {
			sum.rows++
			return enc.Encode(encodeRow(vals))
		})
		if err == nil {
			err = bw.Flush()
		}
		if err == nil {
			var size int64
			if size, err = stage.Seek(0, io.SeekCurrent); err == nil {
				if _, err = stage.Seek(0, io.SeekStart); err == nil {
					err = writeEntry(tw, "tables/"+table+".jsonl", now, size, stage)
				}
			}
		}
		stage.Close()
		os.Remove(stage.Name())
		if err != nil {
			return sum, fmt.Errorf("back up %s: %w", table, err)
		}
	}
	if err := tw.Close(); err != nil {
		return sum, err
	}
	return sum, zw.Close()
}

func writeEntry(tw *tar.Writer, name string, at time.Time, size int64, r io.Reader) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: size, ModTime: at, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	n, err := io.Copy(tw, io.LimitReader(r, size+1))
	if err == nil && n != size {
		err = fmt.Errorf("%s: %d bytes where %d were expected", name, n, size)
	}
	return err
}

// encodeRow makes a row's values JSON: bytes as {"b64": ...}.
func encodeRow(vals []any) []any {
	out := make([]any, len(vals))
	for i, v := range vals {
		if b, ok := v.([]byte); ok {
			v = map[string]string{"b64": base64.StdEncoding.EncodeToString(b)}
		}
		out[i] = v
	}
	return out
}

// decodeRow undoes encodeRow; whole numbers come back as int64.
func decodeRow(raw []any) ([]any, error) {
	out := make([]any, len(raw))
	for i, v := range raw {
		switch x := v.(type) {
		case json.Number:
			if n, err := x.Int64(); err == nil {
				out[i] = n
			} else if f, err := x.Float64(); err == nil {
				out[i] = f
			} else {
				return nil, fmt.Errorf("value %q", x)
			}
		case map[string]any:
			s, _ := x["b64"].(string)
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return nil, fmt.Errorf("bytes: %w", err)
			}
			out[i] = b
		case nil, string, bool:
			out[i] = x
		default:
			return nil, fmt.Errorf("a value of type %T", v)
		}
	}
	return out, nil
}

// restore loads a backup into an empty database: its schema is brought
// to the backup's, the files go to the configured store, the rows are
// inserted in one transaction, and the schema is then migrated to this
// relaydesk's.
func (c *call) restore(ctx context.Context) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	f, err := os.Open(c.args[0])
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		return fmt.Errorf("%s is not a relaydesk backup: %w", c.args[0], err)
	}
	tr := tar.NewReader(zr)
	hdr, err := tr.Next()
	if err != nil || hdr.Name != "manifest.json" {
		return fmt.Errorf("%s is not a relaydesk backup (no manifest.json first)", c.args[0])
	}
	var m manifest
	if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&m); err != nil {
		return fmt.Errorf("%s: manifest.json: %w", c.args[0], err)
	}
	if m.Format != backupFormat {
		return fmt.Errorf("%s is a backup of format %d; this relaydesk reads format %d", c.args[0], m.Format, backupFormat)
	}

	log := newLogger(cfg, c.Stderr)
	s, err := c.openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer s.Close()
	all, err := sqlstore.Migrations(s.Dialect())
	if err != nil {
		return err
	}
	if latest := all[len(all)-1].Version; m.Schema > latest {
		return fmt.Errorf("the backup's schema (%d) is newer than this relaydesk's (%d): restore it with the relaydesk that made it (%s) or a newer one",
			m.Schema, latest, m.Relaydesk)
	}
	if _, err := s.MigrateTo(ctx, m.Schema); err != nil {
		return fmt.Errorf("migrate %s: %w", s, err)
	}
	if v, err := s.SchemaVersion(ctx); err != nil {
		return err
	} else if v != m.Schema {
		return fmt.Errorf("%s has schema %d, newer than the backup's (%d): restore into a new, empty database", s, v, m.Schema)
	}
	if empty, err := s.Empty(ctx); err != nil {
		return err
	} else if !empty {
		return fmt.Errorf("%s already holds a desk: restore into a new, empty database", s)
	}
	blobs, err := openFiles(cfg.Files, s)
	if err != nil {
		return err
	}

	files, rows := 0, 0
	err = s.Load(ctx, func(l *sqlstore.Loader) error {
		for {
			hdr, err := tr.Next()
			if errors.Is(err, io.EOF) {
				return nil
			} else if err != nil {
				return fmt.Errorf("read the backup: %w", err)
			}
			dir, name := path.Split(hdr.Name)
			switch dir {
			case "files/":
				if err := restoreFile(ctx, blobs, name, tr); err != nil {
					return err
				}
				files++
			case "tables/":
				n, err := restoreTable(ctx, l, strings.TrimSuffix(name, ".jsonl"), tr)
				if err != nil {
					return err
				}
				rows += n
			default:
				return fmt.Errorf("the backup holds %s, which relaydesk did not write", hdr.Name)
			}
		}
	})
	if err != nil {
		return err
	}
	applied, err := s.Migrate(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s after the restore: %w", s, err)
	}
	fmt.Fprintf(c.Stdout, "restored %d files and %d rows into %s (backup of %s, %s)", files, rows, s, m.CreatedAt.Format(time.RFC3339), m.Dialect)
	if len(applied) > 0 {
		fmt.Fprintf(c.Stdout, "; then applied %s", strings.Join(applied, ", "))
	}
	fmt.Fprintln(c.Stdout)
	return nil
}

func restoreFile(ctx context.Context, blobs core.BlobStore, name string, r io.Reader) error {
	if !core.ValidBlobSum(name) {
		return fmt.Errorf("the backup holds a file named %q, which is no SHA-256", name)
	}
	h := sha256.New()
	got, _, err := blobs.Put(ctx, io.TeeReader(r, h), math.MaxInt64)
	if err != nil {
		return fmt.Errorf("restore file %s: %w", name, err)
	}
	if got != name || hex.EncodeToString(h.Sum(nil)) != name {
		return fmt.Errorf("the backup's file %s is damaged: its bytes hash to %s", name, got)
	}
	return nil
}

func restoreTable(ctx context.Context, l *sqlstore.Loader, table string, r io.Reader) (int, error) {
	dec := json.NewDecoder(bufio.NewReader(r))
	dec.UseNumber()
	var cols []string
	if err := dec.Decode(&cols); err != nil {
		return 0, fmt.Errorf("restore %s: its column line: %w", table, err)
	}
	n := 0
	for {
		var raw []any
		if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
			return n, nil
		} else if err != nil {
			return n, fmt.Errorf("restore %s, row %d: %w", table, n+1, err)
		}
		vals, err := decodeRow(raw)
		if err != nil {
			return n, fmt.Errorf("restore %s, row %d: %w", table, n+1, err)
		}
		if err := l.Insert(ctx, table, cols, vals); err != nil {
			return n, err
		}
		n++
	}
}
