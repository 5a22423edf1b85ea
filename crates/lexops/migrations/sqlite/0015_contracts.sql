-- Contracts (issue #6): the repository, its versions (immutable, content-addressed), status
-- history, comments, templates with their revisions, and the clause library.
CREATE TABLE contract_types (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    position        INTEGER NOT NULL DEFAULT 0
);
INSERT INTO contract_types (code, name, position) VALUES
    ('nda', 'Non-disclosure agreement', 1),
    ('msa', 'Master services agreement', 2),
    ('sow', 'Statement of work', 3),
    ('services', 'Services agreement', 4),
    ('license', 'Licence agreement', 5),
    ('purchase', 'Purchase agreement', 6),
    ('amendment', 'Amendment', 7),
    ('employment', 'Employment agreement', 8),
    ('lease', 'Lease', 9),
    ('other', 'Other', 10);

CREATE TABLE contract_templates (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    type_id         INTEGER NOT NULL REFERENCES contract_types(id),
    description     TEXT NOT NULL DEFAULT '',
    -- The current revision's text and variable schema (also in contract_template_revisions).
    body            TEXT NOT NULL,
    schema_json     TEXT NOT NULL,
    revision        INTEGER NOT NULL DEFAULT 1,
    active          INTEGER NOT NULL DEFAULT 1,
    updated_at      TEXT NOT NULL,
    updated_by      INTEGER REFERENCES users(id)
);
CREATE TABLE contract_template_revisions (
    template_id     INTEGER NOT NULL REFERENCES contract_templates(id),
    revision        INTEGER NOT NULL,
    body            TEXT NOT NULL,
    schema_json     TEXT NOT NULL,
    saved_at        TEXT NOT NULL,
    saved_by        INTEGER REFERENCES users(id),
    PRIMARY KEY (template_id, revision)
);

CREATE TABLE clauses (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    title           TEXT NOT NULL,
    -- The CUAD category the clause answers (e.g. 'Governing Law'), or ''.
    category        TEXT NOT NULL DEFAULT '',
    preferred       TEXT NOT NULL,
    guidance        TEXT NOT NULL DEFAULT '',
    -- Ordered fallback positions: a JSON array of {"text", "guidance"}.
    fallbacks_json  TEXT NOT NULL DEFAULT '[]',
    updated_at      TEXT NOT NULL,
    updated_by      INTEGER REFERENCES users(id)
);

CREATE TABLE contracts (
    id              INTEGER PRIMARY KEY,
    number          TEXT NOT NULL UNIQUE,
    title           TEXT NOT NULL,
    type_id         INTEGER NOT NULL REFERENCES contract_types(id),
    status          TEXT NOT NULL CHECK (status IN ('draft','in_review','negotiation','approval','signature','executed','expired','terminated')),
    status_at       TEXT NOT NULL,
    counterparty    TEXT NOT NULL DEFAULT '',
    our_entity      TEXT NOT NULL DEFAULT '',
    -- Exact: minor units (cents) of `currency`.
    value_minor     INTEGER,
    currency        TEXT NOT NULL DEFAULT 'USD',
    effective_on    TEXT,
    term_months     INTEGER,
    expires_on      TEXT,
    auto_renew      INTEGER NOT NULL DEFAULT 0,
    renewal_months  INTEGER,
    notice_days     INTEGER,
    governing_law   TEXT NOT NULL DEFAULT '',
    owner_id        INTEGER REFERENCES users(id),
    requester_id    INTEGER REFERENCES users(id),
    -- A contract of a walled matter is behind that matter's wall.
    matter_id       INTEGER REFERENCES matters(id),
    parent_id       INTEGER REFERENCES contracts(id),
    business_reason TEXT NOT NULL DEFAULT '',
    -- Executed contracts are locked: no new versions, no edits but status to expired/terminated.
    locked          INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX contracts_status ON contracts(status);
CREATE INDEX contracts_owner ON contracts(owner_id);
CREATE INDEX contracts_requester ON contracts(requester_id);
CREATE INDEX contracts_matter ON contracts(matter_id);
CREATE INDEX contracts_parent ON contracts(parent_id);
CREATE INDEX contracts_expires ON contracts(expires_on);
CREATE INDEX contracts_updated ON contracts(updated_at);

CREATE TABLE contract_versions (
    id              INTEGER PRIMARY KEY,
    contract_id     INTEGER NOT NULL REFERENCES contracts(id),
    version         INTEGER NOT NULL,
    -- The document's bytes in the document store (content-addressed).
    sha256          TEXT NOT NULL REFERENCES blobs(sha256),
    filename        TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size            INTEGER NOT NULL,
    -- generated (from a template), ours (our upload), counterparty (their turn), signed,
    -- attachment (sent with a request)
    source          TEXT NOT NULL CHECK (source IN ('generated','ours','counterparty','signed','attachment')),
    -- The text read out of it (what redlines and search use).
    text            TEXT NOT NULL,
    -- Whether the file carried tracked changes (w:ins / w:del).
    tracked_changes INTEGER NOT NULL DEFAULT 0,
    -- When it went to the counterparty (a later counterparty turn is compared against it).
    sent_at         TEXT,
    template_id     INTEGER REFERENCES contract_templates(id),
    template_revision INTEGER,
    answers_json    TEXT,
    note            TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    created_by      INTEGER REFERENCES users(id),
    UNIQUE (contract_id, version)
);
CREATE INDEX contract_versions_sha ON contract_versions(sha256);

CREATE TABLE contract_status_history (
    id              INTEGER PRIMARY KEY,
    contract_id     INTEGER NOT NULL REFERENCES contracts(id),
    from_status     TEXT,
    to_status       TEXT NOT NULL,
    note            TEXT NOT NULL DEFAULT '',
    at              TEXT NOT NULL,
    by_id           INTEGER REFERENCES users(id)
);
CREATE INDEX contract_status_history_contract ON contract_status_history(contract_id);

CREATE TABLE contract_comments (
    id              INTEGER PRIMARY KEY,
    contract_id     INTEGER NOT NULL REFERENCES contracts(id),
    version_id      INTEGER REFERENCES contract_versions(id),
    body            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    author_id       INTEGER REFERENCES users(id)
);
CREATE INDEX contract_comments_contract ON contract_comments(contract_id);

-- Full-text search of the repository: one row per contract (rowid = contracts.id); meta = its
-- number, title, parties and governing law; body = the text of all its versions. Written in the
-- transaction of every change to either.
CREATE VIRTUAL TABLE contract_text USING fts5(meta, body, tokenize = 'porter unicode61 remove_diacritics 2');

-- Approval rules (data): when a rule's condition holds for the version going to approval, its
-- approvers are added, one after another (sequential) or all at once (parallel).
CREATE TABLE contract_approval_rules (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    position        INTEGER NOT NULL DEFAULT 0,
    -- {"kind": "value_above", "amount_minor": 10000000} | {"kind": "governing_law_not_in", "laws": [...]}
    -- | {"kind": "term_longer_than", "months": 36} | {"kind": "non_standard"} | {"kind": "type_in", "types": [...]} | {"kind": "always"}
    condition_json  TEXT NOT NULL,
    -- [{"role": "attorney"} | {"email": "gc@example.com"}, ...]
    approvers_json  TEXT NOT NULL,
    mode            TEXT NOT NULL CHECK (mode IN ('sequential','parallel')),
    active          INTEGER NOT NULL DEFAULT 1,
    updated_at      TEXT NOT NULL
);
-- The approvals a version needs. An approval belongs to the version approved: a new version
-- voids it.
CREATE TABLE contract_approvals (
    id              INTEGER PRIMARY KEY,
    contract_id     INTEGER NOT NULL REFERENCES contracts(id),
    version_id      INTEGER NOT NULL REFERENCES contract_versions(id),
    rule_id         INTEGER REFERENCES contract_approval_rules(id),
    reason          TEXT NOT NULL,
    step            INTEGER NOT NULL,
    approver_role   TEXT,
    approver_id     INTEGER REFERENCES users(id),
    state           TEXT NOT NULL CHECK (state IN ('pending','approved','rejected','void')),
    decided_by      INTEGER REFERENCES users(id),
    decided_at      TEXT,
    note            TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL
);
CREATE INDEX contract_approvals_contract ON contract_approvals(contract_id, state);

-- Signature: who signs the version sent for signature, and the signed copy that came back.
CREATE TABLE contract_signatures (
    id              INTEGER PRIMARY KEY,
    contract_id     INTEGER NOT NULL REFERENCES contracts(id),
    version_id      INTEGER NOT NULL REFERENCES contract_versions(id),
    -- [{"name", "email", "party": "us"|"counterparty", "signed_on": "YYYY-MM-DD"|null}]
    signatories_json TEXT NOT NULL,
    method          TEXT NOT NULL DEFAULT 'electronic',
    requested_at    TEXT NOT NULL,
    requested_by    INTEGER REFERENCES users(id),
    signed_version_id INTEGER REFERENCES contract_versions(id),
    completed_at    TEXT
);
CREATE INDEX contract_signatures_contract ON contract_signatures(contract_id);

-- Obligations a contract puts on us (or the counterparty): due dates, recurrence, evidence.
CREATE TABLE contract_obligations (
    id              INTEGER PRIMARY KEY,
    contract_id     INTEGER NOT NULL REFERENCES contracts(id),
    title           TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('payment','reporting','insurance','audit','confidentiality_return','delivery','other')),
    owner_id        INTEGER REFERENCES users(id),
    due_on          TEXT NOT NULL,
    recurrence      TEXT NOT NULL DEFAULT 'none' CHECK (recurrence IN ('none','monthly','quarterly','yearly')),
    status          TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','done','waived')),
    evidence        TEXT NOT NULL DEFAULT '',
    completed_at    TEXT,
    completed_by    INTEGER REFERENCES users(id),
    created_at      TEXT NOT NULL
);
CREATE INDEX contract_obligations_due ON contract_obligations(status, due_on);
CREATE INDEX contract_obligations_contract ON contract_obligations(contract_id);
-- Alerts sent before key dates and obligations: one row per (contract, what, offset), so the
-- daily run sends each once.
CREATE TABLE contract_alerts (
    contract_id     INTEGER NOT NULL REFERENCES contracts(id),
    subject         TEXT NOT NULL,
    offset_days     INTEGER NOT NULL,
    to_addr         TEXT NOT NULL,
    sent_at         TEXT NOT NULL,
    PRIMARY KEY (contract_id, subject, offset_days)
);

-- Metadata read out of imported contracts, waiting for a person to confirm or correct it.
CREATE TABLE contract_extractions (
    id              INTEGER PRIMARY KEY,
    contract_id     INTEGER NOT NULL REFERENCES contracts(id),
    field           TEXT NOT NULL,
    value           TEXT NOT NULL,
    evidence        TEXT NOT NULL,
    matched         TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','confirmed','corrected')),
    decided_value   TEXT,
    decided_by      INTEGER REFERENCES users(id),
    decided_at      TEXT,
    created_at      TEXT NOT NULL,
    UNIQUE (contract_id, field)
);
CREATE INDEX contract_extractions_state ON contract_extractions(state);
