-- Who decided each disposition item, and the certificate of its destruction, kept apart from the
-- items: the sweep writes hundreds of thousands of items at once, and each foreign key on them,
-- even on a column still NULL, cost a trigger call per row (about 0.3 s per key for 200,000
-- items). A decision row is written only when someone approves or defers.
CREATE TABLE disposition_decisions (
    item_id         BIGINT PRIMARY KEY REFERENCES disposition_items(id),
    decided_by      BIGINT NOT NULL REFERENCES users(id),
    decided_at      TEXT NOT NULL,
    certificate_id  BIGINT REFERENCES disposition_certificates(id)
);
INSERT INTO disposition_decisions (item_id, decided_by, decided_at, certificate_id)
    SELECT id, decided_by, COALESCE(decided_at, found_at), certificate_id
    FROM disposition_items WHERE decided_by IS NOT NULL;
ALTER TABLE disposition_items
    DROP COLUMN decided_by,
    DROP COLUMN decided_at,
    DROP COLUMN certificate_id;
