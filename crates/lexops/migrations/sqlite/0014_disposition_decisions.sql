-- Who decided each disposition item, and the certificate of its destruction, kept apart from the
-- items: the sweep writes hundreds of thousands of items at once, and each foreign key on them,
-- even on a column still NULL, cost a trigger call per row on PostgreSQL. A decision row is
-- written only when someone approves or defers. SQLite cannot drop a column that is in a
-- foreign key, so the items table is rebuilt; the decisions are set aside first and the new
-- table that references the items is created only once the rebuilt table has its name.
CREATE TABLE disposition_items_new (
    id              INTEGER PRIMARY KEY,
    record_id       INTEGER NOT NULL REFERENCES records(id),
    found_at        TEXT NOT NULL,
    due_on          TEXT NOT NULL,
    action          TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','deferred','destroyed','transferred','kept')),
    deferred_until  TEXT,
    note            TEXT NOT NULL DEFAULT ''
);
INSERT INTO disposition_items_new (id, record_id, found_at, due_on, action, state, deferred_until, note)
    SELECT id, record_id, found_at, due_on, action, state, deferred_until, note FROM disposition_items;
CREATE TEMP TABLE disposition_decisions_moved AS
    SELECT id AS item_id, decided_by, COALESCE(decided_at, found_at) AS decided_at, certificate_id
    FROM disposition_items WHERE decided_by IS NOT NULL;
DROP TABLE disposition_items;
ALTER TABLE disposition_items_new RENAME TO disposition_items;
CREATE INDEX disposition_items_record ON disposition_items(record_id, state);
CREATE TABLE disposition_decisions (
    item_id         INTEGER PRIMARY KEY REFERENCES disposition_items(id),
    decided_by      INTEGER NOT NULL REFERENCES users(id),
    decided_at      TEXT NOT NULL,
    certificate_id  INTEGER REFERENCES disposition_certificates(id)
);
INSERT INTO disposition_decisions (item_id, decided_by, decided_at, certificate_id)
    SELECT item_id, decided_by, decided_at, certificate_id FROM disposition_decisions_moved;
DROP TABLE disposition_decisions_moved;
