-- A contract's counterparties, one row each in the order given (contracts.counterparty keeps
-- them joined with "; " for lists, sorting and search); the filter by counterparty reads these.
CREATE TABLE contract_parties (
    contract_id     BIGINT NOT NULL REFERENCES contracts(id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    name            TEXT NOT NULL,
    PRIMARY KEY (contract_id, position)
);
CREATE INDEX contract_parties_name ON contract_parties (LOWER(name));
INSERT INTO contract_parties (contract_id, position, name)
    SELECT id, 1, counterparty FROM contracts WHERE counterparty <> '';
