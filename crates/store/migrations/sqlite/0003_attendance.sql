-- Attendance (签到), the duty ledger (台账) and locked subsidy months.
-- A duty is identified by its station, local date, half-day, lawyer and role, as in
-- assignments of a published version; instants are UTC, RFC 3339 text.

CREATE TABLE attendance (
    id               INTEGER PRIMARY KEY,
    centre_id        TEXT NOT NULL REFERENCES centres(id),
    roster_id        INTEGER NOT NULL REFERENCES rosters(id),
    station_id       TEXT NOT NULL REFERENCES stations(id),
    date             TEXT NOT NULL,
    half_day         TEXT NOT NULL CHECK (half_day IN ('am', 'pm')),
    lawyer_id        TEXT NOT NULL REFERENCES lawyers(id),
    role             TEXT NOT NULL CHECK (role IN ('primary', 'backup')),
    -- checked_in: arrived; attended: checked in and out; excused: a coordinator excused
    -- the absence.
    status           TEXT NOT NULL CHECK (status IN ('checked_in', 'attended', 'excused')),
    method           TEXT CHECK (method IN ('app', 'qr', 'manual')),
    check_in_at      TEXT,
    check_out_at     TEXT,
    check_in_lat     REAL,
    check_in_lon     REAL,
    distance_m       REAL,
    minutes_late     INTEGER NOT NULL DEFAULT 0 CHECK (minutes_late >= 0),
    late             INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1)),
    outside_geofence INTEGER NOT NULL DEFAULT 0 CHECK (outside_geofence IN (0, 1)),
    -- Outside the geofence needs a coordinator's approval before it pays.
    approved         INTEGER NOT NULL DEFAULT 1 CHECK (approved IN (0, 1)),
    reason           TEXT NOT NULL DEFAULT '',
    idempotency_key  TEXT,
    updated_at       TEXT NOT NULL,
    UNIQUE (station_id, date, half_day, lawyer_id, role)
) STRICT;
CREATE UNIQUE INDEX attendance_idempotency ON attendance(lawyer_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX attendance_by_centre ON attendance(centre_id, date);

-- What happened on a duty.
CREATE TABLE ledger_entries (
    station_id    TEXT NOT NULL REFERENCES stations(id),
    date          TEXT NOT NULL,
    half_day      TEXT NOT NULL CHECK (half_day IN ('am', 'pm')),
    lawyer_id     TEXT NOT NULL REFERENCES lawyers(id),
    centre_id     TEXT NOT NULL REFERENCES centres(id),
    consultations INTEGER NOT NULL DEFAULT 0 CHECK (consultations >= 0),
    plea_signings INTEGER NOT NULL DEFAULT 0 CHECK (plea_signings >= 0),
    quality       TEXT,
    notes         TEXT NOT NULL DEFAULT '',
    updated_at    TEXT NOT NULL,
    updated_by    TEXT NOT NULL,
    PRIMARY KEY (station_id, date, half_day, lawyer_id)
) STRICT;
CREATE INDEX ledger_by_centre ON ledger_entries(centre_id, date);

-- Legal-aid applications received on a duty: forwarded to the centre within 24 hours.
CREATE TABLE ledger_applications (
    id           INTEGER PRIMARY KEY,
    station_id   TEXT NOT NULL,
    date         TEXT NOT NULL,
    half_day     TEXT NOT NULL,
    lawyer_id    TEXT NOT NULL,
    applicant    TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    forwarded_at TEXT,
    FOREIGN KEY (station_id, date, half_day, lawyer_id)
        REFERENCES ledger_entries(station_id, date, half_day, lawyer_id) ON DELETE CASCADE
) STRICT;

-- A month finance approved: its statement as approved, never recomputed.
CREATE TABLE subsidy_months (
    centre_id  TEXT NOT NULL REFERENCES centres(id),
    month      TEXT NOT NULL,
    locked_at  TEXT NOT NULL,
    locked_by  TEXT NOT NULL,
    statement  TEXT NOT NULL,
    PRIMARY KEY (centre_id, month)
) STRICT;
