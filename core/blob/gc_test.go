package blob_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/blob"
	"github.com/relaydesk/relaydesk/core/blob/blobtest"
	"github.com/relaydesk/relaydesk/internal/testwait"
)

// named is the database's side: the blobs file rows name.
type named map[string]bool

func (f named) Referenced(_ context.Context, sums []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, s := range sums {
		if f[s] {
			out[s] = true
		}
	}
	return out, nil
}

func (f named) FileBlobs(_ context.Context, after string, limit int) ([]string, error) {
	var out []string
	for s := range f {
		if s > after {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out[:min(limit, len(out))], nil
}

// age makes blob sum of the directory store at root look stored d ago.
func age(tb testing.TB, root, name string, d time.Duration) {
	tb.Helper()
	p := filepath.Join(root, name[0:2], name[2:4], name)
	if !core.ValidBlobSum(name) {
		p = filepath.Join(root, name)
	}
	old := time.Now().Add(-d)
	if err := os.Chtimes(p, old, old); err != nil {
		tb.Fatal(err)
	}
}

// TestGCRemovesOnlyOldUnreferencedBlobs: a blob no file names is removed
// once older than the grace period; a blob a file names is kept however
// old, and a young blob is kept whoever names it, as are the bytes of an
// upload whose file row is about to be written.
func TestGCRemovesOnlyOldUnreferencedBlobs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := t.TempDir()
	d := blob.NewDir(root)
	put := func(b []byte) string {
		sum, _, err := d.Put(ctx, bytes.NewReader(b), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	orphan := put([]byte("an upload whose transaction failed"))
	used := put([]byte("a screenshot in a chat"))
	young := put([]byte("an upload being committed right now"))
	reput := put([]byte("old bytes uploaded again just now"))
	age(t, root, orphan, 25*time.Hour)
	age(t, root, used, 400*24*time.Hour)
	age(t, root, reput, 25*time.Hour)
	put([]byte("old bytes uploaded again just now")) // marks them as just stored
	leftover := filepath.Join(root, ".put-424242")
	if err := os.WriteFile(leftover, []byte("cut off by a crash"), 0o600); err != nil {
		t.Fatal(err)
	}
	age(t, root, ".put-424242", 30*time.Hour)

	gc := &blob.GC{Blobs: d, Files: named{used: true}, DryRun: true}
	c, err := gc.Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := blob.Collected{Removed: 1, RemovedBytes: 34, Uploads: 1, InUse: 1, Young: 2}
	if c != want {
		t.Errorf("dry run = %+v, want %+v", c, want)
	}
	for _, s := range []string{orphan, used, young, reput} {
		blobtest.ReadAll(t, d, s) // a dry run removes nothing
	}

	gc.DryRun = false
	if c, err = gc.Collect(ctx); err != nil || c != want {
		t.Errorf("Collect = %+v, %v; want %+v", c, err, want)
	}
	if _, err := d.Open(ctx, orphan); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("the old unreferenced blob is still there: %v", err)
	}
	if _, err := os.Stat(leftover); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the crashed upload's temp file is still there: %v", err)
	}
	for _, s := range []string{used, young, reput} {
		blobtest.ReadAll(t, d, s)
	}
	if c, err = gc.Collect(ctx); err != nil || c != (blob.Collected{InUse: 1, Young: 2}) {
		t.Errorf("a second Collect = %+v, %v; want nothing removed", c, err)
	}

	// With a shorter grace period the young ones go too, unless named.
	gc.Grace, gc.Now = time.Hour, func() time.Time { return time.Now().Add(2 * time.Hour) }
	if c, err = gc.Collect(ctx); err != nil || c.Removed != 2 || c.InUse != 1 {
		t.Errorf("Collect two hours later = %+v, %v; want the two unnamed ones removed", c, err)
	}
	blobtest.ReadAll(t, d, used)
}

// TestCopy copies every blob files name to another store, skips what the
// target has, reports what the source lacks, and refuses damaged bytes.
func TestCopy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srcRoot := t.TempDir()
	src, dst := blob.NewDir(srcRoot), blob.NewDir(t.TempDir())
	var sums []string
	for i := range 7 {
		sum, _, err := src.Put(ctx, bytes.NewReader(blobtest.Content(int64(1000*i), uint64(i))), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		sums = append(sums, sum)
	}
	orphan, _, _ := src.Put(ctx, bytes.NewReader([]byte("no file names this")), 1<<20)
	lost := blobtest.Sum([]byte("named by a file, lost from the disk"))
	fs := named{lost: true}
	for _, s := range sums {
		fs[s] = true
	}
	// The target has one already, from an interrupted earlier run.
	if _, _, err := dst.Put(ctx, bytes.NewReader(blobtest.Content(3000, 3)), 1<<20); err != nil {
		t.Fatal(err)
	}

	var reported []blob.Outcome
	st, err := blob.Copy(ctx, fs, src, dst, func(_ string, _ int64, o blob.Outcome) { reported = append(reported, o) })
	if err != nil {
		t.Fatal(err)
	}
	if want := (blob.CopyStats{Copied: 6, Present: 1, Missing: 1, Bytes: 1000 * (0 + 1 + 2 + 4 + 5 + 6)}); st != want {
		t.Errorf("Copy = %+v, want %+v", st, want)
	}
	if len(reported) != 8 {
		t.Errorf("Copy reported %v, want one outcome per named blob", reported)
	}
	for i, s := range sums {
		if got := blobtest.ReadAll(t, dst, s); !bytes.Equal(got, blobtest.Content(int64(1000*i), uint64(i))) {
			t.Errorf("blob %d differs in the target", i)
		}
	}
	if _, err := dst.Open(ctx, orphan); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("a blob no file names was copied: %v", err)
	}
	if st, err := blob.Copy(ctx, fs, src, dst, nil); err != nil || st != (blob.CopyStats{Present: 7, Missing: 1}) {
		t.Errorf("Copy again = %+v, %v; want everything present", st, err)
	}

	// A damaged copy in the source is not passed on as the blob.
	damaged := blobtest.Content(500, 99)
	sum, _, _ := src.Put(ctx, bytes.NewReader(damaged), 1<<20)
	p := filepath.Join(srcRoot, sum[0:2], sum[2:4], sum)
	if err := os.WriteFile(p, []byte("bit rot"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := blob.Copy(ctx, named{sum: true}, src, dst, nil); err == nil || !bytes.Contains([]byte(err.Error()), []byte("damaged")) {
		t.Errorf("Copy of a damaged blob: err = %v, want it refused as damaged", err)
	}
	if _, err := dst.Open(ctx, sum); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("the damaged blob reached the target under its name: %v", err)
	}
}

// TestGCRun: the collector serve runs sweeps after its first wait and
// stops, without an error, when its context ends.
func TestGCRun(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	root := t.TempDir()
	d := blob.NewDir(root)
	orphan, _, err := d.Put(ctx, bytes.NewReader([]byte("nobody names this")), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	age(t, root, orphan, 48*time.Hour)
	done := make(chan error, 1)
	go func() { done <- (&blob.GC{Blobs: d, Files: named{}}).Run(ctx, time.Millisecond, time.Hour) }()
	testwait.Eventually(t, "the collector to remove the old unreferenced blob", func() bool {
		_, err := d.Open(context.Background(), orphan)
		return errors.Is(err, core.ErrNotFound)
	})
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil once its context ends", err)
	}
}
