-- Spend: vendors (law firms and other providers), their people and rates, matter assignments,
-- budgets, accruals, guideline sets, and LEDES invoices with their line items, flags and review.
-- Amounts are exact integers in ten-thousandths of the currency unit (`*_e4`): LEDES carries up
-- to four decimals, so every amount a firm sends is stored without rounding. Units (hours or
-- quantities) are stored the same way (`units_e4`).

CREATE TABLE vendors (
    id                  INTEGER PRIMARY KEY,
    name                TEXT NOT NULL UNIQUE,
    law_firm_id         TEXT NOT NULL UNIQUE,
    status              TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','inactive')),
    offices             TEXT NOT NULL DEFAULT '',
    billing_contact     TEXT NOT NULL DEFAULT '',
    billing_email       TEXT NOT NULL DEFAULT '',
    currency            TEXT NOT NULL DEFAULT 'USD',
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);

ALTER TABLE users ADD COLUMN vendor_id INTEGER REFERENCES vendors(id);

CREATE TABLE matter_assignments (
    id                  INTEGER PRIMARY KEY,
    matter_id           INTEGER NOT NULL REFERENCES matters(id),
    vendor_id           INTEGER NOT NULL REFERENCES vendors(id),
    client_matter_id    TEXT NOT NULL DEFAULT '',
    firm_matter_id      TEXT NOT NULL DEFAULT '',
    starts_on           TEXT,
    ends_on             TEXT,
    status              TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','ended')),
    created_at          TEXT NOT NULL,
    UNIQUE (matter_id, vendor_id)
);
CREATE INDEX matter_assignments_vendor ON matter_assignments(vendor_id, firm_matter_id);

CREATE TABLE timekeepers (
    id                  INTEGER PRIMARY KEY,
    vendor_id           INTEGER NOT NULL REFERENCES vendors(id),
    code                TEXT NOT NULL,
    name                TEXT NOT NULL,
    classification      TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'approved' CHECK (status IN ('approved','pending','inactive')),
    created_at          TEXT NOT NULL,
    UNIQUE (vendor_id, code)
);

CREATE TABLE timekeeper_rates (
    id                  INTEGER PRIMARY KEY,
    timekeeper_id       INTEGER NOT NULL REFERENCES timekeepers(id),
    matter_id           INTEGER REFERENCES matters(id),
    rate_e4             INTEGER NOT NULL CHECK (rate_e4 >= 0),
    currency            TEXT NOT NULL,
    effective_from      TEXT NOT NULL,
    effective_to        TEXT,
    created_at          TEXT NOT NULL
);
CREATE INDEX timekeeper_rates_tk ON timekeeper_rates(timekeeper_id, effective_from);

CREATE TABLE rate_requests (
    id                  INTEGER PRIMARY KEY,
    vendor_id           INTEGER NOT NULL REFERENCES vendors(id),
    timekeeper_id       INTEGER NOT NULL REFERENCES timekeepers(id),
    matter_id           INTEGER REFERENCES matters(id),
    rate_e4             INTEGER NOT NULL CHECK (rate_e4 >= 0),
    currency            TEXT NOT NULL,
    effective_from      TEXT NOT NULL,
    reason              TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','approved','rejected')),
    requested_by        INTEGER REFERENCES users(id),
    decided_by          INTEGER REFERENCES users(id),
    decided_at          TEXT,
    decision_note       TEXT NOT NULL DEFAULT '',
    created_at          TEXT NOT NULL
);

CREATE TABLE budgets (
    id                  INTEGER PRIMARY KEY,
    matter_id           INTEGER NOT NULL REFERENCES matters(id),
    fiscal_period       TEXT NOT NULL,
    phase               TEXT NOT NULL DEFAULT '',
    amount_e4           INTEGER NOT NULL CHECK (amount_e4 >= 0),
    currency            TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    UNIQUE (matter_id, fiscal_period, phase)
);

CREATE TABLE accruals (
    id                  INTEGER PRIMARY KEY,
    matter_id           INTEGER NOT NULL REFERENCES matters(id),
    vendor_id           INTEGER NOT NULL REFERENCES vendors(id),
    period              TEXT NOT NULL,
    amount_e4           INTEGER NOT NULL,
    currency            TEXT NOT NULL,
    source              TEXT NOT NULL CHECK (source IN ('vendor','internal')),
    note                TEXT NOT NULL DEFAULT '',
    created_by          INTEGER REFERENCES users(id),
    created_at          TEXT NOT NULL,
    UNIQUE (matter_id, vendor_id, period)
);

CREATE TABLE guideline_sets (
    id                  INTEGER PRIMARY KEY,
    scope               TEXT NOT NULL CHECK (scope IN ('department','vendor','matter')),
    scope_id            INTEGER NOT NULL DEFAULT 0,
    name                TEXT NOT NULL,
    rules_json          TEXT NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1,
    updated_at          TEXT NOT NULL,
    UNIQUE (scope, scope_id)
);

