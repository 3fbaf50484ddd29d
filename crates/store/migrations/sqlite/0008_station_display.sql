-- Station displays: a browser at a station, signed in with a token of role `station` that
-- shows the station's rotating check-in code and can do nothing else. Such a token names its
-- station (and the station's centre).
-- SQLite cannot change a CHECK constraint: the token table is rebuilt, ids kept.
CREATE TABLE api_tokens_new (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL
        CHECK (role IN ('admin', 'coordinator', 'finance', 'lawyer', 'station')),
    centre_id   TEXT REFERENCES centres(id),
    lawyer_id   TEXT REFERENCES lawyers(id),
    station_id  TEXT REFERENCES stations(id),
    label       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT,
    CHECK ((role IN ('coordinator', 'finance', 'station')) = (centre_id IS NOT NULL)),
    CHECK ((role = 'lawyer') = (lawyer_id IS NOT NULL)),
    CHECK ((role = 'station') = (station_id IS NOT NULL))
) STRICT;
INSERT INTO api_tokens_new (id, token_hash, role, centre_id, lawyer_id, label, created_at,
    revoked_at)
    SELECT id, token_hash, role, centre_id, lawyer_id, label, created_at, revoked_at
    FROM api_tokens;
DROP TABLE api_tokens;
ALTER TABLE api_tokens_new RENAME TO api_tokens;

-- How a check-in proved presence: `geofence` (the phone's position inside the fence),
-- `display` (the station display's rotating code), `poster` (the static daily code) or ''
-- (none: a position outside the fence, or a manual entry).
ALTER TABLE attendance ADD COLUMN proof TEXT NOT NULL DEFAULT '';

-- What a centre accepts as proof of presence: `geofence`, `code` (the display's code) or
-- `both`.
ALTER TABLE centre_policies ADD COLUMN presence_proof TEXT NOT NULL DEFAULT 'geofence'
    CHECK (presence_proof IN ('geofence', 'code', 'both'));
