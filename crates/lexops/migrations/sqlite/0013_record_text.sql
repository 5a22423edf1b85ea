-- Full-text search of records (issue #5): each record's title, file name and folder (meta) and
-- the text of its current document (body).
-- text_state: pending (to be read), indexed, none (a kind with no text), failed (text_note says why).
ALTER TABLE records ADD COLUMN text_state TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE records ADD COLUMN text_note TEXT NOT NULL DEFAULT '';
CREATE INDEX records_text_pending ON records (id) WHERE text_state = 'pending';
-- rowid = records.id. Porter stemming over Unicode words (punctuation separates words, so a
-- file name's parts are words), accents folded. secure-delete: a destroyed record's words are
-- removed from the index pages, not only marked deleted.
CREATE VIRTUAL TABLE record_text USING fts5(meta, body, tokenize = 'porter unicode61 remove_diacritics 2');
INSERT INTO record_text (record_text, rank) VALUES ('secure-delete', 1);
INSERT INTO record_text (rowid, meta, body)
    SELECT id, title || ' ' || filename || ' ' || folder, '' FROM records WHERE status = 'active';
