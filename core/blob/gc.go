package blob

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/relaydesk/relaydesk/core"
)

// Sweeper is a blob store the garbage collector can sweep: it lists what
// it holds and deletes what nobody needs.
type Sweeper interface {
	// List calls fn with everything the store holds: each blob by its hex
	// SHA-256, and the remains of each upload that never finished by
	// another name; each with its size and when it was last stored. fn may
	// Delete what it is given.
	List(ctx context.Context, fn func(name string, size int64, stored time.Time) error) error
	// Delete removes what List named name if it was last stored before
	// before, and reports whether it did.
	Delete(ctx context.Context, name string, before time.Time) (bool, error)
}

// References tells which blobs the desk's files still name.
type References interface {
	// Referenced returns those of sums that a file names.
	Referenced(ctx context.Context, sums []string) (map[string]bool, error)
}

// DefaultGrace is how long a blob nobody names is kept: far longer than
// the moment between an upload's Put and the commit of the file row that
// names it, which is the only time a blob in use goes unnamed.
const DefaultGrace = 24 * time.Hour

// GC removes blobs no file names, such as the bytes of an upload whose
// transaction failed after they were stored, and the remains of uploads
// cut off by a crash, once they are older than Grace.
type GC struct {
	Blobs Sweeper
	Files References
	// Grace is how long after it was last stored a blob may be removed;
	// 0 means DefaultGrace.
	Grace time.Duration
	// DryRun counts what would be removed and removes nothing.
	DryRun bool
	Now    func() time.Time // nil means time.Now
	Log    *slog.Logger     // nil discards
}

// Collected is what one collection found.
type Collected struct {
	Removed      int   // blobs no file names, removed
	RemovedBytes int64 // their size
	Uploads      int   // remains of unfinished uploads, removed
	InUse        int   // blobs files name
	Young        int   // blobs and uploads within the grace period, kept whatever they are
}

// batch is how many blobs one question to the database covers.
const batch = 500

// Collect sweeps the store once. Every removal is conditional on the
// blob's still being older than the grace period, so a Put of the same
// bytes meanwhile, which marks them as just stored, keeps them.
func (g *GC) Collect(ctx context.Context) (Collected, error) {
	var c Collected
	now := time.Now
	if g.Now != nil {
		now = g.Now
	}
	grace := g.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	before := now().Add(-grace)
	remove := func(name string) (bool, error) {
		if g.DryRun {
			return true, nil
		}
		done, err := g.Blobs.Delete(ctx, name, before)
		if err != nil {
			return false, fmt.Errorf("remove %s: %w", name, err)
		}
		return done, nil
	}
	var old []string
	sizes := map[string]int64{}
	flush := func() error {
		if len(old) == 0 {
			return nil
		}
		used, err := g.Files.Referenced(ctx, old)
		if err != nil {
			return fmt.Errorf("which blobs files name: %w", err)
		}
		for _, sum := range old {
			if used[sum] {
				c.InUse++
				continue
			}
			done, err := remove(sum)
			if err != nil {
				return err
			}
			if done {
				c.Removed++
				c.RemovedBytes += sizes[sum]
				g.log().Debug("removed a blob no file names", "blob", sum, "size", sizes[sum])
			}
		}
		old, sizes = old[:0], map[string]int64{}
		return nil
	}
	err := g.Blobs.List(ctx, func(name string, size int64, stored time.Time) error {
		if !stored.Before(before) {
			c.Young++
			return nil
		}
		if !core.ValidBlobSum(name) {
			done, err := remove(name)
			if done {
				c.Uploads++
			}
			return err
		}
		old = append(old, name)
		sizes[name] = size
		if len(old) < batch {
			return nil
		}
		return flush()
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return c, fmt.Errorf("collect unused files: %w", err)
	}
	return c, nil
}

func (g *GC) log() *slog.Logger {
	if g.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return g.Log
}

// Run collects after first (the process has settled after its start) and
// then every every, until ctx ends. A failed collection is logged and
// tried again next time: it is housekeeping, never a reason to stop.
func (g *GC) Run(ctx context.Context, first, every time.Duration) error {
	wait := first
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		wait = every
		c, err := g.Collect(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			g.log().Warn("collecting unused files failed; trying again later", "err", err, "retry_in", every.String())
		case c.Removed > 0 || c.Uploads > 0:
			g.log().Info("removed files no request names", "files", c.Removed, "bytes", c.RemovedBytes,
				"unfinished_uploads", c.Uploads, "in_use", c.InUse)
		}
	}
}
