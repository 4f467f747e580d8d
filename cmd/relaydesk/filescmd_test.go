package main_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/blob"
	"github.com/relaydesk/relaydesk/core/blob/blobtest"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// fakeS3 is an S3-compatible server on loopback with one bucket, and the
// settings that point relaydesk at it.
func fakeS3(t *testing.T) (env map[string]string, bucket string) {
	t.Helper()
	backend := s3mem.New()
	bucket = "desk-files"
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	return map[string]string{"FILES_S3_ENDPOINT": srv.URL, "FILES_S3_REGION": "us-east-1",
		"FILES_S3_ACCESS_KEY": "test-key", "FILES_S3_SECRET_KEY": "test-secret-never-printed", "FILES_S3_PATH_STYLE": "true"}, bucket
}

// TestFilesMigrate: files uploaded to a directory are copied by `files
// migrate` to the database and to a bucket, skipping what the target
// has; after switching FILES_URL, serve hands them out from there.
func TestFilesMigrate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		backend int
		to      func(t *testing.T, p *program) string // sets up the target, returns its FILES_URL
		logs    string                                // what serve logs as where files are
	}{
		{"directory to PostgreSQL", 1, func(t *testing.T, p *program) string { return "postgres" }, "the PostgreSQL database"},
		{"directory to S3", 0, func(t *testing.T, p *program) string {
			env, bucket := fakeS3(t)
			for k, v := range env {
				p.env[k] = v
			}
			return "s3://" + bucket + "/relaydesk"
		}, "s3://desk-files/relaydesk/ at http://127.0.0.1:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newProgram(t, backends()[tt.backend].url(t))
			p.env["HTTP_ADDR"] = "127.0.0.1:0"
			dir := filepath.Join(t.TempDir(), "uploads")
			p.env["FILES_URL"] = "file://" + dir
			target := tt.to(t, p)
			key := createCompany(t, p)

			srv := p.serve()
			token := widgetOpen(t, srv.base, key)
			contents := map[string][]byte{}
			for i, name := range []string{"one.txt", "two.log", "three.txt"} {
				c := []byte(fmt.Sprintf("file %d: %s\n", i, strings.Repeat("x", 1000*(i+1))))
				contents[widgetUpload(t, srv.base, token, name, c)] = c
			}
			srv.stop()

			code, out, errs := p.run("", "files", "migrate", "--to", target)
			if code != 0 {
				t.Fatalf("files migrate: exit %d\n%s%s", code, out, errs)
			}
			for _, want := range []string{"copying files from directory " + dir, "done: 3 copied", "0 there already", "next: set FILES_URL="} {
				if !strings.Contains(out, want) {
					t.Errorf("the output lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out+errs, "test-secret-never-printed") {
				t.Errorf("the secret key was printed:\n%s%s", out, errs)
			}
			// Run again: everything is there already.
			if code, out, errs := p.run("", "files", "migrate", "--to", target); code != 0 || !strings.Contains(out, "done: 0 copied (0 bytes), 3 there already") {
				t.Errorf("files migrate again: exit %d\n%s%s", code, out, errs)
			}
			// Copying to where files are kept now is a mistake.
			if code, _, errs := p.run("", "files", "migrate", "--to", "file://"+dir); code != 2 || !strings.Contains(errs, "names the store files are kept in now") {
				t.Errorf("files migrate to the same store: exit %d\n%s", code, errs)
			}

			// The operator switches FILES_URL; the old directory goes away.
			p.env["FILES_URL"] = target
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
			srv = p.serve()
			for id, want := range contents {
				if code, got := widgetDownload(t, srv.base, token, id); code != http.StatusOK || !bytes.Equal(got, want) {
					t.Errorf("after the switch file %s: %d %q, want %q", id, code, got, want)
				}
			}
			if !strings.Contains(srv.log.String(), "files=\""+tt.logs) {
				t.Errorf("serve does not say where files are kept:\n%s", srv.log.String())
			}
		})
	}
}

