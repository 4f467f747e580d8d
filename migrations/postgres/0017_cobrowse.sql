-- Where a request's co-browsing stands ('' none, 'asked', 'live') and the
-- customer participant whose page is shown while it is live (issue 14).
ALTER TABLE requests ADD COLUMN cobrowse TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN cobrowse_by TEXT NOT NULL DEFAULT '';
