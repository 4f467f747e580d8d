// Package blob keeps file contents in a local directory, addressed by the hex
// SHA-256 of their bytes: it implements core.BlobStore.
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
	return &Dir{root: root}
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
	if _, err := os.Stat(dst); err == nil {
		// Same hash, same bytes: keep the copy we have. The deferred
		// cleanup removes the temp file.
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
	if !validSum(sum) {
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

// path is where the blob sum lives; sum must be valid.
func (d *Dir) path(sum string) string {
	return filepath.Join(d.root, sum[0:2], sum[2:4], sum)
}

// validSum reports whether s is a hex SHA-256 as Put returns it. Upper case
// is refused rather than folded so that one blob has exactly one name.
func validSum(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ctxReader stops a copy between reads once ctx is done, so that an upload
// from a client that went away, or a server shutting down, does not keep
// reading.
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
