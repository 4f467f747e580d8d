// Package blobtest is the conformance suite of core.BlobStore: every store
// of file contents relaydesk has (a local directory, the database,
// S3-compatible object storage) passes the same tests.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core"
)

// Sweeper is what the garbage collector needs of a store besides
// core.BlobStore; the suite tests it when the store has it.
type Sweeper interface {
	List(ctx context.Context, fn func(name string, size int64, stored time.Time) error) error
	Delete(ctx context.Context, name string, before time.Time) (bool, error)
}

// Options describe the store under test.
type Options struct {
	// New returns an empty store of its own for one test.
	New func(tb testing.TB) core.BlobStore
	// Chunk is the store's unit of storage (a row's chunk, an upload's
	// part) whose edges files are put on; 0 when it has none.
	Chunk int
	// Large is the size of the file streamed through Put and Open: make
	// it several chunks.
	Large int64
	// HeapBound, when not 0, is how much the Go heap may grow while the
	// Large file is put and read back, well under Large: the store cannot
	// have held the file whole. 0 skips the measure, for a store whose
	// server runs in the test process and keeps its files in memory.
	// Measuring needs the test calling Run not to be parallel.
	HeapBound int64
	// Stamp is the resolution of the times List reports (S3: a second).
	Stamp time.Duration
	// Abandon, when set, leaves in the store what an upload cut off by a
	// crash leaves there, made long ago, and returns the name List gives it.
	Abandon func(tb testing.TB, s core.BlobStore) string
}

// Run runs the suite on the stores opts.New makes.
func Run(t *testing.T, opts Options) {
	t.Helper()
	if opts.Stamp <= 0 {
		opts.Stamp = 10 * time.Millisecond
	}
	// First, while nothing else runs in this process: its heap is measured.
	t.Run("a large file is streamed", func(t *testing.T) { testLarge(t, opts) })
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, Options)
	}{
		{"round trip", testRoundTrip},
		{"the same bytes twice are kept once", testSameTwice},
		{"too large stores nothing", testTooLarge},
		{"open of a missing blob", testMissing},
		{"concurrent puts of the same bytes", testConcurrent},
		{"cancelled put stores nothing", testCancelled},
		{"list and delete", testSweep},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, opts)
		})
	}
}

func testRoundTrip(t *testing.T, o Options) {
	sizes := []int{0, 1, 17, 100_000}
	if c := o.Chunk; c > 0 {
		sizes = append(sizes, c-1, c, c+1, 2*c+3)
	}
	for _, size := range sizes {
		t.Run(fmt.Sprintf("%d bytes", size), func(t *testing.T) {
			s := o.New(t)
			content := Content(int64(size), uint64(size))
			sum, n := put(t, s, content, int64(size))
			if want := Sum(content); sum != want || n != int64(size) {
				t.Errorf("Put = %s, %d; want %s, %d", sum, n, want, size)
			}
			if got := ReadAll(t, s, sum); !bytes.Equal(got, content) {
				t.Errorf("Open returned %d bytes that differ from the %d stored", len(got), size)
			}
			if sw, ok := s.(Sweeper); ok {
				if got := list(t, sw); len(got) != 1 || got[0].name != sum || got[0].size != int64(size) {
					t.Errorf("List = %+v, want one blob %s of %d bytes", got, sum, size)
				}
			}
		})
	}
}

func testSameTwice(t *testing.T, o Options) {
	s := o.New(t)
	content := Content(int64(max(o.Chunk, 1000)*2+5), 2)
	first, _ := put(t, s, content, 1<<30)
	sw, sweeps := s.(Sweeper)
	var stored time.Time
	if sweeps {
		stored = list(t, sw)[0].stored
		time.Sleep(o.Stamp + o.Stamp/10) // so that storing again shows
	}
	second, _ := put(t, s, content, 1<<30)
	if first != second {
		t.Errorf("hashes differ: %s, %s", first, second)
	}
	if got := ReadAll(t, s, first); !bytes.Equal(got, content) {
		t.Errorf("after the second Put, Open returns other bytes")
	}
	if !sweeps {
		return
	}
	got := list(t, sw)
	if len(got) != 1 || got[0].name != first {
		t.Fatalf("List = %+v, want the one blob %s", got, first)
	}
	// The garbage collector must see the bytes as just stored: a file row
	// is about to name them.
	if !got[0].stored.After(stored) {
		t.Errorf("storing the bytes again left their time at %v (it was %v)", got[0].stored, stored)
	}
}

