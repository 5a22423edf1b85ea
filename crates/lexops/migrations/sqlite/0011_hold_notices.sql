-- Legal holds, whole: who issued them for which matter and period, the data sources they name,
-- the custodians they bind, the notices sent to each (initial, reminders, escalation to the
-- manager, re-affirmation, release), each custodian's acknowledgement and questionnaire answers.
ALTER TABLE legal_holds ADD COLUMN attorney_id INTEGER REFERENCES users(id);
ALTER TABLE legal_holds ADD COLUMN date_from TEXT;
ALTER TABLE legal_holds ADD COLUMN date_to TEXT;
ALTER TABLE legal_holds ADD COLUMN notice_subject TEXT NOT NULL DEFAULT '';
ALTER TABLE legal_holds ADD COLUMN notice_template TEXT NOT NULL DEFAULT '';
-- One question per line; a custodian answers them when acknowledging.
ALTER TABLE legal_holds ADD COLUMN questionnaire TEXT NOT NULL DEFAULT '';
-- Days between reminders to those who have not acknowledged; days after the notice before
-- their manager is told; days between re-affirmation notices (0: none); days a link works.
ALTER TABLE legal_holds ADD COLUMN reminder_days INTEGER NOT NULL DEFAULT 7;
ALTER TABLE legal_holds ADD COLUMN escalate_days INTEGER NOT NULL DEFAULT 14;
ALTER TABLE legal_holds ADD COLUMN reaffirm_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE legal_holds ADD COLUMN link_days INTEGER NOT NULL DEFAULT 30;
-- Mailboxes, shares, systems a hold names, each with its owner.
CREATE TABLE hold_sources (
    id              INTEGER PRIMARY KEY,
    hold_id         INTEGER NOT NULL REFERENCES legal_holds(id),
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL DEFAULT '',
    owner           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX hold_sources_hold ON hold_sources(hold_id);
CREATE TABLE hold_custodians (
    id              INTEGER PRIMARY KEY,
    hold_id         INTEGER NOT NULL REFERENCES legal_holds(id),
    custodian_id    INTEGER NOT NULL REFERENCES custodians(id),
    added_at        TEXT NOT NULL,
    notified_at     TEXT,
    last_notice_at  TEXT,
    reminders       INTEGER NOT NULL DEFAULT 0,
    escalated_at    TEXT,
    acknowledged_at TEXT,
    -- The latest acknowledgement (the first one, or a re-affirmation).
    affirmed_at     TEXT,
    reaffirm_sent_at TEXT,
    answers_json    TEXT NOT NULL DEFAULT '[]',
    released_at     TEXT,
    UNIQUE (hold_id, custodian_id)
);
CREATE INDEX hold_custodians_custodian ON hold_custodians(custodian_id);
CREATE TABLE hold_notices (
    id              INTEGER PRIMARY KEY,
    hold_id         INTEGER NOT NULL REFERENCES legal_holds(id),
    custodian_id    INTEGER NOT NULL REFERENCES custodians(id),
    kind            TEXT NOT NULL CHECK (kind IN ('notice','reminder','escalation','reaffirmation','release')),
    to_addr         TEXT NOT NULL,
    mail_id         INTEGER REFERENCES mail_outbox(id),
    created_at      TEXT NOT NULL
);
CREATE INDEX hold_notices_hold ON hold_notices(hold_id, custodian_id);
-- What caused a message (e.g. hold_custodian:12:notice), to tie a batch back to its rows.
ALTER TABLE mail_outbox ADD COLUMN origin TEXT;
-- A record's custodian: a hold on the custodian preserves it.
ALTER TABLE records ADD COLUMN custodian_id INTEGER REFERENCES custodians(id);
CREATE INDEX records_custodian ON records(custodian_id);
CREATE INDEX records_matter ON records(matter_id);
-- Holds now also preserve every record of a matter or of a custodian.
CREATE TABLE hold_scope_new (
    hold_id         INTEGER NOT NULL REFERENCES legal_holds(id),
    kind            TEXT NOT NULL CHECK (kind IN ('record','category','folder','matter','custodian')),
    value           TEXT NOT NULL,
    PRIMARY KEY (hold_id, kind, value)
);
INSERT INTO hold_scope_new (hold_id, kind, value) SELECT hold_id, kind, value FROM hold_scope;
DROP TABLE hold_scope;
ALTER TABLE hold_scope_new RENAME TO hold_scope;
CREATE INDEX hold_scope_lookup ON hold_scope(kind, value);
