-- When a check-in's check-out counts: from the earliest instant that covers the centre's
-- minimum time on site to the duty's end plus the check-out grace (UTC, RFC 3339 text),
-- computed at check-in so that a check-out stays one guarded write. NULL: no limit (records
-- made before this migration, manual entries).
ALTER TABLE attendance ADD COLUMN checkout_from TEXT;
ALTER TABLE attendance ADD COLUMN checkout_until TEXT;
