-- The notification outbox: one row per message to one person, written in the transaction of
-- the change that causes it (a roster published or changed, ...), sent by a dispatcher that
-- leases due rows (several processes never take one row at once), retried with backoff
-- and kept as a dead letter after the last attempt. Every row is also the recipient's
-- in-page inbox. A send that succeeds but is not marked (a crash between the two) is sent
-- again: each message carries its idempotency key for the receiver.
CREATE TABLE notifications (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    centre_id        TEXT NOT NULL REFERENCES centres(id),
    lawyer_id        TEXT REFERENCES lawyers(id),
    event            TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body             TEXT NOT NULL,
    link             TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL UNIQUE,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'dead')),
    -- Where it went: `webhook`, or `inbox` when no outside channel is configured.
    channel          TEXT NOT NULL DEFAULT '',
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    lease_owner      TEXT,
    lease_until      TEXT,
    last_error       TEXT NOT NULL DEFAULT '',
    created_at       TEXT NOT NULL,
    sent_at          TEXT
) STRICT;
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
CREATE INDEX notifications_by_centre ON notifications (centre_id, id);
CREATE INDEX notifications_by_lawyer ON notifications (lawyer_id, id);
-- Calendar reminders (VALARM in lawyers' feeds): the evening before a duty at this local
-- time ('' for none), and this many minutes before it (0 for none).
ALTER TABLE centre_policies ADD COLUMN reminder_evening TEXT NOT NULL DEFAULT '18:00';
ALTER TABLE centre_policies ADD COLUMN reminder_before_minutes INTEGER NOT NULL DEFAULT 60;
