-- Full-text search of records (issue #5): each record's title, file name and folder (meta) and
-- the text of its current document (body).
-- text_state: pending (to be read), indexed, none (a kind with no text), failed (text_note says why).
ALTER TABLE records ADD COLUMN text_state TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE records ADD COLUMN text_note TEXT NOT NULL DEFAULT '';
CREATE INDEX records_text_pending ON records (id) WHERE text_state = 'pending';
-- rowid = records.id (the name SQLite's FTS5 table gives it, so the SQL is shared). Punctuation
-- separates words, as in SQLite's tokenizer (so `minutes-2019.pdf` is three words, and an
-- email address three more), then English stemming.
CREATE TABLE record_text (
    rowid BIGINT PRIMARY KEY REFERENCES records (id),
    meta TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    tsv TSVECTOR GENERATED ALWAYS AS (
        to_tsvector('english', regexp_replace(meta || ' ' || body, '[^[:alnum:]]+', ' ', 'g'))
    ) STORED
);
CREATE INDEX record_text_tsv ON record_text USING GIN (tsv);
INSERT INTO record_text (rowid, meta, body)
    SELECT id, title || ' ' || filename || ' ' || folder, '' FROM records WHERE status = 'active';
