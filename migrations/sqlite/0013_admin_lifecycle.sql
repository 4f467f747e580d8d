-- Technicians leave and companies stop taking requests without losing
-- their history. deactivated_at (Unix microseconds; 0: active) ends a
-- technician's sign-ins and platform links and hides them as a colleague;
-- archived_at (0: open) makes a company refuse new requests while its old
-- ones stay readable.
ALTER TABLE technicians ADD COLUMN deactivated_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE companies ADD COLUMN archived_at BIGINT NOT NULL DEFAULT 0;

-- Who changed what of the desk's set-up, newest last: the admin page shows
-- the latest entries. Names are copied so that an entry still reads right
-- after a rename.
CREATE TABLE admin_log (
    seq         INTEGER PRIMARY KEY,
    actor_kind  TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_name  TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    target_name TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
