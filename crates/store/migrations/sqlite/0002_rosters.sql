-- Rosters and everything around them: API tokens, centre policies, roster series and their
-- versions with assignments, solve jobs, swaps and the audit log.
-- Instants are UTC, RFC 3339 text; duty dates are local dates (YYYY-MM-DD).

-- Bearer tokens. Only the SHA-256 of a token is kept; the token itself is shown once.
CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'coordinator', 'finance', 'lawyer')),
    centre_id   TEXT REFERENCES centres(id),
    lawyer_id   TEXT REFERENCES lawyers(id),
    label       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT,
    -- Coordinators and finance staff work for one centre, a lawyer token is one lawyer's.
    CHECK ((role IN ('coordinator', 'finance')) = (centre_id IS NOT NULL)),
    CHECK ((role = 'lawyer') = (lawyer_id IS NOT NULL))
) STRICT;

-- Per-centre rules for swaps.
CREATE TABLE centre_policies (
    centre_id         TEXT PRIMARY KEY REFERENCES centres(id),
    swap_same_firm    INTEGER NOT NULL CHECK (swap_same_firm IN (0, 1)),
    swap_min_hours    INTEGER NOT NULL CHECK (swap_min_hours >= 0),
    swap_auto_approve INTEGER NOT NULL CHECK (swap_auto_approve IN (0, 1)),
    -- Check-in opens this long before a duty starts; later than start + grace is late.
    checkin_early_minutes INTEGER NOT NULL DEFAULT 30 CHECK (checkin_early_minutes >= 0),
    late_grace_minutes    INTEGER NOT NULL DEFAULT 10 CHECK (late_grace_minutes >= 0)
) STRICT;

-- A roster series: one centre, one period. Its content lives in versions.
CREATE TABLE rosters (
    id          INTEGER PRIMARY KEY,
    centre_id   TEXT NOT NULL REFERENCES centres(id),
    from_date   TEXT NOT NULL,
    weeks       INTEGER NOT NULL CHECK (weeks BETWEEN 1 AND 26),
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL
) STRICT;
CREATE INDEX rosters_by_centre ON rosters(centre_id, from_date);

-- Versions: a draft can be edited; a published version never changes again (a newer
-- published version supersedes it).
CREATE TABLE roster_versions (
    id           INTEGER PRIMARY KEY,
    roster_id    INTEGER NOT NULL REFERENCES rosters(id),
    number       INTEGER NOT NULL CHECK (number >= 1),
    status       TEXT NOT NULL CHECK (status IN ('draft', 'published', 'superseded')),
    based_on     INTEGER REFERENCES roster_versions(id),
    origin       TEXT NOT NULL,
    report       TEXT NOT NULL,
    revision     INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    published_at TEXT,
    published_by TEXT,
    UNIQUE (roster_id, number)
) STRICT;
-- At most one published version per roster.
CREATE UNIQUE INDEX one_published_version ON roster_versions(roster_id) WHERE status = 'published';

CREATE TABLE assignments (
    version_id  INTEGER NOT NULL REFERENCES roster_versions(id) ON DELETE CASCADE,
    station_id  TEXT NOT NULL REFERENCES stations(id),
    date        TEXT NOT NULL,
    half_day    TEXT NOT NULL CHECK (half_day IN ('am', 'pm')),
    lawyer_id   TEXT NOT NULL REFERENCES lawyers(id),
    role        TEXT NOT NULL CHECK (role IN ('primary', 'backup')),
    pinned      INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
    PRIMARY KEY (version_id, station_id, date, half_day, lawyer_id, role)
) STRICT;
CREATE INDEX assignments_by_lawyer ON assignments(lawyer_id, date);

-- Solve and repair jobs. One queued or running job per centre.
CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY,
    centre_id   TEXT NOT NULL REFERENCES centres(id),
    kind        TEXT NOT NULL CHECK (kind IN ('solve', 'repair')),
    status      TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    request     TEXT NOT NULL,
    progress    TEXT,
    error       TEXT,
    roster_id   INTEGER REFERENCES rosters(id),
    version_id  INTEGER REFERENCES roster_versions(id),
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    started_at  TEXT,
    finished_at TEXT
) STRICT;
CREATE UNIQUE INDEX one_active_job_per_centre ON jobs(centre_id) WHERE status IN ('queued', 'running');

-- A lawyer offers one duty of a published version to another lawyer.
CREATE TABLE swaps (
    id          INTEGER PRIMARY KEY,
    roster_id   INTEGER NOT NULL REFERENCES rosters(id),
    version_id  INTEGER NOT NULL REFERENCES roster_versions(id),
    station_id  TEXT NOT NULL,
    date        TEXT NOT NULL,
    half_day    TEXT NOT NULL CHECK (half_day IN ('am', 'pm')),
    role        TEXT NOT NULL CHECK (role IN ('primary', 'backup')),
    from_lawyer TEXT NOT NULL REFERENCES lawyers(id),
    to_lawyer   TEXT NOT NULL REFERENCES lawyers(id),
    status      TEXT NOT NULL CHECK (status IN ('offered', 'accepted', 'approved', 'rejected', 'cancelled')),
    note        TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    decided_at  TEXT,
    decided_by  TEXT,
    result_version_id INTEGER REFERENCES roster_versions(id)
) STRICT;
CREATE INDEX swaps_by_roster ON swaps(roster_id, status);

-- Who did what, when. Written in the same transaction as the change itself.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    centre_id  TEXT,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    detail     TEXT NOT NULL
) STRICT;
CREATE INDEX audit_by_centre ON audit_log(centre_id, id);
