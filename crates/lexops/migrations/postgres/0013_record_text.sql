-- Full-text search of records (issue #5): the text of each record's current document.
-- text_state: pending (to be read), indexed, none (a kind with no text), failed (text_note says why).
ALTER TABLE records ADD COLUMN text_state TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE records ADD COLUMN text_note TEXT NOT NULL DEFAULT '';
CREATE INDEX records_text_pending ON records (id) WHERE text_state = 'pending';
-- rowid = records.id (the name SQLite's FTS5 table gives it, so the SQL is shared).
CREATE TABLE record_text (
    rowid BIGINT PRIMARY KEY REFERENCES records (id),
    body TEXT NOT NULL,
    tsv TSVECTOR GENERATED ALWAYS AS (to_tsvector('english', body)) STORED
);
CREATE INDEX record_text_tsv ON record_text USING GIN (tsv);
