package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/blob"
)

// BlobChunk is how many bytes of a file one row of blob_chunks holds: small
// enough that an upload or a download in flight holds little memory, large
// enough that a 25 MB file is a hundred rows.
const BlobChunk = 256 << 10

// Blobs is a core.BlobStore in the database itself: the files of a desk
// whose processes run on several machines and share nothing but
// PostgreSQL. A blob is a row of blobs and its bytes, in order, rows of
// blob_chunks.
//
// No statement of Blobs runs inside a long transaction: each chunk is
// written by its own statement, and the upload is published by one more.
// A transaction open for as long as a slow client takes to send a file
// would hold back the event log, which is read only up to the oldest
// transaction still writing.
type Blobs struct {
	q     queries
	chunk int
}

var _ core.BlobStore = (*Blobs)(nil)

// Blobs returns the blob store in s's database. It does no I/O.
func (s *Store) Blobs() *Blobs {
	return &Blobs{q: queries{ext: s.db, d: s.d, stmts: s.stmts}, chunk: BlobChunk}
}

// String describes the store for logs.
func (b *Blobs) String() string { return "the database" }

// Put streams r into the database, a chunk at a time, under a new upload's
// row, hashing as it goes; once r ends it publishes the upload under the
// hex SHA-256 of its bytes. It reads at most max+1 bytes. A refused or
// failed Put deletes what it wrote; if even that fails (the database went
// away), the garbage collector removes the upload later. Storing bytes
// that are stored already keeps the one copy, and marks it as just stored.
func (b *Blobs) Put(ctx context.Context, r io.Reader, max int64) (string, int64, error) {
	if max < 0 {
		return "", 0, fmt.Errorf("blob put: negative size limit %d", max)
	}
	if err := ctx.Err(); err != nil {
		return "", 0, fmt.Errorf("blob put: %w", err)
	}
	id := core.NewID("upl")
	if _, err := b.q.exec(ctx, "blob put", `INSERT INTO blobs (id, sha256, size, chunk, stored_at) VALUES (?, NULL, 0, ?, ?)`,
		id, b.chunk, us(time.Now())); err != nil {
		return "", 0, b.failed(ctx, err)
	}
	published := false
	defer func() {
		if !published {
			b.discard(ctx, id)
		}
	}()

	limit := max + 1
	if limit < 0 { // max is math.MaxInt64: nothing can be larger.
		limit = math.MaxInt64
	}
	h := sha256.New()
	src := io.TeeReader(io.LimitReader(blob.ContextReader(ctx, r), limit), h)
	buf := make([]byte, b.chunk)
	var size int64
	for n := 0; ; n++ {
		k, err := io.ReadFull(src, buf)
		size += int64(k)
		if size > max {
			return "", 0, fmt.Errorf("blob put: %w",
				core.Errorf(core.CodeTooLarge, "the file is larger than %s, the most accepted here", core.FormatBytes(max)))
		}
		if k > 0 {
			if _, err := b.q.exec(ctx, "blob put", `INSERT INTO blob_chunks (blob_id, n, data) VALUES (?, ?, ?)`,
				id, n, buf[:k]); err != nil {
				return "", 0, b.failed(ctx, err)
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return "", 0, b.failed(ctx, fmt.Errorf("read: %w", err))
		}
	}

	sum := hex.EncodeToString(h.Sum(nil))
	// Two Puts of the same bytes may publish at once: the unique index on
	// sha256 lets one win, and the other then finds its copy. Three rounds
	// are plenty: losing needs the winner's copy to be collected in between.
	for range 3 {
		now := us(time.Now())
		// Bytes stored already: mark them as just stored, so that the
		// garbage collector, which takes only blobs stored before its grace
		// period, leaves them to the file row the caller is about to write.
		n, err := b.q.exec(ctx, "blob put "+sum, `UPDATE blobs SET stored_at = ? WHERE sha256 = ?`, now, sum)
		if err != nil {
			return "", 0, b.failed(ctx, err)
		}
		if n == 1 {
			return sum, size, nil // the deferred discard removes this upload
		}
		n, err = b.q.exec(ctx, "blob put "+sum, `UPDATE blobs SET sha256 = ?, size = ?, stored_at = ? WHERE id = ?`,
			sum, size, now, id)
		if errors.Is(err, core.ErrConflict) {
			continue // another Put of these bytes published first
		}
		if err != nil {
			return "", 0, b.failed(ctx, err)
		}
		if n == 0 {
			return "", 0, fmt.Errorf("blob put %s: the upload was removed before it finished", sum)
		}
		published = true
		return sum, size, nil
	}
	return "", 0, fmt.Errorf("blob put %s: could not publish it", sum)
}

// failed wraps a failure of Put, as the context's error when the context
// ended: lib/pq reports a cancelled statement as an error of its own.
func (b *Blobs) failed(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("blob put: %w", ctx.Err())
	}
	return fmt.Errorf("blob put: %w", err)
}

