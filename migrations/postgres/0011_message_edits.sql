-- Messages are edited and withdrawn by their authors (core.Engine.EditMessage,
-- WithdrawMessage). A message row holds its current text; version counts
-- its texts, 1 being the original, and edited_at (Unix microseconds) is
-- when the current one was written, 0 when never edited. A withdrawn
-- message keeps its text for technicians: withdrawn_at is when, 0 if it
-- was not, and withdrawn_by_kind and withdrawn_by_id say who.
ALTER TABLE messages ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE messages ADD COLUMN edited_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN withdrawn_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN withdrawn_by_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN withdrawn_by_id TEXT NOT NULL DEFAULT '';

-- Every text an edited message has had, for technicians (audit). Rows are
-- written by the first edit, which keeps the original as version 1 beside
-- the new text: a message never edited, as most are, costs no row here,
-- and its one text is messages.body. From then on the current text is
-- both messages.body and the newest row.
CREATE TABLE message_versions (
    message_id  TEXT NOT NULL REFERENCES messages (id),
    version     BIGINT NOT NULL,
    body        TEXT NOT NULL,
    edited_at   BIGINT NOT NULL,
    editor_kind TEXT NOT NULL,
    editor_id   TEXT NOT NULL,
    PRIMARY KEY (message_id, version)
);

-- Where the adapters relayed each message (core.Copy): a Slack ts, a
-- Discord message ID, a Telegram message_id (platform_id) in a thread or
-- chat (target), per part of a message the platform took in pieces, so
-- that an edit or a withdrawal reaches every copy. origin = 1 marks the
-- platform message the author wrote, so that an edit or a delete made
-- there finds its relaydesk message; version is the text the copy shows.
CREATE TABLE relayed_copies (
    message_id  TEXT NOT NULL REFERENCES messages (id),
    destination TEXT NOT NULL,
    target      TEXT NOT NULL,
    part        INTEGER NOT NULL,
    platform_id TEXT NOT NULL,
    origin      SMALLINT NOT NULL,
    version     BIGINT NOT NULL,
    sent_at     BIGINT NOT NULL,
    PRIMARY KEY (message_id, destination, target, part)
);
CREATE UNIQUE INDEX relayed_copies_platform ON relayed_copies (destination, target, platform_id);
