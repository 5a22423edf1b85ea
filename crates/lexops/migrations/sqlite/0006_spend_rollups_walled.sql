-- The spend rollups now hold walled matters too, each under its own key (wall_matter_id; 0 for
-- every matter without a wall), so that a dashboard adds only the walled matters its user is on
-- without summing their line items live. The tables are recreated and rebuilt from the line
-- items at the next start (the setting below asks for it).
DROP TABLE spend_vendor_month;
DROP TABLE spend_type_month;
DROP TABLE spend_matter_month;
DROP TABLE spend_task_month;
DROP TABLE spend_class_month;
DROP TABLE spend_flag_month;

CREATE TABLE spend_vendor_month (
    month           TEXT NOT NULL,
    wall_matter_id  INTEGER NOT NULL,
    vendor_id       INTEGER NOT NULL,
    billed_e4       INTEGER NOT NULL DEFAULT 0,
    approved_e4     INTEGER NOT NULL DEFAULT 0,
    fee_billed_e4   INTEGER NOT NULL DEFAULT 0,
    fee_approved_e4 INTEGER NOT NULL DEFAULT 0,
    fee_units_e4    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (month, wall_matter_id, vendor_id)
);
CREATE TABLE spend_type_month (
    month           TEXT NOT NULL,
    wall_matter_id  INTEGER NOT NULL,
    type_id         INTEGER NOT NULL,
    billed_e4       INTEGER NOT NULL DEFAULT 0,
    approved_e4     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (month, wall_matter_id, type_id)
);
CREATE TABLE spend_matter_month (
    month           TEXT NOT NULL,
    wall_matter_id  INTEGER NOT NULL,
    matter_id       INTEGER NOT NULL,
    billed_e4       INTEGER NOT NULL DEFAULT 0,
    approved_e4     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (month, wall_matter_id, matter_id)
);
-- A matter's spend by month and UTBMS phase (the first two characters of the task code), read
-- by matter for its budget checks at intake.
CREATE TABLE spend_phase_month (
    matter_id       INTEGER NOT NULL,
    month           TEXT NOT NULL,
    phase           TEXT NOT NULL,
    wall_matter_id  INTEGER NOT NULL,
    billed_e4       INTEGER NOT NULL DEFAULT 0,
    approved_e4     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (matter_id, month, phase, wall_matter_id)
);
CREATE TABLE spend_task_month (
    month           TEXT NOT NULL,
    wall_matter_id  INTEGER NOT NULL,
    task_code       TEXT NOT NULL,
    billed_e4       INTEGER NOT NULL DEFAULT 0,
    approved_e4     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (month, wall_matter_id, task_code)
);
CREATE TABLE spend_class_month (
    month           TEXT NOT NULL,
    wall_matter_id  INTEGER NOT NULL,
    classification  TEXT NOT NULL,
    billed_e4       INTEGER NOT NULL DEFAULT 0,
    approved_e4     INTEGER NOT NULL DEFAULT 0,
    units_e4        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (month, wall_matter_id, classification)
);
CREATE TABLE spend_flag_month (
    month           TEXT NOT NULL,
    wall_matter_id  INTEGER NOT NULL,
    rule_kind       TEXT NOT NULL,
    reason_code     TEXT NOT NULL,
    flags           INTEGER NOT NULL DEFAULT 0,
    overridden      INTEGER NOT NULL DEFAULT 0,
    savings_e4      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (month, wall_matter_id, rule_kind, reason_code)
);
INSERT INTO settings (key, value) VALUES ('spend_rollups_rebuild', '1')
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
