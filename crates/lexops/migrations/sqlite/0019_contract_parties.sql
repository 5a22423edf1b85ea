-- A contract's counterparties, one row each in the order given (contracts.counterparty keeps
-- them joined with "; " for lists, sorting and search); the filter by counterparty reads these
-- by name_key (the name lower-cased by the application, so that any letter's case matches).
CREATE TABLE contract_parties (
    contract_id     INTEGER NOT NULL REFERENCES contracts(id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    name            TEXT NOT NULL,
    name_key        TEXT NOT NULL,
    PRIMARY KEY (contract_id, position)
);
CREATE INDEX contract_parties_key ON contract_parties (name_key);
-- Existing contracts: their counterparty text split on semicolons, as the application reads it.
INSERT INTO contract_parties (contract_id, position, name, name_key)
WITH RECURSIVE split(contract_id, n, part, rest) AS (
    SELECT id, 0, NULL, counterparty || ';' FROM contracts WHERE counterparty <> ''
    UNION ALL
    SELECT contract_id, n + 1, TRIM(SUBSTR(rest, 1, INSTR(rest, ';') - 1)), SUBSTR(rest, INSTR(rest, ';') + 1)
    FROM split WHERE rest <> ''
)
SELECT contract_id, ROW_NUMBER() OVER (PARTITION BY contract_id ORDER BY n), part, LOWER(part)
FROM split WHERE part IS NOT NULL AND part <> '';