// TestFilesMigrateResumes: a copy cut short goes on where it stopped, and
// a file a request names but the store lost is reported, not fatal.
func TestFilesMigrateResumes(t *testing.T) {
	t.Parallel()
	dbURL := storetest.MigratedPostgresURL(t)
	p := newProgram(t, dbURL)
	dir := filepath.Join(t.TempDir(), "uploads")
	p.env["FILES_URL"] = "file://" + dir
	createCompany(t, p)

	ctx := context.Background()
	s := storetest.Open(t, dbURL)
	e := core.NewEngine(core.Config{Store: s, Blobs: blob.NewDir(dir)})
	co, err := s.CompanyBySlug(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	o, err := e.OpenRequest(ctx, core.OpenRequest{CompanyID: co.ID, Email: "tess@example.com", Message: "files"})
	if err != nil {
		t.Fatal(err)
	}
	var sums []string
	for i := range 4 {
		_, f, err := e.AttachFile(ctx, core.CustomerActor(o.Participant.ID), o.Request.ID,
			core.Upload{Name: fmt.Sprintf("f%d.txt", i), Body: strings.NewReader(fmt.Sprintf("content %d\n", i))})
		if err != nil {
			t.Fatal(err)
		}
		sums = append(sums, f.SHA256)
	}
	// An earlier run copied one before it was stopped; one was lost.
	if _, _, err := s.Blobs().Put(ctx, strings.NewReader("content 0\n"), 1<<20); err != nil {
		t.Fatal(err)
	}
	if _, err := blob.NewDir(dir).Delete(ctx, sums[3], time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	code, out, errs := p.run("", "files", "migrate", "--to", "postgres")
	if code != 0 {
		t.Fatalf("files migrate: exit %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{"done: 2 copied (20 bytes), 1 there already, 1 missing", "MISSING  " + sums[3]} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	for _, sum := range sums[:3] {
		blobtest.ReadAll(t, s.Blobs(), sum)
	}
}

// TestFilesGC: `relaydesk files gc` removes a stored file no request
// names once it is older than the grace period, and keeps the files
// requests name and the young ones; --dry-run only counts. On SQLite
// (files in a directory) and PostgreSQL (files in the database).
func TestFilesGC(t *testing.T) {
	t.Parallel()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			dbURL := b.url(t)
			p := newProgram(t, dbURL)
			createCompany(t, p)
			ctx := context.Background()
			s := storetest.Open(t, dbURL)
			var blobs core.BlobStore = s.Blobs()
			root := filepath.Join(p.env["DATA_DIR"], "files")
			if s.Dialect() == "sqlite" {
				blobs = blob.NewDir(root)
			}
			// makeOld makes a blob look stored two days ago.
			makeOld := func(sum string) {
				old := time.Now().Add(-48 * time.Hour)
				if s.Dialect() == "sqlite" {
					if err := os.Chtimes(filepath.Join(root, sum[:2], sum[2:4], sum), old, old); err != nil {
						t.Fatal(err)
					}
					return
				}
				s.DB().MustExec(`UPDATE blobs SET stored_at = $1 WHERE sha256 = $2`, old.UnixMicro(), sum)
			}
			e := core.NewEngine(core.Config{Store: s, Blobs: blobs})
			co, _ := s.CompanyBySlug(ctx, "acme")
			o, err := e.OpenRequest(ctx, core.OpenRequest{CompanyID: co.ID, Email: "tess@example.com", Message: "files"})
			if err != nil {
				t.Fatal(err)
			}
			_, used, err := e.AttachFile(ctx, core.CustomerActor(o.Participant.ID), o.Request.ID,
				core.Upload{Name: "kept.txt", Body: strings.NewReader("a file of a request\n")})
			if err != nil {
				t.Fatal(err)
			}
			put := func(content string) string {
				sum, _, err := blobs.Put(ctx, strings.NewReader(content), 1<<20)
				if err != nil {
					t.Fatal(err)
				}
				return sum
			}
			orphan := put("an upload whose request was never saved\n")
			young := put("an upload being saved right now\n")
			makeOld(orphan)
			makeOld(used.SHA256)

			gc := func(args ...string) string {
				t.Helper()
				code, out, errs := p.run("", append([]string{"files", "gc"}, args...)...)
				if code != 0 {
					t.Fatalf("files gc %v: exit %d\n%s%s", args, code, out, errs)
				}
				return out
			}
			if out := gc("--dry-run"); !strings.Contains(out, "would remove 1 file no request names (40 bytes) and 0 unfinished uploads") ||
				!strings.Contains(out, "kept 1 file requests name, and 1 stored within the last 24h") {
				t.Errorf("files gc --dry-run said:\n%s", out)
			}
			blobtest.ReadAll(t, blobs, orphan)
			out := gc()
			if !strings.Contains(out, "removed 1 file no request names (40 bytes)") {
				t.Errorf("files gc said:\n%s", out)
			}
			if _, err := blobs.Open(ctx, orphan); !strings.Contains(fmt.Sprint(err), "no longer stored") {
				t.Errorf("the old unreferenced file is still there: %v", err)
			}
			blobtest.ReadAll(t, blobs, used.SHA256)
			blobtest.ReadAll(t, blobs, young)
			if code, _, errs := p.run("", "files", "gc", "--grace", "10m"); code != 2 || !strings.Contains(errs, "at least 1h") {
				t.Errorf("files gc --grace 10m: exit %d\n%s", code, errs)
			}
		})
	}
}
