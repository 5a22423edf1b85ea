-- Spend rollups: what the dashboard reports sum, kept up to date with every change to an
-- invoice that counts (received, in review, approved, exported), by month. Matters behind an
-- ethical wall are left out; the dashboard adds them live for the people on the wall.
CREATE TABLE spend_vendor_month (
    month           TEXT NOT NULL,
    vendor_id       BIGINT NOT NULL,
    billed_e4       BIGINT NOT NULL DEFAULT 0,
    approved_e4     BIGINT NOT NULL DEFAULT 0,
    fee_billed_e4   BIGINT NOT NULL DEFAULT 0,
    fee_approved_e4 BIGINT NOT NULL DEFAULT 0,
    fee_units_e4    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (month, vendor_id)
);
CREATE TABLE spend_type_month (
    month           TEXT NOT NULL,
    type_id         BIGINT NOT NULL,
    billed_e4       BIGINT NOT NULL DEFAULT 0,
    approved_e4     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (month, type_id)
);
CREATE TABLE spend_matter_month (
    month           TEXT NOT NULL,
    matter_id       BIGINT NOT NULL,
    billed_e4       BIGINT NOT NULL DEFAULT 0,
    approved_e4     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (month, matter_id)
);
CREATE TABLE spend_task_month (
    month           TEXT NOT NULL,
    task_code       TEXT NOT NULL,
    billed_e4       BIGINT NOT NULL DEFAULT 0,
    approved_e4     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (month, task_code)
);
CREATE TABLE spend_class_month (
    month           TEXT NOT NULL,
    classification  TEXT NOT NULL,
    billed_e4       BIGINT NOT NULL DEFAULT 0,
    approved_e4     BIGINT NOT NULL DEFAULT 0,
    units_e4        BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (month, classification)
);
CREATE TABLE spend_flag_month (
    month           TEXT NOT NULL,
    rule_kind       TEXT NOT NULL,
    reason_code     TEXT NOT NULL,
    flags           BIGINT NOT NULL DEFAULT 0,
    overridden      BIGINT NOT NULL DEFAULT 0,
    savings_e4      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (month, rule_kind, reason_code)
);
