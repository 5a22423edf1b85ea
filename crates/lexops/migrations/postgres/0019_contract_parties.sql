-- A contract's counterparties, one row each in the order given (contracts.counterparty keeps
-- them joined with "; " for lists, sorting and search); the filter by counterparty reads these
-- by name_key (the name lower-cased by the application, so that any letter's case matches).
CREATE TABLE contract_parties (
    contract_id     BIGINT NOT NULL REFERENCES contracts(id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    name            TEXT NOT NULL,
    name_key        TEXT NOT NULL,
    PRIMARY KEY (contract_id, position)
);
CREATE INDEX contract_parties_key ON contract_parties (name_key);
-- Existing contracts: their counterparty text split on semicolons, as the application reads it.
INSERT INTO contract_parties (contract_id, position, name, name_key)
SELECT id, ROW_NUMBER() OVER (PARTITION BY id ORDER BY n), part, LOWER(part)
FROM (
    SELECT c.id, p.n, BTRIM(p.part) AS part
    FROM contracts c, regexp_split_to_table(c.counterparty, ';') WITH ORDINALITY AS p(part, n)
    WHERE c.counterparty <> ''
) x
WHERE part <> '';
