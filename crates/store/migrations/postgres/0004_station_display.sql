-- Station displays (see the SQLite migration 0008_station_display.sql).
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_role_check;
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_check;
ALTER TABLE api_tokens ADD COLUMN station_id TEXT REFERENCES stations(id);
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check
    CHECK (role IN ('admin', 'coordinator', 'finance', 'lawyer', 'station'));
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_check
    CHECK ((role IN ('coordinator', 'finance', 'station')) = (centre_id IS NOT NULL));
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_station_check
    CHECK ((role = 'station') = (station_id IS NOT NULL));

ALTER TABLE attendance ADD COLUMN proof TEXT NOT NULL DEFAULT '';

ALTER TABLE centre_policies ADD COLUMN presence_proof TEXT NOT NULL DEFAULT 'geofence'
    CHECK (presence_proof IN ('geofence', 'code', 'both'));