func testTooLarge(t *testing.T, o Options) {
	limit := int64(1000)
	if o.Chunk > 0 {
		limit = int64(2*o.Chunk + 10) // refused after whole chunks are written
	}
	for _, tc := range []struct {
		name    string
		size    int64
		refused bool
	}{
		{"one byte under", limit - 1, false},
		{"exactly the limit", limit, false},
		{"one byte over", limit + 1, true},
		{"far over", 3*limit + 7, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := o.New(t)
			content := Content(tc.size, 3)
			src := &countingReader{r: bytes.NewReader(content)}
			sum, n, err := s.Put(context.Background(), src, limit)
			if !tc.refused {
				if err != nil || sum != Sum(content) || n != tc.size {
					t.Fatalf("Put of %d bytes, limit %d = %s, %d, %v; want %s", tc.size, limit, sum, n, err, Sum(content))
				}
				return
			}
			if !errors.Is(err, core.ErrTooLarge) {
				t.Fatalf("Put of %d bytes, limit %d: err = %v, want CodeTooLarge", tc.size, limit, err)
			}
			if sum != "" || n != 0 {
				t.Errorf("refused Put returned %q, %d; want zero values", sum, n)
			}
			if src.n > limit+1 {
				t.Errorf("Put read %d bytes; one more than the limit, %d, is enough to refuse", src.n, limit+1)
			}
			if sw, ok := s.(Sweeper); ok {
				if got := list(t, sw); len(got) != 0 {
					t.Errorf("a refused Put left %+v behind", got)
				}
			}
			if _, err := s.Open(context.Background(), Sum(content)); !errors.Is(err, core.ErrNotFound) {
				t.Errorf("Open of the refused bytes: err = %v, want not found", err)
			}
		})
	}
}

func testMissing(t *testing.T, o Options) {
	s := o.New(t)
	never := Sum([]byte("never stored"))
	if _, err := s.Open(context.Background(), never); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("Open of a blob never stored: err = %v, want CodeNotFound", err)
	}
	for _, bad := range []string{"", "../../etc/passwd", never[:63], never + "0", "G" + never[1:], "A" + never[1:]} {
		if rc, err := s.Open(context.Background(), bad); !errors.Is(err, core.ErrInvalid) {
			if err == nil {
				rc.Close()
			}
			t.Errorf("Open(%q): err = %v, want CodeInvalid", bad, err)
		}
	}
}

func testConcurrent(t *testing.T, o Options) {
	s := o.New(t)
	content := Content(int64(max(o.Chunk, 4096)*2+11), 4)
	const puts = 6
	sums := make([]string, puts)
	errs := make([]error, puts)
	var wg sync.WaitGroup
	for i := range puts {
		wg.Go(func() { sums[i], _, errs[i] = s.Put(context.Background(), bytes.NewReader(content), 1<<30) })
	}
	wg.Wait()
	for i := range puts {
		if errs[i] != nil || sums[i] != Sum(content) {
			t.Errorf("Put %d = %s, %v; want %s", i, sums[i], errs[i], Sum(content))
		}
	}
	if got := ReadAll(t, s, Sum(content)); !bytes.Equal(got, content) {
		t.Errorf("after concurrent Puts Open returns other bytes")
	}
	if sw, ok := s.(Sweeper); ok {
		if got := list(t, sw); len(got) != 1 {
			t.Errorf("after concurrent Puts of one content List = %+v, want the one blob", got)
		}
	}
}

// cancelAfterFirstRead is an endless upload whose client goes away once
// the first bytes have arrived.
type cancelAfterFirstRead struct {
	cancel context.CancelFunc
	reads  int
}

func (c *cancelAfterFirstRead) Read(p []byte) (int, error) {
	c.reads++
	if c.reads == 1 {
		c.cancel()
	}
	for i := range p {
		p[i] = 'y'
	}
	return len(p), nil
}

