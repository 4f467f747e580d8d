-- Where a request's call stands ('' none, 'ringing', 'live') and the
-- customer participant who answered it.
ALTER TABLE requests ADD COLUMN call_state TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN call_by TEXT NOT NULL DEFAULT '';
