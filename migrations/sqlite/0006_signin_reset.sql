-- When an admin last cleared a technician's failed console sign-ins (Unix
-- microseconds; 0: never). Each relaydesk process counts failures in
-- memory; every process ignores those older than this, so clearing works
-- from the console or the CLI whichever process served the failures.
ALTER TABLE technicians ADD COLUMN signin_reset_at BIGINT NOT NULL DEFAULT 0;
