package main_test

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/blob"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestBackupRestore: a desk with requests, messages both ways, a private
// note, files, a closed request with its closing note, identities, a queue
// channel, a card, notification settings, a link code and a Telegram
// offset is backed up by `relaydesk backup` and restored by `relaydesk
// restore` into an empty database, on SQLite and PostgreSQL and from one
// to the other. Every table the backup holds reads the same afterwards,
// every file's bytes come back from the new store, and the restored desk
// goes on (the next request number follows).
func TestBackupRestore(t *testing.T) {
	t.Parallel()
	bs := backends()
	for _, tt := range []struct{ from, to backend }{{bs[0], bs[0]}, {bs[1], bs[1]}, {bs[0], bs[1]}, {bs[1], bs[0]}} {
		t.Run(tt.from.name+" to "+tt.to.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			src := newProgram(t, tt.from.url(t))
			filesDir := filepath.Join(t.TempDir(), "files")
			src.env["FILES_URL"] = "file://" + filesDir
			if code, _, errs := src.run("", "migrate"); code != 0 {
				t.Fatalf("migrate: exit %d\n%s", code, errs)
			}
			s := storetest.Open(t, src.env["DATABASE_URL"])
			files := seedDesk(t, s, blob.NewDir(filesDir))

			archive := filepath.Join(t.TempDir(), "desk.tar.gz")
			code, out, errs := src.run("", "backup", archive)
			if code != 0 || !strings.Contains(out, "backed up 2 files") {
				t.Fatalf("backup: exit %d\n%s%s", code, out, errs)
			}

			dst := newProgram(t, tt.to.url(t))
			code, out, errs = dst.run("", "restore", archive)
			if code != 0 || !strings.Contains(out, "restored 2 files") {
				t.Fatalf("restore: exit %d\n%s%s", code, out, errs)
			}
			r := storetest.Open(t, dst.env["DATABASE_URL"])
			if got, want := comparable(storetest.SnapshotOf(t, r, sqlstore.BackupTables...)),
				comparable(storetest.SnapshotOf(t, s, sqlstore.BackupTables...)); got != want {
				t.Errorf("the restored desk differs:\n--- restored\n%s\n--- backed up\n%s", got, want)
			}
			var restored core.BlobStore = blob.NewDir(filepath.Join(dst.env["DATA_DIR"], "files"))
			if r.Dialect() == "postgres" {
				restored = r.Blobs()
			}
			for sum, data := range files {
				rc, err := restored.Open(ctx, sum)
				if err != nil {
					t.Fatalf("file %s after the restore: %v", sum, err)
				}
				got, _ := io.ReadAll(rc)
				rc.Close()
				if !bytes.Equal(got, data) {
					t.Errorf("file %s came back as %q, want %q", sum, got, data)
				}
			}
			acme, err := r.CompanyBySlug(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			eng := core.NewEngine(core.Config{Store: r, Blobs: restored})
			o, err := eng.OpenRequest(ctx, core.OpenRequest{CompanyID: acme.ID, Email: "next@example.com", Message: "after the restore"})
			if err != nil || o.Request.Number != 1002 {
				t.Fatalf("a request after the restore: #%d, %v; want #1002", o.Request.Number, err)
			}

			// A database that holds a desk is never restored into.
			before := storetest.Snapshot(t, r)
			if code, _, errs := dst.run("", "restore", archive); code != 1 || !strings.Contains(errs, "already holds a desk") {
				t.Errorf("restore into a desk: exit %d\n%s", code, errs)
			}
			if after := storetest.Snapshot(t, r); after != before {
				t.Error("a refused restore changed the database")
			}
		})
	}
}

// seedDesk fills s with a bit of everything a desk keeps, files in blobs,
// and returns the files' bytes by SHA-256.
func seedDesk(t *testing.T, s *sqlstore.Store, blobs core.BlobStore) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	d := storetest.NewDesk(t, s)
	e := core.NewEngine(core.Config{Store: s, Blobs: blobs})
	alice, sys := core.TechnicianActor(d.Alice.ID), core.SystemActor()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	o := d.Live(t)
	cust := core.CustomerActor(o.Participant.ID)
	_, err := e.PostMessage(ctx, cust, o.Request.ID, core.Post{Body: "it smells of smoke\nand beeps"})
	must(err)
	_, err = e.PostMessage(ctx, alice, o.Request.ID, core.Post{Body: "Unplug it, please: ünïcödé ✓"})
	must(err)
	_, err = e.AddNote(ctx, alice, o.Request.ID, core.Note{Body: "third fire this month"})
	must(err)
	files := map[string][]byte{}
	for i, body := range []string{"printer log: error 0x0F at 3 am", "a second file"} {
		by := cust
		if i == 1 {
			by = alice
		}
		_, f, err := e.AttachFile(ctx, by, o.Request.ID, core.Upload{Name: "file" + string(rune('a'+i)) + ".txt",
			Body: strings.NewReader(body)})
		must(err)
		files[f.SHA256] = []byte(body)
	}
	_, err = e.MarkRead(ctx, alice, o.Request.ID, 2) // read marks come back too
	must(err)
	_, err = e.Close(ctx, alice, o.Request.ID, "replaced the fuser")
	must(err)
	d.Open(t, d.Globex, "gina@globex.example", "a second company's request")
	must(e.LinkIdentity(ctx, sys, core.Identity{Platform: "slack", ExternalID: "U0ALICE", Subject: core.ActorTechnician, SubjectID: d.Alice.ID}))
	_, err = e.BindChannel(ctx, sys, "slack", d.Acme.ID, "C0ACME")
	must(err)
	must(s.SaveCard(ctx, core.Card{Platform: "slack", RequestID: o.Request.ID, Channel: "C0ACME", Message: "1700.1", Thread: "C0ACME/1700.1"}))
	must(s.SetNotify(ctx, "slack", d.Alice.ID, true))
	must(s.AddLinkCode(ctx, "discord", strings.Repeat("ab", 32), d.Bob.ID, time.Now().Add(time.Hour)))
	must(s.SetBotState(ctx, "telegram:1:offset", "4711"))
	return files
}

// comparable drops what a restore rightly changes: the transaction an
// event was committed in (the restore's own).
func comparable(snapshot string) string { return txids.ReplaceAllString(snapshot, "") }

var txids = regexp.MustCompile(`txid=\d+ `)
