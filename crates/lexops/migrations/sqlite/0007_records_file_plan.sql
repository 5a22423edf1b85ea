-- Records: the file plan (record categories, each with its retention rule as data) and its
-- versions (every change to the plan is kept whole, as the CSV it would export).
CREATE TABLE record_categories (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    owner           TEXT NOT NULL DEFAULT '',
    trigger_event   TEXT NOT NULL,
    period          TEXT NOT NULL,
    cutoff          TEXT NOT NULL,
    disposition     TEXT NOT NULL CHECK (disposition IN ('destroy','review','transfer','keep')),
    citation        TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE TABLE file_plan_versions (
    id              INTEGER PRIMARY KEY,
    version         INTEGER NOT NULL UNIQUE,
    created_at      TEXT NOT NULL,
    created_by      INTEGER REFERENCES users(id),
    note            TEXT NOT NULL,
    categories      INTEGER NOT NULL,
    csv             TEXT NOT NULL
);