CREATE TABLE invoices (
    id                  INTEGER PRIMARY KEY,
    vendor_id           INTEGER NOT NULL REFERENCES vendors(id),
    matter_id           INTEGER NOT NULL REFERENCES matters(id),
    invoice_number      TEXT NOT NULL,
    invoice_date        TEXT NOT NULL,
    billing_start       TEXT NOT NULL,
    billing_end         TEXT NOT NULL,
    description         TEXT NOT NULL DEFAULT '',
    currency            TEXT NOT NULL,
    total_e4            INTEGER NOT NULL,
    adjusted_total_e4   INTEGER NOT NULL,
    fees_e4             INTEGER NOT NULL DEFAULT 0,
    expenses_e4         INTEGER NOT NULL DEFAULT 0,
    line_count          INTEGER NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('in_review','approved','rejected','returned','exported')),
    format              TEXT NOT NULL,
    source_sha256       TEXT NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1,
    approval_step       INTEGER NOT NULL DEFAULT 0,
    submitted_by        INTEGER REFERENCES users(id),
    received_at         TEXT NOT NULL,
    decided_at          TEXT,
    exported_at         TEXT,
    UNIQUE (vendor_id, invoice_number)
);
CREATE INDEX invoices_matter ON invoices(matter_id);
CREATE INDEX invoices_status ON invoices(status, received_at);

CREATE TABLE invoice_lines (
    id                  INTEGER PRIMARY KEY,
    invoice_id          INTEGER NOT NULL REFERENCES invoices(id) ON DELETE CASCADE,
    line_no             TEXT NOT NULL,
    line_type           TEXT NOT NULL,
    line_date           TEXT NOT NULL,
    timekeeper_code     TEXT NOT NULL DEFAULT '',
    timekeeper_name     TEXT NOT NULL DEFAULT '',
    classification      TEXT NOT NULL DEFAULT '',
    task_code           TEXT NOT NULL DEFAULT '',
    activity_code       TEXT NOT NULL DEFAULT '',
    expense_code        TEXT NOT NULL DEFAULT '',
    narrative           TEXT NOT NULL DEFAULT '',
    units_e4            INTEGER NOT NULL,
    rate_e4             INTEGER NOT NULL,
    adjustment_e4       INTEGER NOT NULL DEFAULT 0,
    total_e4            INTEGER NOT NULL,
    adjusted_total_e4   INTEGER NOT NULL,
    manual_total_e4     INTEGER,
    manual_reason       TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','adjusted','rejected'))
);
CREATE INDEX invoice_lines_invoice ON invoice_lines(invoice_id);
CREATE INDEX invoice_lines_tk_date ON invoice_lines(timekeeper_code, line_date);

CREATE TABLE invoice_flags (
    id                  INTEGER PRIMARY KEY,
    invoice_id          INTEGER NOT NULL REFERENCES invoices(id) ON DELETE CASCADE,
    line_id             INTEGER REFERENCES invoice_lines(id) ON DELETE CASCADE,
    rule_id             TEXT NOT NULL,
    rule_kind           TEXT NOT NULL,
    action              TEXT NOT NULL,
    reason_code         TEXT NOT NULL,
    message             TEXT NOT NULL,
    proposed_total_e4   INTEGER,
    state               TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open','accepted','overridden','appealed','appeal_upheld','appeal_denied')),
    resolved_by         INTEGER REFERENCES users(id),
    resolved_at         TEXT,
    note                TEXT NOT NULL DEFAULT ''
);
CREATE INDEX invoice_flags_invoice ON invoice_flags(invoice_id);

CREATE TABLE invoice_events (
    id                  INTEGER PRIMARY KEY,
    invoice_id          INTEGER NOT NULL REFERENCES invoices(id) ON DELETE CASCADE,
    at                  TEXT NOT NULL,
    actor_id            INTEGER REFERENCES users(id),
    kind                TEXT NOT NULL,
    note                TEXT NOT NULL DEFAULT ''
);
CREATE INDEX invoice_events_invoice ON invoice_events(invoice_id);

CREATE TABLE ap_exports (
    id                  INTEGER PRIMARY KEY,
    format              TEXT NOT NULL,
    created_by          INTEGER REFERENCES users(id),
    created_at          TEXT NOT NULL,
    invoice_count       INTEGER NOT NULL,
    total_e4            INTEGER NOT NULL,
    file_sha256         TEXT NOT NULL
);
CREATE TABLE ap_export_items (
    export_id           INTEGER NOT NULL REFERENCES ap_exports(id),
    invoice_id          INTEGER NOT NULL UNIQUE REFERENCES invoices(id),
    PRIMARY KEY (export_id, invoice_id)
);

-- Approval routing as data: each matching rule adds one approver step, in `position` order.
CREATE TABLE approval_rules (
    id                  INTEGER PRIMARY KEY,
    position            INTEGER NOT NULL,
    name                TEXT NOT NULL,
    min_total_e4        INTEGER NOT NULL DEFAULT 0,
    matter_type         TEXT NOT NULL DEFAULT '',
    practice_area       TEXT NOT NULL DEFAULT '',
    only_over_budget    INTEGER NOT NULL DEFAULT 0,
    approver_id         INTEGER REFERENCES users(id),
    approver_role       TEXT NOT NULL DEFAULT '',
    created_at          TEXT NOT NULL
);

CREATE TABLE invoice_approvals (
    id                  INTEGER PRIMARY KEY,
    invoice_id          INTEGER NOT NULL REFERENCES invoices(id) ON DELETE CASCADE,
    step                INTEGER NOT NULL,
    rule_name           TEXT NOT NULL,
    approver_id         INTEGER REFERENCES users(id),
    approver_role       TEXT NOT NULL DEFAULT '',
    decision            TEXT NOT NULL DEFAULT 'pending' CHECK (decision IN ('pending','approved','rejected','returned')),
    decided_by          INTEGER REFERENCES users(id),
    decided_at          TEXT,
    note                TEXT NOT NULL DEFAULT '',
    UNIQUE (invoice_id, step)
);
