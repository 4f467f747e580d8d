-- File contents kept in the database itself, so that relaydesk processes on
-- several machines sharing one PostgreSQL serve each other's uploads
-- (sqlstore.Blobs). A blob's row exists from the start of its upload, with
-- sha256 NULL until every chunk is written and the bytes' hash is known;
-- then it is published under that hash. stored_at (Unix microseconds) is
-- when the bytes were last stored: an upload's start, then its publication,
-- then any later upload of the same bytes. Unreferenced blobs are collected
-- only once stored_at is older than a grace period.
CREATE TABLE blobs (
    id        TEXT PRIMARY KEY,
    sha256    TEXT UNIQUE,
    size      BIGINT NOT NULL,
    chunk     INTEGER NOT NULL,
    stored_at BIGINT NOT NULL
);

-- A blob's bytes in order, chunk bytes each (the last may be shorter).
-- Deleting a blob deletes its chunks in the same statement.
CREATE TABLE blob_chunks (
    blob_id TEXT NOT NULL REFERENCES blobs (id) ON DELETE CASCADE,
    n       INTEGER NOT NULL,
    data    BYTEA NOT NULL,
    PRIMARY KEY (blob_id, n)
);
-- Uploads are mostly images, PDFs and archives, compressed already: storing
-- chunks uncompressed saves the CPU a second compression would cost.
ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

-- Which blobs files still name: the garbage collector asks per blob, and
-- `relaydesk files migrate` walks them in order.
CREATE INDEX files_sha256 ON files (sha256);
