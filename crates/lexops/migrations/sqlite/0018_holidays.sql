-- The department's holiday calendar: days that are not business days besides weekends, for
-- the send-by dates of contract notices (contracts::holidays).
CREATE TABLE holidays (
    day             TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    created_by      INTEGER REFERENCES users(id),
    created_at      TEXT NOT NULL
);
