-- Notifications to staff: a coordinator's or finance officer's own e-mail address and
-- mobile phone ('' for none), set by the person, and their choice of channels per kind of
-- message and quiet hours (JSON as a lawyer's in notification_prefs; null: the defaults).
ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN notify_prefs TEXT;
-- Test messages are limited per centre across every `serve` (counted in the audit log).
CREATE INDEX audit_by_action ON audit_log (action, centre_id, id);
