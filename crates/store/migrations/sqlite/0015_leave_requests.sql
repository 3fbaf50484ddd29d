-- Leave requests (请假申请): asked in writing ahead, decided by a coordinator of the lawyer's
-- centre; an approved request adds its leave to lawyer_leave in the same transaction.
CREATE TABLE leave_requests (
    -- Never reused: an id names one request.
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    lawyer_id    TEXT NOT NULL REFERENCES lawyers(id),
    -- The lawyer's home centre when it was asked: whose coordinators decide it.
    centre_id    TEXT NOT NULL REFERENCES centres(id),
    from_date    TEXT NOT NULL,
    to_date      TEXT NOT NULL,
    half_day     TEXT CHECK (half_day IN ('am', 'pm')),
    reason       TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'rejected', 'withdrawn')),
    requested_at TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    decided_at   TEXT,
    decided_by   TEXT,
    note         TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX leave_requests_by_centre ON leave_requests (centre_id, status, id);
CREATE INDEX leave_requests_by_lawyer ON leave_requests (lawyer_id, id);
-- How many days ahead a centre's lawyers request leave.
ALTER TABLE centre_policies ADD COLUMN leave_notice_days INTEGER NOT NULL DEFAULT 3;
