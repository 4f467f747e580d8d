package main

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/relaydesk/relaydesk/core"
	"github.com/relaydesk/relaydesk/core/blob"
	"github.com/relaydesk/relaydesk/core/blob/s3"
	"github.com/relaydesk/relaydesk/core/sqlstore"
)

// Where file contents may be kept: FilesConfig.Store.
const (
	FilesDir      = "dir"      // a local (or mounted) directory
	FilesPostgres = "postgres" // the PostgreSQL database itself
	FilesS3       = "s3"       // a bucket of S3-compatible object storage
)

// DefaultS3Endpoint is Amazon S3's.
const DefaultS3Endpoint = "https://s3.amazonaws.com"

// FilesConfig says where uploaded files' contents are kept: FILES_URL,
// and the FILES_S3_* settings a bucket needs.
type FilesConfig struct {
	Store string // FilesDir, FilesPostgres or FilesS3
	Dir   string // FilesDir: the directory
	S3    S3Config
}

// S3Config reaches a bucket. Endpoint, Region, the keys and PathStyle come
// from FILES_S3_*; Bucket and Prefix from an s3:// URL.
type S3Config struct {
	Bucket    string
	Prefix    string
	Endpoint  string
	Region    string
	AccessKey string
	SecretKey Secret
	PathStyle *bool // nil: chosen by the endpoint
}

// String says where files are kept, for logs and the operator: never a
// credential.
func (f FilesConfig) String() string {
	switch f.Store {
	case FilesDir:
		return "directory " + f.Dir
	case FilesPostgres:
		return "the PostgreSQL database"
	case FilesS3:
		return "s3://" + f.S3.Bucket + "/" + f.S3.Prefix + " at " + f.S3.Endpoint
	}
	return "nowhere"
}

// URL is the FILES_URL that names f.
func (f FilesConfig) URL() string {
	switch f.Store {
	case FilesDir:
		if abs, err := filepath.Abs(f.Dir); err == nil {
			return "file://" + filepath.ToSlash(abs)
		}
		return "file:" + filepath.ToSlash(f.Dir)
	case FilesS3:
		return "s3://" + f.S3.Bucket + "/" + f.S3.Prefix
	}
	return f.Store
}

// same reports whether f and g are one store.
func (f FilesConfig) same(g FilesConfig) bool {
	if f.Store != g.Store {
		return false
	}
	switch f.Store {
	case FilesDir:
		a, errA := filepath.Abs(f.Dir)
		b, errB := filepath.Abs(g.Dir)
		return errA == nil && errB == nil && a == b
	case FilesS3:
		return f.S3.Endpoint == g.S3.Endpoint && f.S3.Bucket == g.S3.Bucket && f.S3.Prefix == g.S3.Prefix
	}
	return true
}

// loadFiles reads FILES_URL and FILES_S3_* into c.Files: c's database
// and data directory decide the default.
func (c *Config) loadFiles(get func(key, def string) string, secret func(string) Secret) []error {
	var errs []error
	s := S3Config{
		Endpoint:  strings.TrimRight(get("FILES_S3_ENDPOINT", DefaultS3Endpoint), "/"),
		Region:    get("FILES_S3_REGION", ""),
		AccessKey: get("FILES_S3_ACCESS_KEY", ""),
		SecretKey: secret("FILES_S3_SECRET_KEY"),
	}
	if u, err := checkURL(s.Endpoint); err != nil {
		errs = append(errs, fmt.Errorf("FILES_S3_ENDPOINT %q: %w", s.Endpoint, err))
	} else if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		errs = append(errs, errors.New("FILES_S3_ENDPOINT: give the server's base URL only, such as https://s3.eu-central-1.amazonaws.com; the bucket goes in FILES_URL"))
	}
	if (s.AccessKey == "") != (s.SecretKey == "") {
		errs = append(errs, errors.New("FILES_S3_ACCESS_KEY and FILES_S3_SECRET_KEY: set both, or neither to use the AWS environment or the machine's IAM role"))
	}
	if v := get("FILES_S3_PATH_STYLE", ""); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("FILES_S3_PATH_STYLE %q: use true (the bucket in the path: MinIO, most self-hosted servers) or false (in the host name: AWS)", v))
		}
		s.PathStyle = &b
	}
	c.Files.S3 = s
	f, err := c.FilesAt(get("FILES_URL", ""))
	if err != nil {
		errs = append(errs, fmt.Errorf("FILES_URL: %w", err))
	}
	c.Files = f
	return errs
}

var bucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// FilesAt reads a FILES_URL into where files are kept, with c's S3
// settings: "" (the default: the database on PostgreSQL, DATA_DIR/files on
// SQLite), file:///path, postgres, or s3://bucket/prefix. Errors never
// repeat the URL, which might hold a key by mistake.
func (c Config) FilesAt(raw string) (FilesConfig, error) {
	f := FilesConfig{S3: c.Files.S3}
	f.S3.Bucket, f.S3.Prefix = "", ""
	onPostgres := strings.HasPrefix(c.DatabaseURL, "postgres://") || strings.HasPrefix(c.DatabaseURL, "postgresql://")
	switch {
	case raw == "" && onPostgres, raw == FilesPostgres:
		if !onPostgres {
			return f, errors.New("postgres keeps files in the PostgreSQL database, and DATABASE_URL is SQLite; use file:///path or s3://bucket/prefix")
		}
		f.Store = FilesPostgres
		return f, nil
	case raw == "":
		f.Store, f.Dir = FilesDir, filepath.Join(c.DataDir, "files")
		return f, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return f, errors.New("not a URL; use file:///path, postgres or s3://bucket/prefix")
	}
	if u.User != nil {
		return f, errors.New("holds credentials: put them in FILES_S3_ACCESS_KEY and FILES_S3_SECRET_KEY, never in the URL")
	}
	switch u.Scheme {
	case "file":
		p := u.Path
		if u.Opaque != "" {
			p = u.Opaque // file:relative/path
		}
		if (u.Host != "" && u.Host != "localhost") || p == "" || u.RawQuery != "" {
			return f, errors.New("name a directory as file:///absolute/path or file:relative/path")
		}
		f.Store, f.Dir = FilesDir, filepath.Clean(filepath.FromSlash(p))
		return f, nil
	case "s3":
		if !bucketRE.MatchString(u.Host) || strings.Contains(u.Host, "..") {
			return f, fmt.Errorf("bucket %q: S3 bucket names are 3 to 63 lower-case letters, digits, dots and dashes", u.Host)
		}
		if u.RawQuery != "" || u.Fragment != "" {
			return f, errors.New("an s3:// URL takes no query; the endpoint, region and keys are FILES_S3_* settings")
		}
		f.Store, f.S3.Bucket = FilesS3, u.Host
		if p := strings.Trim(u.Path, "/"); p != "" {
			f.S3.Prefix = p + "/"
		}
		return f, nil
	}
	return f, errors.New("use file:///path, postgres or s3://bucket/prefix")
}

// openFiles returns the store f names. It does no I/O.
func openFiles(f FilesConfig, db *sqlstore.Store) (core.BlobStore, error) {
	switch f.Store {
	case FilesDir:
		return blob.NewDir(f.Dir), nil
	case FilesPostgres:
		if db.Dialect() != "postgres" {
			return nil, errors.New("files in the database need a PostgreSQL DATABASE_URL")
		}
		return db.Blobs(), nil
	case FilesS3:
		st, err := s3.New(s3.Config{Endpoint: f.S3.Endpoint, Region: f.S3.Region, Bucket: f.S3.Bucket, Prefix: f.S3.Prefix,
			AccessKey: f.S3.AccessKey, SecretKey: string(f.S3.SecretKey), PathStyle: f.S3.PathStyle})
		if err != nil {
			return nil, fmt.Errorf("files in %s: %w", f, err)
		}
		return st, nil
	}
	return nil, fmt.Errorf("no file store %q", f.Store)
}
