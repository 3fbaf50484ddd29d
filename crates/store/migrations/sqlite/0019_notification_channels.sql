-- Notifications, second part: where messages go and to whom.
-- A lawyer's e-mail address (a panel field; '' for none).
ALTER TABLE lawyers ADD COLUMN email TEXT NOT NULL DEFAULT '';
-- Who a message is for: a lawyer (`lawyer`, with lawyer_id), or a centre's coordinators
-- (`coordinator`) or finance staff (`finance`), lawyer_id null.
ALTER TABLE notifications ADD COLUMN audience TEXT NOT NULL DEFAULT 'lawyer'
    CHECK (audience IN ('lawyer', 'coordinator', 'finance'));
-- The outside channels it has reached so far (comma-separated), so a retry after one
-- channel failed does not send it again over the others.
ALTER TABLE notifications ADD COLUMN delivered TEXT NOT NULL DEFAULT '';
-- A change of today's duties: it may go by SMS in a recipient's quiet hours.
ALTER TABLE notifications ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;
-- A reminder is not sent out after its duty starts (it stays in the inbox).
ALTER TABLE notifications ADD COLUMN expires_at TEXT;
CREATE INDEX notifications_by_audience ON notifications (centre_id, audience, id);
-- Coordinators' alerts: a duty with no check-in this many minutes after its start (0: none),
-- and a post still uncovered this many days before its date (0: none).
ALTER TABLE centre_policies ADD COLUMN alert_late_minutes INTEGER NOT NULL DEFAULT 30;
ALTER TABLE centre_policies ADD COLUMN alert_uncovered_days INTEGER NOT NULL DEFAULT 3;
-- A centre's own channels: settings (JSON, nothing secret) and the secret (a password,
-- key or token) encrypted with the server's key (ChaCha20-Poly1305, base64; '' for none).
-- The API never returns the secret.
CREATE TABLE centre_channels (
    centre_id   TEXT NOT NULL REFERENCES centres(id),
    kind        TEXT NOT NULL CHECK (kind IN ('email', 'sms', 'webhook', 'wecom', 'dingtalk')),
    enabled     INTEGER NOT NULL DEFAULT 1,
    settings    TEXT NOT NULL DEFAULT '{}',
    secret      TEXT NOT NULL DEFAULT '',
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (centre_id, kind)
) STRICT;
-- A lawyer's choice of channels per kind of event, and quiet hours (JSON).
CREATE TABLE notification_prefs (
    lawyer_id   TEXT PRIMARY KEY REFERENCES lawyers(id),
    prefs       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;
