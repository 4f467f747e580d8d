-- Outbound delivery by conversation: one row per destination and request
-- that has had events since the destination's cursor passed them. The
-- scanner (whoever leases the destination's cursor) raises pending to the
-- request's highest event sequence (rseq); any process may claim a row
-- whose delivered < pending, deliver its events in rseq order and move
-- delivered on. attempts and last_error describe the failed tries at the
-- next event (its delivery state: retrying, and why); next_at holds a
-- conversation back until a retry is due; used says the destination sent
-- anything at all for the request; events up to since came before the
-- destination followed the request. Times are Unix microseconds.
CREATE TABLE dispatch_convs (
    destination TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    since       BIGINT NOT NULL,
    pending     BIGINT NOT NULL,
    delivered   BIGINT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    used        BIGINT NOT NULL DEFAULT 0,
    lease_owner TEXT NOT NULL DEFAULT '',
    lease_until BIGINT NOT NULL DEFAULT 0,
    next_at     BIGINT NOT NULL DEFAULT 0,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (destination, request_id)
);
CREATE INDEX dispatch_convs_ready ON dispatch_convs (destination, next_at) WHERE delivered < pending;
CREATE INDEX dispatch_convs_owner ON dispatch_convs (destination, lease_owner) WHERE lease_owner <> '';
CREATE INDEX dispatch_convs_request ON dispatch_convs (request_id);

-- The processes delivering to each destination, renewed while they live:
-- platform budgets that are global per bot are split among them.
CREATE TABLE dispatch_members (
    destination TEXT NOT NULL,
    owner       TEXT NOT NULL,
    until       BIGINT NOT NULL,
    PRIMARY KEY (destination, owner)
);

-- A failed event's place in its request, for the delivery state of messages.
ALTER TABLE dispatch_failures ADD COLUMN rseq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX dispatch_failures_request ON dispatch_failures (request_id);
