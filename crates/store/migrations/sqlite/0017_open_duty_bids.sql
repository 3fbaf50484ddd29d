-- Where a centre's coordinators pick among claimants (centre_policies.claims_picked), a
-- claim of an open duty is a bid that waits: the coordinator picks one, which takes the post
-- for that lawyer exactly as a first-come claim does (open_duty_claims), and the bids still
-- waiting are passed over once no post is left or the duty is withdrawn.
ALTER TABLE centre_policies ADD COLUMN claims_picked INTEGER NOT NULL DEFAULT 0 CHECK (claims_picked IN (0, 1));
CREATE TABLE open_duty_bids (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    open_duty_id  INTEGER NOT NULL REFERENCES open_duties(id),
    lawyer_id     TEXT NOT NULL REFERENCES lawyers(id),
    bid_at        TEXT NOT NULL,
    bid_by        TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('waiting', 'picked', 'passed', 'declined', 'withdrawn')),
    decided_at    TEXT,
    UNIQUE (open_duty_id, lawyer_id)
) STRICT;
CREATE INDEX open_duty_bids_by_lawyer ON open_duty_bids (lawyer_id, status);
-- Leave still waiting for a decision, by the days it covers (a wish every problem reads).
CREATE INDEX leave_requests_waiting ON leave_requests (status, to_date);
