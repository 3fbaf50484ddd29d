-- Open duties (待认领值班): posts a coordinator opens for claiming at a half-day of a
-- published roster, either posts left empty (uncovered, freed by leave) or extra posts
-- beyond the weekly demand (a surge: many co-defendants before trial). Lawyers claim them;
-- each claim that wins adds the lawyer to a new published version in the same transaction.
CREATE TABLE open_duties (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    roster_id   INTEGER NOT NULL REFERENCES rosters(id),
    centre_id   TEXT NOT NULL REFERENCES centres(id),
    station_id  TEXT NOT NULL REFERENCES stations(id),
    date        TEXT NOT NULL,
    half_day    TEXT NOT NULL CHECK (half_day IN ('am', 'pm')),
    posts       INTEGER NOT NULL CHECK (posts BETWEEN 1 AND 100),
    -- 1: posts beyond the weekly demand (a surge), which the roster's problem counts too.
    extra       INTEGER NOT NULL CHECK (extra IN (0, 1)),
    filled      INTEGER NOT NULL DEFAULT 0 CHECK (filled >= 0 AND filled <= posts),
    status      TEXT NOT NULL CHECK (status IN ('open', 'filled', 'cancelled')),
    note        TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL
) STRICT;
CREATE INDEX open_duties_by_centre ON open_duties (centre_id, status, date);
CREATE TABLE open_duty_claims (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    open_duty_id  INTEGER NOT NULL REFERENCES open_duties(id),
    lawyer_id     TEXT NOT NULL REFERENCES lawyers(id),
    claimed_at    TEXT NOT NULL,
    claimed_by    TEXT NOT NULL,
    version_id    INTEGER NOT NULL REFERENCES roster_versions(id),
    UNIQUE (open_duty_id, lawyer_id)
) STRICT;
