// Package s3 keeps file contents in S3-compatible object storage (Amazon
// S3, MinIO, Cloudflare R2, Backblaze B2, Ceph, ...), addressed by the hex
// SHA-256 of their bytes: it implements core.BlobStore through
// github.com/minio/minio-go/v7, a small client that speaks to every one of
// them and streams uploads of unknown size.
package s3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/blob"
)

// PartSize is how much of an upload is sent to the server at a time, and
// so held in memory at a time: S3's smallest multipart part. A file up to
// this size is sent in one request; a larger one, whose size Put does not
// know in advance, in parts of this size.
const PartSize = 5 << 20

// Config names the bucket and how to reach it.
type Config struct {
	// Endpoint is the server's base URL, such as https://s3.amazonaws.com,
	// https://<account>.r2.cloudflarestorage.com or http://127.0.0.1:9000;
	// its scheme says whether to use TLS.
	Endpoint string
	// Region is the bucket's region; empty asks the server.
	Region string
	Bucket string
	// Prefix is put before every key: "relaydesk/" keeps the blobs in that
	// folder of the bucket.
	Prefix string
	// AccessKey and SecretKey sign the requests. When both are empty the
	// AWS environment (AWS_ACCESS_KEY_ID, ...), the shared credentials
	// file and the instance's or task's IAM role are tried in turn.
	AccessKey string
	SecretKey string
	// PathStyle puts the bucket in the URL's path (MinIO and most
	// self-hosted servers) rather than in its host name (AWS); nil lets
	// the client choose by the endpoint.
	PathStyle *bool
	// Transport carries the requests; nil means http.DefaultTransport's
	// settings.
	Transport http.RoundTripper
}

// Store is a core.BlobStore in a bucket. A blob is the object Prefix+sum.
// An upload larger than PartSize goes to a temporary object under
// Prefix+"uploads/" first, since its name is known only once its last
// byte is hashed, and is then copied to its name by the server, never
// passing through relaydesk again.
type Store struct {
	c      *minio.Client
	bucket string
	prefix string
	desc   string
}

var _ core.BlobStore = (*Store)(nil)

// uploads is where uploads whose hash is not known yet go.
const uploads = "uploads/"

// New returns a store in cfg's bucket. It does no I/O: a wrong endpoint,
// bucket or key shows on the first request.
func New(cfg Config) (*Store, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("s3 endpoint %q: use a base URL such as https://s3.amazonaws.com or http://127.0.0.1:9000", cfg.Endpoint)
	}
	if cfg.Bucket == "" {
		return nil, errors.New("s3: no bucket")
	}
	prefix := strings.TrimLeft(cfg.Prefix, "/")
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	creds := credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")
	if cfg.AccessKey == "" && cfg.SecretKey == "" {
		creds = credentials.NewChainCredentials([]credentials.Provider{
			&credentials.EnvAWS{}, &credentials.FileAWSCredentials{}, &credentials.IAM{}})
	}
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle != nil && *cfg.PathStyle {
		lookup = minio.BucketLookupPath
	} else if cfg.PathStyle != nil {
		lookup = minio.BucketLookupDNS
	}
	c, err := minio.New(u.Host, &minio.Options{Creds: creds, Secure: u.Scheme == "https", Region: cfg.Region,
		BucketLookup: lookup, Transport: cfg.Transport})
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	return &Store{c: c, bucket: cfg.Bucket, prefix: prefix,
		desc: "s3://" + cfg.Bucket + "/" + prefix + " at " + u.Scheme + "://" + u.Host}, nil
}

// String describes the store for logs, without credentials.
func (s *Store) String() string { return s.desc }

