-- Where the recording of a request's screen share stands: '' none, 'asked'
-- (the customer has not answered), 'on' (allowed, being written).
ALTER TABLE requests ADD COLUMN recording TEXT NOT NULL DEFAULT '';
