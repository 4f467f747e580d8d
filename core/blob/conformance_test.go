package blob_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/blob"
	"github.com/relaydesk/relaydesk/core/blob/blobtest"
)

// TestConformance runs the suite every blob store passes on Dir.
func TestConformance(t *testing.T) {
	var mu sync.Mutex
	roots := map[core.BlobStore]string{}
	blobtest.Run(t, blobtest.Options{
		New: func(tb testing.TB) core.BlobStore {
			root := filepath.Join(tb.TempDir(), "blobs") // not there yet: Put creates it
			d := blob.NewDir(root)
			mu.Lock()
			roots[d] = root
			mu.Unlock()
			return d
		},
		Large:     32 << 20,
		HeapBound: 8 << 20,
		Abandon: func(tb testing.TB, s core.BlobStore) string {
			mu.Lock()
			root := roots[s]
			mu.Unlock()
			// What a Put killed between os.CreateTemp and the rename leaves.
			p := filepath.Join(root, ".put-123456")
			if err := os.WriteFile(p, []byte("half a file"), 0o600); err != nil {
				tb.Fatal(err)
			}
			old := time.Now().Add(-48 * time.Hour)
			if err := os.Chtimes(p, old, old); err != nil {
				tb.Fatal(err)
			}
			return ".put-123456"
		},
	})
}
