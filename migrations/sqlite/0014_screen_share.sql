-- Where a request's screen share stands ('' none, 'asked', 'live') and the
-- customer participant sharing while it is live (issue 14).
ALTER TABLE requests ADD COLUMN screen TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN screen_by TEXT NOT NULL DEFAULT '';