// Put streams r into the bucket and returns the hex SHA-256 and size of its
// bytes. It reads at most max+1 bytes and holds about twice PartSize of
// them in memory at most. Bytes that are stored already are written again, which
// marks them as just stored for the garbage collector. A refused or failed
// Put leaves nothing behind; if even the cleaning up fails, the garbage
// collector removes the temporary object later.
func (s *Store) Put(ctx context.Context, r io.Reader, max int64) (string, int64, error) {
	if max < 0 {
		return "", 0, fmt.Errorf("blob put: negative size limit %d", max)
	}
	if err := ctx.Err(); err != nil {
		return "", 0, fmt.Errorf("blob put: %w", err)
	}
	h := sha256.New()
	src := &limited{r: io.TeeReader(blob.ContextReader(ctx, r), h), left: max}
	// Whatever fits in one part is hashed before it is sent, so it goes
	// straight to its name.
	var head bytes.Buffer
	n, err := io.CopyN(&head, src, PartSize)
	if err != nil && !errors.Is(err, io.EOF) {
		return "", 0, s.failed(ctx, err, max)
	}
	if n < PartSize {
		sum := hex.EncodeToString(h.Sum(nil))
		if _, err := s.c.PutObject(ctx, s.bucket, s.prefix+sum, &head, n,
			minio.PutObjectOptions{ContentType: "application/octet-stream"}); err != nil {
			return "", 0, s.failed(ctx, err, max)
		}
		return sum, n, nil
	}

	tmp := s.prefix + uploads + core.NewID("upl")
	_, err = s.c.PutObject(ctx, s.bucket, tmp, io.MultiReader(&head, src), -1,
		minio.PutObjectOptions{ContentType: "application/octet-stream", PartSize: PartSize})
	defer s.discard(ctx, tmp)
	if err != nil {
		return "", 0, s.failed(ctx, err, max)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	// A server-side copy takes up to 5 GiB, more than relaydesk accepts.
	if _, err := s.c.CopyObject(ctx, minio.CopyDestOptions{Bucket: s.bucket, Object: s.prefix + sum},
		minio.CopySrcOptions{Bucket: s.bucket, Object: tmp}); err != nil {
		return "", 0, s.failed(ctx, fmt.Errorf("copy to %s: %w", sum, err), max)
	}
	return sum, max - src.left, nil
}

// failed explains why Put failed: the file was too large, the context
// ended, or err.
func (s *Store) failed(ctx context.Context, err error, max int64) error {
	switch {
	case errors.Is(err, errTooLarge):
		return fmt.Errorf("blob put: %w",
			core.Errorf(core.CodeTooLarge, "the file is larger than %s, the most accepted here", core.FormatBytes(max)))
	case ctx.Err() != nil:
		return fmt.Errorf("blob put: %w", ctx.Err())
	}
	return fmt.Errorf("blob put: %w", err)
}

// discard removes a temporary upload and any multipart upload of it the
// client could not abort. It runs after ctx may have ended (a client went
// away), so on a context of its own.
func (s *Store) discard(ctx context.Context, tmp string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	s.c.RemoveIncompleteUpload(ctx, s.bucket, tmp)
	s.c.RemoveObject(ctx, s.bucket, tmp, minio.RemoveObjectOptions{})
}

// errTooLarge stops an upload at the first byte past the limit.
var errTooLarge = errors.New("more bytes than allowed")

// limited reads at most left bytes of r, and fails with errTooLarge at the
// first byte past them, so that the client aborts rather than completes
// the upload.
type limited struct {
	r    io.Reader
	left int64
}

func (l *limited) Read(p []byte) (int, error) {
	if l.left < math.MaxInt64 && int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	if int64(n) > l.left {
		return 0, errTooLarge
	}
	l.left -= int64(n)
	return n, err
}

// Open returns the blob whose hex SHA-256 is sum, streamed from the
// server; the reader also seeks (HTTP range requests). A sum that is not 64
// lower-case hex digits is CodeInvalid; a missing blob is CodeNotFound.
func (s *Store) Open(ctx context.Context, sum string) (io.ReadCloser, error) {
	if !core.ValidBlobSum(sum) {
		return nil, fmt.Errorf("blob open: %w", core.Errorf(core.CodeInvalid, "that is not a valid file reference"))
	}
	obj, err := s.c.GetObject(ctx, s.bucket, s.prefix+sum, minio.GetObjectOptions{})
	if err == nil {
		// The first request: the object's headers now, its body as it is read.
		_, err = obj.Stat()
		if err != nil {
			obj.Close()
		}
	}
	switch {
	case notFound(err):
		return nil, fmt.Errorf("blob open %s: %w", sum, core.Errorf(core.CodeNotFound, "the file is no longer stored"))
	case err != nil && ctx.Err() != nil:
		return nil, fmt.Errorf("blob open %s: %w", sum, ctx.Err())
	case err != nil:
		return nil, fmt.Errorf("blob open %s: %w", sum, err)
	}
	return obj, nil
}

func notFound(err error) bool {
	if err == nil {
		return false
	}
	code := minio.ToErrorResponse(err).Code
	return code == "NoSuchKey" || code == "NotFound"
}

// List calls fn with every blob under the prefix, by its hex SHA-256, and
// with every temporary upload an interrupted Put left behind, by
// "uploads/<id>": each with its size and when it was last stored. Other
// objects in the bucket are not relaydesk's and are left out. fn may
// Delete what it is given.
func (s *Store) List(ctx context.Context, fn func(name string, size int64, stored time.Time) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing when fn fails
	for obj := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix, Recursive: true}) {
		if obj.Err != nil {
			return fmt.Errorf("blob list %s: %w", s.desc, obj.Err)
		}
		name := strings.TrimPrefix(obj.Key, s.prefix)
		if !core.ValidBlobSum(name) && !tempName(name) {
			continue
		}
		if err := fn(name, obj.Size, obj.LastModified); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// Delete removes the blob or temporary upload that List named name if it
// was last stored before before, and reports whether it did. A Put of the
// same bytes between the check and the removal would be undone: the grace
// period the garbage collector gives blobs makes that a race with an
// upload of the very bytes nobody has used for that long.
func (s *Store) Delete(ctx context.Context, name string, before time.Time) (bool, error) {
	if !core.ValidBlobSum(name) && !tempName(name) {
		return false, fmt.Errorf("blob delete: %w", core.Errorf(core.CodeInvalid, "that is not a blob or an upload of this store"))
	}
	info, err := s.c.StatObject(ctx, s.bucket, s.prefix+name, minio.StatObjectOptions{})
	if notFound(err) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("blob delete %s: %w", name, err)
	}
	if !info.LastModified.Before(before) {
		return false, nil
	}
	if err := s.c.RemoveObject(ctx, s.bucket, s.prefix+name, minio.RemoveObjectOptions{}); err != nil {
		return false, fmt.Errorf("blob delete %s: %w", name, err)
	}
	return true, nil
}

// tempName reports whether name is a temporary upload of Put:
// "uploads/upl_" and an ID's letters and digits.
func tempName(name string) bool {
	id, ok := strings.CutPrefix(name, uploads+"upl_")
	if !ok || id == "" {
		return false
	}
	for _, c := range id {
		if (c < '0' || c > '9') && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}
