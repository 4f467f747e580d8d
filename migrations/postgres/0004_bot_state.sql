-- What the chat platform adapters keep between runs, one value per name:
-- the last Telegram update processed ("telegram:<bot id>:offset"), the
-- company a chat chose through a deep link, and the chat of a customer
-- whose account link moved on to a newer request. updated_at is Unix
-- microseconds.
CREATE TABLE bot_state (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A Telegram chat's latest request is found from its customer, and the chat
-- of a request's customer from the customer: both by subject.
CREATE INDEX participants_subject ON participants (subject_id);
CREATE INDEX identities_subject ON identities (subject_id);
