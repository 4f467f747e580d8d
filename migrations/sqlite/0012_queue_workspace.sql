-- Queue pages break ties of every sort column by request number, then ID
-- (core.QueueCursor): the sort indexes carry the number too, so a page is
-- still one index range scan. Sorting by status walks one status at a time
-- in workflow order (new, active, completed), by number within each.
DROP INDEX requests_created;
CREATE INDEX requests_created ON requests (created_at, number, id);
DROP INDEX requests_updated;
CREATE INDEX requests_updated ON requests (updated_at, number, id);
DROP INDEX requests_company;
CREATE INDEX requests_company ON requests (company_name, number, id);
DROP INDEX requests_status;
CREATE INDEX requests_status ON requests (status, number, id);
DROP INDEX requests_owner;
CREATE INDEX requests_owner ON requests (owner_name, number, id);
DROP INDEX requests_customer;
CREATE INDEX requests_customer ON requests (customer_email, number, id);
DROP INDEX requests_queue;
CREATE INDEX requests_queue ON requests (company_id, status, created_at, number, id);
DROP INDEX requests_mine;
CREATE INDEX requests_mine ON requests (owner_id, status, created_at, number, id);

-- How far each technician has read each request they take part in
-- (core.Engine.MarkRead): the rseq of the last line the console showed
-- them. It only ever grows. The queue counts the customer's lines after it.
CREATE TABLE read_marks (
    technician_id TEXT NOT NULL REFERENCES technicians (id) ON DELETE CASCADE,
    request_id    TEXT NOT NULL REFERENCES requests (id),
    rseq          BIGINT NOT NULL,
    PRIMARY KEY (technician_id, request_id)
);
