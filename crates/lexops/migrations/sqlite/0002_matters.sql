-- Matters: the unit of legal work every module refers to. Matter types are data.

CREATE TABLE matter_types (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
INSERT INTO matter_types (code, name, created_at) VALUES
    ('litigation', 'Litigation', '2026-01-01T00:00:00.000000Z'),
    ('advisory', 'Advisory', '2026-01-01T00:00:00.000000Z'),
    ('transactional', 'Transactional', '2026-01-01T00:00:00.000000Z'),
    ('regulatory', 'Regulatory', '2026-01-01T00:00:00.000000Z'),
    ('ip', 'Intellectual property', '2026-01-01T00:00:00.000000Z'),
    ('employment', 'Employment', '2026-01-01T00:00:00.000000Z');

CREATE TABLE matters (
    id                      INTEGER PRIMARY KEY,
    number                  TEXT NOT NULL UNIQUE,
    name                    TEXT NOT NULL,
    type_id                 INTEGER NOT NULL REFERENCES matter_types(id),
    status                  TEXT NOT NULL CHECK (status IN ('intake','open','on_hold','closed')),
    practice_area           TEXT NOT NULL DEFAULT '',
    business_owner          TEXT NOT NULL DEFAULT '',
    responsible_attorney_id INTEGER REFERENCES users(id),
    opened_on               TEXT,
    closed_on               TEXT,
    description             TEXT NOT NULL DEFAULT '',
    confidential            INTEGER NOT NULL DEFAULT 0,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL
);
CREATE INDEX matters_status ON matters(status);
CREATE INDEX matters_type ON matters(type_id);
