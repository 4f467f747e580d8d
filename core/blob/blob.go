// Package blob keeps file contents in a local directory, addressed by the hex
// SHA-256 of their bytes: it implements core.BlobStore. It also does what
// works on any store: copying every file to another store (Copy), and
// removing blobs no file names (GC).
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/relaydesk/relaydesk/core"
)

// Dir is a core.BlobStore in a local directory. A blob lives at
// root/ab/cd/abcd…, two levels of fan-out so that no single directory grows
// to hundreds of thousands of entries. Incoming bytes are first written to a
// temporary file in root itself, on the same file system as the final
// place, so that the rename that publishes them is atomic.
type Dir struct {
	root string
}

var _ core.BlobStore = (*Dir)(nil)

// NewDir returns a store rooted at root. It does no I/O: root and the fan-out
// directories are created by the first Put that needs them.
func NewDir(root string) *Dir {
	return &Dir{root: filepath.Clean(root)}
}

// Put streams r into the store and returns the hex SHA-256 and size of its
// bytes. It reads at most max+1 bytes: one more than allowed is enough to know
// the file is too large, and the rest is never read. A refused or failed Put
// leaves nothing behind. Storing content that is already there succeeds and
// keeps the one copy.
func (d *Dir) Put(ctx context.Context, r io.Reader, max int64) (string, int64, error) {
	if max < 0 {
		return "", 0, fmt.Errorf("blob put: negative size limit %d", max)
	}
	if err := ctx.Err(); err != nil {
		return "", 0, fmt.Errorf("blob put: %w", err)
	}
	if err := os.MkdirAll(d.root, 0o750); err != nil {
		return "", 0, fmt.Errorf("blob put: create root: %w", err)
	}
	tmp, err := os.CreateTemp(d.root, ".put-*")
	if err != nil {
		return "", 0, fmt.Errorf("blob put: create temp file: %w", err)
	}
	// Until the rename succeeds the temp file is garbage, whatever the
	// reason we leave early.
	published := false
	defer func() {
		if !published {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()

	limit := max + 1
	if limit < 0 { // max is math.MaxInt64: nothing can be larger.
		limit = math.MaxInt64
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(ctxReader{ctx, r}, limit))
	if err != nil {
		return "", 0, fmt.Errorf("blob put: copy: %w", err)
	}
	if n > max {
		return "", 0, fmt.Errorf("blob put: %w",
			core.Errorf(core.CodeTooLarge, "the file is larger than %s, the most accepted here", core.FormatBytes(max)))
	}
	// Sync before the rename: otherwise a crash could leave a complete-looking
	// name pointing at missing bytes, and content addressing would then trust
	// it forever.
	if err := tmp.Sync(); err != nil {
		return "", 0, fmt.Errorf("blob put: sync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return "", 0, fmt.Errorf("blob put: close %s: %w", tmp.Name(), err)
	}

	sum := hex.EncodeToString(h.Sum(nil))
	dst := d.path(sum)
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return "", 0, fmt.Errorf("blob put %s: create directory: %w", sum, err)
	}
	// Same hash, same bytes: keep the copy we have, marked as just stored
	// so that the garbage collector, which takes only blobs stored before
	// its grace period, leaves it to the file row the caller is about to
	// write. The deferred cleanup removes the temp file.
	now := time.Now()
	if err := os.Chtimes(dst, now, now); err == nil {
		return sum, n, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", 0, fmt.Errorf("blob put %s: %w", sum, err)
	}
	// Two Puts of the same content may both get here; the later rename then
	// replaces identical bytes, which readers cannot tell apart.
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", 0, fmt.Errorf("blob put %s: publish: %w", sum, err)
	}
	published = true
	// The rename is durable only once its directory is synced.
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return "", 0, fmt.Errorf("blob put %s: %w", sum, err)
	}
	return sum, n, nil
}

// Open returns the blob whose hex SHA-256 is sum. The caller closes it.
// A sum that is not 64 lower-case hex digits is refused with CodeInvalid
// before it reaches the file system, so that no caller can name a path
// outside the root; a missing blob is CodeNotFound.
func (d *Dir) Open(ctx context.Context, sum string) (io.ReadCloser, error) {
	if !core.ValidBlobSum(sum) {
		// The message does not echo sum: it is client input of any length.
		return nil, fmt.Errorf("blob open: %w", core.Errorf(core.CodeInvalid, "that is not a valid file reference"))
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("blob open %s: %w", sum, err)
	}
	f, err := os.Open(d.path(sum))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob open %s: %w", sum, core.Errorf(core.CodeNotFound, "the file is no longer stored"))
	}
	if err != nil {
		return nil, fmt.Errorf("blob open %s: %w", sum, err)
	}
	return f, nil
}

// String describes the store for logs.
func (d *Dir) String() string { return "directory " + d.root }

// List calls fn with every blob in the store, by its hex SHA-256, and with
// every temp file an interrupted Put left behind (a crash between its
// creation and the rename), by its name: each with its size and when it
// was last stored. fn may Delete what it is given.
func (d *Dir) List(ctx context.Context, fn func(name string, size int64, stored time.Time) error) error {
	err := filepath.WalkDir(d.root, func(p string, e fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == d.root {
			return fs.SkipAll // nothing was ever stored
		}
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !e.Type().IsRegular() {
			return nil
		}
		name := e.Name()
		if filepath.Dir(p) == d.root {
			if !tempName(name) {
				return nil // not ours
			}
		} else if !core.ValidBlobSum(name) || d.path(name) != p {
			return nil
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed since the directory was read
		} else if err != nil {
			return err
		}
		return fn(name, info.Size(), info.ModTime())
	})
	if err != nil {
		return fmt.Errorf("blob list %s: %w", d.root, err)
	}
	return nil
}

// Delete removes the blob or temp file that List named name if it was
// last stored before before, and reports whether it did. A Put of the same
// bytes between the check and the removal would be undone: the grace
// period the garbage collector gives blobs makes that a race with an
// upload of the very bytes nobody has used for that long.
func (d *Dir) Delete(ctx context.Context, name string, before time.Time) (bool, error) {
	var p string
	switch {
	case core.ValidBlobSum(name):
		p = d.path(name)
	case tempName(name):
		p = filepath.Join(d.root, name)
	default:
		return false, fmt.Errorf("blob delete: %w", core.Errorf(core.CodeInvalid, "that is not a blob or an upload of this store"))
	}
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("blob delete %s: %w", name, err)
	}
	info, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("blob delete %s: %w", name, err)
	}
	if !info.ModTime().Before(before) {
		return false, nil
	}
	if err := os.Remove(p); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("blob delete %s: %w", name, err)
	}
	// Empty fan-out directories go too; one that is not empty stays.
	for dir := filepath.Dir(p); dir != d.root && strings.HasPrefix(dir, d.root); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil {
			break
		}
	}
	return true, nil
}

// tempName reports whether name is a temp file of Put, ".put-" and the
// digits os.CreateTemp puts in place of the star.
func tempName(name string) bool {
	digits, ok := strings.CutPrefix(name, ".put-")
	if !ok || digits == "" {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// path is where the blob sum lives; sum must be valid.
func (d *Dir) path(sum string) string {
	return filepath.Join(d.root, sum[0:2], sum[2:4], sum)
}

// ContextReader is r stopping between reads once ctx is done, so that an
// upload from a client that went away, or a server shutting down, does
// not keep reading. Every BlobStore's Put reads through one.
func ContextReader(ctx context.Context, r io.Reader) io.Reader { return ctxReader{ctx, r} }

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// syncDir flushes a directory's entries, making a rename into it durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