// discard deletes an unfinished upload and its chunks. It runs after
// ctx may have ended (a client went away), so on a context of its own.
func (b *Blobs) discard(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	b.q.exec(ctx, "blob discard", `DELETE FROM blobs WHERE id = ? AND sha256 IS NULL`, id)
}

// Open returns the blob whose hex SHA-256 is sum, read a chunk at a time,
// each by its own query: a slow download holds no connection between
// reads. The reader also seeks (HTTP range requests), without a query. A
// sum that is not 64 lower-case hex digits is CodeInvalid; a missing blob
// is CodeNotFound.
func (b *Blobs) Open(ctx context.Context, sum string) (io.ReadCloser, error) {
	if !core.ValidBlobSum(sum) {
		return nil, fmt.Errorf("blob open: %w", core.Errorf(core.CodeInvalid, "that is not a valid file reference"))
	}
	var row struct {
		ID    string `db:"id"`
		Size  int64  `db:"size"`
		Chunk int64  `db:"chunk"`
	}
	query := b.q.d.rebind(`SELECT id, size, chunk FROM blobs WHERE sha256 = ?`)
	err := sqlx.GetContext(ctx, b.q.on(ctx, query), &row, query, sum)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("blob open %s: %w", sum, core.Errorf(core.CodeNotFound, "the file is no longer stored"))
	}
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("blob open %s: %w", sum, err)
	}
	if row.Chunk <= 0 {
		return nil, fmt.Errorf("blob open %s: stored with a chunk size of %d", sum, row.Chunk)
	}
	return &chunkReader{ctx: ctx, q: b.q, sum: sum, id: row.ID, size: row.Size, chunk: row.Chunk, n: -1}, nil
}

// chunkReader reads a blob's chunks as its reader gets to them.
type chunkReader struct {
	ctx   context.Context
	q     queries
	sum   string
	id    string
	size  int64
	chunk int64
	pos   int64  // where the next Read starts
	n     int64  // the chunk in buf, -1 for none
	buf   []byte // chunk n's bytes
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if r.pos >= r.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if n := r.pos / r.chunk; n != r.n {
		if err := r.load(n); err != nil {
			return 0, err
		}
	}
	k := copy(p, r.buf[r.pos-r.n*r.chunk:])
	r.pos += int64(k)
	return k, nil
}

// load reads chunk n into buf and checks that it is as long as the blob's
// size says it must be.
func (r *chunkReader) load(n int64) error {
	query := r.q.d.rebind(`SELECT data FROM blob_chunks WHERE blob_id = ? AND n = ?`)
	var data []byte
	err := r.q.on(r.ctx, query).QueryRowxContext(r.ctx, query, r.id, n).Scan(&data)
	if err != nil {
		if r.ctx.Err() != nil {
			err = r.ctx.Err()
		} else if errors.Is(err, sql.ErrNoRows) {
			err = errors.New("the chunk is missing")
		}
		return fmt.Errorf("blob read %s, chunk %d: %w", r.sum, n, err)
	}
	if want := min(r.chunk, r.size-n*r.chunk); int64(len(data)) != want {
		return fmt.Errorf("blob read %s, chunk %d: %d bytes stored, want %d", r.sum, n, len(data), want)
	}
	r.n, r.buf = n, data
	return nil
}

