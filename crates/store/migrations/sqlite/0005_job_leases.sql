-- Job leases: a running job belongs to one process (`worker`), which renews `heartbeat_at`
-- while it solves; a lease gone stale (the process died) is taken back and the job queued
-- again, up to a few attempts.
ALTER TABLE jobs ADD COLUMN worker TEXT;
ALTER TABLE jobs ADD COLUMN heartbeat_at TEXT;
ALTER TABLE jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX jobs_waiting ON jobs(status, id);
