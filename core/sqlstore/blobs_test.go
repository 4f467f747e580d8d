package sqlstore_test

import (
	"bytes"
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/blob/blobtest"
	"github.com/relaydesk/relaydesk/core/sqlstore"
	"github.com/relaydesk/relaydesk/core/sqlstore/storetest"
)

// TestBlobsConformance runs the suite every blob store passes on the
// store in PostgreSQL, the one relaydesk uses it on.
func TestBlobsConformance(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	dbs := map[core.BlobStore]*sqlstore.Store{}
	blobtest.Run(t, blobtest.Options{
		New: func(tb testing.TB) core.BlobStore {
			s := storetest.Postgres(tb)
			b := s.Blobs()
			mu.Lock()
			dbs[b] = s
			mu.Unlock()
			return b
		},
		Chunk:     sqlstore.BlobChunk,
		Large:     32 << 20,
		HeapBound: 8 << 20,
		Abandon: func(tb testing.TB, b core.BlobStore) string {
			mu.Lock()
			s := dbs[b]
			mu.Unlock()
			// What a process that died in the middle of a Put leaves.
			db := s.DB()
			old := time.Now().Add(-48 * time.Hour).UnixMicro()
			db.MustExec(db.Rebind(`INSERT INTO blobs (id, sha256, size, chunk, stored_at) VALUES (?, NULL, 0, ?, ?)`),
				"upl_abandoned", sqlstore.BlobChunk, old)
			db.MustExec(db.Rebind(`INSERT INTO blob_chunks (blob_id, n, data) VALUES (?, 0, ?)`), "upl_abandoned", []byte("half a file"))
			return "upl_abandoned"
		},
	})
}

// TestBlobsSeek: a blob read from the database seeks, as HTTP range
// requests need, into any chunk and across chunk edges.
func TestBlobsSeek(t *testing.T) {
	t.Parallel()
	b := storetest.Postgres(t).Blobs()
	content := blobtest.Content(3*sqlstore.BlobChunk+100, 9)
	sum, _, err := b.Put(context.Background(), bytes.NewReader(content), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := b.Open(context.Background(), sum)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	rs, ok := rc.(io.ReadSeeker)
	if !ok {
		t.Fatalf("Open returned a %T, which does not seek", rc)
	}
	for _, tc := range []struct {
		offset int64
		whence int
		at     int64 // where the read starts
		n      int
	}{
		{0, io.SeekEnd, int64(len(content)), 10},
		{sqlstore.BlobChunk - 5, io.SeekStart, sqlstore.BlobChunk - 5, 10},
		{-20, io.SeekEnd, int64(len(content)) - 20, 20},
		{-(2*sqlstore.BlobChunk + 30), io.SeekCurrent, int64(len(content)) - 2*sqlstore.BlobChunk - 30, sqlstore.BlobChunk + 50},
		{0, io.SeekStart, 0, 3},
	} {
		pos, err := rs.Seek(tc.offset, tc.whence)
		if err != nil || pos != tc.at {
			t.Fatalf("Seek(%d, %d) = %d, %v; want %d", tc.offset, tc.whence, pos, err, tc.at)
		}
		got, err := io.ReadAll(io.LimitReader(rs, int64(tc.n)))
		if err != nil {
			t.Fatal(err)
		}
		want := content[tc.at:min(tc.at+int64(tc.n), int64(len(content)))]
		if !bytes.Equal(got, want) {
			t.Errorf("after Seek(%d, %d) read %d bytes unlike the %d at %d", tc.offset, tc.whence, len(got), len(want), tc.at)
		}
	}
	if _, err := rs.Seek(-1, io.SeekStart); err == nil {
		t.Error("Seek to a negative position succeeded")
	}
}
