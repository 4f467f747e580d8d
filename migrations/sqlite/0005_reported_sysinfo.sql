-- System information as the customer's browser reports it, kept beside what
-- relaydesk parsed from the User-Agent (src_*), which it no longer
-- overwrites; and whether a technician's request for it is still
-- unanswered, the only time a customer may send it. Requests asked before
-- this migration and not yet answered stay askable.
ALTER TABLE requests ADD COLUMN rep_device TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN rep_os TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN rep_browser TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN rep_language TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN sysinfo_asked SMALLINT NOT NULL DEFAULT 0;
UPDATE requests SET sysinfo_asked = 1
WHERE (SELECT MAX(rseq) FROM events WHERE events.request_id = requests.id AND events.type = 'sysinfo.requested')
    > COALESCE((SELECT MAX(rseq) FROM events WHERE events.request_id = requests.id AND events.type = 'sysinfo.provided'), 0);
