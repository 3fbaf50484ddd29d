-- The panel: centres, firms, stations with their weekly demand, lawyers with their
-- availability, the working-day calendar and data-set settings.
-- Identifiers are the coordinator's own codes (TEXT). Lists of tags are JSON arrays.

CREATE TABLE centres (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    -- Deferred so a data set may list a district before its city.
    parent_id   TEXT REFERENCES centres(id) DEFERRABLE INITIALLY DEFERRED,
    time_zone   TEXT NOT NULL,
    shares_pool INTEGER NOT NULL CHECK (shares_pool IN (0, 1))
) STRICT;

CREATE TABLE firms (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    centre_id TEXT NOT NULL REFERENCES centres(id)
) STRICT;

CREATE TABLE stations (
    id           TEXT PRIMARY KEY,
    centre_id    TEXT NOT NULL REFERENCES centres(id),
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('detention_centre', 'court', 'procuratorate')),
    address      TEXT NOT NULL,
    phone        TEXT NOT NULL,
    lat          REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon          REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
    geofence_m   INTEGER NOT NULL CHECK (geofence_m > 0),
    am_start     TEXT NOT NULL,
    am_end       TEXT NOT NULL,
    pm_start     TEXT NOT NULL,
    pm_end       TEXT NOT NULL,
    min_years    INTEGER NOT NULL CHECK (min_years >= 0),
    skills       TEXT NOT NULL DEFAULT '[]',
    holiday_duty INTEGER NOT NULL CHECK (holiday_duty IN (0, 1)),
    priority     INTEGER NOT NULL CHECK (priority >= 0)
) STRICT;
CREATE INDEX stations_by_centre ON stations(centre_id);

-- Firms under a service contract: when a station has any, only their lawyers staff it.
CREATE TABLE station_contracted_firms (
    station_id TEXT NOT NULL REFERENCES stations(id) ON DELETE CASCADE,
    firm_id    TEXT NOT NULL REFERENCES firms(id),
    PRIMARY KEY (station_id, firm_id)
) STRICT;

-- Lawyers needed per weekday half-day. weekday: 1 = Monday .. 7 = Sunday.
CREATE TABLE demand_rules (
    station_id TEXT NOT NULL REFERENCES stations(id) ON DELETE CASCADE,
    weekday    INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    half_day   TEXT NOT NULL CHECK (half_day IN ('am', 'pm')),
    lawyers    INTEGER NOT NULL CHECK (lawyers >= 0),
    backups    INTEGER NOT NULL CHECK (backups >= 0),
    skills     TEXT NOT NULL DEFAULT '[]',
    languages  TEXT NOT NULL DEFAULT '[]',
    min_years  INTEGER NOT NULL CHECK (min_years >= 0),
    PRIMARY KEY (station_id, weekday, half_day)
) STRICT;

CREATE TABLE lawyers (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    phone          TEXT NOT NULL,
    firm_id        TEXT NOT NULL REFERENCES firms(id),
    home_centre_id TEXT NOT NULL REFERENCES centres(id),
    licence_date   TEXT NOT NULL,
    skills         TEXT NOT NULL DEFAULT '[]',
    languages      TEXT NOT NULL DEFAULT '[]',
    max_per_day    INTEGER NOT NULL CHECK (max_per_day BETWEEN 1 AND 2),
    max_per_week   INTEGER NOT NULL CHECK (max_per_week >= max_per_day),
    max_per_month  INTEGER NOT NULL CHECK (max_per_month >= max_per_week),
    lat            REAL NOT NULL,
    lon            REAL NOT NULL,
    active         INTEGER NOT NULL CHECK (active IN (0, 1))
) STRICT;
CREATE INDEX lawyers_by_centre ON lawyers(home_centre_id);
CREATE INDEX lawyers_by_firm ON lawyers(firm_id);

CREATE TABLE lawyer_unavailability (
    lawyer_id TEXT NOT NULL REFERENCES lawyers(id) ON DELETE CASCADE,
    weekday   INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    half_day  TEXT NOT NULL CHECK (half_day IN ('am', 'pm')),
    PRIMARY KEY (lawyer_id, weekday, half_day)
) STRICT;

-- Dated leave, both ends inclusive. half_day 'day' means the whole day.
CREATE TABLE lawyer_leave (
    lawyer_id  TEXT NOT NULL REFERENCES lawyers(id) ON DELETE CASCADE,
    start_date TEXT NOT NULL,
    end_date   TEXT NOT NULL CHECK (end_date >= start_date),
    half_day   TEXT NOT NULL CHECK (half_day IN ('am', 'pm', 'day')),
    reason     TEXT NOT NULL,
    PRIMARY KEY (lawyer_id, start_date, end_date, half_day)
) STRICT;

CREATE TABLE lawyer_preferences (
    lawyer_id TEXT NOT NULL REFERENCES lawyers(id) ON DELETE CASCADE,
    kind      TEXT NOT NULL CHECK (kind IN ('prefer_station', 'avoid_station', 'prefer_weekday', 'avoid_weekday')),
    target    TEXT NOT NULL,
    PRIMARY KEY (lawyer_id, kind, target)
) STRICT;

-- Holidays and make-up working days. works_as: weekday 1..7 whose demand applies.
CREATE TABLE calendar_days (
    date     TEXT PRIMARY KEY,
    kind     TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name     TEXT NOT NULL,
    works_as INTEGER CHECK (works_as BETWEEN 1 AND 7)
) STRICT;

-- Data-set settings as TOML, under key 'dataset'.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
