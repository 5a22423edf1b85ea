-- Legal holds (what they preserve) and disposition: the review list a sweep fills with records
-- past their date, the decisions on it, and the certificates of destruction.
CREATE TABLE legal_holds (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    matter_id       INTEGER REFERENCES matters(id),
    description     TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','released')),
    issued_by       INTEGER REFERENCES users(id),
    issued_at       TEXT NOT NULL,
    released_by     INTEGER REFERENCES users(id),
    released_at     TEXT
);
-- What a hold preserves: a record (its id), every record of a category (its id), or every
-- record under a folder (its path). Looked up by (kind, value) for every record a sweep sees.
CREATE TABLE hold_scope (
    hold_id         INTEGER NOT NULL REFERENCES legal_holds(id),
    kind            TEXT NOT NULL CHECK (kind IN ('record','category','folder')),
    value           TEXT NOT NULL,
    PRIMARY KEY (hold_id, kind, value)
);
CREATE INDEX hold_scope_lookup ON hold_scope(kind, value);
CREATE TABLE disposition_certificates (
    id              INTEGER PRIMARY KEY,
    created_at      TEXT NOT NULL,
    approved_by     INTEGER REFERENCES users(id),
    records         INTEGER NOT NULL,
    body_json       TEXT NOT NULL,
    sha256          TEXT NOT NULL
);
CREATE TABLE disposition_items (
    id              INTEGER PRIMARY KEY,
    record_id       INTEGER NOT NULL REFERENCES records(id),
    found_at        TEXT NOT NULL,
    due_on          TEXT NOT NULL,
    action          TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','deferred','destroyed','transferred','kept')),
    deferred_until  TEXT,
    note            TEXT NOT NULL DEFAULT '',
    decided_by      INTEGER REFERENCES users(id),
    decided_at      TEXT,
    certificate_id  INTEGER REFERENCES disposition_certificates(id)
);
CREATE INDEX disposition_items_record ON disposition_items(record_id, state);
CREATE INDEX records_status_due ON records(status, due_state, due_on);