// Seek moves where the next Read starts; reading from there loads the
// chunk it falls in.
func (r *chunkReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.pos
	case io.SeekEnd:
		offset += r.size
	default:
		return 0, fmt.Errorf("blob seek %s: invalid whence %d", r.sum, whence)
	}
	if offset < 0 {
		return 0, fmt.Errorf("blob seek %s: negative position %d", r.sum, offset)
	}
	r.pos = offset
	return offset, nil
}

// Close lets go of the chunk in memory.
func (r *chunkReader) Close() error {
	r.buf, r.n, r.pos = nil, -1, r.size
	return nil
}

// List calls fn with every blob in the store, by its hex SHA-256, and with
// every unfinished upload, by its ID ("upl_..."): each with its size and
// when it was last stored. It reads a page of rows at a time and calls fn
// between pages' queries, so fn may Delete.
func (b *Blobs) List(ctx context.Context, fn func(name string, size int64, stored time.Time) error) error {
	after := ""
	for {
		var rows []struct {
			ID       string         `db:"id"`
			SHA256   sql.NullString `db:"sha256"`
			Size     int64          `db:"size"`
			StoredAt int64          `db:"stored_at"`
		}
		if err := b.q.sel(ctx, &rows, "blobs",
			`SELECT id, sha256, size, stored_at FROM blobs WHERE id > ? ORDER BY id LIMIT 500`, after); err != nil {
			return err
		}
		for _, r := range rows {
			name := r.ID
			if r.SHA256.Valid {
				name = r.SHA256.String
			}
			if err := fn(name, r.Size, fromUS(r.StoredAt)); err != nil {
				return err
			}
		}
		if len(rows) < 500 {
			return nil
		}
		after = rows[len(rows)-1].ID
	}
}

// Delete removes the blob or unfinished upload that List named name, with
// its chunks, if it was last stored before before; it reports whether it
// did. The condition and the delete are one statement, so a Put of the
// same bytes that marks them as just stored is never undone.
func (b *Blobs) Delete(ctx context.Context, name string, before time.Time) (bool, error) {
	var n int64
	var err error
	switch {
	case core.ValidBlobSum(name):
		n, err = b.q.exec(ctx, "blob delete "+name, `DELETE FROM blobs WHERE sha256 = ? AND stored_at < ?`, name, us(before))
	case strings.HasPrefix(name, "upl_"):
		n, err = b.q.exec(ctx, "blob delete "+name, `DELETE FROM blobs WHERE id = ? AND sha256 IS NULL AND stored_at < ?`,
			name, us(before))
	default:
		return false, fmt.Errorf("blob delete: %w", core.Errorf(core.CodeInvalid, "that is not a blob or an upload of this store"))
	}
	return n > 0, err
}

// FileBlobs returns, in order, up to limit of the distinct SHA-256s that
// files name and that sort after after: every blob the desk needs, a page
// at a time.
func (s *Store) FileBlobs(ctx context.Context, after string, limit int) ([]string, error) {
	var out []string
	err := s.sel(ctx, &out, "file blobs",
		`SELECT DISTINCT sha256 FROM files WHERE sha256 > ? ORDER BY sha256 LIMIT ?`, after, limit)
	return out, err
}

// Referenced returns those of sums that a file names.
func (s *Store) Referenced(ctx context.Context, sums []string) (map[string]bool, error) {
	out := make(map[string]bool, len(sums))
	if len(sums) == 0 {
		return out, nil
	}
	query, args, err := sqlx.In(`SELECT DISTINCT sha256 FROM files WHERE sha256 IN (?)`, sums)
	if err != nil {
		return nil, fmt.Errorf("referenced blobs: %w", err)
	}
	var found []string
	if err := s.selDynamic(ctx, &found, "referenced blobs", query, args...); err != nil {
		return nil, err
	}
	for _, f := range found {
		out[f] = true
	}
	return out, nil
}
