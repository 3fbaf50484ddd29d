-- Personal data (个人信息保护法): each centre keeps check-in positions exactly for a number of
-- days; after it only the distance and the inside/outside verdict remain.
ALTER TABLE centre_policies ADD COLUMN position_retention_days INTEGER NOT NULL DEFAULT 90
    CHECK (position_retention_days BETWEEN 1 AND 3650);
-- The check-ins whose positions are still kept, by centre and time, for the daily trimming.
CREATE INDEX attendance_positions ON attendance (centre_id, check_in_at)
    WHERE check_in_lat IS NOT NULL;
-- A person's own records, for their download.
CREATE INDEX attendance_by_lawyer ON attendance (lawyer_id, date);
CREATE INDEX ledger_by_lawyer ON ledger_entries (lawyer_id, date);
-- What the audit log holds about one person (their download).
CREATE INDEX audit_by_actor ON audit_log (actor);
CREATE INDEX audit_by_target ON audit_log (target);
