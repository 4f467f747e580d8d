package s3_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/blob/blobtest"
	"github.com/relaydesk/relaydesk/core/blob/s3"
)

// clock is the fake server's time, which a test may turn back to store an
// object long ago.
type clock struct {
	mu    sync.Mutex
	shift time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.shift).UTC()
}

func (c *clock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

func (c *clock) set(d time.Duration) {
	c.mu.Lock()
	c.shift = d
	c.mu.Unlock()
}

// fake is an S3-compatible server on loopback with one bucket, and the
// requests it has served.
type fake struct {
	URL       string
	transport http.RoundTripper // trusts the server's certificate
	clock     *clock
	raw       *minio.Client // for looking behind the store's back

	mu   sync.Mutex
	puts []int64 // the body size of every PUT
}

const bucket = "relaydesk-files"

func newFake(tb testing.TB) *fake {
	tb.Helper()
	f := &fake{clock: &clock{}}
	backend := s3mem.New(s3mem.WithTimeSource(f.clock))
	if err := backend.CreateBucket(bucket); err != nil {
		tb.Fatal(err)
	}
	faker := gofakes3.New(backend, gofakes3.WithTimeSource(f.clock), gofakes3.WithTimeSkewLimit(0))
	// TLS, as production runs: over plain HTTP the client signs each
	// chunk of a part, which this fake does not decode.
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") == "" {
			f.mu.Lock()
			f.puts = append(f.puts, r.ContentLength)
			f.mu.Unlock()
		}
		faker.Server().ServeHTTP(w, r)
	}))
	tb.Cleanup(srv.Close)
	f.URL, f.transport = srv.URL, srv.Client().Transport
	raw, err := minio.New(strings.TrimPrefix(srv.URL, "https://"), &minio.Options{Secure: true, Transport: f.transport,
		Creds: credentials.NewStaticV4("test-key", "test-secret", ""), Region: "us-east-1", BucketLookup: minio.BucketLookupPath})
	if err != nil {
		tb.Fatal(err)
	}
	f.raw = raw
	return f
}

func (f *fake) store(tb testing.TB, prefix string) *s3.Store {
	tb.Helper()
	path := true
	s, err := s3.New(s3.Config{Endpoint: f.URL, Region: "us-east-1", Bucket: bucket, Prefix: prefix,
		AccessKey: "test-key", SecretKey: "test-secret", PathStyle: &path, Transport: f.transport})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// keys lists every object in the bucket.
func (f *fake) keys(tb testing.TB) []string {
	tb.Helper()
	var out []string
	for o := range f.raw.ListObjects(context.Background(), bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			tb.Fatal(o.Err)
		}
		out = append(out, o.Key)
	}
	return out
}

// incomplete lists the multipart uploads begun and neither completed nor
// aborted.
func (f *fake) incomplete(tb testing.TB) []string {
	tb.Helper()
	var out []string
	for u := range f.raw.ListIncompleteUploads(context.Background(), bucket, "", true) {
		if u.Err != nil {
			tb.Fatal(u.Err)
		}
		out = append(out, u.Key)
	}
	return out
}

// TestConformance runs the suite every blob store passes on the S3 store
// against an S3-compatible server on loopback. The server keeps objects
// in this process's memory, so the heap is not measured here;
// TestPutStreamsInParts shows what reaches the server instead.
func TestConformance(t *testing.T) {
	var mu sync.Mutex
	fakes := map[core.BlobStore]*fake{}
	blobtest.Run(t, blobtest.Options{
		New: func(tb testing.TB) core.BlobStore {
			f := newFake(tb)
			s := f.store(tb, "desk/files")
			mu.Lock()
			fakes[s] = f
			mu.Unlock()
			return s
		},
		Chunk: s3.PartSize,
		Large: 3*s3.PartSize + 12345,
		Stamp: time.Second,
		Abandon: func(tb testing.TB, s core.BlobStore) string {
			mu.Lock()
			f := fakes[s]
			mu.Unlock()
			// What a process that died between the upload and the copy leaves.
			f.clock.set(-48 * time.Hour)
			defer f.clock.set(0)
			if _, err := f.raw.PutObject(context.Background(), bucket, "desk/files/uploads/upl_abandoned0",
				bytes.NewReader([]byte("a whole upload")), 14, minio.PutObjectOptions{}); err != nil {
				tb.Fatal(err)
			}
			return "uploads/upl_abandoned0"
		},
	})
}

// TestPutStreamsInParts: a file larger than a part reaches the server in
// parts no larger than PartSize, never in one piece, and then only its
// blob remains: no temporary object, no unfinished multipart upload.
func TestPutStreamsInParts(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	s := f.store(t, "")
	size := int64(3*s3.PartSize + 100)
	sum, n, err := s.Put(context.Background(), blobtest.NewPattern(size, 1), size)
	if err != nil || n != size {
		t.Fatalf("Put = %s, %d, %v", sum, n, err)
	}
	f.mu.Lock()
	puts := append([]int64(nil), f.puts...)
	f.mu.Unlock()
	if len(puts) < 4 {
		t.Errorf("the server saw PUTs of %v bytes, want the file in four parts", puts)
	}
	for _, p := range puts {
		if p > s3.PartSize+64<<10 { // a part, and the framing of a streamed signature
			t.Errorf("a PUT carried %d bytes, more than a part (%d): %v", p, s3.PartSize, puts)
		}
	}
	if keys := f.keys(t); len(keys) != 1 || keys[0] != sum {
		t.Errorf("the bucket holds %v, want only %s", keys, sum)
	}
	if u := f.incomplete(t); len(u) != 0 {
		t.Errorf("unfinished multipart uploads remain: %v", u)
	}
}

// TestPutRefusedMidUpload: a file found too large, or a client gone,
// after parts of it reached the server leaves no multipart upload behind.
func TestPutRefusedMidUpload(t *testing.T) {
	t.Parallel()
	t.Run("too large", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		s := f.store(t, "p")
		_, _, err := s.Put(context.Background(), blobtest.NewPattern(4*s3.PartSize, 2), 2*s3.PartSize+1)
		if !errors.Is(err, core.ErrTooLarge) {
			t.Fatalf("Put err = %v, want CodeTooLarge", err)
		}
		if keys, u := f.keys(t), f.incomplete(t); len(keys) != 0 || len(u) != 0 {
			t.Errorf("a refused Put left objects %v and unfinished uploads %v", keys, u)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		s := f.store(t, "p")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		src := &cancelAfter{r: blobtest.NewPattern(1<<40, 3), after: 2*s3.PartSize + 10, cancel: cancel}
		if _, _, err := s.Put(ctx, src, 1<<40); !errors.Is(err, context.Canceled) {
			t.Fatalf("Put err = %v, want context.Canceled", err)
		}
		if keys, u := f.keys(t), f.incomplete(t); len(keys) != 0 || len(u) != 0 {
			t.Errorf("a cancelled Put left objects %v and unfinished uploads %v", keys, u)
		}
	})
}

// cancelAfter cancels once after bytes have been read.
type cancelAfter struct {
	r      *blobtest.Pattern
	after  int64
	read   int64
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += int64(n)
	if c.read >= c.after {
		c.cancel()
	}
	return n, err
}

// TestNewRefusesBadConfig: a malformed endpoint or no bucket is refused
// before any request.
func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []s3.Config{
		{Endpoint: "s3.amazonaws.com", Bucket: "b"},
		{Endpoint: "ftp://s3.example.com", Bucket: "b"},
		{Endpoint: "https://s3.example.com/some/path", Bucket: "b"},
		{Endpoint: "https://s3.example.com"},
	} {
		if _, err := s3.New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}
