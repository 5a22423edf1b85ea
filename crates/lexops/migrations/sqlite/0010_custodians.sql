-- Custodians: the people whose data a legal hold preserves, from the company directory
-- (re-imported to stay current; one person per email address, however many holds).
CREATE TABLE custodians (
    id              INTEGER PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    department      TEXT NOT NULL DEFAULT '',
    manager_email   TEXT NOT NULL DEFAULT '',
    employee_status TEXT NOT NULL DEFAULT 'active' CHECK (employee_status IN ('active','on_leave','departed')),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