func testCancelled(t *testing.T, o Options) {
	t.Run("during the upload", func(t *testing.T) {
		s := o.New(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		src := &cancelAfterFirstRead{cancel: cancel}
		if _, _, err := s.Put(ctx, src, 1<<40); !errors.Is(err, context.Canceled) {
			t.Fatalf("Put err = %v, want context.Canceled", err)
		}
		if src.reads != 1 {
			t.Errorf("Put read %d times, want it to stop after the read that cancelled", src.reads)
		}
		if sw, ok := s.(Sweeper); ok {
			if got := list(t, sw); len(got) != 0 {
				t.Errorf("a cancelled Put left %+v behind", got)
			}
		}
	})
	t.Run("before it starts", func(t *testing.T) {
		s := o.New(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, _, err := s.Put(ctx, bytes.NewReader([]byte("late")), 1<<10); !errors.Is(err, context.Canceled) {
			t.Fatalf("Put err = %v, want context.Canceled", err)
		}
		if sw, ok := s.(Sweeper); ok {
			if got := list(t, sw); len(got) != 0 {
				t.Errorf("a cancelled Put left %+v behind", got)
			}
		}
	})
}

func testSweep(t *testing.T, o Options) {
	s := o.New(t)
	sw, ok := s.(Sweeper)
	if !ok {
		t.Skip("the store does not list its blobs")
	}
	ctx := context.Background()
	a, b := Content(5000, 5), Content(7000, 6)
	sa, _ := put(t, s, a, 1<<20)
	sb, _ := put(t, s, b, 1<<20)
	got := list(t, sw)
	if len(got) != 2 {
		t.Fatalf("List = %+v, want two blobs", got)
	}
	for _, e := range got {
		if e.name == sa && e.size != 5000 || e.name == sb && e.size != 7000 || e.name != sa && e.name != sb {
			t.Errorf("List gave %+v; stored %s (5000 bytes) and %s (7000 bytes)", e, sa, sb)
		}
		if age := time.Since(e.stored); age < -time.Minute || age > time.Minute {
			t.Errorf("List says %s was stored at %v, not about now", e.name, e.stored)
		}
	}

	if done, err := sw.Delete(ctx, sa, time.Now().Add(-time.Hour)); done || err != nil {
		t.Errorf("Delete of a blob stored after the cutoff = %v, %v; want false, nil", done, err)
	}
	ReadAll(t, s, sa)
	if done, err := sw.Delete(ctx, sa, time.Now().Add(time.Hour)); !done || err != nil {
		t.Fatalf("Delete of a blob stored before the cutoff = %v, %v; want true, nil", done, err)
	}
	if _, err := s.Open(ctx, sa); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("Open after Delete: err = %v, want not found", err)
	}
	if done, err := sw.Delete(ctx, sa, time.Now().Add(time.Hour)); done || err != nil {
		t.Errorf("Delete of a deleted blob = %v, %v; want false, nil", done, err)
	}
	if got := list(t, sw); len(got) != 1 || got[0].name != sb {
		t.Errorf("List after Delete = %+v, want only %s", got, sb)
	}
	if got := ReadAll(t, s, sb); !bytes.Equal(got, b) {
		t.Errorf("Delete of one blob changed another")
	}
	for _, bad := range []string{"", "../../etc/passwd", "../" + sb[3:], sb + "/x"} {
		if done, err := sw.Delete(ctx, bad, time.Now().Add(time.Hour)); done || !errors.Is(err, core.ErrInvalid) {
			t.Errorf("Delete(%q) = %v, %v; want CodeInvalid", bad, done, err)
		}
	}

	if o.Abandon == nil {
		return
	}
	name := o.Abandon(t, s)
	var found bool
	for _, e := range list(t, sw) {
		if e.name == name {
			found = true
			if time.Since(e.stored) < time.Hour {
				t.Errorf("List says the abandoned upload %s was stored at %v, not long ago", name, e.stored)
			}
		}
	}
	if !found {
		t.Fatalf("List does not name the abandoned upload %s", name)
	}
	if done, err := sw.Delete(ctx, name, time.Now().Add(-time.Minute)); !done || err != nil {
		t.Errorf("Delete of the abandoned upload %s = %v, %v; want true, nil", name, done, err)
	}
	if got := list(t, sw); len(got) != 1 || got[0].name != sb {
		t.Errorf("List after deleting the abandoned upload = %+v, want only %s", got, sb)
	}
}

func testLarge(t *testing.T, o Options) {
	if o.Large <= 0 {
		t.Skip("Options.Large is not set")
	}
	s := o.New(t)
	want := sumOf(t, NewPattern(o.Large, 7))
	var sum string
	var n int64
	grew := heapGrowth(o.HeapBound > 0, func() {
		var err error
		sum, n, err = s.Put(context.Background(), NewPattern(o.Large, 7), o.Large)
		if err != nil {
			t.Errorf("Put of %d bytes: %v", o.Large, err)
		}
	})
	if t.Failed() {
		return
	}
	if sum != want || n != o.Large {
		t.Fatalf("Put = %s, %d; want %s, %d", sum, n, want, o.Large)
	}
	if o.HeapBound > 0 && grew > o.HeapBound {
		t.Errorf("the heap grew by %d bytes while %d were put, more than %d: the file was not streamed", grew, o.Large, o.HeapBound)
	}
	var got string
	grew = heapGrowth(o.HeapBound > 0, func() {
		rc, err := s.Open(context.Background(), sum)
		if err != nil {
			t.Errorf("Open: %v", err)
			return
		}
		defer rc.Close()
		got = sumOf(t, rc)
	})
	if got != want {
		t.Errorf("Open returned bytes that hash to %s, want %s", got, want)
	}
	if o.HeapBound > 0 && grew > o.HeapBound {
		t.Errorf("the heap grew by %d bytes while %d were read, more than %d: the file was not streamed", grew, o.Large, o.HeapBound)
	}
}

// heapGrowth runs fn and returns by how much the live heap grew at most
// meanwhile, the collector set to run often so that garbage does not pass
// for growth. With measure false it just runs fn.
func heapGrowth(measure bool, fn func()) int64 {
	if !measure {
		fn()
		return 0
	}
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() int64 {
		metrics.Read(sample)
		return int64(sample[0].Value.Uint64())
	}
	base := read()
	var peak int64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			peak = max(peak, read())
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	fn()
	close(stop)
	<-done
	return max(peak, read()) - base
}

// Pattern is a reproducible stream of pseudo-random bytes that is never
// held in memory: a large upload.
type Pattern struct {
	left int64
	rng  *rand.ChaCha8
}

// NewPattern returns size bytes made from seed.
func NewPattern(size int64, seed uint64) *Pattern {
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	return &Pattern{left: size, rng: rand.NewChaCha8(s)}
}

func (p *Pattern) Read(b []byte) (int, error) {
	if p.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.left {
		b = b[:p.left]
	}
	n, _ := p.rng.Read(b)
	p.left -= int64(n)
	return n, nil
}

// Content is size bytes made from seed.
func Content(size int64, seed uint64) []byte {
	b, _ := io.ReadAll(NewPattern(size, seed))
	return b
}

// Sum is the hex SHA-256 of b, the name Put gives it.
func Sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func sumOf(tb testing.TB, r io.Reader) string {
	tb.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		tb.Errorf("read: %v", err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func put(tb testing.TB, s core.BlobStore, b []byte, limit int64) (string, int64) {
	tb.Helper()
	sum, n, err := s.Put(context.Background(), bytes.NewReader(b), limit)
	if err != nil {
		tb.Fatalf("Put of %d bytes: %v", len(b), err)
	}
	return sum, n
}

// ReadAll returns the bytes of blob sum.
func ReadAll(tb testing.TB, s core.BlobStore, sum string) []byte {
	tb.Helper()
	rc, err := s.Open(context.Background(), sum)
	if err != nil {
		tb.Fatalf("Open(%s): %v", sum, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		tb.Fatalf("read %s: %v", sum, err)
	}
	return b
}

type entry struct {
	name   string
	size   int64
	stored time.Time
}

func list(tb testing.TB, s Sweeper) []entry {
	tb.Helper()
	var out []entry
	err := s.List(context.Background(), func(name string, size int64, stored time.Time) error {
		out = append(out, entry{name, size, stored})
		return nil
	})
	if err != nil {
		tb.Fatalf("List: %v", err)
	}
	return out
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
