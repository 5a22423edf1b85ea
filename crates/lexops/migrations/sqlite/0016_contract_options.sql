-- Termination for convenience (notice days, and the months after the effective date before it
-- may be used) and an option window (exercisable between N and M days before the current term
-- ends): key dates computed from them like the renewal dates.
ALTER TABLE contracts ADD COLUMN termination_notice_days INTEGER;
ALTER TABLE contracts ADD COLUMN termination_after_months INTEGER;
ALTER TABLE contracts ADD COLUMN option_from_days INTEGER;
ALTER TABLE contracts ADD COLUMN option_to_days INTEGER;

-- Key dates of executed contracts, stored so the dashboard and the alerts read a date range
-- instead of computing every contract's dates: `key_dates_until` is the day until which a
-- contract's rows hold (the end of the current term when it renews, else far away); a change to
-- the contract clears it (''), and the next read recomputes what is stale (before today).
ALTER TABLE contracts ADD COLUMN key_dates_until TEXT NOT NULL DEFAULT '';
CREATE INDEX contracts_key_dates_until ON contracts (key_dates_until);
CREATE TABLE contract_key_dates (
    contract_id     INTEGER NOT NULL REFERENCES contracts (id),
    kind            TEXT NOT NULL,
    date            TEXT NOT NULL,
    how             TEXT NOT NULL,
    PRIMARY KEY (contract_id, kind)
);
CREATE INDEX contract_key_dates_date ON contract_key_dates (date);
