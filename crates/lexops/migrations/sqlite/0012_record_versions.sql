-- Versions of a record's document: `records` holds the current version, `record_versions` the
-- ones it superseded (their bytes stay in the document store until the record is destroyed).
ALTER TABLE records ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
CREATE TABLE record_versions (
    id              INTEGER PRIMARY KEY,
    record_id       INTEGER NOT NULL REFERENCES records(id),
    version         INTEGER NOT NULL,
    filename        TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size            INTEGER NOT NULL,
    sha256          TEXT NOT NULL,
    added_at        TEXT NOT NULL,
    added_by        INTEGER REFERENCES users(id),
    -- Why the next version replaced it.
    note            TEXT NOT NULL DEFAULT '',
    UNIQUE (record_id, version)
);
CREATE INDEX record_versions_sha ON record_versions(sha256);
