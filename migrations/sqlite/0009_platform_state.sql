-- What the chat platform adapters kept in bot_state as packed strings gets
-- tables of its own; bot_state keeps only cursors (Telegram's update
-- offset, "telegram:<bot id>:offset"). Rows are carried over when what they
-- point at exists, and the old names are deleted. Times are Unix
-- microseconds; the packed values held Unix seconds.

-- A request's card on a technician platform (core.Card): the message in
-- the company's queue channel, its thread (the request's chat there), and
-- the channel a card is being posted to. Slack addresses a thread as
-- "<channel>/<root ts>", its root being the card. A thread is carried over
-- when its back pointer ("slack:thread:<channel>:<ts>",
-- "discord:thread:<thread>") names the same request.
CREATE TABLE platform_cards (
    platform   TEXT NOT NULL,
    request_id TEXT NOT NULL REFERENCES requests (id),
    channel    TEXT NOT NULL,
    message    TEXT NOT NULL,
    thread     TEXT NOT NULL,
    posting    TEXT NOT NULL,
    posting_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (platform, request_id)
);
CREATE UNIQUE INDEX platform_cards_thread ON platform_cards (platform, thread) WHERE thread <> '';

-- Whether a technician gets a direct message about each new request.
CREATE TABLE platform_notify (
    platform      TEXT NOT NULL,
    technician_id TEXT NOT NULL REFERENCES technicians (id),
    enabled       SMALLINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (platform, technician_id)
);

