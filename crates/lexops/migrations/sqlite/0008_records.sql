-- Records: documents kept under the file plan. Each record's bytes are in the document store
-- (blobs, by SHA-256); its category's rule and its trigger events give the day it may be
-- disposed of (due_on), recomputed whenever the category, the rule or an event changes.
CREATE TABLE records (
    id              INTEGER PRIMARY KEY,
    title           TEXT NOT NULL,
    filename        TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size            INTEGER NOT NULL,
    -- Kept after the bytes are destroyed (the certificate names it), so no foreign key.
    sha256          TEXT NOT NULL,
    folder          TEXT NOT NULL DEFAULT '',
    category_id     INTEGER REFERENCES record_categories(id),
    matter_id       INTEGER REFERENCES matters(id),
    created_on      TEXT NOT NULL,
    uploaded_at     TEXT NOT NULL,
    uploaded_by     INTEGER REFERENCES users(id),
    -- unclassified, awaiting_event, scheduled or permanent
    due_state       TEXT NOT NULL DEFAULT 'unclassified',
    due_on          TEXT,
    awaiting_event  TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','destroyed','transferred'))
);
CREATE INDEX records_category ON records(category_id);
-- Same bytes: a re-import finds what it kept, and destruction what else holds the content.
CREATE INDEX records_sha ON records(sha256);
CREATE INDEX records_due ON records(status, due_on);
CREATE TABLE record_events (
    record_id       INTEGER NOT NULL REFERENCES records(id),
    event           TEXT NOT NULL,
    occurred_on     TEXT NOT NULL,
    recorded_at     TEXT NOT NULL,
    recorded_by     INTEGER REFERENCES users(id),
    PRIMARY KEY (record_id, event)
);
