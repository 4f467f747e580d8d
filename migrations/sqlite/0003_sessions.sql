-- Console sign-ins: one row per signed-in browser. The cookie carries a
-- random 256-bit token; only its SHA-256 is kept here, so reading this table
-- signs nobody in. expires_at is the earlier of the idle and the absolute
-- limit and moves with last_seen_at; csrf is the token every state-changing
-- console request must echo in a header.
CREATE TABLE sessions (
    id_hash       TEXT PRIMARY KEY,
    technician_id TEXT NOT NULL REFERENCES technicians (id) ON DELETE CASCADE,
    csrf          TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX sessions_technician ON sessions (technician_id);
CREATE INDEX sessions_expires ON sessions (expires_at);
