-- Live sessions (screen shares) across relaydesk processes on one
-- database. A session's media lives in one process: live_rooms says which
-- (process is the store's random per-process origin) until lease_until
-- (Unix microseconds), renewed while the session runs, so that another
-- process takes over a session whose process died. live_mail carries the
-- session's signalling between a browser's process and the session's,
-- oldest first; a process takes its mail when NOTIFYed and deletes it.
CREATE TABLE live_rooms (
    request_id  TEXT PRIMARY KEY,
    process     TEXT NOT NULL,
    lease_until BIGINT NOT NULL
);
CREATE TABLE live_mail (
    seq        BIGSERIAL PRIMARY KEY,
    to_process TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX live_mail_to ON live_mail (to_process, seq);
