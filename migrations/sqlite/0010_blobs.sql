-- File contents kept in the database itself (sqlstore.Blobs). relaydesk
-- uses these tables on PostgreSQL only, where processes on several machines
-- must share their files; on SQLite, one process on one machine, files stay
-- in DATA_DIR/files and the tables stay empty. They exist here too so that
-- both databases keep one schema. See the PostgreSQL migration for what
-- the columns mean.
CREATE TABLE blobs (
    id        TEXT PRIMARY KEY,
    sha256    TEXT UNIQUE,
    size      BIGINT NOT NULL,
    chunk     INTEGER NOT NULL,
    stored_at BIGINT NOT NULL
);

CREATE TABLE blob_chunks (
    blob_id TEXT NOT NULL REFERENCES blobs (id) ON DELETE CASCADE,
    n       INTEGER NOT NULL,
    data    BLOB NOT NULL,
    PRIMARY KEY (blob_id, n)
);

CREATE INDEX files_sha256 ON files (sha256);
