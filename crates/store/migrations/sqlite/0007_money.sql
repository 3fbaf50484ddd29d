-- Money and trust: a locked month never changes, pay needs proof, attendance must be real.

-- A locked month's first and last day, so that every write of a pay fact refuses a locked
-- day in the same statement or transaction (dates are `YYYY-MM-DD` text).
ALTER TABLE subsidy_months ADD COLUMN first_day TEXT NOT NULL DEFAULT '';
ALTER TABLE subsidy_months ADD COLUMN last_day TEXT NOT NULL DEFAULT '';
-- Months stored under a spelling other than `YYYY-MM` (the old parser let `2026-+9` through)
-- get no days here, so they do not stop the upgrade; see docs/OPERATIONS.md to find them.
UPDATE subsidy_months SET first_day = COALESCE(date(month || '-01'), ''),
    last_day = COALESCE(date(month || '-01', '+1 month', '-1 day'), '');
-- The subsidy policy versions that priced the month, frozen at approval (JSON array):
-- corrections of the month are priced with them.
ALTER TABLE subsidy_months ADD COLUMN policies TEXT NOT NULL DEFAULT '[]';

-- A correction can void a record (it no longer counts for pay; the record stays).
ALTER TABLE attendance ADD COLUMN voided INTEGER NOT NULL DEFAULT 0 CHECK (voided IN (0, 1));

-- Plea agreements a lawyer enters are claims; only the count a coordinator confirmed pays.
ALTER TABLE ledger_entries ADD COLUMN confirmed_plea_signings INTEGER
    CHECK (confirmed_plea_signings >= 0);
ALTER TABLE ledger_entries ADD COLUMN confirmed_by TEXT;
ALTER TABLE ledger_entries ADD COLUMN confirmed_at TEXT;
-- Entries of months already approved were paid as they stand: they count as confirmed.
UPDATE ledger_entries SET confirmed_plea_signings = plea_signings, confirmed_by = 'migration',
    confirmed_at = updated_at
    WHERE EXISTS (SELECT 1 FROM subsidy_months m WHERE m.centre_id = ledger_entries.centre_id
                  AND ledger_entries.date BETWEEN m.first_day AND m.last_day);

-- A coordinator's correction of a locked month's facts, with its reason; finance sees
-- them, and the difference is paid as an adjustment line in the next open month.
CREATE TABLE corrections (
    id          INTEGER PRIMARY KEY,
    centre_id   TEXT NOT NULL REFERENCES centres(id),
    month       TEXT NOT NULL,
    station_id  TEXT NOT NULL REFERENCES stations(id),
    date        TEXT NOT NULL,
    half_day    TEXT NOT NULL CHECK (half_day IN ('am', 'pm')),
    lawyer_id   TEXT NOT NULL REFERENCES lawyers(id),
    role        TEXT NOT NULL CHECK (role IN ('primary', 'backup')),
    -- The facts before and after, as JSON.
    before      TEXT NOT NULL,
    after       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;
CREATE INDEX corrections_by_centre ON corrections(centre_id, month);

-- Centre rules for attendance and claims.
ALTER TABLE centre_policies ADD COLUMN checkout_grace_minutes INTEGER NOT NULL DEFAULT 60;
ALTER TABLE centre_policies ADD COLUMN min_presence_pct INTEGER NOT NULL DEFAULT 50;
ALTER TABLE centre_policies ADD COLUMN max_plea_signings INTEGER NOT NULL DEFAULT 10;
