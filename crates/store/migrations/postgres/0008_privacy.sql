-- Check-in positions kept for a number of days per centre (see the SQLite migration
-- 0012_privacy.sql).
ALTER TABLE centre_policies ADD COLUMN position_retention_days BIGINT NOT NULL DEFAULT 90
    CHECK (position_retention_days BETWEEN 1 AND 3650);
CREATE INDEX attendance_positions ON attendance (centre_id, check_in_at)
    WHERE check_in_lat IS NOT NULL;
CREATE INDEX attendance_by_lawyer ON attendance (lawyer_id, date);
CREATE INDEX ledger_by_lawyer ON ledger_entries (lawyer_id, date);
CREATE INDEX audit_by_actor ON audit_log (actor);
CREATE INDEX audit_by_target ON audit_log (target);
