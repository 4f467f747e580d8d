-- relaydesk schema, PostgreSQL. Timestamps are Unix microseconds (UTC) in
-- BIGINT, the same as on SQLite, so one SQL text serves both databases.
-- IDs are made by relaydesk; "" stands for "none" to keep scans simple.
-- Sortable text columns use the "C" collation: byte order, as on SQLite, so
-- lists sort the same on both databases and keyset pages stay consistent.

CREATE TABLE companies (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    slug           TEXT NOT NULL UNIQUE,
    portal_key     TEXT NOT NULL UNIQUE,
    allowed_exts   TEXT NOT NULL,
    max_file_bytes BIGINT NOT NULL,
    next_number    BIGINT NOT NULL DEFAULT 1000,
    created_at     BIGINT NOT NULL
);

CREATE TABLE technicians (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'technician')),
    availability  TEXT NOT NULL CHECK (availability IN ('available', 'busy', 'away')),
    password_hash TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL
);

CREATE TABLE access (
    technician_id TEXT NOT NULL REFERENCES technicians (id) ON DELETE CASCADE,
    company_id    TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    PRIMARY KEY (technician_id, company_id)
);
CREATE INDEX access_company ON access (company_id);

CREATE TABLE customers (
    id         TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies (id),
    email      TEXT NOT NULL DEFAULT '',
    name       TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX customers_email ON customers (company_id, email) WHERE email <> '';

CREATE TABLE identities (
    platform     TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    subject_kind TEXT NOT NULL CHECK (subject_kind IN ('technician', 'customer')),
    subject_id   TEXT NOT NULL,
    PRIMARY KEY (platform, external_id)
);

CREATE TABLE requests (
    id             TEXT COLLATE "C" PRIMARY KEY,
    company_id     TEXT NOT NULL REFERENCES companies (id),
    company_name   TEXT COLLATE "C" NOT NULL,
    number         BIGINT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('new', 'active', 'completed')),
    chat           TEXT NOT NULL CHECK (chat IN ('waiting', 'live', 'ended')),
    owner_id       TEXT NOT NULL DEFAULT '',
    owner_name     TEXT COLLATE "C" NOT NULL DEFAULT '',
    customer_id    TEXT NOT NULL DEFAULT '',
    customer_email TEXT COLLATE "C" NOT NULL DEFAULT '',
    customer_name  TEXT NOT NULL DEFAULT '',
    subject        TEXT NOT NULL DEFAULT '',
    src_channel    TEXT NOT NULL DEFAULT '',
    src_ip         TEXT NOT NULL DEFAULT '',
    src_device     TEXT NOT NULL DEFAULT '',
    src_os         TEXT NOT NULL DEFAULT '',
    src_browser    TEXT NOT NULL DEFAULT '',
    src_language   TEXT NOT NULL DEFAULT '',
    closing_note   TEXT NOT NULL DEFAULT '',
    invite_hash    TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    closed_at      BIGINT NOT NULL DEFAULT 0,
    version        BIGINT NOT NULL,
    UNIQUE (company_id, number)
);
-- Queue pages: keyset order on each sortable column, the ID breaking ties.
CREATE INDEX requests_created  ON requests (created_at, id);
CREATE INDEX requests_updated  ON requests (updated_at, id);
CREATE INDEX requests_number   ON requests (number, id);
CREATE INDEX requests_company  ON requests (company_name, id);
CREATE INDEX requests_status   ON requests (status, id);
CREATE INDEX requests_owner    ON requests (owner_name, id);
CREATE INDEX requests_customer ON requests (customer_email, id);
CREATE INDEX requests_mine     ON requests (owner_id, status);
CREATE UNIQUE INDEX requests_invite ON requests (invite_hash) WHERE invite_hash <> '';

CREATE TABLE participants (
    id         TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests (id),
    role       TEXT NOT NULL CHECK (role IN ('customer', 'collaborator', 'reader')),
    subject_id TEXT NOT NULL,
    name       TEXT NOT NULL DEFAULT '',
    is_primary SMALLINT NOT NULL DEFAULT 0,
    token_hash TEXT NOT NULL DEFAULT '',
    joined_at  BIGINT NOT NULL,
    left_at    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX participants_request ON participants (request_id);
CREATE UNIQUE INDEX participants_token ON participants (token_hash) WHERE token_hash <> '';

CREATE TABLE files (
    id            TEXT PRIMARY KEY,
    request_id    TEXT NOT NULL REFERENCES requests (id),
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    uploader_kind TEXT NOT NULL,
    uploader_id   TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX files_request ON files (request_id);

CREATE TABLE messages (
    id          TEXT PRIMARY KEY,
    request_id  TEXT NOT NULL REFERENCES requests (id),
    rseq        BIGINT NOT NULL,
    author_kind TEXT NOT NULL,
    author_id   TEXT NOT NULL,
    author_name TEXT NOT NULL DEFAULT '',
    audience    TEXT NOT NULL,
    body        TEXT NOT NULL DEFAULT '',
    file_id     TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    UNIQUE (request_id, rseq)
);

-- The event log. txid is the writing transaction's ID: readers take only
-- events of transactions older than every running one, and order by
-- (txid, seq), so a transaction that commits late is never skipped.
CREATE TABLE events (
    seq        BIGSERIAL PRIMARY KEY,
    txid       BIGINT NOT NULL,
    request_id TEXT NOT NULL,
    company_id TEXT NOT NULL,
    rseq       BIGINT NOT NULL,
    type       TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id   TEXT NOT NULL,
    audience   TEXT NOT NULL,
    data       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (request_id, rseq)
);
CREATE INDEX events_position ON events (txid, seq);

-- Inbound idempotency: one row per platform event applied.
CREATE TABLE inbound (
    source      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    result      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (source, external_id)
);

-- One cursor per outbound destination, leased by one process at a time.
CREATE TABLE dispatch_cursors (
    destination TEXT PRIMARY KEY,
    txid        BIGINT NOT NULL,
    seq         BIGINT NOT NULL,
    lease_owner TEXT NOT NULL DEFAULT '',
    lease_until BIGINT NOT NULL DEFAULT 0,
    updated_at  BIGINT NOT NULL
);

-- Events a destination refused for good (a blocked bot, a deleted channel).
CREATE TABLE dispatch_failures (
    destination TEXT NOT NULL,
    txid        BIGINT NOT NULL,
    seq         BIGINT NOT NULL,
    request_id  TEXT NOT NULL,
    error       TEXT NOT NULL,
    attempts    BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (destination, txid, seq)
);
