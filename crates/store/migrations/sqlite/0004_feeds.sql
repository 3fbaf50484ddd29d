-- Calendar feeds and lawyers' imported busy times.

-- Secret tokens in feed URLs, per lawyer or station; only the SHA-256 is kept. Rotating
-- revokes the old token at once.
CREATE TABLE feed_tokens (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('lawyer', 'station')),
    subject_id  TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
) STRICT;
CREATE INDEX feed_tokens_by_subject ON feed_tokens(kind, subject_id);

-- A lawyer's own commitments (hearings elsewhere), imported from an .ics file; the solver
-- never books a duty overlapping one. Re-importing replaces them.
CREATE TABLE busy_times (
    id          INTEGER PRIMARY KEY,
    lawyer_id   TEXT NOT NULL REFERENCES lawyers(id),
    starts_at   TEXT NOT NULL,
    ends_at     TEXT NOT NULL,
    summary     TEXT NOT NULL,
    source_uid  TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    CHECK (ends_at > starts_at)
) STRICT;
CREATE INDEX busy_by_lawyer ON busy_times(lawyer_id, starts_at);
