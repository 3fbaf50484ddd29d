-- Spreadsheet imports: the preview (the records to write, the changes and the errors, as
-- JSON) made against a panel revision, applied at most once, only while the panel is still
-- at that revision.
CREATE TABLE imports (
    -- Never reused: an id names one preview, even after older ones are forgotten.
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    centre_id     TEXT NOT NULL REFERENCES centres(id),
    mode          TEXT NOT NULL CHECK (mode IN ('merge', 'replace')),
    base_revision INTEGER NOT NULL,
    preview       TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    applied_at    TEXT,
    applied_by    TEXT
) STRICT;
