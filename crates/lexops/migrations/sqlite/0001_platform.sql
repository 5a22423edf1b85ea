-- Platform schema: users, sessions, API tokens, login throttling, settings, audit trail,
-- document store index, jobs and the mail outbox. Timestamps are UTC RFC 3339 text with
-- microseconds (fixed width, so they sort as text); money is integer minor units.

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('admin','legal_ops','attorney','paralegal','requester','vendor','custodian','auditor')),
    password_hash   TEXT,
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','disabled')),
    totp_secret     TEXT,
    totp_enabled    INTEGER NOT NULL DEFAULT 0,
    totp_required   INTEGER NOT NULL DEFAULT 0,
    totp_last_step  INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash      TEXT PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    mfa_pending     INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    last_seen_at    TEXT NOT NULL,
    ip              TEXT,
    user_agent      TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    token_hash      TEXT NOT NULL UNIQUE,
    prefix          TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    expires_at      TEXT,
    last_used_at    TEXT,
    revoked_at      TEXT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE login_failures (
    id              INTEGER PRIMARY KEY,
    subject         TEXT NOT NULL,
    failed_at       TEXT NOT NULL
);
CREATE INDEX login_failures_subject ON login_failures(subject, failed_at);

CREATE TABLE settings (
    key             TEXT PRIMARY KEY,
    value           TEXT NOT NULL
);

CREATE TABLE object_walls (
    object_type     TEXT NOT NULL,
    object_id       INTEGER NOT NULL,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (object_type, object_id, user_id)
);
CREATE TABLE walled_objects (
    object_type     TEXT NOT NULL,
    object_id       INTEGER NOT NULL,
    PRIMARY KEY (object_type, object_id)
);

CREATE TABLE audit_head (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    seq             INTEGER NOT NULL,
    hash            TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_events (
    seq             INTEGER PRIMARY KEY,
    at              TEXT NOT NULL,
    actor_id        INTEGER,
    actor           TEXT NOT NULL,
    action          TEXT NOT NULL,
    object_type     TEXT NOT NULL,
    object_id       TEXT NOT NULL,
    before_json     TEXT,
    after_json      TEXT,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL
);
CREATE INDEX audit_events_object ON audit_events(object_type, object_id);

CREATE TABLE blobs (
    sha256          TEXT PRIMARY KEY,
    size            INTEGER NOT NULL,
    wrapped_key     TEXT NOT NULL,
    key_id          TEXT NOT NULL,
    created_at      TEXT NOT NULL
);

CREATE TABLE jobs (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    unique_key      TEXT,
    state           TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued','running','done','failed')),
    run_at          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    max_attempts    INTEGER NOT NULL DEFAULT 8,
    locked_by       TEXT,
    locked_until    TEXT,
    last_error      TEXT,
    progress        INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    finished_at     TEXT
);
CREATE INDEX jobs_due ON jobs(state, run_at);
CREATE UNIQUE INDEX jobs_unique_live ON jobs(unique_key) WHERE unique_key IS NOT NULL AND state IN ('queued','running');

CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY,
    to_addr         TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    sent_at         TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT
);
