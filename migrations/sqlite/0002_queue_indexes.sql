-- Queue pages for the small views. New requests are the newest ones, and a
-- technician's own are few, so walking the created_at index from the oldest
-- end and filtering finds them only after most of the table. These indexes
-- go straight to them, already in created order.
CREATE INDEX requests_queue ON requests (company_id, status, created_at, id);
DROP INDEX requests_mine;
CREATE INDEX requests_mine ON requests (owner_id, status, created_at, id);