-- One-time codes that link a platform account to a technician, by the
-- SHA-256 of the code; used_at is 0 until the code is used. Used codes
-- (bot_state's "used") are not carried over: they would never work again.
CREATE TABLE link_codes (
    hash          TEXT PRIMARY KEY,
    platform      TEXT NOT NULL,
    technician_id TEXT NOT NULL REFERENCES technicians (id),
    expires_at    BIGINT NOT NULL,
    used_at       BIGINT NOT NULL
);

-- The company a customer platform's chat chose through a deep link, per
-- bot.
CREATE TABLE chat_companies (
    platform   TEXT NOT NULL,
    bot        TEXT NOT NULL,
    chat       TEXT NOT NULL,
    company_id TEXT NOT NULL REFERENCES companies (id),
    chosen_at  BIGINT NOT NULL,
    PRIMARY KEY (platform, bot, chat)
);

-- The chat of a customer whose account link moved on to a newer request's
-- customer, so that what is still to come of their requests reaches it.
CREATE TABLE customer_chats (
    platform    TEXT NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    chat        TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (platform, customer_id)
);

-- SQLite has no split_part: a value with a space appended is cut at its
-- first space, field by field; a missing field reads "".
WITH card0 AS (
    SELECT p.platform, substr(b.name, length(p.platform) + 7) AS request_id, b.value || ' ' AS v, b.updated_at
    FROM (SELECT 'slack' AS platform UNION ALL SELECT 'discord') p
    JOIN bot_state b ON b.name LIKE p.platform || ':card:%'
), card1 AS (
    SELECT platform, request_id, updated_at, substr(v, 1, instr(v, ' ') - 1) AS channel,
        substr(v, instr(v, ' ') + 1) AS v
    FROM card0
), card2 AS (
    SELECT platform, request_id, updated_at, channel, substr(v, 1, instr(v, ' ') - 1) AS message,
        substr(v, instr(v, ' ') + 1) AS v
    FROM card1
), card AS (
    SELECT platform, request_id, updated_at, channel, message, substr(v, 1, instr(v, ' ') - 1) AS thread
    FROM card2
), posting0 AS (
    SELECT p.platform, substr(b.name, length(p.platform) + 10) AS request_id, b.value || ' ' AS v, b.updated_at
    FROM (SELECT 'slack' AS platform UNION ALL SELECT 'discord') p
    JOIN bot_state b ON b.name LIKE p.platform || ':posting:%'
), posting1 AS (
    SELECT platform, request_id, updated_at, substr(v, 1, instr(v, ' ') - 1) AS channel,
        substr(v, instr(v, ' ') + 1) AS v
    FROM posting0
), posting AS (
    SELECT platform, request_id, updated_at, channel, substr(v, 1, instr(v, ' ') - 1) AS at
    FROM posting1
)
INSERT INTO platform_cards (platform, request_id, channel, message, thread, posting, posting_at, updated_at)
SELECT k.platform, k.request_id, COALESCE(c.channel, ''), COALESCE(c.message, ''),
    CASE
        WHEN k.platform = 'slack' AND EXISTS (SELECT 1 FROM bot_state t
            WHERE t.name = 'slack:thread:' || c.channel || ':' || c.message AND t.value = k.request_id)
            THEN c.channel || '/' || c.message
        WHEN k.platform = 'discord' AND c.thread <> '' AND EXISTS (SELECT 1 FROM bot_state t
            WHERE t.name = 'discord:thread:' || c.thread AND t.value = k.request_id)
            THEN c.thread
        ELSE ''
    END,
    COALESCE(m.channel, ''),
    CASE WHEN length(m.at) BETWEEN 1 AND 12 AND m.at NOT GLOB '*[^0-9]*' THEN CAST(m.at AS BIGINT) * 1000000 ELSE 0 END,
    MAX(COALESCE(c.updated_at, 0), COALESCE(m.updated_at, 0))
FROM (SELECT platform, request_id FROM card UNION SELECT platform, request_id FROM posting) k
JOIN requests r ON r.id = k.request_id
LEFT JOIN card c ON c.platform = k.platform AND c.request_id = k.request_id
LEFT JOIN posting m ON m.platform = k.platform AND m.request_id = k.request_id;

INSERT INTO platform_notify (platform, technician_id, enabled, updated_at)
SELECT p.platform, t.id, CASE WHEN b.value = 'on' THEN 1 ELSE 0 END, b.updated_at
FROM (SELECT 'slack' AS platform UNION ALL SELECT 'discord') p
JOIN bot_state b ON b.name LIKE p.platform || ':notify:%'
JOIN technicians t ON t.id = substr(b.name, length(p.platform) + 9);

WITH link0 AS (
    SELECT p.platform, substr(b.name, length(p.platform) + 7) AS hash, b.value || ' ' AS v
    FROM (SELECT 'slack' AS platform UNION ALL SELECT 'discord') p
    JOIN bot_state b ON b.name LIKE p.platform || ':link:%'
), link1 AS (
    SELECT platform, hash, substr(v, 1, instr(v, ' ') - 1) AS technician_id, substr(v, instr(v, ' ') + 1) AS v
    FROM link0
), link AS (
    SELECT platform, hash, technician_id, substr(v, 1, instr(v, ' ') - 1) AS expires
    FROM link1
)
INSERT INTO link_codes (hash, platform, technician_id, expires_at, used_at)
SELECT l.hash, l.platform, t.id, CAST(l.expires AS BIGINT) * 1000000, 0
FROM link l
JOIN technicians t ON t.id = l.technician_id
WHERE length(l.expires) BETWEEN 1 AND 12 AND l.expires NOT GLOB '*[^0-9]*';

-- "telegram:<bot id>:company:<chat>": neither the bot's ID nor a chat's
-- holds a colon.
INSERT INTO chat_companies (platform, bot, chat, company_id, chosen_at)
SELECT 'telegram', substr(b.name, 10, instr(b.name, ':company:') - 10), substr(b.name, instr(b.name, ':company:') + 9),
    c.id, b.updated_at
FROM bot_state b
JOIN companies c ON c.id = b.value
WHERE b.name LIKE 'telegram:%:company:%';

INSERT INTO customer_chats (platform, customer_id, chat, updated_at)
SELECT 'telegram', c.id, b.value, b.updated_at
FROM bot_state b
JOIN customers c ON c.id = substr(b.name, 18)
WHERE b.name LIKE 'telegram:chat-of:%' AND b.value <> '';

DELETE FROM bot_state WHERE name LIKE 'slack:card:%' OR name LIKE 'slack:thread:%' OR name LIKE 'slack:posting:%'
    OR name LIKE 'slack:notify:%' OR name LIKE 'slack:link:%'
    OR name LIKE 'discord:card:%' OR name LIKE 'discord:thread:%' OR name LIKE 'discord:posting:%'
    OR name LIKE 'discord:notify:%' OR name LIKE 'discord:link:%'
    OR name LIKE 'telegram:%:company:%' OR name LIKE 'telegram:chat-of:%';
