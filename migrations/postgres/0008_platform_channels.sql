-- A company's queue channel on each technician platform, and back: the
-- company whose queue a channel is. Binding was kept as two bot_state
-- names per side ("slack:channel:<company>", "slack:company:<channel>"),
-- written one after the other; a channel taken over by a second company
-- could leave the first one still pointing at it. Only bindings whose two
-- sides agree are carried over. bound_at is Unix microseconds.
CREATE TABLE platform_channels (
    platform   TEXT NOT NULL,
    company_id TEXT NOT NULL REFERENCES companies (id),
    channel    TEXT NOT NULL,
    bound_at   BIGINT NOT NULL,
    PRIMARY KEY (platform, company_id),
    UNIQUE (platform, channel)
);

INSERT INTO platform_channels (platform, company_id, channel, bound_at)
SELECT p.platform, c.id, b.value, b.updated_at
FROM (SELECT 'slack' AS platform UNION ALL SELECT 'discord') p
JOIN companies c ON true
JOIN bot_state b ON b.name = p.platform || ':channel:' || c.id AND b.value <> ''
JOIN bot_state back ON back.name = p.platform || ':company:' || b.value AND back.value = c.id;

DELETE FROM bot_state WHERE name LIKE 'slack:channel:%' OR name LIKE 'slack:company:%'
    OR name LIKE 'discord:channel:%' OR name LIKE 'discord:company:%';
