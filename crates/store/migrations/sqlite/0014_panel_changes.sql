-- The panel revision at which each record last changed (a firm, station, station's demand,
-- lawyer or lawyer's availability), so that a workbook exported at an older revision is
-- refused for the rows changed since, instead of silently undoing those changes.
CREATE TABLE panel_changes (
    kind     TEXT NOT NULL CHECK (kind IN ('firm', 'station', 'demand', 'lawyer', 'availability')),
    code     TEXT NOT NULL,
    revision INTEGER NOT NULL,
    PRIMARY KEY (kind, code)
) STRICT;
CREATE INDEX panel_changes_by_revision ON panel_changes (revision);
