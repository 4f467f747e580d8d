package blob

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/relaydesk/relaydesk/core"
)

// Files lists the blobs the desk's files name.
type Files interface {
	// FileBlobs returns, in order, up to limit of the distinct SHA-256s
	// that files name and that sort after after.
	FileBlobs(ctx context.Context, after string, limit int) ([]string, error)
}

// Outcome is what Copy did with one blob.
type Outcome string

// What Copy may do with a blob.
const (
	Copied  Outcome = "copied"  // read from the source, stored in the target
	Present Outcome = "present" // the target had it already
	Missing Outcome = "missing" // a file names it, but the source lacks it
)

// CopyStats sums up a Copy.
type CopyStats struct {
	Copied, Present, Missing int
	Bytes                    int64 // copied
}

// Copy copies every blob that a file names from one store to another,
// streaming each, and skips those the target has: run again after an
// interruption, it goes on where it stopped. report, if not nil, hears of
// each blob. A blob a file names that the source lacks is reported
// Missing and skipped: the target can have it no more than the source.
// Copy stops at the first failure to read or write, and when a copy's
// bytes do not hash to the blob's name (the source's copy is damaged).
func Copy(ctx context.Context, files Files, from, to core.BlobStore, report func(sum string, size int64, o Outcome)) (CopyStats, error) {
	var st CopyStats
	after := ""
	for {
		sums, err := files.FileBlobs(ctx, after, batch)
		if err != nil {
			return st, fmt.Errorf("list the files' blobs: %w", err)
		}
		for _, sum := range sums {
			o, size, err := copyOne(ctx, from, to, sum)
			if err != nil {
				return st, err
			}
			switch o {
			case Copied:
				st.Copied++
				st.Bytes += size
			case Present:
				st.Present++
			case Missing:
				st.Missing++
			}
			if report != nil {
				report(sum, size, o)
			}
		}
		if len(sums) < batch {
			return st, nil
		}
		after = sums[len(sums)-1]
	}
}

func copyOne(ctx context.Context, from, to core.BlobStore, sum string) (Outcome, int64, error) {
	if has, err := exists(ctx, to, sum); err != nil {
		return "", 0, fmt.Errorf("look for %s in the target: %w", sum, err)
	} else if has {
		return Present, 0, nil
	}
	rc, err := from.Open(ctx, sum)
	if errors.Is(err, core.ErrNotFound) {
		return Missing, 0, nil
	} else if err != nil {
		return "", 0, fmt.Errorf("read %s: %w", sum, err)
	}
	defer rc.Close()
	got, size, err := to.Put(ctx, rc, math.MaxInt64)
	if err != nil {
		return "", 0, fmt.Errorf("copy %s: %w", sum, err)
	}
	if got != sum {
		// The target now holds the damaged bytes under their own name,
		// which no file names: the garbage collector removes them.
		return "", 0, fmt.Errorf("copy %s: the source's bytes hash to %s: the source's copy is damaged", sum, got)
	}
	return Copied, size, nil
}

// exists reports whether s has blob sum. Opening is as cheap as asking in
// every store (a file's metadata, a row, a request), and reads nothing.
func exists(ctx context.Context, s core.BlobStore, sum string) (bool, error) {
	rc, err := s.Open(ctx, sum)
	if errors.Is(err, core.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return true, rc.Close()
}
