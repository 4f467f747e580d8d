package blob_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/blob"
)

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// files lists the regular files under root, relative to it.
func files(tb testing.TB, root string) []string {
	tb.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == root {
			return fs.SkipAll // Put never ran far enough to create root.
		}
		if err != nil {
			return err
		}
		if e.Type().IsRegular() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("walk %s: %v", root, err)
	}
	return out
}

func readAll(tb testing.TB, d *blob.Dir, s string) []byte {
	tb.Helper()
	rc, err := d.Open(context.Background(), s)
	if err != nil {
		tb.Fatalf("Open(%s): %v", s, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		tb.Fatalf("read %s: %v", s, err)
	}
	return b
}

func TestPutOpenRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		content []byte
	}{
		{"empty", nil},
		{"text", []byte("hello, relaydesk\n")},
		{"larger than one copy buffer", bytes.Repeat([]byte("0123456789abcdef"), 10_000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "blobs") // not there yet: Put creates it
			d := blob.NewDir(root)
			got, size, err := d.Put(context.Background(), bytes.NewReader(tt.content), 1<<20)
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			if want := sum(tt.content); got != want {
				t.Errorf("Put hash = %s, want %s", got, want)
			}
			if size != int64(len(tt.content)) {
				t.Errorf("Put size = %d, want %d", size, len(tt.content))
			}
			if b := readAll(t, d, got); !bytes.Equal(b, tt.content) {
				t.Errorf("Open returned %d bytes that differ from the %d stored", len(b), len(tt.content))
			}
			want := got[0:2] + "/" + got[2:4] + "/" + got
			if on := files(t, root); len(on) != 1 || on[0] != want {
				t.Errorf("files on disk = %v, want [%s]", on, want)
			}
		})
	}
}

func TestPutSizeLimit(t *testing.T) {
	const max = 1000
	tests := []struct {
		name    string
		size    int
		wantErr bool
	}{
		{"below max", max - 1, false},
		{"exactly max", max, false},
		{"one byte over", max + 1, true},
		{"far over", 50 * max, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			d := blob.NewDir(root)
			content := bytes.Repeat([]byte{'x'}, tt.size)
			src := &countingReader{r: bytes.NewReader(content)}
			got, size, err := d.Put(context.Background(), src, max)
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Put of %d bytes with max %d: %v", tt.size, max, err)
				}
				if got != sum(content) || size != int64(tt.size) {
					t.Errorf("Put = %s, %d; want %s, %d", got, size, sum(content), tt.size)
				}
				return
			}
			if !errors.Is(err, core.ErrTooLarge) || core.ErrorCode(err) != core.CodeTooLarge {
				t.Fatalf("Put of %d bytes with max %d: err = %v, want CodeTooLarge", tt.size, max, err)
			}
			if msg := core.ErrorMessage(err); !strings.Contains(msg, "1000 bytes") {
				t.Errorf("message %q does not name the limit", msg)
			}
			if got != "" || size != 0 {
				t.Errorf("refused Put returned %q, %d; want zero values", got, size)
			}
			if on := files(t, root); len(on) != 0 {
				t.Errorf("refused Put left files behind: %v", on)
			}
			// Reading stops at max+1: the rest of a huge upload is never pulled.
			if src.n > max+1 {
				t.Errorf("Put read %d bytes, want at most %d", src.n, max+1)
			}
		})
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestOpenRefusesInvalidHash(t *testing.T) {
	valid := sum([]byte("x"))
	tests := []struct {
		name string
		sum  string
	}{
		{"path traversal", "../../etc/passwd"},
		{"traversal padded to length", "../../" + valid[6:]},
		{"upper case", strings.ToUpper(valid)},
		{"short", valid[:63]},
		{"long", valid + "0"},
		{"empty", ""},
		{"not hex", strings.Repeat("g", 64)},
		{"separator inside", valid[:10] + "/" + valid[11:]},
	}
	d := blob.NewDir(t.TempDir())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, err := d.Open(context.Background(), tt.sum)
			if err == nil {
				rc.Close()
				t.Fatalf("Open(%q) succeeded, want CodeInvalid", tt.sum)
			}
			if !errors.Is(err, core.ErrInvalid) {
				t.Errorf("Open(%q) err = %v, want CodeInvalid", tt.sum, err)
			}
		})
	}
}
