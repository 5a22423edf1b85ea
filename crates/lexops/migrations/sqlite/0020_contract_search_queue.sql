-- The contracts' search index (tantivy, under each process's data directory) is kept from this
-- queue: every change a search can see (text, status, type, owner, parties, dates, matter and so
-- its wall) adds the contract's id here in the changing transaction. Each index keeps its own
-- place in the queue (SQLite: the last seq it applied, writes being serial; PostgreSQL: the
-- oldest transaction still running when it last read, since ids commit out of order), so
-- several processes can each keep an index. Rows older than a week are pruned; an index that
-- has not caught up for that long is rebuilt from the contracts.
CREATE TABLE contract_search_queue (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id INTEGER NOT NULL,
    queued_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TRIGGER contract_search_insert AFTER INSERT ON contracts
BEGIN
    INSERT INTO contract_search_queue (contract_id) VALUES (NEW.id);
END;

CREATE TRIGGER contract_search_update AFTER UPDATE OF number, title, type_id, status, counterparty,
    our_entity, governing_law, value_minor, expires_on, owner_id, requester_id, matter_id, updated_at ON contracts
BEGIN
    INSERT INTO contract_search_queue (contract_id) VALUES (NEW.id);
END;

CREATE TRIGGER contract_search_delete AFTER DELETE ON contracts
BEGIN
    INSERT INTO contract_search_queue (contract_id) VALUES (OLD.id);
END;

CREATE TRIGGER contract_search_party_insert AFTER INSERT ON contract_parties
BEGIN
    INSERT INTO contract_search_queue (contract_id) VALUES (NEW.contract_id);
END;

CREATE TRIGGER contract_search_party_delete AFTER DELETE ON contract_parties
BEGIN
    INSERT INTO contract_search_queue (contract_id) VALUES (OLD.contract_id);
END;
